"""Two pairs of URLs that want one path, each registered (and so rendered) later URL
first: /page.html before /page (both page.html), /notes/one/ before /notes (a text
file where the other needs a folder)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return '<a href="/page.html">a</a> <a href="/page">b</a> <a href="/notes">c</a>'


@app.get("/page.html")
def page_html():
    return "<p>page.html</p>"


@app.get("/notes/one/")
def note():
    return "<p>one</p>"


@app.get("/page")
def page():
    return "<p>page</p>"


@app.get("/notes")
def notes():
    return "notes, as text", 200, {"Content-Type": "text/plain; charset=utf-8"}
