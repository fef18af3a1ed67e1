"""Error handlers, exception propagation and trapping, abort and redirect."""

from __future__ import annotations

import gc
import logging
import traceback
import weakref

import pytest
from werkzeug.exceptions import Aborter
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import BadRequestKeyError
from werkzeug.exceptions import Forbidden
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError
from werkzeug.exceptions import NotFound
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response as WerkzeugResponse

from sitec.runtime import Blueprint
from sitec.runtime import Flask
from sitec.runtime import Response
from sitec.runtime import abort
from sitec.runtime import redirect
from sitec.runtime import request


@pytest.fixture
def app(tmp_path):
    return Flask("errors_app", root_path=str(tmp_path))


class ShelfError(Exception):
    pass


class EmptyShelf(ShelfError):
    pass


class VeryEmptyShelf(EmptyShelf):
    pass


class PaymentNeeded(HTTPException):
    code = 402
    description = "Pay first."


# -- registration --------------------------------------------------------------


def test_errorhandler_by_code(app):
    @app.errorhandler(404)
    def missing(e):
        assert isinstance(e, NotFound)
        return f"custom missing: {request.path}", 404

    response = app.test_client().get("/no/such/page")
    assert response.status_code == 404
    assert response.data == b"custom missing: /no/such/page"


def test_register_error_handler_by_class_and_code_are_equivalent(app):
    app.register_error_handler(Forbidden, lambda e: ("denied by class", 403))
    app.register_error_handler(400, lambda e: ("bad by code", 400))
    app.add_url_rule("/f", "f", lambda: abort(403))
    app.add_url_rule("/b", "b", lambda: abort(400))
    client = app.test_client()
    assert client.get("/f").data == b"denied by class"
    assert client.get("/b").data == b"bad by code"
    assert app.error_handler_spec[None][403][Forbidden] is not None
    assert BadRequest in app.error_handler_spec[None][400]


def test_handler_for_plain_exception_class(app):
    @app.errorhandler(ShelfError)
    def shelf(e):
        return f"shelf problem: {e}", 409

    @app.route("/take")
    def take():
        raise ShelfError("no books")

    response = app.test_client().get("/take")
    assert response.status_code == 409
    assert response.data == b"shelf problem: no books"
    assert ShelfError in app.error_handler_spec[None][None]


def test_most_specific_class_wins(app):
    app.register_error_handler(Exception, lambda e: "generic")
    app.register_error_handler(ShelfError, lambda e: "shelf")
    app.register_error_handler(EmptyShelf, lambda e: "empty")

    def raiser(exc_type):
        def view():
            raise exc_type()

        return view

    app.add_url_rule("/s", "s", raiser(ShelfError))
    app.add_url_rule("/e", "e", raiser(EmptyShelf))
    app.add_url_rule("/v", "v", raiser(VeryEmptyShelf))
    app.add_url_rule("/k", "k", raiser(KeyError))
    client = app.test_client()
    assert client.get("/s").data == b"shelf"
    assert client.get("/e").data == b"empty"
    assert client.get("/v").data == b"empty"
    assert client.get("/k").data == b"generic"


def test_code_handler_is_preferred_over_httpexception_handler(app):
    app.register_error_handler(HTTPException, lambda e: (f"any http {e.code}", e.code))
    app.register_error_handler(404, lambda e: ("just 404", 404))
    app.add_url_rule("/only-get", "g", lambda: "g")
    client = app.test_client()
    assert client.get("/unknown").data == b"just 404"
    response = client.post("/only-get")
    assert response.status_code == 405
    assert response.data == b"any http 405"


def test_custom_http_exception_subclass(app):
    app.register_error_handler(PaymentNeeded, lambda e: (e.description, e.code))
    app.add_url_rule("/buy", "buy", lambda: _raise(PaymentNeeded()))
    response = app.test_client().get("/buy")
    assert response.status_code == 402
    assert response.data == b"Pay first."


def _raise(exc):
    raise exc


