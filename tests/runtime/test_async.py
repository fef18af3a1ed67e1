"""Coroutine views, hooks and error handlers (run through asgiref), and asgiref's absence."""

from __future__ import annotations

import asyncio
import sys
import typing as t

import pytest

from sitec.runtime import Blueprint
from sitec.runtime import Flask
from sitec.runtime import abort
from sitec.runtime import current_app
from sitec.runtime import g
from sitec.runtime import request
from sitec.runtime import request_started
from sitec.runtime.views import MethodView
from sitec.runtime.views import View


class PaymentDeclined(Exception):
    pass


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.testing = True

    @app.get("/sum/<int:a>/<int:b>")
    async def add(a: int, b: int) -> dict[str, t.Any]:
        results = await asyncio.gather(asyncio.sleep(0, a), asyncio.sleep(0, b))
        return {"sum": sum(results), "path": request.path, "app": current_app.name}

    @app.get("/pay")
    async def pay() -> str:
        await asyncio.sleep(0)
        raise PaymentDeclined("card expired")

    @app.get("/gone")
    async def gone() -> str:
        abort(410)

    @app.errorhandler(PaymentDeclined)
    async def declined(error: PaymentDeclined) -> tuple[str, int]:
        await asyncio.sleep(0)
        return f"declined: {error}", 402

    @app.errorhandler(410)
    async def handle_gone(error: Exception) -> tuple[str, int]:
        return "async 410 page", 410

    return app


def test_async_view(app: Flask) -> None:
    response = app.test_client().get("/sum/2/40")
    assert response.get_json() == {"sum": 42, "path": "/sum/2/40", "app": app.name}


def test_async_error_handlers(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/pay")
    assert (response.status_code, response.text) == (402, "declined: card expired")
    response = client.get("/gone")
    assert (response.status_code, response.text) == (410, "async 410 page")


def test_async_hooks_run_in_order(app: Flask) -> None:
    events: list[str] = []

    @app.before_request
    async def before() -> None:
        await asyncio.sleep(0)
        g.token = "from-before"
        events.append("before")

    @app.after_request
    async def after(response):  # type: ignore[no-untyped-def]
        events.append("after")
        response.headers["X-Token"] = g.token
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        events.append(f"teardown {exc!r}")

    @app.teardown_appcontext
    async def teardown_app(exc: BaseException | None) -> None:
        events.append("teardown app")

    @app.get("/token")
    async def token() -> str:
        events.append("view")
        return g.token

    response = app.test_client().get("/token")
    assert response.text == "from-before"
    assert response.headers["X-Token"] == "from-before"
    assert events == ["before", "view", "after", "teardown None", "teardown app"]


def test_async_before_request_can_short_circuit(app: Flask) -> None:
    @app.before_request
    async def gate() -> t.Any:
        if request.args.get("blocked"):
            return "blocked early", 429
        return None

    client = app.test_client()
    assert client.get("/sum/1/1?blocked=1").status_code == 429
    assert client.get("/sum/1/1").get_json()["sum"] == 2


def test_async_hooks_on_blueprints(app: Flask) -> None:
    bp = Blueprint("shop", __name__, url_prefix="/shop")
    seen: list[str] = []

    @bp.before_request
    async def bp_before() -> None:
        seen.append("bp before")

    @bp.get("/")
    async def index() -> str:
        return "shop"

    @bp.errorhandler(PaymentDeclined)
    async def bp_declined(error: PaymentDeclined) -> tuple[str, int]:
        return "shop says no", 400

    @bp.get("/pay")
    async def bp_pay() -> str:
        raise PaymentDeclined

    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/shop/").text == "shop"
    assert client.get("/shop/pay").text == "shop says no"
    assert client.get("/pay").status_code == 402  # the app's handler outside the blueprint
    assert seen == ["bp before", "bp before"]


def test_async_class_based_views(app: Flask) -> None:
    class Async(View):
        methods = ["GET"]

        async def dispatch_request(self) -> str:
            await asyncio.sleep(0)
            return "view"

    class AsyncMethods(MethodView):
        async def get(self) -> str:
            return "get"

        async def post(self) -> tuple[str, int]:
            await asyncio.sleep(0)
            return "post", 201

    app.add_url_rule("/v", view_func=Async.as_view("v"))
    app.add_url_rule("/mv", view_func=AsyncMethods.as_view("mv"))
    client = app.test_client()
    assert client.get("/v").text == "view"
    assert client.get("/mv").text == "get"
    assert client.post("/mv").status_code == 201


def test_async_signal_receiver(app: Flask) -> None:
    received: list[str] = []

    async def on_start(sender: Flask, **extra: t.Any) -> None:
        await asyncio.sleep(0)
        received.append(request.path)

    with request_started.connected_to(on_start, app):
        app.test_client().get("/sum/0/0")
    assert received == ["/sum/0/0"]


def test_unhandled_async_exception_is_500(app: Flask) -> None:
    app.testing = False

    @app.get("/boom")
    async def boom() -> str:
        raise ValueError("nope")

    assert app.test_client().get("/boom").status_code == 500


def test_ensure_sync(app: Flask) -> None:
    def plain() -> int:
        return 1

    async def coro(x: int) -> int:
        return x * 2

    assert app.ensure_sync(plain) is plain
    wrapped = app.ensure_sync(coro)
    assert wrapped is not coro
    assert wrapped(21) == 42


@pytest.fixture
def without_asgiref(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import asgiref`` fail for real, as when the extra is not installed."""
    monkeypatch.setitem(sys.modules, "asgiref", None)
    monkeypatch.setitem(sys.modules, "asgiref.sync", None)
    with pytest.raises(ImportError):
        import asgiref.sync  # noqa: F401


@pytest.mark.usefixtures("without_asgiref")
def test_missing_asgiref_is_a_clear_error(app: Flask) -> None:
    async def coro() -> None:
        return None

    with pytest.raises(RuntimeError, match="asgiref") as info:
        app.ensure_sync(coro)
    assert "async" in str(info.value)
    # Raised "from None": the traceback does not lead with a confusing ImportError.
    assert info.value.__suppress_context__

    with pytest.raises(RuntimeError, match="asgiref"):
        app.test_client().get("/sum/1/2")


@pytest.mark.usefixtures("without_asgiref")
def test_sync_views_work_without_asgiref(app: Flask) -> None:
    @app.get("/sync")
    def sync_view() -> str:
        return "fine"

    client = app.test_client()
    assert client.get("/sync").text == "fine"
    app.testing = False
    assert client.get("/sum/1/2").status_code == 500


def test_async_to_sync_can_be_replaced_by_a_subclass() -> None:
    """An app that runs coroutines its own way (its own event loop, trio, ...) overrides
    ``async_to_sync``; every coroutine the app meets goes through it."""
    ran: list[str] = []

    class OwnLoop(Flask):
        def async_to_sync(self, func):  # type: ignore[no-untyped-def]
            def run(*args: t.Any, **kwargs: t.Any) -> t.Any:
                ran.append(func.__name__)
                return asyncio.run(func(*args, **kwargs))

            return run

    app = OwnLoop(__name__)

    @app.before_request
    async def opened() -> None:
        g.opened = True

    @app.get("/")
    async def index() -> str:
        await asyncio.sleep(0)
        return f"opened={g.opened}"

    assert app.test_client().get("/").data == b"opened=True"
    assert ran == ["opened", "index"]
