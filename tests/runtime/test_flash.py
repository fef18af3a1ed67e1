"""Flashed messages: stored in the session, shown once, filtered by category."""

from __future__ import annotations

import typing as t

import pytest
from markupsafe import Markup

from sitec.runtime import Flask
from sitec.runtime import flash
from sitec.runtime import get_flashed_messages
from sitec.runtime import message_flashed
from sitec.runtime import redirect
from sitec.runtime import render_template_string
from sitec.runtime import session


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="flash tests")

    @app.post("/notify")
    def notify() -> str:
        flash("saved")
        flash("disk almost full", "warning")
        flash("could not reach mirror", "error")
        flash(Markup("<em>welcome</em>"), "info")
        return ""

    return app


def test_messages_are_shown_once_on_the_next_request(app: Flask) -> None:
    @app.get("/show")
    def show() -> list[str]:
        return get_flashed_messages()

    client = app.test_client()
    client.post("/notify")
    assert client.get("/show").get_json() == [
        "saved",
        "disk almost full",
        "could not reach mirror",
        "<em>welcome</em>",
    ]
    assert client.get("/show").get_json() == []


def test_categories_and_filters(app: Flask) -> None:
    seen: dict[str, t.Any] = {}

    @app.get("/show")
    def show() -> str:
        seen["pairs"] = get_flashed_messages(with_categories=True)
        seen["problems"] = get_flashed_messages(category_filter=["warning", "error"])
        seen["problem_pairs"] = get_flashed_messages(
            with_categories=True, category_filter=("error",)
        )
        seen["none"] = get_flashed_messages(category_filter=["debug"])
        seen["again"] = get_flashed_messages()
        return ""

    client = app.test_client()
    client.post("/notify")
    client.get("/show")

    assert seen["pairs"] == [
        ("message", "saved"),
        ("warning", "disk almost full"),
        ("error", "could not reach mirror"),
        ("info", "<em>welcome</em>"),
    ]
    assert seen["problems"] == ["disk almost full", "could not reach mirror"]
    assert seen["problem_pairs"] == [("error", "could not reach mirror")]
    assert seen["none"] == []
    # Filtering within a request does not consume the other messages.
    assert seen["again"] == [
        "saved",
        "disk almost full",
        "could not reach mirror",
        "<em>welcome</em>",
    ]


def test_markup_survives_the_session(app: Flask) -> None:
    @app.get("/show")
    def show() -> str:
        (message,) = get_flashed_messages(category_filter=["info"])
        return f"{type(message).__name__}:{message}"

    client = app.test_client()
    client.post("/notify")
    assert client.get("/show").text == "Markup:<em>welcome</em>"


def test_flash_across_a_redirect(app: Flask) -> None:
    @app.post("/login")
    def login():
        flash("logged in", "success")
        return redirect("/home")

    @app.get("/home")
    def home() -> str:
        return render_template_string(
            "{% for cat, msg in get_flashed_messages(with_categories=true) %}"
            "[{{ cat }}] {{ msg }};{% endfor %}"
        )

    client = app.test_client()
    response = client.post("/login", follow_redirects=True)
    assert response.request.path == "/home"
    assert response.text == "[success] logged in;"
    assert client.get("/home").text == ""


def test_messages_flashed_during_the_showing_request_wait(app: Flask) -> None:
    @app.get("/show-then-flash")
    def show_then_flash() -> list[str]:
        shown = get_flashed_messages()
        flash("for later")
        return shown

    client = app.test_client()
    client.post("/notify")
    assert len(client.get("/show-then-flash").get_json()) == 4
    assert client.get("/show-then-flash").get_json() == ["for later"]


def test_flashes_live_in_the_session(app: Flask) -> None:
    @app.get("/peek")
    def peek() -> str:
        return repr(session.get("_flashes"))

    client = app.test_client()
    client.post("/notify")
    assert "disk almost full" in client.get("/peek").text


def test_message_flashed_signal(app: Flask) -> None:
    recorded: list[tuple[Flask, str, str]] = []

    def receiver(sender: Flask, message: str, category: str) -> None:
        recorded.append((sender, message, category))

    with message_flashed.connected_to(receiver, app):
        app.test_client().post("/notify")

    assert [(m, c) for _, m, c in recorded] == [
        ("saved", "message"),
        ("disk almost full", "warning"),
        ("could not reach mirror", "error"),
        ("<em>welcome</em>", "info"),
    ]
    assert all(sender is app for sender, _, _ in recorded)


def test_signal_is_scoped_to_the_sending_app(app: Flask) -> None:
    other = Flask("other")
    recorded: list[str] = []
    with message_flashed.connected_to(lambda s, **kw: recorded.append(kw["message"]), other):
        app.test_client().post("/notify")
    assert recorded == []


def test_flash_without_secret_key_fails_clearly() -> None:
    app = Flask(__name__)
    app.testing = True

    @app.post("/notify")
    def notify() -> str:
        flash("nope")
        return ""

    with pytest.raises(RuntimeError, match="secret key"):
        app.test_client().post("/notify")