def test_unhandled_http_exception_renders_default_page(app):
    app.add_url_rule("/gone", "gone", lambda: abort(410, description="It left."))
    response = app.test_client().get("/gone")
    assert response.status_code == 410
    assert b"It left." in response.data
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    ("key", "error"),
    [
        (999, ValueError),
        ("404", ValueError),
        (int, ValueError),
        (NotFound(), TypeError),
        (ShelfError("instance"), TypeError),
    ],
)
def test_invalid_handler_keys(app, key, error):
    with pytest.raises(error):
        app.register_error_handler(key, lambda e: "x")


def test_handler_for_500_sees_original_exception(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen = {}

    @app.errorhandler(500)
    def server_error(e):
        seen["type"] = type(e)
        seen["original"] = e.original_exception
        return "sorry", 500

    @app.route("/crash")
    def crash():
        raise LookupError("missing piece")

    response = app.test_client().get("/crash")
    assert response.status_code == 500
    assert response.data == b"sorry"
    assert seen["type"] is InternalServerError
    assert isinstance(seen["original"], LookupError)
    assert str(seen["original"]) == "missing piece"


def test_abort_500_reaches_500_handler_without_original(app):
    seen = []
    app.register_error_handler(InternalServerError, lambda e: (seen.append(e) or "h", 500))
    app.add_url_rule("/a", "a", lambda: abort(500))
    assert app.test_client().get("/a").data == b"h"
    assert seen[0].original_exception is None


def test_error_in_error_handler_becomes_500(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.errorhandler(ShelfError)
    def broken(e):
        raise RuntimeError("handler broke")

    app.add_url_rule("/x", "x", lambda: _raise(ShelfError()))
    assert app.test_client().get("/x").status_code == 500


def test_handler_return_value_goes_through_after_request(app):
    app.register_error_handler(404, lambda e: ({"error": "not here"}, 404))

    @app.after_request
    def tag(response):
        response.headers["X-After"] = "ran"
        return response

    response = app.test_client().get("/missing")
    assert response.get_json() == {"error": "not here"}
    assert response.headers["X-After"] == "ran"


# -- blueprints ----------------------------------------------------------------


def test_blueprint_handler_before_app_handler(app):
    shop = Blueprint("shop", __name__)
    shop.register_error_handler(ShelfError, lambda e: "blueprint handler")
    shop.register_error_handler(403, lambda e: ("blueprint 403", 403))
    shop.add_url_rule("/shop/raise", "raise_", lambda: _raise(EmptyShelf()))
    shop.add_url_rule("/shop/deny", "deny", lambda: abort(403))
    app.register_blueprint(shop)

    app.register_error_handler(ShelfError, lambda e: "app handler")
    app.register_error_handler(403, lambda e: ("app 403", 403))
    app.add_url_rule("/raise", "raise_", lambda: _raise(EmptyShelf()))
    app.add_url_rule("/deny", "deny", lambda: abort(403))

    client = app.test_client()
    assert client.get("/shop/raise").data == b"blueprint handler"
    assert client.get("/shop/deny").data == b"blueprint 403"
    assert client.get("/raise").data == b"app handler"
    assert client.get("/deny").data == b"app 403"


def test_nested_blueprint_handlers_innermost_first(app):
    outer = Blueprint("outer", __name__, url_prefix="/o")
    inner = Blueprint("inner", __name__, url_prefix="/i")
    outer.register_error_handler(ShelfError, lambda e: "outer")
    outer.register_error_handler(KeyError, lambda e: "outer key")
    inner.register_error_handler(ShelfError, lambda e: "inner")
    inner.add_url_rule("/shelf", "shelf", lambda: _raise(ShelfError()))
    inner.add_url_rule("/key", "key", lambda: _raise(KeyError("k")))
    outer.register_blueprint(inner)
    app.register_blueprint(outer)
    client = app.test_client()
    assert client.get("/o/i/shelf").data == b"inner"
    assert client.get("/o/i/key").data == b"outer key"


def test_blueprint_code_handler_beats_app_class_handler_only_for_same_code(app):
    bp = Blueprint("bp", __name__)
    bp.register_error_handler(HTTPException, lambda e: ("bp any", e.code))
    bp.add_url_rule("/bp/nf", "nf", lambda: abort(404))
    app.register_blueprint(bp)
    app.register_error_handler(404, lambda e: ("app 404", 404))
    # A handler registered for the exact code, even on the app, is found before
    # a class-based handler of the blueprint.
    assert app.test_client().get("/bp/nf").data == b"app 404"


def test_blueprint_404_handler_not_used_for_unknown_urls(app):
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    bp.register_error_handler(404, lambda e: ("bp 404", 404))
    bp.add_url_rule("/known", "known", lambda: "k")
    app.register_blueprint(bp)
    response = app.test_client().get("/bp/unknown")
    assert response.status_code == 404
    assert b"bp 404" not in response.data


def test_app_errorhandler_from_blueprint_is_app_wide(app):
    bp = Blueprint("bp", __name__)

    @bp.app_errorhandler(404)
    def everywhere(e):
        return "from blueprint, app wide", 404

    app.register_blueprint(bp)
    assert app.test_client().get("/whatever").data == b"from blueprint, app wide"


# -- handle_user_exception / handle_exception / log_exception ------------------


def test_handle_user_exception_direct(app):
    app.register_error_handler(ShelfError, lambda e: "handled shelf")
    with app.test_request_context():
        assert app.handle_user_exception(ShelfError()) == "handled shelf"
        not_found = NotFound()
        assert app.handle_user_exception(not_found) is not_found
        try:
            raise ZeroDivisionError("no handler")
        except ZeroDivisionError as e:
            with pytest.raises(ZeroDivisionError, match="no handler"):
                app.handle_user_exception(e)


def test_routing_redirect_is_not_sent_to_handlers(app):
    app.register_error_handler(HTTPException, lambda e: ("should not see", 500))
    app.add_url_rule("/dir/", "d", lambda: "d")
    response = app.test_client().get("/dir")
    assert response.status_code == 308


def test_unhandled_exception_is_logged(app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom", methods=["POST"])
    def boom():
        raise ArithmeticError("kaboom")

    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        response = app.test_client().post("/boom")
    assert response.status_code == 500
    records = [r for r in caplog.records if r.name == app.logger.name]
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Exception on /boom [POST]"
    assert record.exc_info[0] is ArithmeticError
    assert "kaboom" in caplog.text


def test_handled_exception_is_not_logged(app, caplog):
    app.register_error_handler(ArithmeticError, lambda e: "fine")
    app.add_url_rule("/x", "x", lambda: _raise(ArithmeticError()))
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        assert app.test_client().get("/x").data == b"fine"
    assert not [r for r in caplog.records if r.name == app.logger.name]


def test_log_exception_override(app):
    logged = []

    class QuietApp(Flask):
        def log_exception(self, exc_info):
            logged.append((exc_info[0], request.path))

    quiet = QuietApp("quiet", root_path=app.root_path)
    quiet.add_url_rule("/q", "q", lambda: _raise(IndexError()))
    assert quiet.test_client().get("/q").status_code == 500
    assert logged == [(IndexError, "/q")]


def test_default_500_page(app):
    app.add_url_rule("/x", "x", lambda: _raise(RuntimeError("secret detail")))
    response = app.test_client().get("/x")
    assert response.status_code == 500
    assert b"Internal Server Error" in response.data
    assert b"secret detail" not in response.data


# -- PROPAGATE_EXCEPTIONS / TRAP_* ---------------------------------------------


@pytest.mark.parametrize(
    ("testing", "debug", "propagate", "raises"),
    [
        (False, False, None, False),
        (True, False, None, True),
        (False, True, None, True),
        (True, False, False, False),
        (False, False, True, True),
    ],
)
def test_propagate_exceptions(app, testing, debug, propagate, raises):
    app.config.update(TESTING=testing, DEBUG=debug, PROPAGATE_EXCEPTIONS=propagate)
    app.add_url_rule("/x", "x", lambda: _raise(OSError("disk")))
    client = app.test_client()
    if raises:
        with pytest.raises(OSError, match="disk"):
            client.get("/x")
    else:
        assert client.get("/x").status_code == 500


def test_trap_http_exceptions(app):
    app.config.update(TRAP_HTTP_EXCEPTIONS=True, TESTING=True)
    app.add_url_rule("/nf", "nf", lambda: abort(404))
    with pytest.raises(NotFound):
        app.test_client().get("/nf")


def call_wsgi(app, path, method="GET"):
    """One request straight through the WSGI callable: (status, body)."""
    builder = EnvironBuilder(path=path, method=method)
    environ = builder.get_environ()
    builder.close()
    seen = []
    body = app(environ, lambda status, headers, exc_info=None: seen.append(status))
    try:
        return seen[0], b"".join(body)
    finally:
        body.close()


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [("/missing", "GET", "404 NOT FOUND"), ("/form", "GET", "405 METHOD NOT ALLOWED")],
)
def test_answered_routing_errors_leave_no_garbage_cycle(app, path, method, status):
    # The request of a 404 or 405 must be freed when the request ends, not
    # kept alive with its environ and response until the garbage collector runs.
    requests = []

    @app.errorhandler(NotFound)
    @app.errorhandler(405)
    def remember(error):
        requests.append(weakref.ref(request._get_current_object()))
        return f"no {request.path}", error.code

    app.add_url_rule("/form", "form", lambda: "posted", methods=["POST"])
    gc.collect()
    gc.disable()
    try:
        assert call_wsgi(app, path, method) == (status, f"no {path}".encode())
        assert requests[0]() is None
    finally:
        gc.enable()


def test_trapped_routing_error_keeps_its_traceback(app):
    app.config.update(TRAP_HTTP_EXCEPTIONS=True, TESTING=True)
    with pytest.raises(NotFound) as info:
        call_wsgi(app, "/missing")
    frames = [frame.name for frame in traceback.extract_tb(info.value.__traceback__)]
    assert "dispatch_request" in frames


def test_error_in_404_handler_keeps_the_404_traceback(app):
    app.config["TESTING"] = True

    @app.errorhandler(404)
    def broken(error):
        raise KeyError("handler bug")

    with pytest.raises(KeyError) as info:
        call_wsgi(app, "/missing")
    assert isinstance(info.value.__context__, NotFound)
    assert info.value.__context__.__traceback__ is not None


def test_trapped_http_exception_uses_class_handlers(app):
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    app.register_error_handler(NotFound, lambda e: ("class handler", 404))
    app.add_url_rule("/nf", "nf", lambda: abort(404))
    assert app.test_client().get("/nf").data == b"class handler"


def test_trapped_http_exception_without_handler_is_500(app):
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    app.add_url_rule("/nf", "nf", lambda: abort(404))
    assert app.test_client().get("/nf").status_code == 500


def test_trap_bad_request_errors(app):
    app.config.update(TRAP_BAD_REQUEST_ERRORS=True, TESTING=True)
    app.add_url_rule("/k", "k", lambda: request.args["needed"])
    app.add_url_rule("/b", "b", lambda: abort(400))
    client = app.test_client()
    with pytest.raises(BadRequestKeyError):
        client.get("/k")
    with pytest.raises(BadRequest):
        client.get("/b")
    # Other HTTP errors are not trapped.
    assert client.get("/missing").status_code == 404


def test_bad_request_key_error_trapped_in_debug_by_default(app):
    app.debug = True
    app.add_url_rule("/k", "k", lambda: request.form["absent"], methods=["POST"])
    with pytest.raises(BadRequestKeyError):
        app.test_client().post("/k")


def test_bad_request_key_error_not_trapped_in_debug_when_disabled(app):
    app.debug = True
    app.config["TRAP_BAD_REQUEST_ERRORS"] = False
    app.add_url_rule("/k", "k", lambda: request.args["absent_key"])
    response = app.test_client().get("/k")
    assert response.status_code == 400
    # In debug mode the key is named to help the developer.
    assert b"absent_key" in response.data


def test_bad_request_key_error_hidden_outside_debug(app):
    app.add_url_rule("/k", "k", lambda: request.args["absent_key"])
    response = app.test_client().get("/k")
    assert response.status_code == 400
    assert b"absent_key" not in response.data


# -- abort and the aborter -----------------------------------------------------


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 418, 429, 503])
def test_abort_codes(app, code):
    app.add_url_rule("/a", "a", lambda: abort(code))
    assert app.test_client().get("/a").status_code == code


