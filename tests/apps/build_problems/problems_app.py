"""A site with one page of each build problem, all linked from the home page."""

from flask import Flask
from flask import abort
from flask import render_template

app = Flask(__name__)

POSTS = {"real": "a post that exists"}


@app.get("/")
def index():
    return render_template("index.html")


@app.get("/posts/<slug>/")
def post(slug):
    if slug not in POSTS:
        abort(404)
    return f"<p>{POSTS[slug]}</p>"


@app.get("/broken/")
def broken():
    return render_template("index.html", count=1 / 0)  # MARK render-exception


@app.get("/data.json")
def data_json():
    return "<p>not JSON at all</p>"


@app.get("/twice")
def twice():
    return "<p>twice</p>"


@app.get("/twice.html")
def twice_html():
    return "<p>twice.html</p>"


@app.get("/entry")
def entry():
    return "an entry, as text", 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.get("/entry/<slug>/")
def entry_page(slug):
    return f"<p>{slug}</p>"


@app.get("/cookie/")
def cookie():
    response = app.make_response("<p>hello</p>")
    response.set_cookie("seen", "yes")
    return response
