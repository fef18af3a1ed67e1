"""JSON for scripts: every post at ``/api/posts.json``, and a search at ``/api/search``.

``/api/search`` takes ``q`` (words), ``tag`` and ``limit`` (1 to 50, default 10), and
answers 400 with ``{"error": ...}`` when a parameter is wrong.
"""

from __future__ import annotations

import typing as t

from flask import Blueprint
from flask import jsonify
from flask import request
from flask import url_for
from werkzeug.wrappers import Response

from .content import Post
from .search import search as search_posts
from .site import absolute_url
from .site import published_posts

blueprint = Blueprint("api", __name__, url_prefix="/api")

MAX_LIMIT = 50


def post_json(post: Post) -> dict[str, t.Any]:
    return {
        "slug": post.slug,
        "title": post.title,
        "date": post.date.isoformat(),
        "tags": list(post.tags),
        "summary": post.summary,
        "url": absolute_url(url_for("blog.post", slug=post.slug)),
        "reading_minutes": post.reading_minutes,
    }


@blueprint.get("/posts.json")
def posts() -> Response:
    return jsonify(posts=[post_json(post) for post in published_posts()])


@blueprint.get("/search")
def search() -> Response | tuple[Response, int]:
    query = request.args.get("q", "").strip()
    tag = request.args.get("tag", "").strip() or None
    try:
        limit = int(request.args.get("limit", "10"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        return jsonify(error=f"limit must be a whole number from 1 to {MAX_LIMIT}"), 400
    if not query and tag is None:
        return jsonify(error="give q (words to look for), tag, or both"), 400
    hits = search_posts(published_posts(), query, tag=tag)
    return jsonify(
        query=query,
        tag=tag,
        total=len(hits),
        results=[post_json(hit.post) | {"score": hit.score} for hit in hits[:limit]],
    )