def test_abort_with_description_and_response(app):
    app.add_url_rule("/d", "d", lambda: abort(403, description="Members only."))
    app.add_url_rule("/r", "r", lambda: abort(Response("handmade", status=451)))
    client = app.test_client()
    assert b"Members only." in client.get("/d").data
    response = client.get("/r")
    assert response.status_code == 451
    assert response.data == b"handmade"


def test_abort_unknown_code_is_lookup_error(app):
    with app.app_context(), pytest.raises(LookupError):
        abort(799)
    with pytest.raises(LookupError):
        abort(799)


def test_abort_outside_app_context_uses_werkzeug():
    with pytest.raises(NotFound):
        abort(404)


class TeapotError(HTTPException):
    code = 599
    description = "Custom teapot failure."


class AbortingApp(Flask):
    def make_aborter(self):
        return Aborter(extra={599: TeapotError})


def test_app_aborter_knows_custom_codes(tmp_path):
    app = AbortingApp("aborting", root_path=str(tmp_path))
    app.add_url_rule("/t", "t", lambda: abort(599))
    assert app.aborter.mapping[599] is TeapotError
    response = app.test_client().get("/t")
    assert response.status_code == 599
    assert b"Custom teapot failure." in response.data
    # werkzeug's module-level abort does not know the app's code.
    with pytest.raises(LookupError):
        abort(599)


