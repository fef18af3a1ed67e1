"""Logging: the app's logger, its level in debug mode, the default handler
(``wsgi.errors`` in a request, stderr outside), ``has_level_handler``, and
unhandled exceptions logged with the request's path and method."""

from __future__ import annotations

import io
import logging
import sys
import typing as t
import uuid

import pytest

from sitec.runtime import Flask
from sitec.runtime.logging import default_handler
from sitec.runtime.logging import has_level_handler
from sitec.runtime.logging import wsgi_errors_stream

AppFactory = t.Callable[..., Flask]


@pytest.fixture
def bare_logging(monkeypatch: pytest.MonkeyPatch) -> AppFactory:
    """Return a factory of apps whose logger is set up while the root logger
    has no handlers.

    pytest's capture handlers sit on the root logger during a test and would
    count as handlers for every app logger, so the default handler would never
    be added. The choice is made when ``app.logger`` is first used, so only
    that moment needs a bare root logger.
    """
    root = logging.getLogger()

    def make(name: str, debug: bool | None = None) -> Flask:
        app = Flask(name)
        if debug is not None:
            app.debug = debug
        with monkeypatch.context() as m:
            m.setattr(root, "handlers", [])
            app.logger  # noqa: B018 - creates and configures the logger
        return app

    return make


@pytest.fixture
def fresh_name() -> t.Iterator[str]:
    """A logger name no other test used; its logger is reset afterwards."""
    name = f"logapp_{uuid.uuid4().hex[:8]}"
    yield name
    logger = logging.getLogger(name)
    logger.handlers.clear()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True


def test_logger_is_named_after_the_app(fresh_name: str) -> None:
    app = Flask(fresh_name)
    assert app.logger is logging.getLogger(fresh_name)
    assert app.logger.name == app.name == fresh_name
    assert app.logger is app.logger


def test_debug_app_logs_at_debug_level(bare_logging: AppFactory, fresh_name: str) -> None:
    app = bare_logging(fresh_name, debug=True)
    assert app.logger.level == logging.DEBUG
    assert app.logger.isEnabledFor(logging.DEBUG)


def test_non_debug_app_keeps_the_inherited_level(bare_logging: AppFactory, fresh_name: str) -> None:
    app = bare_logging(fresh_name, debug=False)
    assert app.logger.level == logging.NOTSET
    assert app.logger.getEffectiveLevel() == logging.getLogger().getEffectiveLevel()


def test_debug_does_not_override_a_configured_level(
    bare_logging: AppFactory, fresh_name: str
) -> None:
    logging.getLogger(fresh_name).setLevel(logging.ERROR)
    app = bare_logging(fresh_name, debug=True)
    assert app.logger.level == logging.ERROR


def test_default_handler_is_added_when_nothing_would_handle(
    bare_logging: AppFactory, fresh_name: str
) -> None:
    app = bare_logging(fresh_name)
    assert app.logger.handlers == [default_handler]


def test_default_handler_is_not_added_when_a_handler_exists(fresh_name: str) -> None:
    own = logging.StreamHandler(io.StringIO())
    logging.getLogger(fresh_name).addHandler(own)
    app = Flask(fresh_name)
    assert app.logger.handlers == [own]


