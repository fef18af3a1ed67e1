"""Application and request contexts, their proxies, and the test client's use of them."""

from __future__ import annotations

import io
import threading

import pytest

from sitec.runtime import Flask
from sitec.runtime import Request
from sitec.runtime import copy_current_request_context
from sitec.runtime import current_app
from sitec.runtime import g
from sitec.runtime import has_app_context
from sitec.runtime import has_request_context
from sitec.runtime import request
from sitec.runtime import session
from sitec.runtime.ctx import _AppCtxGlobals
from sitec.runtime.globals import _cv_app
from sitec.runtime.globals import _cv_request
from sitec.runtime.globals import request_ctx


@pytest.fixture
def app(tmp_path):
    app = Flask("contexts_app", root_path=str(tmp_path))
    app.secret_key = "contexts test key"
    return app


# -- proxies outside contexts --------------------------------------------------


def test_no_context_by_default():
    assert not has_app_context()
    assert not has_request_context()
    assert not current_app
    assert not request


@pytest.mark.parametrize(
    ("proxy", "message"),
    [
        (lambda: current_app.name, "application context"),
        (lambda: g.anything, "application context"),
        (lambda: request.path, "request context"),
        (lambda: session.get("x"), "request context"),
    ],
)
def test_proxies_outside_contexts_raise(proxy, message):
    with pytest.raises(RuntimeError, match=message):
        proxy()


# -- app context ---------------------------------------------------------------


def test_app_context_makes_current_app_and_g(app):
    with app.app_context() as ctx:
        assert has_app_context()
        assert not has_request_context()
        assert current_app._get_current_object() is app
        assert current_app.name == "contexts_app"
        assert g._get_current_object() is ctx.g
        g.counter = 1
    assert not has_app_context()
    with app.app_context():
        # g belongs to one app context, not to the app.
        assert "counter" not in g


def test_app_contexts_nest_and_restore(tmp_path):
    first = Flask("first", root_path=str(tmp_path))
    second = Flask("second", root_path=str(tmp_path))
    with first.app_context():
        g.mark = "outer"
        with second.app_context():
            assert current_app.name == "second"
            assert "mark" not in g
        assert current_app.name == "first"
        assert g.mark == "outer"


def test_popping_wrong_app_context_fails(app):
    outer = app.app_context()
    inner = app.app_context()
    outer.push()
    inner.push()
    with pytest.raises(AssertionError, match="Popped the wrong app context"):
        outer.pop()
    # The failed pop still reset the variable to what ``outer`` replaced.
    assert not has_app_context()


def test_same_app_context_pushed_twice_tears_down_once(app):
    torn = []
    app.teardown_appcontext(lambda exc: torn.append(exc))
    ctx = app.app_context()
    ctx.push()
    ctx.push()
    ctx.pop()
    assert torn == []
    assert has_app_context()
    ctx.pop()
    assert torn == [None]
    assert not has_app_context()


def test_app_context_teardown_receives_exception(app):
    torn = []
    app.teardown_appcontext(lambda exc: torn.append(exc))
    with pytest.raises(KeyError), app.app_context():
        raise KeyError("inside")
    assert isinstance(torn[0], KeyError)


# -- g -------------------------------------------------------------------------


def test_g_namespace_methods(app):
    with app.app_context():
        assert g.get("missing") is None
        assert g.get("missing", 5) == 5
        assert "user" not in g
        g.user = "ada"
        assert "user" in g
        assert g.get("user") == "ada"
        assert g.setdefault("user", "bob") == "ada"
        assert g.setdefault("role", "admin") == "admin"
        assert g.role == "admin"
        assert g.setdefault("nothing") is None
        assert "nothing" in g
        assert sorted(g) == ["nothing", "role", "user"]
        assert g.pop("user") == "ada"
        assert "user" not in g
        assert g.pop("user", "gone") == "gone"
        with pytest.raises(KeyError):
            g.pop("user")
        with pytest.raises(AttributeError):
            g.user  # noqa: B018
        assert repr(g) == "<flask.g of 'contexts_app'>"


