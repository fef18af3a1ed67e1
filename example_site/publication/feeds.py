"""Files for feed readers and crawlers: the Atom feed, ``sitemap.xml`` and ``robots.txt``.

Their dates come from the posts, never from the clock, so two builds of the same
content write the same bytes.
"""

from __future__ import annotations

import datetime
import math

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import url_for
from werkzeug.wrappers import Response

from .content import tag_counts
from .site import absolute_url
from .site import published_posts

blueprint = Blueprint("feeds", __name__)

#: Posts in the feed; readers fetch it often, so it holds the latest only.
FEED_SIZE = 20


@blueprint.get("/feed.xml")
def feed() -> Response:
    posts = published_posts()[:FEED_SIZE]
    body = render_template(
        "feed.xml",
        posts=posts,
        updated=posts[0].date if posts else datetime.date(2026, 1, 1),
        absolute_url=absolute_url,
    )
    return Response(body, mimetype="application/atom+xml")


@blueprint.get("/sitemap.xml")
def sitemap() -> Response:
    posts = published_posts()
    newest = posts[0].date if posts else None
    entries: list[tuple[str, datetime.date | None]] = [
        (url_for("pages.home"), newest),
        (url_for("pages.about"), None),
        (url_for("blog.tags"), newest),
    ]
    pages = math.ceil(len(posts) / current_app.config["POSTS_PER_PAGE"])
    entries += [(url_for("blog.archive", page=page), newest) for page in range(1, pages + 1)]
    entries += [(url_for("blog.post", slug=post.slug), post.date) for post in posts]
    for tag, _ in tag_counts(posts):
        entries.append((url_for("blog.tag", tag=tag), max(p.date for p in posts if tag in p.tags)))
    body = render_template(
        "sitemap.xml", entries=[(absolute_url(path), date) for path, date in entries]
    )
    return Response(body, mimetype="application/xml")


@blueprint.get("/robots.txt")
def robots() -> Response:
    lines = [
        "User-agent: *",
        f"Disallow: {url_for('members.desk')}",
        f"Disallow: {url_for('pages.search')}",
        "",
        f"Sitemap: {absolute_url(url_for('feeds.sitemap'))}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
