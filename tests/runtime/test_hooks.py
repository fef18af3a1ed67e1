"""Request hooks: their order, their scope, and what they receive."""

from __future__ import annotations

import pytest

from sitec.runtime import Blueprint
from sitec.runtime import Flask
from sitec.runtime import after_this_request
from sitec.runtime import g
from sitec.runtime import request
from sitec.runtime import url_for


@pytest.fixture
def app(tmp_path):
    return Flask("hooks_app", root_path=str(tmp_path))


def recorder(log, label, result=None):
    """A hook that appends ``label`` to ``log`` and returns ``result``."""

    def hook(*args):
        log.append(label)
        if args and result is None and hasattr(args[0], "headers"):
            return args[0]
        return result

    hook.__name__ = f"hook_{label}"
    return hook


def test_app_hooks_order(app):
    log = []
    app.before_request(recorder(log, "before1"))
    app.before_request(recorder(log, "before2"))
    app.after_request(recorder(log, "after1"))
    app.after_request(recorder(log, "after2"))
    app.teardown_request(recorder(log, "teardown1"))
    app.teardown_request(recorder(log, "teardown2"))
    app.teardown_appcontext(recorder(log, "appctx1"))
    app.teardown_appcontext(recorder(log, "appctx2"))

    @app.route("/")
    def index():
        log.append("view")
        return "ok"

    assert app.test_client().get("/").data == b"ok"
    assert log == [
        "before1",
        "before2",
        "view",
        "after2",
        "after1",
        "teardown2",
        "teardown1",
        "appctx2",
        "appctx1",
    ]


def test_blueprint_and_app_hooks_order(app):
    log = []
    outer = Blueprint("outer", __name__, url_prefix="/o")
    inner = Blueprint("inner", __name__, url_prefix="/i")
    for scope, target in (("app", app), ("outer", outer), ("inner", inner)):
        target.url_value_preprocessor(recorder(log, f"{scope}.preprocess"))
        target.before_request(recorder(log, f"{scope}.before"))
        target.after_request(recorder(log, f"{scope}.after"))
        target.teardown_request(recorder(log, f"{scope}.teardown"))

    @inner.route("/leaf")
    def leaf():
        log.append("view")
        after_this_request(recorder(log, "this_request"))
        return "leaf"

    outer.register_blueprint(inner)
    app.register_blueprint(outer)
    assert app.test_client().get("/o/i/leaf").data == b"leaf"
    assert log == [
        "app.preprocess",
        "outer.preprocess",
        "inner.preprocess",
        "app.before",
        "outer.before",
        "inner.before",
        "view",
        "this_request",
        "inner.after",
        "outer.after",
        "app.after",
        "inner.teardown",
        "outer.teardown",
        "app.teardown",
    ]


def test_blueprint_hooks_only_run_for_its_requests(app):
    log = []
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    bp.before_request(recorder(log, "bp.before"))
    bp.after_request(recorder(log, "bp.after"))
    bp.teardown_request(recorder(log, "bp.teardown"))
    bp.add_url_rule("/x", "x", lambda: "bp view")
    app.register_blueprint(bp)
    app.add_url_rule("/plain", "plain", lambda: "app view")
    client = app.test_client()

    client.get("/plain")
    assert log == []
    client.get("/bp/x")
    assert log == ["bp.before", "bp.after", "bp.teardown"]


def test_blueprint_app_wide_hooks(app):
    log = []
    bp = Blueprint("bp", __name__)
    bp.before_app_request(recorder(log, "before_app"))
    bp.after_app_request(recorder(log, "after_app"))
    bp.teardown_app_request(recorder(log, "teardown_app"))
    bp.app_url_value_preprocessor(recorder(log, "preprocess_app"))
    app.register_blueprint(bp)
    app.add_url_rule("/plain", "plain", lambda: "app view")
    app.test_client().get("/plain")
    assert log == ["preprocess_app", "before_app", "after_app", "teardown_app"]


def test_before_request_short_circuit(app):
    log = []

    @app.before_request
    def gate():
        log.append("gate")
        if request.args.get("key") != "open":
            return "locked out", 403
        return None

    app.before_request(recorder(log, "second"))
    app.after_request(recorder(log, "after"))
    app.teardown_request(recorder(log, "teardown"))

    @app.route("/vault")
    def vault():
        log.append("view")
        return "treasure"

    client = app.test_client()
    response = client.get("/vault")
    assert response.status_code == 403
    assert response.data == b"locked out"
    # Later before hooks and the view are skipped; after and teardown still run.
    assert log == ["gate", "after", "teardown"]

    log.clear()
    assert client.get("/vault?key=open").data == b"treasure"
    assert log == ["gate", "second", "view", "after", "teardown"]


def test_blueprint_before_request_short_circuit_skips_inner_hooks(app):
    log = []
    bp = Blueprint("bp", __name__)
    app.before_request(recorder(log, "app.before"))
    bp.before_request(recorder(log, "bp.before", result="from blueprint hook"))
    bp.add_url_rule("/v", "v", lambda: log.append("view") or "view")
    app.register_blueprint(bp)
    assert app.test_client().get("/v").data == b"from blueprint hook"
    assert log == ["app.before", "bp.before"]


def test_after_request_can_replace_response(app):
    @app.after_request
    def wrap(response):
        response.headers["X-Wrapped"] = "1"
        response.set_data(response.get_data() + b"!")
        return response

    app.add_url_rule("/", "i", lambda: "hello")
    response = app.test_client().get("/")
    assert response.data == b"hello!"
    assert response.headers["X-Wrapped"] == "1"


