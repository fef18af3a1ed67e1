from flask import Blueprint
from flask import abort
from flask import current_app
from flask import render_template
from flask import request

from .helpers import about_text
from .helpers import post_title

bp = Blueprint("site", __name__)


def posts_folder():
    return current_app.config["POSTS"]


@bp.route("/")
def index():
    posts = [(path.stem, post_title(path)) for path in sorted(posts_folder().glob("*.txt"))]
    return render_template("index.html", posts=posts)


@bp.route("/posts/<slug>/")
def post(slug):
    path = posts_folder() / f"{slug}.txt"
    if not path.is_file():
        abort(404)
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return render_template("post.html", title=title, body=body)


@bp.route("/about/")
def about():
    return render_template("about.html", text=about_text())


@bp.route("/search")
def search():
    return f"results for {request.args.get('q', '')}"
