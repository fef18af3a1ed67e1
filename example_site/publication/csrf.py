"""A CSRF token kept in the session, for the site's forms.

A form renders ``<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">``;
the view handling its POST calls :func:`check_csrf` first. Another site can make a
visitor's browser post to ours, with the visitor's cookies, but it cannot read the
token out of our pages, so its posts fail the check.
"""

from __future__ import annotations

import hmac
import secrets

from flask import abort
from flask import request
from flask import session

SESSION_KEY = "csrf_token"
FIELD = "csrf_token"
REFUSED = "This form expired or did not come from this site. Reload the page and try again."


def csrf_token() -> str:
    """This visitor's token, made on first use (a Jinja global)."""
    token = session.get(SESSION_KEY)
    if not token:
        token = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Answer 400 unless the posted form carries this visitor's token."""
    sent = request.form.get(FIELD, "")
    expected = session.get(SESSION_KEY, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, REFUSED)


def new_csrf_token() -> None:
    """Forget the token, so the next form gets a new one (after logging in or out)."""
    session.pop(SESSION_KEY, None)
