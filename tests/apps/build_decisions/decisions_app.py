"""Every way a page can depend on the request indirectly, and pages that do not."""

from decisions_auth import current_user
from decisions_auth import login_required
from flask import Blueprint
from flask import Flask
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

from sitec.compiler.hints import dynamic_page
from sitec.compiler.hints import static_page

app = Flask(__name__)
app.secret_key = "build decisions"

prefs = Blueprint("prefs", __name__, url_prefix="/prefs")
members = Blueprint("members", __name__, url_prefix="/members")


@app.before_request
def name_the_site():
    g.site_name = "Decisions"


@members.before_request
def load_member():
    g.user = session.get("user")  # MARK hook-session


@prefs.context_processor
def inject_theme():
    return {"theme": request.cookies.get("theme", "light")}  # MARK processor-cookies


@app.get("/")
def index():
    return render_template("index.html", title="Home")


@app.get("/about/")
def about():
    return render_template("index.html", title=g.site_name)


@app.get("/hello/")
def hello():
    return render_template("hello.html")


@members.get("/")
def lounge():
    return render_template("lounge.html")


@members.get("/greeting/")
def greeting():
    return f"<p>Hello {g.user}</p>"  # MARK view-g-user


@prefs.get("/")
def settings_page():
    return render_template("theme.html")


@app.get("/dashboard/")
def dashboard():
    return render_template("dashboard.html")


@app.get("/account/")
@login_required
def account():
    return "<p>your account</p>"


@app.get("/profile/")
def profile():
    return f"<p>{current_user}</p>"  # MARK view-proxy


@app.post("/contact")
def contact():
    return "thanks"


@app.route("/subscribe/", methods=["GET", "POST"])
def subscribe():
    if request.method == "POST":
        return request.form.get("email", "")  # MARK subscribe-form
    return "<form method=post></form>"


@app.get("/campaign/")
@static_page(reason="reads request.args only to log a campaign tag")  # MARK static-override
def campaign():
    tag = request.args.get("utm_campaign")  # MARK campaign-args
    if tag:
        app.logger.info("campaign %s", tag)
    return "<p>campaign</p>"


@app.get("/clock/")
@dynamic_page(reason="shows the time of the request")  # MARK dynamic-override
def clock():
    return "<p>now</p>"


@app.get("/config-static/")
def config_forced_static():
    if app.testing:
        return request.headers.get("X-Test", "")  # MARK config-headers
    return "<p>forced static in pyproject.toml</p>"


@app.get("/config-dynamic/")
def config_forced_dynamic():
    return "<p>forced dynamic in pyproject.toml</p>"


app.register_blueprint(prefs)
app.register_blueprint(members)


@app.route("/newsletter/", methods=["GET", "POST"])
def newsletter():  # MARK newsletter
    if request.method == "POST":  # a file cannot take the post: the WSGI server does
        return redirect(url_for("newsletter"))
    return "<form method=post><button>subscribe</button></form>"
