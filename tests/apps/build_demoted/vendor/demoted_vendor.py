"""A helper outside the project root: the static analysis does not read it."""

from flask import request


def peek():
    return f"<p>{request.args.get('q', '')}</p>"
