"""A path converter fed values that would write outside the output folder."""

from flask import Flask

from sitec.compiler.hints import url_values

app = Flask(__name__)


@app.get("/")
def index():
    return "<p>home</p>"


@app.get("/files/<path:name>")
def files(name):
    return f"<p>{name}</p>"


@url_values("files")  # MARK unsafe-generator
def file_names():
    yield {"name": "fine"}
    yield {"name": "../../escaped.html"}
