"""Request dependence that is easy to miss; each page says which way it hides."""

from flask import Blueprint
from flask import Flask
from flask import abort
from flask import g
from flask import render_template_string
from flask import request
from flask import session
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

app = Flask(__name__)
app.secret_key = "build soundness"


class Accounts:
    """Who is signed in, from the session."""

    def current(self):
        return session.get("uid", "guest")  # MARK accounts-session


ACCOUNTS = Accounts()


@app.before_request
def load_account():
    g.account = ACCOUNTS.current()  # fills g.account, which only some pages use


@app.get("/")
def index():
    return "<p>welcome</p>"


@app.get("/about/")
def about():
    return render_template_string("<p>about, at {{ request.path }}</p>")


@app.get("/signed-in/")
def signed_in():
    # The template asks the session itself, on the line the hook runs too.
    return render_template_string("<p>signed in as {{ accounts.current() }}</p>", accounts=ACCOUNTS)


@app.get("/g-dict/")
def g_dict():
    return render_template_string("<p>{{ g.__dict__['account'] }}</p>")  # MARK g-dict


# A g value whose computation can end the request: unknown members get a 401.
KNOWN_MEMBERS = {"bob": "Bob"}


def current_member():
    uid = session.get("uid")  # MARK member-session
    if uid and uid not in KNOWN_MEMBERS:
        abort(401)
    return KNOWN_MEMBERS.get(uid)


members = Blueprint("members", __name__, url_prefix="/members")


@members.before_request
def load_member():
    g.member = current_member()


@members.get("/")
def lobby():
    return "<p>members lobby</p>"


# A g value that is an abort in disguise: visitors with a tracking cookie get a 403.
tracked = Blueprint("tracked", __name__, url_prefix="/tracked")


@tracked.before_request
def refuse_trackers():
    g.refused = request.cookies.get("tracking") and abort(403)  # MARK tracked-hook


@tracked.get("/")
def tracked_page():
    return "<p>no trackers here</p>"


app.register_blueprint(members)
app.register_blueprint(tracked)


class LanguageMiddleware:
    """Sends French browsers to the French page, before any route is matched."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):  # MARK middleware-call
        if environ["PATH_INFO"] == "/intl/":
            language = environ.get("HTTP_ACCEPT_LANGUAGE", "")  # MARK middleware-read
            if language.startswith("fr"):
                environ["PATH_INFO"] = "/intl/fr/"
        return self.wsgi_app(environ, start_response)


app.wsgi_app = LanguageMiddleware(app.wsgi_app)  # MARK middleware


@app.get("/intl/")
def intl():
    return "<p>hello</p>"


@app.get("/intl/fr/")
def intl_fr():
    return "<p>bonjour</p>"


@Request.application
def legacy_app(legacy_request):
    name = legacy_request.cookies.get("theme", "stranger")  # MARK legacy-cookies
    return Response(f"<p>hello {name}</p>", mimetype="text/html")


@app.get("/legacy/")
def legacy():
    return legacy_app
