"""A site with both halves and hostile names, for the deploy bundle's end-to-end tests.

Every request that reaches the app is appended (method and path) to the file named by
SITEC_TEST_REACHED, when set, so a test can tell which requests a host sent to the WSGI
server.
"""

import os

from flask import Flask
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.signals import request_started
from werkzeug.routing import BaseConverter

#: Path segments that need escaping in some config language.
HOSTILE_NAMES = [
    "sp ace",
    'quo"te',
    "it's",
    "dol$lar",
    "{brace}",
    "semi;colon",
    "x*y:z",
    "per%cent",
    "café crème",
    "env{$HOME}",
    "what?",
]

FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>deploy</title></channel></rss>'
FEED_TYPE = "application/rss+xml; charset=utf-8"


class LowerConverter(BaseConverter):
    """A converter whose regex only Python reads (a lookahead)."""

    regex = r"(?!admin)[a-z]+"


def note_reached(sender, **extra):
    log = os.environ.get("SITEC_TEST_REACHED")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{request.method} {request.path}\n")


def create_app():
    app = Flask(__name__)
    app.url_map.converters["lower"] = LowerConverter
    request_started.connect(note_reached, app, weak=False)

    @app.get("/")
    def index():
        return render_template("index.html", names=HOSTILE_NAMES)

    # One page of each file-name rule: a folder, an HTML name without extension, a
    # known extension, an extensionless JSON answer.
    app.add_url_rule("/a/", "folder_page", lambda: render_template("page.html", title="a"))
    app.add_url_rule("/about", "about", lambda: render_template("page.html", title="about"))
    app.add_url_rule("/feed.xml", "feed", lambda: (FEED, {"Content-Type": FEED_TYPE}))
    app.add_url_rule("/api/status", "status", lambda: jsonify(ok=True, site="deploy"))

    @app.get("/secure/")
    def secure():
        response = app.make_response(render_template("page.html", title="secure"))
        response.headers["Cache-Control"] = "public, max-age=600"
        response.headers["Content-Security-Policy"] = "default-src 'self'; img-src data:"
        response.headers["X-Robots-Tag"] = 'noindex; a="b" $x {y} \\z'
        response.headers["Link"] = '</static/a b$.css>; rel="preload"; as="style"'
        return response

    @app.get("/weird/<name>/")
    def weird(name):
        return render_template("page.html", title=name)

    @app.get("/old/")
    def old():
        return redirect(url_for("folder_page"), 301)

    @app.get("/contact")
    def contact():
        return render_template("page.html", title="contact")

    @app.post("/contact")
    def contact_post():
        return f"thanks {request.form.get('name', '')}"

    @app.get("/search")
    def search():
        return f"results for {request.args.get('q', '')}"

    @app.get("/hits/<int:n>/")
    def hits(n):
        return jsonify(n=n, seen=request.cookies.get("seen"))

    @app.get("/u/<lower:name>")
    def user(name):
        return f"user {name} via {request.headers.get('User-Agent', '?')}"

    @app.errorhandler(404)
    def not_found(error):
        return render_template("404.html"), 404

    return app
