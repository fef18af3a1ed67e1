"""One page of every kind of output: names, types, headers, static folders, 404, redirects."""

from flask import Flask
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import url_for
from output_shop import shop


def create_app():
    app = Flask(__name__)
    app.register_blueprint(shop)

    @app.get("/")
    def index():
        return render_template("index.html")

    @app.get("/a/")
    def folder_page():
        return render_template("page.html", title="a folder page")

    @app.get("/about")
    def about():
        return render_template("page.html", title="about")

    @app.get("/feed.xml")
    def feed():
        body = '<?xml version="1.0"?><rss version="2.0"><channel/></rss>'
        return body, 200, {"Content-Type": "application/rss+xml; charset=utf-8"}

    @app.get("/api/posts.json")
    def posts_json():
        return jsonify(posts=["a", "b"])

    @app.get("/api/status")
    def status():
        return jsonify(ok=True)

    @app.get("/api/posts/")
    def posts_api():
        return jsonify(posts=["a", "b"])

    @app.get("/secure/")
    def secure():
        response = app.make_response(render_template("page.html", title="secure"))
        response.headers["Cache-Control"] = "public, max-age=600"
        response.headers["Content-Security-Policy"] = "default-src 'self'"
        response.headers["Content-Language"] = "fr"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.get("/old/")
    def old():
        return redirect(url_for("folder_page"), 301)

    @app.get("/source/")
    def source():
        return redirect("https://github.com/pallets/flask")

    @app.errorhandler(404)
    def not_found(error):
        return render_template("404.html"), 404

    return app
