"""Welcoming a returning visitor on the "Start here" page, from a cookie.

The page's view reads nothing of the request and looks like any other page. But its
template includes ``partials/welcome_back.html``, which calls
:func:`returning_visitor`, which reads the ``last_visit`` cookie: the page differs per
visitor, so it must not become a file. ``sitec build`` finds that read through the
template, the include and this Jinja global, and keeps /start/ dynamic (a freezer that
only renders pages would write the first-time greeting for everyone).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from flask import request

from .content import Post
from .site import published_posts

LAST_VISIT_COOKIE = "last_visit"


@dataclass(frozen=True)
class ReturningVisitor:
    last_visit: datetime.date
    #: Posts published after the last visit, newest first.
    new_posts: list[Post]


def last_visit() -> datetime.date | None:
    """The date of this visitor's previous visit to /start/, if the cookie has one."""
    try:
        return datetime.date.fromisoformat(request.cookies.get(LAST_VISIT_COOKIE, ""))
    except ValueError:
        return None


def returning_visitor() -> ReturningVisitor | None:
    """What changed since this visitor was last here; ``None`` on a first visit (a Jinja global)."""
    since = last_visit()
    if since is None:
        return None
    return ReturningVisitor(since, [post for post in published_posts() if post.date > since])
