"""An app whose only error handler is a generic one, for every HTTP error."""

from flask import Flask
from werkzeug.exceptions import HTTPException

app = Flask(__name__)


@app.get("/")
def index():
    return "<p>home</p>"


@app.errorhandler(HTTPException)
def http_error(error):
    return f"<h1>{error.code} {error.name}</h1>", error.code
