"""A render that is interrupted (Ctrl-C while the build renders)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    raise KeyboardInterrupt
