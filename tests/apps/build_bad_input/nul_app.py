"""A URL value with a NUL character."""

from flask import Flask

from sitec.compiler.hints import url_values

app = Flask(__name__)


@app.get("/")
def index():
    return "<p>home</p>"


@app.get("/names/<name>/")
def names(name):
    return "<p>a name</p>"


@url_values("names")
def all_names():
    yield {"name": "nul\x00byte"}
