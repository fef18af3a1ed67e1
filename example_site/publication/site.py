"""The running app's content and address: what the views ask for.

:mod:`.content` knows files; this module knows where the app keeps them
(``CONTENT_FOLDER``) and where the site is published (``SITE_URL``, for the
absolute links that feeds and sitemaps need).
"""

from __future__ import annotations

from pathlib import Path

from flask import abort
from flask import current_app

from .content import Post
from .content import Rendered
from .content import load_posts
from .content import render_markdown


def content_folder() -> Path:
    return Path(current_app.config["CONTENT_FOLDER"])


def published_posts() -> list[Post]:
    """The posts readers see, newest first; drafts are left out."""
    return load_posts(content_folder() / "posts")


def draft_posts() -> list[Post]:
    """Posts still marked ``draft = true``: shown to members only."""
    return [post for post in load_posts(content_folder() / "posts", drafts=True) if post.draft]


def post_or_404(slug: str) -> Post:
    for post in published_posts():
        if post.slug == slug:
            return post
    abort(404)


def page_text(name: str) -> Rendered:
    """A stand-alone Markdown page of ``content/`` (``about`` is ``content/about.md``)."""
    return render_markdown((content_folder() / f"{name}.md").read_text(encoding="utf-8"))


def absolute_url(path: str) -> str:
    """``path`` (as ``url_for`` gives it) on the site's public address."""
    return current_app.config["SITE_URL"].rstrip("/") + path
