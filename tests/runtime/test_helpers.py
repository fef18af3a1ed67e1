"""Helpers: streaming with the request context, ``make_response``, the
environment flags, ``abort`` and ``redirect``, flashed messages."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.exceptions import Forbidden
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as WerkzeugResponse

from sitec.runtime import Flask
from sitec.runtime import Response
from sitec.runtime import abort
from sitec.runtime import flash
from sitec.runtime import g
from sitec.runtime import get_flashed_messages
from sitec.runtime import make_response
from sitec.runtime import redirect
from sitec.runtime import request
from sitec.runtime import session
from sitec.runtime import stream_with_context
from sitec.runtime.helpers import get_debug_flag
from sitec.runtime.helpers import get_load_dotenv


@pytest.fixture
def app() -> Flask:
    app = Flask("helperapp")
    app.testing = True
    app.secret_key = "helper-tests"
    return app


# -- stream_with_context ----------------------------------------------------------


def test_stream_with_context_wrapping_a_generator(app: Flask) -> None:
    @app.route("/count")
    def count() -> Response:
        g.unit = "kg"

        def numbers() -> t.Iterator[str]:
            # Runs after the view returned: request and g are reachable only
            # because stream_with_context pushed the contexts again.
            for i in range(int(request.args["n"])):
                yield f"{i}{g.unit} "

        return app.response_class(stream_with_context(numbers()))

    assert app.test_client().get("/count?n=3").text == "0kg 1kg 2kg "


def test_without_stream_with_context_the_request_is_gone(app: Flask) -> None:
    @app.route("/bare")
    def bare() -> Response:
        def body() -> t.Iterator[str]:
            yield request.args.get("x", "?")

        return app.response_class(body())

    with pytest.raises(RuntimeError, match="request context"):
        app.test_client().get("/bare?x=1")


def test_stream_with_context_as_a_decorator(app: Flask) -> None:
    @app.route("/greet/<name>")
    def greet(name: str) -> Response:
        @stream_with_context
        def lines(prefix: str, *, times: int) -> t.Iterator[str]:
            for _ in range(times):
                yield f"{prefix} {name} from {request.path}\n"

        return app.response_class(lines("hi", times=2))

    text = app.test_client().get("/greet/ada").text
    assert text == "hi ada from /greet/ada\nhi ada from /greet/ada\n"


def test_stream_with_context_keeps_the_session(app: Flask) -> None:
    @app.route("/login")
    def login() -> str:
        session["who"] = "lin"
        return ""

    @app.route("/stream")
    def stream() -> Response:
        return app.response_class(stream_with_context(iter(["user=", session.get("who", "-")])))

    @app.route("/lazy")
    def lazy() -> Response:
        def body() -> t.Iterator[str]:
            yield "user="
            yield session["who"]

        return app.response_class(stream_with_context(body()))

    client = app.test_client()
    client.get("/login")
    assert client.get("/stream").text == "user=lin"
    assert client.get("/lazy").text == "user=lin"


def test_stream_with_context_closes_the_wrapped_iterable(app: Flask) -> None:
    closed: list[str] = []

    class Body:
        def __init__(self) -> None:
            self.parts = iter([b"a", b"b"])

        def __iter__(self) -> Body:
            return self

        def __next__(self) -> bytes:
            return next(self.parts)

        def close(self) -> None:
            closed.append(request.path)  # still inside the request context

    @app.route("/closing")
    def closing() -> Response:
        return app.response_class(stream_with_context(Body()))

    rv = app.test_client().get("/closing")
    assert rv.data == b"ab"
    assert closed == ["/closing"]


def test_stream_with_context_outside_a_request_is_an_error(app: Flask) -> None:
    with pytest.raises(RuntimeError, match="request context"):
        stream_with_context(iter(["x"]))

    @stream_with_context
    def gen() -> t.Iterator[str]:
        yield "never"

    # Decorating is fine; calling it without a request fails right away.
    with pytest.raises(RuntimeError, match="request context"):
        gen()

    with app.app_context(), pytest.raises(RuntimeError, match="request context"):
        stream_with_context(iter(["x"]))


def test_stream_with_context_keeps_the_function_name(app: Flask) -> None:
    def produce_rows() -> t.Iterator[str]:
        yield ""

    wrapped = stream_with_context(produce_rows)
    assert wrapped.__name__ == "produce_rows"


# -- make_response -------------------------------------------------------------------


def test_make_response_without_arguments(app: Flask) -> None:
    with app.test_request_context():
        rv = make_response()
    assert isinstance(rv, Response)
    assert rv.status_code == 200
    assert rv.data == b""


def test_make_response_variants(app: Flask) -> None:
    with app.test_request_context():
        rv = make_response("hello")
        assert (rv.status_code, rv.data, rv.mimetype) == (200, b"hello", "text/html")

        rv = make_response(b"raw bytes", 201)
        assert (rv.status_code, rv.data) == (201, b"raw bytes")

        rv = make_response("gone", 410, {"X-Why": "moved"})
        assert (rv.status_code, rv.headers["X-Why"]) == (410, "moved")

        rv = make_response("with headers", [("X-A", "1"), ("X-A", "2")])
        assert rv.status_code == 200
        assert rv.headers.getlist("X-A") == ["1", "2"]

        rv = make_response("teapot", "418 I'M A TEAPOT")
        assert rv.status == "418 I'M A TEAPOT"

        rv = make_response({"a": [1, 2]})
        assert rv.mimetype == "application/json"
        assert rv.json == {"a": [1, 2]}

        rv = make_response([3, "x"], 202)
        assert rv.status_code == 202
        assert rv.json == [3, "x"]

        original = Response("kept", 299)
        rv = make_response(original)
        assert rv is original

        rv = make_response(original, 203, {"X-Extra": "y"})
        assert rv is original
        assert rv.status_code == 203
        assert rv.headers["X-Extra"] == "y"

        rv = make_response(iter(["a", "b"]))
        assert rv.is_streamed
        assert rv.get_data() == b"ab"


def test_make_response_then_change_headers_in_a_view(app: Flask) -> None:
    @app.route("/")
    def index() -> Response:
        rv = make_response("body", 202)
        rv.headers["X-Made"] = "yes"
        rv.set_cookie("flavour", "mint")
        return rv

    rv = app.test_client().get("/")
    assert rv.status_code == 202
    assert rv.headers["X-Made"] == "yes"
    assert "flavour=mint" in rv.headers["Set-Cookie"]


def test_make_response_bad_values(app: Flask) -> None:
    with app.test_request_context():
        with pytest.raises(TypeError):
            make_response(None)
        with pytest.raises(TypeError):
            make_response(("a", 200, {}, "extra"))
        with pytest.raises(TypeError):
            make_response(3.5)


def test_make_response_needs_an_app_context() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        make_response("x")


# -- environment flags ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        ("", False),
        ("0", False),
        ("false", False),
        ("False", False),
        ("NO", False),
        ("1", True),
        ("true", True),
        ("yes", True),
        ("on", True),
    ],
)
def test_get_debug_flag(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: bool) -> None:
    if value is None:
        monkeypatch.delenv("FLASK_DEBUG", raising=False)
    else:
        monkeypatch.setenv("FLASK_DEBUG", value)
    assert get_debug_flag() is expected
    # A new app takes its DEBUG default from the same variable.
    assert bool(Flask("debugflagapp").debug) is expected


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [
        (None, True, True),
        (None, False, False),
        ("", True, True),
        ("1", True, False),
        ("yes", True, False),
        ("0", True, True),
        ("false", False, True),
        ("no", True, True),
    ],
)
def test_get_load_dotenv(
    monkeypatch: pytest.MonkeyPatch, value: str | None, default: bool, expected: bool
) -> None:
    if value is None:
        monkeypatch.delenv("FLASK_SKIP_DOTENV", raising=False)
    else:
        monkeypatch.setenv("FLASK_SKIP_DOTENV", value)
    assert get_load_dotenv(default) is expected


def test_get_load_dotenv_default_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASK_SKIP_DOTENV", raising=False)
    assert get_load_dotenv() is True


# -- abort -------------------------------------------------------------------------


def test_abort_with_codes(app: Flask) -> None:
    @app.route("/missing")
    def missing() -> str:
        abort(404)

    @app.route("/forbidden")
    def forbidden() -> str:
        abort(403, description="Members only.")

    client = app.test_client()
    assert client.get("/missing").status_code == 404
    rv = client.get("/forbidden")
    assert rv.status_code == 403
    assert b"Members only." in rv.data


def test_abort_with_a_response(app: Flask) -> None:
    @app.route("/custom")
    def custom() -> str:
        abort(Response("custom denial", 451, {"X-Reason": "legal"}))

    rv = app.test_client().get("/custom")
    assert rv.status_code == 451
    assert rv.data == b"custom denial"
    assert rv.headers["X-Reason"] == "legal"

    with app.test_request_context(), pytest.raises(HTTPException) as info:
        abort(Response("x", 409))
    assert info.value.get_response().status_code == 409


def test_abort_outside_a_context_uses_werkzeug(app: Flask) -> None:
    with pytest.raises(NotFound):
        abort(404)
    with pytest.raises(LookupError):
        abort(799)


def test_abort_uses_the_app_aborter(app: Flask) -> None:
    class PaymentRequired(HTTPException):
        code = 402
        description = "Pay first."

    class CustomCode(HTTPException):
        code = 499
        description = "Client went away."

    app.aborter.mapping[499] = CustomCode
    app.aborter.mapping[402] = PaymentRequired

    @app.route("/pay")
    def pay() -> str:
        abort(402)

    @app.route("/gone")
    def gone() -> str:
        abort(499)

    client = app.test_client()
    assert client.get("/pay").status_code == 402
    rv = client.get("/gone")
    assert rv.status_code == 499
    assert b"Client went away." in rv.data
    with app.app_context(), pytest.raises(CustomCode):
        abort(499)
    # Werkzeug alone does not know the code.
    with pytest.raises(LookupError):
        abort(499)


def test_abort_is_caught_by_an_error_handler(app: Flask) -> None:
    @app.errorhandler(Forbidden)
    def handle(e: Forbidden) -> tuple[str, int]:
        return f"handled: {e.description}", 403

    @app.route("/")
    def index() -> str:
        abort(403, "nope")

    rv = app.test_client().get("/")
    assert (rv.status_code, rv.text) == (403, "handled: nope")


# -- redirect ------------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 305, 307, 308])
def test_redirect_codes(app: Flask, code: int) -> None:
    @app.route("/old")
    def old() -> t.Any:
        return redirect("/new?x=1", code=code)

    rv = app.test_client().get("/old")
    assert rv.status_code == code
    assert rv.headers["Location"] == "/new?x=1"
    assert b"/new?x=1" in rv.data


def test_redirect_defaults_to_302_and_escapes_the_location_in_the_body(app: Flask) -> None:
    with app.app_context():
        rv = redirect('/search?q=<script>"')
    assert rv.status_code == 302
    assert b"<script>" not in rv.get_data()
    assert rv.headers["Location"].startswith("/search?q=")


def test_redirect_goes_through_app_redirect(app: Flask) -> None:
    class RecordingApp(Flask):
        def redirect(self, location: str, code: int = 302) -> t.Any:
            rv = super().redirect(location, code=code)
            rv.headers["X-Redirected-By"] = self.name
            return rv

    custom = RecordingApp("redirapp")
    with custom.app_context():
        rv = redirect("/there", 307)
    assert rv.status_code == 307
    assert rv.headers["X-Redirected-By"] == "redirapp"
    assert isinstance(rv, Response)


def test_redirect_outside_an_app_context(app: Flask) -> None:
    class MyResponse(WerkzeugResponse):
        pass

    rv = redirect("/elsewhere", 301, Response=MyResponse)
    assert isinstance(rv, MyResponse)
    assert (rv.status_code, rv.headers["Location"]) == (301, "/elsewhere")
    assert isinstance(redirect("/x"), WerkzeugResponse)


def test_client_follows_a_helper_redirect(app: Flask) -> None:
    @app.post("/start")
    def start() -> t.Any:
        return redirect("/end", 303)

    @app.route("/end")
    def end() -> str:
        return f"arrived via {request.method}"

    rv = app.test_client().post("/start", follow_redirects=True)
    assert rv.text == "arrived via GET"  # 303 switches to GET


# -- flashed messages ----------------------------------------------------------------


def test_flash_and_get_flashed_messages_with_filters(app: Flask) -> None:
    @app.route("/add")
    def add() -> str:
        flash("plain one")
        flash("bad thing", "error")
        flash("careful", "warning")
        return ""

    @app.route("/errors")
    def errors() -> t.Any:
        first = get_flashed_messages(category_filter=["error", "warning"])
        # The same request sees the same messages on later calls.
        again = get_flashed_messages(with_categories=True)
        return {"first": first, "again": again}

    client = app.test_client()
    client.get("/add")
    data = client.get("/errors").json
    assert data["first"] == ["bad thing", "careful"]
    assert data["again"] == [
        ["message", "plain one"],
        ["error", "bad thing"],
        ["warning", "careful"],
    ]
    # Consumed: the next request has none.
    assert client.get("/errors").json == {"first": [], "again": []}
