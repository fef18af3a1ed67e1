"""Turning view return values into responses, and the request object's additions."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import Headers
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

from sitec.runtime import Blueprint
from sitec.runtime import Flask
from sitec.runtime import Request
from sitec.runtime import Response
from sitec.runtime import make_response
from sitec.runtime import request


@pytest.fixture
def app(tmp_path):
    app = Flask("responses_app", root_path=str(tmp_path))
    app.testing = True
    return app


def serve(app, value):
    """Register a view that returns ``value`` and return the client's response."""
    app.add_url_rule("/v", "v", lambda: value)
    return app.test_client().get("/v")


# -- return forms --------------------------------------------------------------


def test_str_is_html_body(app):
    response = serve(app, "héllo <b>")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.data == "héllo <b>".encode()


@pytest.mark.parametrize("body", [b"\x00raw\xff", bytearray(b"arr\x01")])
def test_bytes_and_bytearray_bodies(app, body):
    response = serve(app, body)
    assert response.status_code == 200
    assert response.data == bytes(body)


def test_dict_becomes_json(app):
    response = serve(app, {"n": 3, "names": ["x", "y"]})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"n": 3, "names": ["x", "y"]}


def test_list_becomes_json(app):
    response = serve(app, [1, "two", None])
    assert response.mimetype == "application/json"
    assert response.get_json() == [1, "two", None]


def test_generator_is_streamed(app):
    produced = []

    def chunks():
        for part in ("alpha-", "beta-", "gamma"):
            produced.append(part)
            yield part

    app.add_url_rule("/s", "s", lambda: chunks())
    response = app.test_client().get("/s", buffered=False)
    assert response.is_streamed
    assert b"".join(response.response) == b"alpha-beta-gamma"
    assert produced == ["alpha-", "beta-", "gamma"]
    response.close()


def test_plain_iterator_is_streamed(app):
    response = serve(app, iter([b"one,", b"two"]))
    assert response.data == b"one,two"


def test_response_instance_is_returned_as_is(app):
    made = Response("custom", status=202, mimetype="text/plain")

    @app.route("/r")
    def view():
        return made

    with app.test_request_context("/r"):
        assert app.make_response(view()) is made
    response = app.test_client().get("/r")
    assert response.status_code == 202
    assert response.mimetype == "text/plain"
    assert response.data == b"custom"


def test_foreign_response_is_converted_to_response_class(app):
    foreign = WerkzeugResponse("from werkzeug", status=201, headers={"X-Origin": "wz"})
    with app.test_request_context():
        converted = app.make_response(foreign)
    assert isinstance(converted, Response)
    assert converted.status_code == 201
    assert converted.headers["X-Origin"] == "wz"
    assert converted.get_data() == b"from werkzeug"


def test_wsgi_callable_is_run(app):
    def tiny_wsgi(environ, start_response):
        start_response("207 Multi-Status", [("X-Path", environ["PATH_INFO"])])
        return [b"wsgi ", b"body"]

    response = serve(app, tiny_wsgi)
    assert response.status_code == 207
    assert response.headers["X-Path"] == "/v"
    assert response.data == b"wsgi body"


def test_tuple_body_and_int_status(app):
    response = serve(app, ("created", 201))
    assert response.status_code == 201
    assert response.data == b"created"


def test_tuple_body_and_status_string(app):
    response = serve(app, ("odd", "299 Quite Fine"))
    assert response.status == "299 Quite Fine"
    assert response.status_code == 299


@pytest.mark.parametrize(
    "headers",
    [
        {"X-One": "1"},
        [("X-One", "1")],
        (("X-One", "1"),),
        Headers({"X-One": "1"}),
    ],
)
def test_tuple_body_and_headers(app, headers):
    response = serve(app, ("with headers", headers))
    assert response.status_code == 200
    assert response.headers["X-One"] == "1"
    assert response.data == b"with headers"


def test_tuple_body_status_headers(app):
    response = serve(app, ("full", 418, {"X-Kind": "teapot", "Content-Type": "text/plain"}))
    assert response.status_code == 418
    assert response.headers["X-Kind"] == "teapot"
    assert response.mimetype == "text/plain"


