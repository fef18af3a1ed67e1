"""Signals: each one the runtime sends, with its sender and keyword arguments,
the order of a request's signals, and ``signals.Namespace`` for an app's own."""

from __future__ import annotations

import typing as t
from contextlib import ExitStack

import pytest
from blinker import Signal

from sitec.runtime import Flask
from sitec.runtime import appcontext_popped
from sitec.runtime import appcontext_pushed
from sitec.runtime import appcontext_tearing_down
from sitec.runtime import before_render_template
from sitec.runtime import current_app
from sitec.runtime import flash
from sitec.runtime import g
from sitec.runtime import got_request_exception
from sitec.runtime import message_flashed
from sitec.runtime import render_template_string
from sitec.runtime import request
from sitec.runtime import request_finished
from sitec.runtime import request_started
from sitec.runtime import request_tearing_down
from sitec.runtime import signals
from sitec.runtime import stream_template_string
from sitec.runtime import template_rendered


class Boom(Exception):
    pass


@pytest.fixture
def app() -> Flask:
    app = Flask("signalapp")
    app.secret_key = "signals"

    @app.route("/page/<word>")
    def page(word: str) -> str:
        return render_template_string("<b>{{ word }}</b>{{ extra|default('') }}", word=word)

    @app.route("/boom")
    def boom() -> str:
        raise Boom("kaput")

    return app


def record(sig: Signal, app: Flask, stack: ExitStack) -> list[tuple[t.Any, dict[str, t.Any]]]:
    """Connect a receiver for ``app`` only, for the life of ``stack``."""
    calls: list[tuple[t.Any, dict[str, t.Any]]] = []

    def receiver(sender: t.Any, **kwargs: t.Any) -> None:
        calls.append((sender, kwargs))

    stack.enter_context(sig.connected_to(receiver, app))
    return calls


def test_template_signals(app: Flask) -> None:
    with ExitStack() as stack:
        before = record(before_render_template, app, stack)
        after = record(template_rendered, app, stack)
        assert app.test_client().get("/page/hi").text == "<b>hi</b>"

    [(sender, kwargs)] = before
    assert sender is app
    assert set(kwargs) == {"template", "context"}
    assert kwargs["context"]["word"] == "hi"
    assert "request" in kwargs["context"] and "g" in kwargs["context"]
    [(sender2, kwargs2)] = after
    assert sender2 is app
    assert kwargs2["template"] is kwargs["template"]
    assert kwargs2["context"]["word"] == "hi"
    assert kwargs2["template"].render(word="x") == "<b>x</b>"


def test_before_render_template_can_change_the_context(app: Flask) -> None:
    def add_extra(sender: Flask, template: t.Any, context: dict[str, t.Any]) -> None:
        context["extra"] = "+more"
        context["word"] = context["word"].upper()

    with before_render_template.connected_to(add_extra, app):
        assert app.test_client().get("/page/hi").text == "<b>HI</b>+more"
    assert app.test_client().get("/page/hi").text == "<b>hi</b>"


def test_template_rendered_is_sent_after_a_stream_finishes(app: Flask) -> None:
    events: list[str] = []

    def rendered(sender: Flask, template: t.Any, context: dict[str, t.Any]) -> None:
        events.append(f"rendered {context['n']}")

    with template_rendered.connected_to(rendered, app), app.app_context():
        chunks = stream_template_string("{% for i in range(n) %}{{ i }}{% endfor %}", n=2)
        events.append("created")
        for chunk in chunks:
            events.append(f"chunk {chunk}")
    assert events == ["created", "chunk 0", "chunk 1", "rendered 2"]


def test_request_signals_order_sender_and_kwargs(app: Flask) -> None:
    events: list[tuple[str, t.Any, dict[str, t.Any]]] = []

    def listener(name: str) -> t.Callable[..., None]:
        def receive(sender: t.Any, **kwargs: t.Any) -> None:
            events.append((name, sender, kwargs))

        return receive

    named = {
        "appcontext_pushed": appcontext_pushed,
        "request_started": request_started,
        "before_render_template": before_render_template,
        "template_rendered": template_rendered,
        "request_finished": request_finished,
        "request_tearing_down": request_tearing_down,
        "appcontext_tearing_down": appcontext_tearing_down,
        "appcontext_popped": appcontext_popped,
    }
    with ExitStack() as stack:
        for name, sig in named.items():
            stack.enter_context(sig.connected_to(listener(name), app))
        rv = app.test_client().get("/page/yo")

    assert [e[0] for e in events] == list(named)
    assert all(sender is app for _name, sender, _kwargs in events)
    by_name = {name: kwargs for name, _sender, kwargs in events}
    assert by_name["appcontext_pushed"] == {}
    assert by_name["appcontext_popped"] == {}
    assert by_name["request_started"] == {}
    assert by_name["request_finished"]["response"].status_code == 200
    assert by_name["request_finished"]["response"].get_data() == rv.data
    assert by_name["request_tearing_down"] == {"exc": None}
    assert by_name["appcontext_tearing_down"] == {"exc": None}


def test_request_started_sees_the_request(app: Flask) -> None:
    seen: list[tuple[str, str]] = []

    def started(sender: Flask) -> None:
        seen.append((request.method, request.path))
        g.started_by_signal = True

    @app.route("/flag")
    def flag() -> str:
        return str(g.get("started_by_signal", False))

    with request_started.connected_to(started, app):
        assert app.test_client().get("/flag").text == "True"
    assert seen == [("GET", "/flag")]


