"""A form bound to the request's form data, with a CSRF token."""

from flask import request

from .csrf import generate_csrf


class FlaskForm:
    def __init__(self):
        self.data = request.form.to_dict()
        self.csrf_token = generate_csrf()
