"""Parametrized pages, each found by one discovery source."""

from flask import Flask
from flask import abort
from flask import redirect
from flask import render_template
from flask import url_for

from sitec.compiler.hints import url_values

app = Flask(__name__)

NOTES = {"python-literal": "found by url_for in Python", "template-literal": "in a template"}
ARTICLES = ["crawled-one", "crawled-two"]
TAGS = ["generated-a", "generated-b"]


@app.get("/")
def index():
    return render_template("index.html", articles=ARTICLES)


@app.post("/notes/")
def create_note():
    # Never rendered by the build: only the analysis sees this literal url_for.
    return redirect(url_for("note", slug="python-literal"))  # MARK python-url-for


@app.get("/notes/<slug>/")
def note(slug):
    if slug not in NOTES:
        abort(404)
    return f"<p>{NOTES[slug]}</p>"


@app.get("/articles/<slug>/")
def article(slug):
    return render_template("article.html", slug=slug)


@app.get("/tags/<tag>/")
def tag(tag):
    return f"<p>tag {tag}</p>"


@url_values("tag")  # MARK generator
def all_tags():
    for name in TAGS:
        yield {"tag": name}


@app.get("/archive/", defaults={"year": 2024})
@app.get("/archive/<int:year>/")
def archive(year):
    return f"<p>archive {year}</p>"


@app.get("/orphans/<name>/")
def orphan(name):
    return f"<p>{name}</p>"