def test_tuple_with_dict_body_and_status(app):
    response = serve(app, ({"error": "nope"}, 422))
    assert response.status_code == 422
    assert response.get_json() == {"error": "nope"}


def test_tuple_with_response_object_overrides_status_and_adds_headers(app):
    base = Response("kept body", status=200, headers={"X-Base": "b"})
    response = serve(app, (base, 404, {"X-Extra": "e"}))
    assert response.status_code == 404
    assert response.headers["X-Base"] == "b"
    assert response.headers["X-Extra"] == "e"
    assert response.data == b"kept body"


def test_tuple_headers_replace_same_named_header(app):
    base = Response("x", headers={"X-Dup": "old"})
    response = serve(app, (base, {"X-Dup": "new"}))
    assert response.headers.getlist("X-Dup") == ["new"]


# -- invalid return values -----------------------------------------------------


def test_none_is_a_type_error_naming_the_endpoint(app):
    @app.route("/silent")
    def forgot_to_return():
        pass

    with pytest.raises(TypeError) as info:
        app.test_client().get("/silent")
    message = str(info.value)
    assert "forgot_to_return" in message
    assert "did not return a valid response" in message
    assert "None" in message


@pytest.mark.parametrize("value", [("only",), ("a", 200, {}, "extra"), ()])
def test_bad_tuple_length_is_a_type_error(app, value):
    with pytest.raises(TypeError, match="did not return a valid response tuple"):
        serve(app, value)


@pytest.mark.parametrize("value", [42, 3.5, object(), {1, 2}])
def test_unsupported_type_is_a_type_error_naming_it(app, value):
    with pytest.raises(TypeError) as info:
        serve(app, value)
    message = str(info.value)
    assert "did not return a valid response" in message
    assert f"it was a {type(value).__name__}" in message


def test_callable_that_is_not_wsgi_is_a_type_error(app):
    def not_wsgi():
        return "never called properly"

    with pytest.raises(TypeError) as info:
        serve(app, not_wsgi)
    assert "did not return a valid response" in str(info.value)
    assert "it was a function" in str(info.value)


def test_invalid_return_is_500_when_not_propagating(app):
    app.testing = False
    app.add_url_rule("/none", "none", lambda: None)
    response = app.test_client().get("/none")
    assert response.status_code == 500


# -- make_response -------------------------------------------------------------


def test_make_response_helper_forms(app):
    with app.test_request_context():
        empty = make_response()
        assert isinstance(empty, Response)
        assert empty.status_code == 200
        assert empty.get_data() == b""

        one = make_response("body only")
        assert one.get_data() == b"body only"

        two = make_response("missing", 404)
        assert two.status_code == 404

        three = make_response("hdr", 203, {"X-A": "a"})
        assert (three.status_code, three.headers["X-A"]) == (203, "a")

        packed = make_response(("packed", 409))
        assert packed.status_code == 409

        as_json = make_response({"k": [1]})
        assert as_json.get_json() == {"k": [1]}


def test_make_response_lets_views_set_headers(app):
    @app.route("/cookie")
    def cookie():
        response = make_response("with cookie", 201)
        response.set_cookie("flavour", "oat")
        response.headers["X-Made"] = "yes"
        return response

    response = app.test_client().get("/cookie")
    assert response.status_code == 201
    assert response.headers["X-Made"] == "yes"
    assert "flavour=oat" in response.headers["Set-Cookie"]


def test_make_response_needs_an_app_context():
    with pytest.raises(RuntimeError, match="application context"):
        make_response("x")


# -- class overrides -----------------------------------------------------------


class TrackingResponse(Response):
    default_mimetype = "text/plain"


class TrackingRequest(Request):
    @property
    def shout(self):
        return self.path.upper()


class CustomApp(Flask):
    response_class = TrackingResponse
    request_class = TrackingRequest


