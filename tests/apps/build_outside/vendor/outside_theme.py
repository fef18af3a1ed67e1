"""A helper outside the project root: the static analysis does not read it."""

from flask import request


def theme_class():
    return request.cookies.get("theme", "light")  # MARK outside-cookies
