"""The members' desk: log in, see drafts in progress and readers' messages, log out.

Who is logged in is kept in the session (a signed cookie). The demo account is
``reader`` / ``plain-pages`` (see ``MEMBERS`` in the app's settings).
"""

from __future__ import annotations

import functools
import typing as t
from urllib.parse import urlsplit

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response

from .contact import inbox
from .csrf import check_csrf
from .site import draft_posts

blueprint = Blueprint("members", __name__, url_prefix="/members")

SESSION_KEY = "member"
F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def current_member() -> str | None:
    return session.get(SESSION_KEY)


def login_required(view: F) -> F:
    """Send visitors who are not logged in to the login page, and back here after."""

    @functools.wraps(view)
    def checked(**kwargs: t.Any) -> t.Any:
        if current_member() is None:
            return redirect(url_for("members.login", next=request.full_path.rstrip("?")))
        return view(**kwargs)

    return t.cast(F, checked)


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site; a login must not redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@blueprint.get("/")
@login_required
def desk() -> str:
    return render_template(
        "members/desk.html", member=current_member(), drafts=draft_posts(), messages=inbox()
    )


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    target = local_path(request.args.get("next"))
    if request.method == "GET":
        return render_template("members/login.html", target=target, error=None)
    check_csrf()
    username = request.form.get("username", "").strip().lower()
    known = current_app.config["MEMBERS"].get(username)
    if known is None or not check_password_hash(known, request.form.get("password", "")):
        error = "That username and password do not match an account."
        return render_template("members/login.html", target=target, error=error), 422
    # A new session on login: nothing set before it (a CSRF token included) carries over.
    session.clear()
    session[SESSION_KEY] = username
    flash(f"Welcome, {username}. You are logged in.")
    return redirect(target or url_for("members.desk"))


@blueprint.post("/logout")
def logout() -> Response:
    check_csrf()
    session.clear()
    flash("You are logged out. Come back soon.")
    return redirect(url_for("members.login"))