def test_g_class_is_overridable(tmp_path):
    class CountingGlobals(_AppCtxGlobals):
        def bump(self):
            self.n = self.get("n", 0) + 1
            return self.n

    class App(Flask):
        app_ctx_globals_class = CountingGlobals

    app = App("g_app", root_path=str(tmp_path))
    with app.app_context():
        assert isinstance(g._get_current_object(), CountingGlobals)
        g.bump()
        assert g.bump() == 2


def test_g_is_per_request(app):
    @app.route("/")
    def index():
        before = g.get("hits", 0)
        g.hits = before + 1
        return str(g.hits)

    client = app.test_client()
    assert client.get("/").data == b"1"
    assert client.get("/").data == b"1"


def test_g_shared_between_hooks_and_view(app):
    @app.before_request
    def load():
        g.loaded = request.args.get("who", "nobody")

    app.add_url_rule("/", "i", lambda: f"hello {g.loaded}")
    assert app.test_client().get("/?who=eve").data == b"hello eve"


# -- request context -----------------------------------------------------------


def test_request_context_pushes_app_context(app):
    with app.test_request_context("/p?q=1", method="POST"):
        assert has_request_context()
        assert has_app_context()
        assert request.path == "/p"
        assert request.args["q"] == "1"
        assert request.method == "POST"
        assert current_app._get_current_object() is app
        assert request_ctx.request is request._get_current_object()
    assert not has_request_context()
    assert not has_app_context()


def test_request_context_reuses_active_app_context_of_same_app(app):
    with app.app_context() as app_ctx:
        g.flag = "set before request"
        with app.test_request_context():
            assert _cv_app.get() is app_ctx
            assert g.flag == "set before request"
        assert has_app_context()


def test_request_context_pushes_own_app_context_for_other_app(app, tmp_path):
    other = Flask("other", root_path=str(tmp_path))
    with other.app_context():
        with app.test_request_context():
            assert current_app.name == "contexts_app"
        assert current_app.name == "other"


def test_push_pop_order_and_teardowns(app):
    log = []
    app.teardown_request(lambda exc: log.append(("request", has_request_context())))
    app.teardown_appcontext(
        lambda exc: log.append(("appctx", has_request_context(), has_app_context()))
    )
    ctx = app.test_request_context()
    ctx.push()
    assert _cv_request.get() is ctx
    ctx.pop()
    # Request teardown runs while the request is still active; the app context
    # teardown runs after the request context is gone.
    assert log == [("request", True), ("appctx", False, True)]
    assert not has_app_context()


def test_popping_wrong_request_context_fails(app):
    first = app.test_request_context("/first")
    second = app.test_request_context("/second")
    first.push()
    second.push()
    with pytest.raises(AssertionError, match="Popped the wrong request context"):
        first.pop()
    assert not has_request_context()


def test_session_proxy_in_request(app):
    @app.route("/set")
    def set_value():
        session["colour"] = request.args["c"]
        return "set"

    @app.route("/get")
    def get_value():
        return session.get("colour", "none")

    client = app.test_client()
    assert client.get("/get").data == b"none"
    client.get("/set?c=green")
    assert client.get("/get").data == b"green"


def test_request_repr(app):
    with app.test_request_context("/r?x=1", method="PUT") as ctx:
        assert repr(ctx) == "<RequestContext 'http://localhost/r?x=1' [PUT] of contexts_app>"


# -- copy_current_request_context ----------------------------------------------


