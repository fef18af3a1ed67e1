"""Stands in for Flask-WTF (which needs real Flask to install): the same names, working
the same way on the session, outside the project as an installed extension is."""

from .csrf import CSRFProtect
from .csrf import generate_csrf
from .form import FlaskForm

__all__ = ["CSRFProtect", "FlaskForm", "generate_csrf"]
