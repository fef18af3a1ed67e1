"""Request dependence that is only indirect: hooks, g, context processors,
decorators, a current_user-style proxy, blueprints and class-based views."""

from auth import current_user
from auth import login_required
from docs import site
from flask import Blueprint
from flask import Flask
from flask import g
from flask import render_template
from flask import request
from flask.views import MethodView
from flask.views import View

app = Flask(__name__)
app.secret_key = "test only"


@app.before_request
def load_user():
    uid = session_user()
    g.user = uid  # MARK g_user
    g.site_name = "Example"


@app.url_value_preprocessor
def pull_lang(endpoint, values):
    g.lang = (values or {}).pop("lang", "en")


def session_user():
    from flask import session

    return session.get("uid")  # MARK session_user


@app.route("/")
def index():
    return render_template("index.html", site=g.site_name)


@app.route("/profile")
def profile():
    return {"user": g.user}  # MARK profile


@app.route("/greeting")
def greeting():
    return render_template("greeting.html")


@app.route("/<lang>/about")
def about():
    return render_template("index.html", site=g.lang)


@app.route("/account")
@login_required
def account():
    return "your account"


@app.route("/me")
def me():
    return {"name": current_user.name}  # MARK me


@app.route("/badge")
def badge():
    return render_template("badge.html")


class Search(MethodView):
    def get(self):
        return {"q": self.query()}

    def query(self):
        return request.args.get("q", "")  # MARK query


class Private(View):
    decorators = [login_required]

    def dispatch_request(self):
        return "private"


class Plain(MethodView):
    def get(self):
        return render_template("index.html", site="plain")


app.add_url_rule("/search", view_func=Search.as_view("search"))
app.add_url_rule("/private", view_func=Private.as_view("private"))
app.add_url_rule("/plain", view_func=Plain.as_view("plain"))

shop = Blueprint("shop", __name__, static_folder="shop_static", url_prefix="/shop")


@shop.before_request
def remember_cart():
    g.cart = request.cookies.get("cart")  # MARK cart


@shop.route("/")
def shop_index():
    return "shop"


@shop.route("/cart")
def cart():
    return {"cart": g.cart}  # MARK cart_use


news = Blueprint("news", __name__, url_prefix="/news")


@news.context_processor
def inject_visitor():
    return {"visitor": request.remote_addr}  # MARK visitor


@news.route("/")
def news_index():
    return render_template("index.html", site="news")


@news.route("/feed.json")
def news_feed():
    return {"items": []}


@app.template_global()
def visitors():
    return request.headers.get("X-Visitors", "0")  # MARK visitors


@app.route("/counter")
def counter():
    return render_template("counter.html")


app.register_blueprint(shop)
app.register_blueprint(news)
app.register_blueprint(site)