def test_response_and_request_class_overrides(tmp_path):
    app = CustomApp("custom_app", root_path=str(tmp_path))
    seen = {}

    @app.route("/loud/path")
    def loud():
        seen["request"] = request._get_current_object()
        return request.shout

    response = app.test_client().get("/loud/path")
    assert isinstance(seen["request"], TrackingRequest)
    assert response.data == b"/LOUD/PATH"
    assert response.mimetype == "text/plain"
    with app.test_request_context():
        made = app.make_response(("x", 201))
        assert type(made) is TrackingResponse
        assert type(make_response()) is TrackingResponse
        assert type(app.make_response(WerkzeugResponse("y"))) is TrackingResponse
        redirected = app.redirect("/elsewhere")
        assert type(redirected) is TrackingResponse


def test_test_client_uses_response_class(tmp_path):
    app = CustomApp("custom_app", root_path=str(tmp_path))
    app.add_url_rule("/", "i", lambda: "i")
    assert isinstance(app.test_client().get("/"), TrackingResponse)


# -- request additions ---------------------------------------------------------


def test_request_routing_attributes_for_app_view(app):
    @app.route("/items/<int:item_id>", methods=["GET", "POST"])
    def item(item_id):
        return {
            "rule": request.url_rule.rule,
            "view_args": request.view_args,
            "endpoint": request.endpoint,
            "blueprint": request.blueprint,
            "blueprints": request.blueprints,
            "routing_exception": repr(request.routing_exception),
        }

    assert app.test_client().post("/items/7").get_json() == {
        "rule": "/items/<int:item_id>",
        "view_args": {"item_id": 7},
        "endpoint": "item",
        "blueprint": None,
        "blueprints": [],
        "routing_exception": "None",
    }


def test_request_blueprint_attributes_nested(app):
    outer = Blueprint("outer", __name__, url_prefix="/o")
    inner = Blueprint("inner", __name__, url_prefix="/i")

    @inner.route("/leaf")
    def leaf():
        return {
            "endpoint": request.endpoint,
            "blueprint": request.blueprint,
            "blueprints": request.blueprints,
        }

    outer.register_blueprint(inner)
    app.register_blueprint(outer)
    assert app.test_client().get("/o/i/leaf").get_json() == {
        "endpoint": "outer.inner.leaf",
        "blueprint": "outer.inner",
        "blueprints": ["outer.inner", "outer"],
    }


def test_request_without_match_has_routing_exception(app):
    app.add_url_rule("/here", "here", lambda: "here", methods=["POST"])
    with app.test_request_context("/nowhere"):
        assert isinstance(request.routing_exception, NotFound)
        assert request.url_rule is None
        assert request.view_args is None
        assert request.endpoint is None
        assert request.blueprint is None
        assert request.blueprints == []
    with app.test_request_context("/here", method="GET"):
        assert request.routing_exception.code == 405
        assert request.routing_exception.valid_methods


def test_request_limits_follow_config(app):
    app.config.update(MAX_CONTENT_LENGTH=1234, MAX_FORM_MEMORY_SIZE=567, MAX_FORM_PARTS=8)
    with app.test_request_context():
        assert request.max_content_length == 1234
        assert request.max_form_memory_size == 567
        assert request.max_form_parts == 8
        request.max_content_length = 10
        request.max_form_memory_size = 20
        request.max_form_parts = 3
        assert request.max_content_length == 10
        assert request.max_form_memory_size == 20
        assert request.max_form_parts == 3


def test_request_limit_defaults(app):
    with app.test_request_context():
        assert request.max_content_length is None
        assert request.max_form_memory_size == 500_000
        assert request.max_form_parts == 1_000