def test_default_handler_is_not_added_when_root_handles(
    fresh_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Flask(fresh_name)
    with monkeypatch.context() as m:
        m.setattr(logging.getLogger(), "handlers", [logging.StreamHandler(io.StringIO())])
        assert app.logger.handlers == []


def test_has_level_handler(fresh_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(logging.getLogger(), "handlers", [])
        _check_has_level_handler(fresh_name)


def _check_has_level_handler(fresh_name: str) -> None:
    parent = logging.getLogger(fresh_name)
    child = logging.getLogger(f"{fresh_name}.child")
    child.setLevel(logging.INFO)
    assert not has_level_handler(child)

    # A handler that would drop INFO records does not count.
    picky = logging.StreamHandler(io.StringIO())
    picky.setLevel(logging.ERROR)
    parent.addHandler(picky)
    assert not has_level_handler(child)

    # One on an ancestor at or below the level does.
    parent.removeHandler(picky)
    parent.addHandler(logging.StreamHandler(io.StringIO()))
    assert has_level_handler(child)

    # Unless propagation stops before reaching it.
    child.propagate = False
    assert not has_level_handler(child)
    child.addHandler(logging.NullHandler())
    assert has_level_handler(child)
    child.handlers.clear()
    child.propagate = True
    child.setLevel(logging.NOTSET)


def test_default_handler_writes_to_wsgi_errors_in_a_request(
    bare_logging: AppFactory, fresh_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = bare_logging(fresh_name)

    @app.route("/note")
    def note() -> str:
        app.logger.warning("a note about %s", "apples")
        return "ok"

    errors = io.StringIO()
    rv = app.test_client().get("/note", errors_stream=errors)
    assert rv.text == "ok"
    logged = errors.getvalue()
    assert "WARNING in test_logging: a note about apples" in logged
    assert capsys.readouterr().err == ""


def test_default_handler_writes_to_stderr_outside_a_request(
    bare_logging: AppFactory, fresh_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = bare_logging(fresh_name)
    with app.app_context():
        app.logger.error("no request here")
    app.logger.error("nor here")
    err = capsys.readouterr().err
    assert "ERROR in test_logging: no request here" in err
    assert "ERROR in test_logging: nor here" in err


def test_wsgi_errors_stream_follows_the_request(fresh_name: str) -> None:
    app = Flask(fresh_name)
    errors = io.StringIO()
    with app.test_request_context(errors_stream=errors):
        wsgi_errors_stream.write("into the request stream")
    assert errors.getvalue() == "into the request stream"
    assert wsgi_errors_stream._get_current_object() is sys.stderr  # type: ignore[attr-defined]


def test_debug_messages_only_in_debug(bare_logging: AppFactory, fresh_name: str) -> None:
    app = bare_logging(fresh_name, debug=True)

    @app.route("/")
    def index() -> str:
        app.logger.debug("fine detail")
        return ""

    errors = io.StringIO()
    app.test_client().get("/", errors_stream=errors)
    assert "DEBUG in test_logging: fine detail" in errors.getvalue()

    quiet_name = f"{fresh_name}_quiet"
    quiet = bare_logging(quiet_name, debug=False)
    quiet.add_url_rule("/", "index", lambda: quiet.logger.debug("hidden") or "")
    errors = io.StringIO()
    try:
        quiet.test_client().get("/", errors_stream=errors)
    finally:
        logging.getLogger(quiet_name).handlers.clear()
    assert errors.getvalue() == ""


def test_unhandled_exception_is_logged_with_path_and_method(
    bare_logging: AppFactory, fresh_name: str
) -> None:
    app = bare_logging(fresh_name)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/orders/<int:num>", methods=["POST"])
    def order(num: int) -> str:
        raise LookupError(f"no order {num}")

    errors = io.StringIO()
    rv = app.test_client().post("/orders/12", errors_stream=errors)
    assert rv.status_code == 500
    logged = errors.getvalue()
    assert "ERROR in app: Exception on /orders/12 [POST]" in logged
    assert "Traceback (most recent call last):" in logged
    assert "LookupError: no order 12" in logged


def test_unhandled_exception_log_record(fresh_name: str, caplog: pytest.LogCaptureFixture) -> None:
    app = Flask(fresh_name)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.delete("/fail")
    def fail() -> str:
        raise ValueError("bad value")

    with caplog.at_level(logging.ERROR, logger=fresh_name):
        app.test_client().delete("/fail")
    [record] = [r for r in caplog.records if r.name == fresh_name]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Exception on /fail [DELETE]"
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)


def test_log_exception_can_be_overridden(fresh_name: str) -> None:
    logged: list[str] = []

    class QuietApp(Flask):
        def log_exception(self, exc_info: t.Any) -> None:
            logged.append(type(exc_info[1]).__name__)

    app = QuietApp(fresh_name)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/", "index", lambda: 1 / 0)
    assert app.test_client().get("/").status_code == 500
    assert logged == ["ZeroDivisionError"]


def test_http_errors_are_not_logged(fresh_name: str, caplog: pytest.LogCaptureFixture) -> None:
    app = Flask(fresh_name)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.DEBUG, logger=fresh_name):
        assert app.test_client().get("/nowhere").status_code == 404
    assert [r for r in caplog.records if r.name == fresh_name] == []
