"""Stands in for the real Flask-Login: the analysis knows these names."""

from werkzeug.local import LocalProxy

current_user = LocalProxy(lambda: None)


def login_required(view):
    return view
