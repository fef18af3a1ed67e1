"""A blueprint nested in another, with relative url_for calls."""

from flask import Blueprint
from flask import render_template
from flask import request
from flask import url_for

site = Blueprint("site", __name__, url_prefix="/site")
docs = Blueprint("docs", __name__, url_prefix="/docs")


@site.before_request
def check_language():
    if request.headers.get("Accept-Language"):  # MARK accept_language
        pass


@docs.route("/<name>")
def page(name):
    return render_template("docs/page.html", next=url_for(".page", name="intro"))


site.register_blueprint(docs)
