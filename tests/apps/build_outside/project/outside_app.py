"""A site whose themed page reads a cookie through code the analysis cannot see."""

import os
import sys

from flask import Flask
from flask import render_template

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vendor"))

import outside_theme  # noqa: E402

app = Flask(__name__)


@app.get("/")
def index():
    return render_template("page.html", body="plain", theme="none")


@app.get("/themed/")
def themed():
    theme = outside_theme.theme_class()  # MARK outside-call
    return render_template("page.html", body="themed", theme=theme)
