"""The pages around the posts: home, about, "start here", a random post, and search."""

from __future__ import annotations

import datetime
import random

from flask import Blueprint
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.wrappers import Response

from sitec.compiler.hints import dynamic_page

from .content import tag_counts
from .search import search as search_posts
from .site import page_text
from .site import published_posts
from .visitors import LAST_VISIT_COOKIE

blueprint = Blueprint("pages", __name__)

#: How many posts the home page shows.
LATEST = 3


@blueprint.get("/")
def home() -> str:
    posts = published_posts()
    return render_template(
        "home.html", posts=posts[:LATEST], total=len(posts), tags=tag_counts(posts)
    )


@blueprint.get("/about/")
def about() -> str:
    return render_template("page.html", page=page_text("about"))


@blueprint.get("/start/")
def start() -> Response:
    # Nothing here reads the request; the template it renders does (see visitors.py).
    response = make_response(render_template("start.html", posts=published_posts()))
    response.set_cookie(
        LAST_VISIT_COOKIE,
        datetime.date.today().isoformat(),
        max_age=365 * 24 * 3600,
        samesite="Lax",
    )
    return response


@blueprint.get("/random/")
# Analysis finds no request read here, so it would pre-render this page: the file
# would then send every reader to the one post picked at build time, forever.
@dynamic_page(reason="picks a different post on every visit; a file would freeze one pick")
def random_post() -> Response:
    post = random.choice(published_posts())
    return redirect(url_for("blog.post", slug=post.slug))


@blueprint.get("/search")
def search() -> str:
    query = request.args.get("q", "").strip()
    hits = search_posts(published_posts(), query)
    return render_template("search.html", query=query, hits=hits)