def test_request_finished_can_change_the_response(app: Flask) -> None:
    def finished(sender: Flask, response: t.Any) -> None:
        response.headers["X-Finished"] = "1"

    with request_finished.connected_to(finished, app):
        rv = app.test_client().get("/page/a")
    assert rv.headers["X-Finished"] == "1"


def test_got_request_exception_and_teardown_see_the_error(app: Flask) -> None:
    with ExitStack() as stack:
        exceptions = record(got_request_exception, app, stack)
        req_teardowns = record(request_tearing_down, app, stack)
        app_teardowns = record(appcontext_tearing_down, app, stack)
        finished = record(request_finished, app, stack)
        rv = app.test_client().get("/boom")

    assert rv.status_code == 500
    [(sender, kwargs)] = exceptions
    assert sender is app
    assert isinstance(kwargs["exception"], Boom)
    assert str(kwargs["exception"]) == "kaput"
    [(_, req_kwargs)] = req_teardowns
    assert req_kwargs["exc"] is kwargs["exception"]
    [(_, app_kwargs)] = app_teardowns
    assert app_kwargs["exc"] is kwargs["exception"]
    # The 500 response still finishes.
    [(_, fin_kwargs)] = finished
    assert fin_kwargs["response"].status_code == 500


def test_got_request_exception_is_sent_before_propagating(app: Flask) -> None:
    app.testing = True
    with ExitStack() as stack:
        exceptions = record(got_request_exception, app, stack)
        with pytest.raises(Boom):
            app.test_client().get("/boom")
    assert len(exceptions) == 1


def test_handled_errors_send_no_got_request_exception(app: Flask) -> None:
    @app.errorhandler(Boom)
    def handle(e: Boom) -> tuple[str, int]:
        return "handled", 418

    with ExitStack() as stack:
        exceptions = record(got_request_exception, app, stack)
        teardowns = record(request_tearing_down, app, stack)
        rv = app.test_client().get("/boom")
    assert rv.status_code == 418
    assert exceptions == []
    assert teardowns[0][1] == {"exc": None}


def test_appcontext_signals_outside_a_request(app: Flask) -> None:
    with ExitStack() as stack:
        pushed = record(appcontext_pushed, app, stack)
        popped = record(appcontext_popped, app, stack)
        teardown = record(appcontext_tearing_down, app, stack)
        with app.app_context():
            assert pushed == [(app, {})]
            assert popped == []
        assert popped == [(app, {})]
        assert teardown == [(app, {"exc": None})]

        with pytest.raises(Boom), app.app_context():
            raise Boom("inside")
        assert isinstance(teardown[-1][1]["exc"], Boom)


def test_appcontext_pushed_runs_inside_the_new_context(app: Flask) -> None:
    def pushed(sender: Flask) -> None:
        g.from_signal = current_app.name

    with appcontext_pushed.connected_to(pushed, app), app.app_context():
        assert g.from_signal == "signalapp"


def test_message_flashed(app: Flask) -> None:
    @app.route("/flash")
    def do_flash() -> str:
        flash("saved!")
        flash("watch out", "warning")
        return ""

    with ExitStack() as stack:
        flashed = record(message_flashed, app, stack)
        app.test_client().get("/flash")
    assert flashed == [
        (app, {"message": "saved!", "category": "message"}),
        (app, {"message": "watch out", "category": "warning"}),
    ]


def test_receivers_for_another_app_are_not_called(app: Flask) -> None:
    other = Flask("otherapp")
    with ExitStack() as stack:
        calls = record(request_started, other, stack)
        app.test_client().get("/page/x")
        assert calls == []
        other.test_client().get("/")
        assert calls == [(other, {})]


def test_async_receiver_is_awaited(app: Flask) -> None:
    pytest.importorskip("asgiref")
    seen: list[str] = []

    async def started(sender: Flask) -> None:
        seen.append(request.path)

    with request_started.connected_to(started, app):
        app.test_client().get("/page/z")
    assert seen == ["/page/z"]


def test_namespace_makes_named_signals() -> None:
    ns = signals.Namespace()
    order_placed = ns.signal("order-placed")
    assert ns.signal("order-placed") is order_placed
    assert order_placed.name == "order-placed"
    assert ns.signal("order-shipped") is not order_placed

    shop = Flask("shopapp")
    got: list[tuple[t.Any, dict[str, t.Any]]] = []

    def on_order(sender: t.Any, **kwargs: t.Any) -> None:
        got.append((sender, kwargs))

    with order_placed.connected_to(on_order, shop):
        order_placed.send(shop, order_id=7)
        order_placed.send(Flask("elsewhere"), order_id=8)
    assert got == [(shop, {"order_id": 7})]


def test_the_runtime_signals_are_named_and_distinct() -> None:
    all_signals = [
        template_rendered,
        before_render_template,
        request_started,
        request_finished,
        request_tearing_down,
        got_request_exception,
        appcontext_tearing_down,
        appcontext_pushed,
        appcontext_popped,
        message_flashed,
    ]
    assert len({id(s) for s in all_signals}) == len(all_signals)
    assert {s.name for s in all_signals} == {
        "template-rendered",
        "before-render-template",
        "request-started",
        "request-finished",
        "request-tearing-down",
        "got-request-exception",
        "appcontext-tearing-down",
        "appcontext-pushed",
        "appcontext-popped",
        "message-flashed",
    }
    assert signals.request_started is request_started
