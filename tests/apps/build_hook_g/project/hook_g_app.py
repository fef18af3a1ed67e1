"""g.user comes from the session on every request; only some pages use it."""

import os
import sys

from flask import Flask
from flask import g
from flask import render_template
from flask import session

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vendor"))

import hook_g_vendor  # noqa: E402

app = Flask(__name__)
app.secret_key = "build hook g"


@app.before_request
def load_user():
    g.user = session.get("user")  # MARK hook-session


@app.get("/")
def index():
    return render_template("plain.html")


@app.get("/me/")
def me():
    return render_template("me.html")


@app.get("/vendor/")
def vendor():
    return f"<p>{hook_g_vendor.greeting()}</p>"  # MARK vendor-call
