"""A two-post blog with a search and a subscribe form: the fixture of the CLI tests.

It imports ``flask`` like any Flask app; under ``sitec`` that name is the sitec runtime.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Flask
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

POSTS = {
    "hello-sitec": {
        "title": "Hello, sitec",
        "date": "2026-11-01",
        "body": "Most pages of a site never look at the request. sitec renders those to files.",
    },
    "two-halves": {
        "title": "Two halves, one app",
        "date": "2026-11-15",
        "body": "The pages that do read the request stay on a WSGI server, unchanged.",
    },
}

blog = Blueprint("blog", __name__, url_prefix="/posts")


@blog.get("/")
def index():
    posts = sorted(POSTS.items(), key=lambda item: item[1]["date"], reverse=True)
    return render_template("index.html", posts=posts)


@blog.get("/<slug>/")
def post(slug: str):
    if slug not in POSTS:
        abort(404)
    return render_template("post.html", slug=slug, post=POSTS[slug])


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(SECRET_KEY="example-only-change-me")
    app.register_blueprint(blog)

    @app.get("/")
    def home():
        return redirect(url_for("blog.index"))

    @app.get("/search")
    def search():
        query = request.args.get("q", "").strip().lower()
        hits = [
            (slug, post)
            for slug, post in POSTS.items()
            if query and (query in post["title"].lower() or query in post["body"].lower())
        ]
        return render_template("search.html", query=query, hits=hits)

    @app.route("/subscribe", methods=["GET", "POST"])
    def subscribe():
        if request.method == "POST":
            email = request.form.get("email", "").strip()
            if "@" not in email:
                flash("That does not look like an email address.", "error")
            else:
                session["subscriber"] = email
                flash(f"Subscribed {email}. Thank you!", "ok")
            return redirect(url_for("subscribe"))
        return render_template("subscribe.html", subscriber=session.get("subscriber"))

    @app.errorhandler(404)
    def not_found(error):
        return render_template("404.html"), 404

    return app
