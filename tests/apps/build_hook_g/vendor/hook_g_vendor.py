"""A helper outside the project root that reads g.user: the analysis cannot see it."""

from flask import g


def greeting():
    return f"hello {g.get('user') or 'stranger'}"  # MARK vendor-g-user
