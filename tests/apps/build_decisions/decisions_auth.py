"""The project's own login helpers: a decorator and a current_user-style proxy."""

import functools

from flask import redirect
from flask import session
from werkzeug.local import LocalProxy

USERS = {"alice": "Alice"}


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if "user" not in session:  # MARK decorator-session
            return redirect("/")
        return view(*args, **kwargs)

    return wrapper


def _load_user():
    return USERS.get(session.get("uid"), "guest")  # MARK proxy-session


current_user = LocalProxy(_load_user)
