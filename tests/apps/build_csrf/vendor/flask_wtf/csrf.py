"""CSRF tokens kept in the session, as Flask-WTF's are."""

import hmac
import secrets

from flask import session

FIELD = "csrf_token"


def generate_csrf():
    """The visitor's token, made and stored in the session on first use."""
    if FIELD not in session:
        session[FIELD] = secrets.token_hex(16)
    return session[FIELD]


def validate_csrf(data):
    return FIELD in session and hmac.compare_digest(str(data), session[FIELD])


class CSRFProtect:
    """Makes ``csrf_token()`` available to every template."""

    def __init__(self, app=None):
        if app is not None:
            self.init_app(app)

    def init_app(self, app):
        app.jinja_env.globals["csrf_token"] = generate_csrf
