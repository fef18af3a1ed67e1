"""Forms protected by Flask-WTF's CSRF tokens: each visitor gets their own token."""

import os
import sys

from flask import Flask
from flask import render_template

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vendor"))

from flask_wtf import CSRFProtect  # noqa: E402
from flask_wtf import FlaskForm  # noqa: E402
from flask_wtf.csrf import generate_csrf  # noqa: E402

app = Flask(__name__)
app.secret_key = "build csrf"
CSRFProtect(app)


class SignupForm(FlaskForm):
    pass


@app.get("/")
def index():
    return render_template("index.html")


@app.get("/contact/")
def contact():
    return render_template("contact.html")


@app.get("/signup/")
def signup():
    form = SignupForm()  # MARK flask-form
    return f'<form method=post><input name=csrf_token value="{form.csrf_token}"></form>'


@app.get("/token/")
def token():
    return {"csrf_token": generate_csrf()}  # MARK generate-csrf
