"""A good app: its build is the previous output that the bad builds must leave intact."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "<p>the previous build</p>"
