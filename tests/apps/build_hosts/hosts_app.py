"""A site on example.com with an API on api.example.com, and a generator that errs."""

from flask import Blueprint
from flask import Flask
from flask import url_for

from sitec.compiler.hints import url_values

app = Flask(__name__, subdomain_matching=True)
app.config["SERVER_NAME"] = "example.com"

api = Blueprint("api", __name__, subdomain="api", static_folder="api_static")


@api.get("/")
def api_index():  # MARK api-view
    return "<p>the API</p>"


app.register_blueprint(api)


@app.get("/")
def index():
    return f'<a href="{url_for("api.api_index")}">API</a> <a href="/posts/hello/">hello</a>'


@app.get("/posts/<slug>/")
def post(slug):
    return f"<p>{slug}</p>"


@url_values("post")  # MARK generator
def post_urls():
    yield {"slug": "world"}
    yield "/drafts/secret/"  # a URL of no route
