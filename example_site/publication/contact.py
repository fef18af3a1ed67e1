"""The contact form: validated, protected by a CSRF token, confirmed with a flash.

A good message is kept in the app's inbox (in memory, which is enough for a demo;
a real site would send it by mail or store it) and the members' desk lists it.
A message with mistakes comes back with the visitor's text and what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from werkzeug.wrappers import Response

from .csrf import check_csrf

blueprint = Blueprint("contact", __name__)

FIELDS = ("name", "email", "message")
MAX_NAME = 100
MESSAGE_LENGTH = (20, 5000)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_INBOX = "publication.inbox"


@dataclass(frozen=True)
class Message:
    name: str
    email: str
    text: str


def inbox() -> list[Message]:
    """Messages received since the app started, oldest first."""
    return current_app.extensions.setdefault(_INBOX, [])


def problems(values: dict[str, str]) -> dict[str, str]:
    """What is wrong with each field, by field name; empty when the message can go."""
    found = {}
    if not values["name"]:
        found["name"] = "Tell us your name, so we know how to greet you."
    elif len(values["name"]) > MAX_NAME:
        found["name"] = f"Keep your name under {MAX_NAME} characters."
    if not _EMAIL.fullmatch(values["email"]):
        found["email"] = "We need an email address like ada@example.org to answer you."
    shortest, longest = MESSAGE_LENGTH
    if len(values["message"]) < shortest:
        found["message"] = f"Write at least {shortest} characters, so we can help."
    elif len(values["message"]) > longest:
        found["message"] = f"Keep it under {longest} characters; a link to more is fine."
    return found


@blueprint.route("/contact/", methods=["GET", "POST"])
def form() -> str | Response | tuple[str, int]:
    if request.method == "GET":
        return render_template("contact.html", values=dict.fromkeys(FIELDS, ""), errors={})
    check_csrf()
    values = {field: request.form.get(field, "").strip() for field in FIELDS}
    errors = problems(values)
    if errors:
        return render_template("contact.html", values=values, errors=errors), 422
    inbox().append(Message(values["name"], values["email"], values["message"]))
    flash(f"Thank you, {values['name']}: your message reached us. We answer within a week.")
    # Post/Redirect/Get: reloading the page after this does not send the message twice.
    return redirect(url_for("contact.form"))
