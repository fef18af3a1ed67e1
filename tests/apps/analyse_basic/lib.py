from flask import request


def current_theme():
    return _read_cookie("theme")


def _read_cookie(name):
    return request.cookies.get(name, "light")  # MARK cookie