def test_aborter_class_override(tmp_path):
    calls = []

    class CountingAborter(Aborter):
        def __call__(self, code, *args, **kwargs):
            calls.append(code)
            super().__call__(code, *args, **kwargs)

    class App(Flask):
        aborter_class = CountingAborter

    app = App("counting", root_path=str(tmp_path))
    app.add_url_rule("/c", "c", lambda: abort(409))
    assert isinstance(app.aborter, CountingAborter)
    assert app.test_client().get("/c").status_code == 409
    assert calls == [409]


# -- redirect ------------------------------------------------------------------


def test_redirect_helper(app):
    app.add_url_rule("/go", "go", lambda: redirect("/target?x=1"))
    app.add_url_rule("/moved", "moved", lambda: redirect("https://elsewhere.test/p", 301))
    client = app.test_client()
    response = client.get("/go")
    assert response.status_code == 302
    assert response.headers["Location"] == "/target?x=1"
    assert b"/target?x=1" in response.data
    moved = client.get("/moved")
    assert moved.status_code == 301
    assert moved.headers["Location"] == "https://elsewhere.test/p"


def test_redirect_uses_app_redirect_inside_app_context(tmp_path):
    class App(Flask):
        def redirect(self, location, code=302):
            response = super().redirect(location, code)
            response.headers["X-Via"] = "app.redirect"
            return response

    app = App("redir", root_path=str(tmp_path))
    app.add_url_rule("/r", "r", lambda: redirect("/dest", 307))
    response = app.test_client().get("/r")
    assert response.status_code == 307
    assert response.headers["X-Via"] == "app.redirect"
    assert isinstance(app.redirect("/x"), Response)


def test_redirect_outside_app_context():
    response = redirect("/plain", 303)
    assert response.status_code == 303
    assert response.headers["Location"] == "/plain"

    class Mine(WerkzeugResponse):
        pass

    assert isinstance(redirect("/p", Response=Mine), Mine)


def test_redirect_ignores_response_argument_inside_app_context(app):
    class Mine(WerkzeugResponse):
        pass

    with app.app_context():
        response = redirect("/p", Response=Mine)
    assert type(response) is Response
