"""A tiny Flask-Login look-alike: a current_user proxy and login_required."""

import functools

from flask import redirect
from flask import session
from werkzeug.local import LocalProxy


class User:
    def __init__(self, name):
        self.name = name


def _load_user():
    uid = session.get("uid")  # MARK load_user
    return User(uid) if uid else None


current_user = LocalProxy(_load_user)


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if "uid" not in session:  # MARK login_required
            return redirect("/login")
        return view(*args, **kwargs)

    return wrapper