def test_copy_current_request_context_in_a_thread(app):
    results = {}

    @app.route("/work")
    def work():
        g.job = "from view"
        session["owner"] = "alice"

        @copy_current_request_context
        def in_thread(suffix):
            results["path"] = request.path + suffix
            results["arg"] = request.args["n"]
            results["owner"] = session["owner"]
            results["has_request"] = has_request_context()
            results["app"] = current_app.name
            return "done"

        box = []
        thread = threading.Thread(target=lambda: box.append(in_thread("!")))
        thread.start()
        thread.join(5)
        return box[0]

    response = app.test_client().get("/work?n=9")
    assert response.data == b"done"
    assert results == {
        "path": "/work!",
        "arg": "9",
        "owner": "alice",
        "has_request": True,
        "app": "contexts_app",
    }


def test_thread_without_copied_context_has_none(app):
    seen = []

    @app.route("/")
    def index():
        thread = threading.Thread(target=lambda: seen.append(has_request_context()))
        thread.start()
        thread.join(5)
        return "ok"

    app.test_client().get("/")
    assert seen == [False]


def test_copy_current_request_context_needs_a_request(app):
    with pytest.raises(RuntimeError, match="request context"):
        copy_current_request_context(lambda: None)
    with app.app_context(), pytest.raises(RuntimeError):
        copy_current_request_context(lambda: None)


def test_copy_current_request_context_keeps_function_metadata(app):
    with app.test_request_context():

        def named_job():
            """Job docs."""

        wrapped = copy_current_request_context(named_job)
        assert wrapped.__name__ == "named_job"
        assert wrapped.__doc__ == "Job docs."


# -- the test client -----------------------------------------------------------


def test_client_pops_contexts_after_request(app):
    app.add_url_rule("/", "i", lambda: "i")
    app.test_client().get("/")
    assert not has_request_context()
    assert not has_app_context()


def test_with_client_keeps_last_request_context(app):
    torn = []
    app.teardown_request(lambda exc: torn.append(request.path))

    @app.route("/first")
    def first():
        g.seen = "first"
        return "1"

    @app.route("/second")
    def second():
        g.seen = "second"
        session["k"] = "v"
        return "2"

    with app.test_client() as client:
        client.get("/first?a=1")
        # Teardown ran when the request ended, as always; the contexts were then
        # pushed again for the test to inspect.
        assert torn == ["/first"]
        assert request.path == "/first"
        assert request.args["a"] == "1"
        assert g.seen == "first"
        client.get("/second")
        assert "/second" in torn
        assert request.path == "/second"
        assert g.seen == "second"
        assert session["k"] == "v"
    assert set(torn) == {"/first", "/second"}
    assert not has_request_context()
    assert not has_app_context()


def test_with_client_cannot_nest(app):
    client = app.test_client()
    with client, pytest.raises(RuntimeError, match="nest"), client:
        pass


def test_with_client_after_exception_still_pops(app):
    app.testing = True
    app.add_url_rule("/boom", "boom", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError), app.test_client() as client:
        client.get("/boom")
    assert not has_request_context()
    assert not has_app_context()


def test_session_transaction(app):
    app.add_url_rule("/read", "read", lambda: session.get("planted", "none"))
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["planted"] = "seed"
    assert client.get("/read").data == b"seed"
    with client.session_transaction() as sess:
        assert sess["planted"] == "seed"


def test_uploaded_files_are_closed_when_the_request_ends(app):
    uploads = []

    @app.post("/upload")
    def upload():
        uploads.append(request.files["doc"])
        return request.files["doc"].read()

    client = app.test_client()
    response = client.post("/upload", data={"doc": (io.BytesIO(b"payload"), "doc.txt")})
    assert response.data == b"payload"
    assert uploads[0].stream.closed


def test_a_request_class_with_its_own_close_is_always_closed(app):
    closed = []

    class ClosingRequest(Request):
        def close(self):
            closed.append(self.path)
            super().close()

    app.request_class = ClosingRequest
    app.add_url_rule("/plain", "plain", lambda: "plain")
    assert app.test_client().get("/plain").data == b"plain"
    assert closed == ["/plain"]