def test_request_limits_outside_app_context_are_werkzeugs():
    environ = {"REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO(), "SERVER_NAME": "x"}
    environ.update({"SERVER_PORT": "80", "wsgi.url_scheme": "http", "PATH_INFO": "/"})
    ours = Request(environ)
    theirs = WerkzeugRequest(environ)
    assert ours.max_content_length == theirs.max_content_length
    assert ours.max_form_memory_size == theirs.max_form_memory_size
    assert ours.max_form_parts == theirs.max_form_parts
    ours.max_form_parts = 2
    assert ours.max_form_parts == 2


def test_per_request_max_content_length_applies_to_body(app):
    @app.route("/upload", methods=["POST"])
    def upload():
        request.max_content_length = 4
        return request.get_data()

    client = app.test_client()
    assert client.post("/upload", data=b"1234").data == b"1234"
    assert client.post("/upload", data=b"12345").status_code == 413


def test_max_content_length_config_gives_413(app):
    app.config["MAX_CONTENT_LENGTH"] = 16

    @app.route("/form", methods=["POST"])
    def form():
        return request.form.get("field", "-")

    client = app.test_client()
    assert client.post("/form", data={"field": "short"}).data == b"short"
    assert client.post("/form", data={"field": "x" * 50}).status_code == 413


def test_max_form_memory_size_gives_413(app):
    # werkzeug applies the limit to each chunk it parses too, part headers included.
    app.config["MAX_FORM_MEMORY_SIZE"] = 500
    app.add_url_rule("/f", "f", lambda: request.form["a"], methods=["POST"])
    client = app.test_client()
    payload = {"a": "y" * 2000}
    assert client.post("/f", data=payload, content_type="multipart/form-data").status_code == 413
    assert client.post("/f", data={"a": "tiny"}, content_type="multipart/form-data").data == b"tiny"


def test_max_form_parts_gives_413(app):
    app.config["MAX_FORM_PARTS"] = 3
    app.add_url_rule("/f", "f", lambda: str(len(request.form)), methods=["POST"])
    client = app.test_client()
    many = {f"k{i}": "v" for i in range(6)}
    few = {"k1": "v", "k2": "v"}
    assert client.post("/f", data=many, content_type="multipart/form-data").status_code == 413
    assert client.post("/f", data=few, content_type="multipart/form-data").data == b"2"


def test_request_entity_too_large_is_a_catchable_error(app):
    app.config["MAX_CONTENT_LENGTH"] = 2

    @app.errorhandler(RequestEntityTooLarge)
    def too_big(e):
        return "body too big", 413

    app.add_url_rule("/b", "b", lambda: request.get_data(), methods=["POST"])
    response = app.test_client().post("/b", data=b"xyz")
    assert response.status_code == 413
    assert response.data == b"body too big"


# -- JSON loading --------------------------------------------------------------


@pytest.fixture
def echo_json(app):
    @app.route("/echo", methods=["POST"])
    def echo():
        return {"got": request.get_json()}

    @app.route("/silent", methods=["POST"])
    def silent():
        return {"got": request.get_json(silent=True)}

    @app.route("/forced", methods=["POST"])
    def forced():
        return {"got": request.get_json(force=True)}

    return app


def test_json_body_is_loaded(echo_json):
    response = echo_json.test_client().post("/echo", json={"a": [1, 2]})
    assert response.get_json() == {"got": {"a": [1, 2]}}


def test_invalid_json_is_400_without_parser_detail(echo_json):
    response = echo_json.test_client().post(
        "/echo", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert b"Failed to decode JSON" not in response.data


def test_invalid_json_in_debug_explains(echo_json):
    echo_json.debug = True
    response = echo_json.test_client().post("/echo", data="[1, 2", content_type="application/json")
    assert response.status_code == 400
    assert b"Failed to decode JSON object" in response.data


def test_non_json_content_type_is_415(echo_json):
    response = echo_json.test_client().post("/echo", data="{}", content_type="text/plain")
    assert response.status_code == 415


def test_get_json_silent_and_force(echo_json):
    client = echo_json.test_client()
    bad = client.post("/silent", data="{oops", content_type="application/json")
    assert bad.get_json() == {"got": None}
    assert client.post("/silent", data="{}", content_type="text/plain").get_json() == {"got": None}
    forced = client.post("/forced", data='{"k": true}', content_type="text/plain")
    assert forced.get_json() == {"got": {"k": True}}


def test_request_json_uses_the_app_json_provider(app):
    from sitec.runtime.json.provider import DefaultJSONProvider

    class TaggingProvider(DefaultJSONProvider):
        def loads(self, s, **kwargs):
            value = super().loads(s, **kwargs)
            value["tagged"] = True
            return value

    app.json = TaggingProvider(app)
    app.add_url_rule("/j", "j", lambda: request.get_json(), methods=["POST"])
    response = app.test_client().post("/j", json={"x": 1})
    assert response.get_json() == {"x": 1, "tagged": True}
