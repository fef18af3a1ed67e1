"""The posts: the archive (newest first, a few per page), each post, and the tags."""

from __future__ import annotations

import math

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import render_template

from sitec.compiler.hints import url_values

from .content import tag_counts
from .site import post_or_404
from .site import published_posts

blueprint = Blueprint("blog", __name__)


# Page 1 of the archive is /posts/; a request for /posts/page/1/ redirects there.
@blueprint.get("/posts/", defaults={"page": 1})
@blueprint.get("/posts/page/<int:page>/")
def archive(page: int) -> str:
    posts = published_posts()
    per_page = current_app.config["POSTS_PER_PAGE"]
    pages = max(1, math.ceil(len(posts) / per_page))
    if not 1 <= page <= pages:
        abort(404)
    shown = posts[(page - 1) * per_page : page * per_page]
    return render_template("archive.html", posts=shown, page=page, pages=pages, total=len(posts))


@blueprint.get("/posts/<slug>/")
def post(slug: str) -> str:
    posts = published_posts()
    current = post_or_404(slug)
    index = posts.index(current)
    newer = posts[index - 1] if index > 0 else None
    older = posts[index + 1] if index + 1 < len(posts) else None
    return render_template("post.html", post=current, newer=newer, older=older)


# Every post is linked from the archive, so the build would find them by following
# links; listing them here also builds a post that nothing links to yet.
@url_values("blog.post")
def post_slugs():
    for post in published_posts():
        yield {"slug": post.slug}


@blueprint.get("/tags/")
def tags() -> str:
    return render_template("tags.html", tags=tag_counts(published_posts()))


@blueprint.get("/tags/<tag>/")
def tag(tag: str) -> str:
    posts = [post for post in published_posts() if tag in post.tags]
    if not posts:
        abort(404)
    return render_template("tag.html", tag=tag, posts=posts)
