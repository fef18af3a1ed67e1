"""A site where one page of an endpoint reads the request through code the analysis
cannot see: the whole endpoint is demoted after its other pages were rendered (and
their bodies written ahead by the render workers)."""

import os
import sys

from flask import Flask

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vendor"))

import demoted_vendor  # noqa: E402

app = Flask(__name__)

NOTES = [f"note-{number}" for number in range(40)] + ["peek"]


@app.get("/")
def index():
    return "".join(f'<a href="/notes/{slug}/">{slug}</a>' for slug in NOTES)


@app.get("/notes/<slug>/")
def note(slug):
    if slug == "peek":
        return demoted_vendor.peek()
    return f"<p>{slug}</p>"