def test_unhandled_exception_500_still_runs_after_request_and_teardown_gets_it(app):
    log = []
    seen = []
    app.after_request(recorder(log, "after"))

    @app.teardown_request
    def teardown(exc):
        seen.append(("request", exc))

    @app.teardown_appcontext
    def teardown_ctx(exc):
        seen.append(("appctx", exc))

    problem = ValueError("view failed")

    @app.route("/fail")
    def fail():
        raise problem

    response = app.test_client().get("/fail")
    assert response.status_code == 500
    # The 500 response is finalized, so after_request runs on it.
    assert log == ["after"]
    assert seen == [("request", problem), ("appctx", problem)]


def test_teardown_receives_exception_when_propagating(app):
    app.testing = True
    seen = []
    app.teardown_request(lambda exc: seen.append(exc))
    app.add_url_rule("/f", "f", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        app.test_client().get("/f")
    assert len(seen) == 1
    assert isinstance(seen[0], ZeroDivisionError)


def test_teardown_receives_none_for_handled_errors(app):
    seen = []
    app.teardown_request(lambda exc: seen.append(exc))
    app.register_error_handler(KeyError, lambda e: "handled")
    app.add_url_rule("/k", "k", lambda: {}["x"])
    app.add_url_rule("/ok", "ok", lambda: "ok")
    client = app.test_client()
    assert client.get("/k").data == b"handled"
    assert client.get("/ok").data == b"ok"
    assert client.get("/nope").status_code == 404
    assert seen == [None, None, None]


def test_exception_in_teardown_request_still_pops_contexts(app):
    from sitec.runtime import has_app_context
    from sitec.runtime import has_request_context

    app.testing = True

    @app.teardown_request
    def bad_teardown(exc):
        raise RuntimeError("teardown failed")

    app.add_url_rule("/", "i", lambda: "i")
    with pytest.raises(RuntimeError, match="teardown failed"):
        app.test_client().get("/")
    assert not has_request_context()
    assert not has_app_context()


def test_after_this_request(app):
    @app.route("/once")
    def once():
        @after_this_request
        def add_header(response):
            response.headers["X-Once"] = "yes"
            return response

        return "once"

    app.add_url_rule("/other", "other", lambda: "other")
    client = app.test_client()
    assert client.get("/once").headers["X-Once"] == "yes"
    assert "X-Once" not in client.get("/other").headers


def test_after_this_request_from_before_request_and_order(app):
    log = []

    @app.before_request
    def early():
        after_this_request(recorder(log, "registered_in_before"))

    @app.after_request
    def late(response):
        log.append("app.after")
        return response

    @app.route("/")
    def index():
        after_this_request(recorder(log, "registered_in_view"))
        return "ok"

    app.test_client().get("/")
    assert log == ["registered_in_before", "registered_in_view", "app.after"]


def test_after_this_request_outside_request_fails(app):
    with pytest.raises(RuntimeError, match="request context"):
        after_this_request(lambda r: r)
    with app.app_context(), pytest.raises(RuntimeError):
        after_this_request(lambda r: r)


def test_url_value_preprocessor_pulls_values_out(app):
    seen = []

    @app.url_value_preprocessor
    def take_lang(endpoint, values):
        seen.append(endpoint)
        g.lang = values.pop("lang", None)

    @app.route("/<lang>/page")
    def page():
        return f"page in {g.lang}"

    @app.route("/static-ish")
    def no_args():
        return f"lang {g.lang}"

    client = app.test_client()
    assert client.get("/fr/page").data == b"page in fr"
    assert client.get("/static-ish").data == b"lang None"
    assert seen == ["page", "no_args"]


def test_url_value_preprocessor_runs_for_404_with_none(app):
    seen = []
    app.url_value_preprocessor(lambda endpoint, values: seen.append((endpoint, values)))
    assert app.test_client().get("/missing").status_code == 404
    assert seen == [(None, None)]


def test_url_defaults_and_preprocessor_round_trip_in_blueprint(app):
    bp = Blueprint("docs", __name__, url_prefix="/<lang>/docs")

    @bp.url_defaults
    def add_lang(endpoint, values):
        if "lang" not in values and "lang" in g:
            values["lang"] = g.lang

    @bp.url_value_preprocessor
    def pull_lang(endpoint, values):
        g.lang = values.pop("lang")

    @bp.route("/<topic>")
    def topic(topic):
        return f"{g.lang}:{topic} next={url_for('.topic', topic='more')}"

    app.register_blueprint(bp)
    response = app.test_client().get("/de/docs/install")
    assert response.data == b"de:install next=/de/docs/more"


def test_hooks_may_be_coroutines(app):
    pytest.importorskip("asgiref")
    log = []

    @app.before_request
    async def async_before():
        log.append("async before")

    @app.after_request
    async def async_after(response):
        log.append("async after")
        return response

    @app.teardown_request
    async def async_teardown(exc):
        log.append("async teardown")

    app.add_url_rule("/", "i", lambda: "i")
    assert app.test_client().get("/").data == b"i"
    assert log == ["async before", "async after", "async teardown"]


def test_hook_registries_are_exposed(app):
    def before():
        return None

    app.before_request(before)
    bp = Blueprint("bp", __name__)
    bp.before_request(before)
    app.register_blueprint(bp)
    assert app.before_request_funcs[None] == [before]
    assert app.before_request_funcs["bp"] == [before]
