"""A static page whose template does not parse."""

from flask import Flask
from flask import render_template

app = Flask(__name__)


@app.get("/")
def index():
    return "<a href='/broken/'>broken</a>"


@app.get("/broken/")
def broken():
    return render_template("broken.html")
