"""Routing: rules, methods, converters, URL map options, static files, resources."""

from __future__ import annotations

import os
import uuid

import pytest
from werkzeug.routing import BaseConverter

from sitec.runtime import Flask
from sitec.runtime import request
from sitec.runtime import url_for

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def app(tmp_path):
    app = Flask("routing_app", root_path=str(tmp_path))
    app.testing = True
    return app


@pytest.fixture
def static_root(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "note.txt").write_text("plain static note\n")
    (static / "sub").mkdir()
    (static / "sub" / "deep.css").write_text("body { color: teal; }")
    (tmp_path / "secret.txt").write_text("do not serve")
    return tmp_path


# -- route / add_url_rule / endpoint -------------------------------------------


def test_route_registers_rule_and_endpoint_named_after_function(app):
    @app.route("/greet/<who>")
    def greet_someone(who):
        return f"hi {who}"

    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "greet_someone")
    assert rule.rule == "/greet/<who>"
    assert app.view_functions["greet_someone"] is greet_someone
    assert app.test_client().get("/greet/ada").data == b"hi ada"


def test_route_with_explicit_endpoint_and_methods(app):
    @app.route("/submit", endpoint="sink", methods=["post", "Put"])
    def receiver():
        return request.method

    client = app.test_client()
    assert "receiver" not in app.view_functions
    assert app.view_functions["sink"] is receiver
    assert client.post("/submit").data == b"POST"
    assert client.put("/submit").data == b"PUT"
    assert client.get("/submit").status_code == 405


def test_add_url_rule_without_decorator(app):
    def listing():
        return "listing"

    app.add_url_rule("/items", view_func=listing)
    app.add_url_rule("/things", "things_ep", listing)
    client = app.test_client()
    assert client.get("/items").data == b"listing"
    assert client.get("/things").data == b"listing"
    with app.test_request_context():
        assert url_for("things_ep") == "/things"
        assert url_for("listing") == "/items"


def test_add_url_rule_then_endpoint_decorator(app):
    app.add_url_rule("/late", endpoint="late_bound")

    @app.endpoint("late_bound")
    def whatever():
        return "bound later"

    assert app.test_client().get("/late").data == b"bound later"


def test_same_view_may_serve_several_rules(app):
    @app.route("/a")
    @app.route("/b")
    def shared():
        return request.path

    client = app.test_client()
    assert client.get("/a").data == b"/a"
    assert client.get("/b").data == b"/b"


def test_overwriting_an_endpoint_with_another_function_fails(app):
    @app.route("/one")
    def dup():
        return "one"

    def other():
        return "two"

    with pytest.raises(AssertionError, match="overwriting an existing endpoint function: dup"):
        app.add_url_rule("/two", "dup", other)


def test_methods_as_a_string_is_rejected(app):
    with pytest.raises(TypeError, match="list of strings"):
        app.add_url_rule("/x", "x", lambda: "x", methods="POST")


def test_add_url_rule_without_view_or_endpoint_asserts(app):
    with pytest.raises(AssertionError):
        app.add_url_rule("/nothing")


@pytest.mark.parametrize("verb", ["get", "post", "put", "delete", "patch"])
def test_method_shortcuts(app, verb):
    @getattr(app, verb)("/res")
    def resource():
        return f"{request.method} handled"

    client = app.test_client()
    response = client.open("/res", method=verb.upper())
    assert response.status_code == 200
    assert response.data == f"{verb.upper()} handled".encode()
    other = "post" if verb != "post" else "put"
    assert client.open("/res", method=other.upper()).status_code == 405


def test_method_shortcut_refuses_methods_argument(app):
    with pytest.raises(TypeError, match="Use the 'route' decorator"):
        app.get("/x", methods=["POST"])


def test_setup_after_first_request_is_refused(app):
    @app.route("/")
    def index():
        return "ok"

    app.test_client().get("/")
    with pytest.raises(AssertionError, match="add_url_rule"):
        app.add_url_rule("/later", "later", lambda: "late")
    with pytest.raises(AssertionError, match="before_request"):
        app.before_request(lambda: None)


# -- automatic OPTIONS and HEAD ------------------------------------------------


def test_automatic_options_lists_allowed_methods(app):
    @app.route("/doc", methods=["GET", "POST"])
    def doc():
        return "doc"

    response = app.test_client().options("/doc")
    assert response.status_code == 200
    assert response.data == b""
    assert set(response.allow) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_automatic_options_unions_methods_of_rules_sharing_a_path(app):
    app.add_url_rule("/multi", "reader", lambda: "r", methods=["GET"])
    app.add_url_rule("/multi", "writer", lambda: "w", methods=["DELETE"])
    response = app.test_client().options("/multi")
    assert set(response.allow) == {"GET", "HEAD", "DELETE", "OPTIONS"}


def test_explicit_options_method_is_handled_by_the_view(app):
    @app.route("/own", methods=["GET", "OPTIONS"])
    def own():
        if request.method == "OPTIONS":
            return "custom options", 200, {"Allow": "GET"}
        return "got"

    response = app.test_client().options("/own")
    assert response.data == b"custom options"
    assert response.headers["Allow"] == "GET"


def test_provide_automatic_options_false_argument(app):
    app.add_url_rule("/closed", "closed", lambda: "c", provide_automatic_options=False)
    client = app.test_client()
    assert client.options("/closed").status_code == 405
    assert client.get("/closed").status_code == 200


def test_provide_automatic_options_view_attribute(app):
    def quiet():
        return "quiet"

    quiet.provide_automatic_options = False
    app.add_url_rule("/quiet", view_func=quiet)

    def loud():
        return "loud"

    loud.provide_automatic_options = True
    loud.methods = ["GET", "OPTIONS"]
    app.add_url_rule("/loud", view_func=loud)

    client = app.test_client()
    assert client.options("/quiet").status_code == 405
    # With the attribute set, the app answers OPTIONS itself even though the view
    # lists it among its methods.
    response = client.options("/loud")
    assert response.status_code == 200
    assert response.data == b""
    assert "GET" in response.allow


def test_provide_automatic_options_config_off(tmp_path):
    app = Flask("no_options", root_path=str(tmp_path))
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.add_url_rule("/p", "p", lambda: "p")
    assert app.test_client().options("/p").status_code == 405


def test_view_methods_attribute_is_used_when_no_methods_given(app):
    def form_view():
        return request.method

    form_view.methods = ["PUT"]
    app.add_url_rule("/form", view_func=form_view)
    client = app.test_client()
    assert client.put("/form").data == b"PUT"
    assert client.get("/form").status_code == 405


def test_required_methods_are_always_added(app):
    def strict():
        return request.method

    strict.required_methods = ["PATCH"]
    app.add_url_rule("/strict", view_func=strict, methods=["GET"])
    client = app.test_client()
    assert client.patch("/strict").data == b"PATCH"
    assert client.get("/strict").data == b"GET"
    assert set(client.options("/strict").allow) == {"GET", "HEAD", "PATCH", "OPTIONS"}


def test_head_is_automatic_for_get_and_has_no_body(app):
    calls = []

    @app.route("/page")
    def page():
        calls.append(request.method)
        return "a body of twenty-two!"

    response = app.test_client().head("/page")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == str(len("a body of twenty-two!"))
    assert calls == ["HEAD"]


def test_wrong_method_gives_405_with_allow(app):
    app.add_url_rule("/only-post", "only_post", lambda: "x", methods=["POST"])
    response = app.test_client().get("/only-post")
    assert response.status_code == 405
    assert set(response.allow) == {"POST", "OPTIONS"}


def test_unknown_url_gives_404(app):
    assert app.test_client().get("/nowhere").status_code == 404


# -- converters ----------------------------------------------------------------


def test_builtin_converters(app):
    @app.route("/int/<int:n>")
    def as_int(n):
        return repr(n)

    @app.route("/float/<float:x>")
    def as_float(x):
        return repr(x)

    @app.route("/path/<path:rest>")
    def as_path(rest):
        return rest

    @app.route("/uuid/<uuid:key>")
    def as_uuid(key):
        return type(key).__name__ + ":" + str(key)

    @app.route("/any/<any(red, blue):colour>")
    def as_any(colour):
        return colour

    @app.route("/short/<string(length=3):code>")
    def as_code(code):
        return code

    client = app.test_client()
    assert client.get("/int/42").data == b"42"
    assert client.get("/int/4x2").status_code == 404
    assert client.get("/int/-3").status_code == 404
    assert client.get("/float/2.5").data == b"2.5"
    assert client.get("/path/a/b/c.txt").data == b"a/b/c.txt"
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert client.get(f"/uuid/{key}").data == f"UUID:{key}".encode()
    assert client.get("/uuid/not-a-uuid").status_code == 404
    assert client.get("/any/blue").data == b"blue"
    assert client.get("/any/green").status_code == 404
    assert client.get("/short/abc").data == b"abc"
    assert client.get("/short/abcd").status_code == 404


class CsvConverter(BaseConverter):
    """``a,b,c`` in the URL <-> ``["a", "b", "c"]`` in the view."""

    regex = r"[a-z]+(?:,[a-z]+)*"

    def to_python(self, value):
        return value.split(",")

    def to_url(self, value):
        return ",".join(BaseConverter.to_url(self, item) for item in value)


def test_custom_converter_round_trip(app):
    app.url_map.converters["csv"] = CsvConverter

    @app.route("/tags/<csv:names>")
    def tags(names):
        return f"{len(names)}|{'+'.join(names)}|{url_for('tags', names=names)}"

    client = app.test_client()
    assert client.get("/tags/red,green,blue").data == b"3|red+green+blue|/tags/red,green,blue"
    assert client.get("/tags/UPPER").status_code == 404


def test_converter_to_python_may_reject_with_validation_error(app):
    from werkzeug.routing import ValidationError

    class EvenConverter(BaseConverter):
        regex = r"\d+"

        def to_python(self, value):
            if int(value) % 2:
                raise ValidationError()
            return int(value)

    app.url_map.converters["even"] = EvenConverter
    app.add_url_rule("/even/<even:n>", "even", lambda n: str(n * 10))
    client = app.test_client()
    assert client.get("/even/4").data == b"40"
    assert client.get("/even/5").status_code == 404


# -- url map options -----------------------------------------------------------


def test_missing_trailing_slash_redirects_by_default(app):
    app.add_url_rule("/folder/", "folder", lambda: "in folder")
    app.add_url_rule("/file", "file", lambda: "a file")
    client = app.test_client()
    response = client.get("/folder")
    assert response.status_code == 308
    assert response.location.endswith("/folder/")
    assert client.get("/folder", follow_redirects=True).data == b"in folder"
    assert client.get("/file/").status_code == 404


def test_strict_slashes_off_on_url_map(app):
    app.url_map.strict_slashes = False
    app.add_url_rule("/folder/", "folder", lambda: "in folder")
    response = app.test_client().get("/folder")
    assert response.status_code == 200
    assert response.data == b"in folder"


def test_strict_slashes_off_per_rule(app):
    app.add_url_rule("/lenient/", "lenient", lambda: "ok", strict_slashes=False)
    app.add_url_rule("/stern/", "stern", lambda: "ok")
    client = app.test_client()
    assert client.get("/lenient").status_code == 200
    assert client.get("/stern").status_code == 308


def test_merge_slashes(app):
    app.add_url_rule("/a/b", "ab", lambda: "ab")
    client = app.test_client()
    response = client.get("/a//b")
    assert response.status_code == 308
    assert response.location.endswith("/a/b")


def test_merge_slashes_off(app):
    app.url_map.merge_slashes = False
    app.add_url_rule("/a/b", "ab", lambda: "ab")
    assert app.test_client().get("/a//b").status_code == 404


def test_redirect_rule_option(app):
    app.add_url_rule("/old", "old", redirect_to="/new")
    app.add_url_rule("/new", "new", lambda: "new place")
    response = app.test_client().get("/old")
    assert response.status_code == 308
    assert response.location.endswith("/new")


def test_rule_defaults_and_url_for(app):
    @app.route("/posts/", defaults={"page": 1})
    @app.route("/posts/page/<int:page>")
    def posts(page):
        return f"page {page}"

    client = app.test_client()
    assert client.get("/posts/").data == b"page 1"
    assert client.get("/posts/page/3").data == b"page 3"
    # The rule with the default redirects to the canonical URL.
    response = client.get("/posts/page/1")
    assert response.status_code == 308
    assert response.location.endswith("/posts/")


def test_url_rule_class_and_url_map_class_overrides(tmp_path):
    from werkzeug.routing import Map
    from werkzeug.routing import Rule

    class TaggedRule(Rule):
        tag = "tagged"

    class TaggedMap(Map):
        pass

    class App(Flask):
        url_rule_class = TaggedRule
        url_map_class = TaggedMap

    app = App("custom_map", root_path=str(tmp_path))
    app.add_url_rule("/t", "t", lambda: request.url_rule.tag)
    assert isinstance(app.url_map, TaggedMap)
    assert app.test_client().get("/t").data == b"tagged"


# -- static files --------------------------------------------------------------


def test_static_files_are_served(static_root):
    app = Flask("static_app", root_path=str(static_root))
    client = app.test_client()
    response = client.get("/static/note.txt")
    assert response.status_code == 200
    assert response.data == b"plain static note\n"
    assert response.mimetype == "text/plain"
    response.close()
    response = client.get("/static/sub/deep.css")
    assert response.data == b"body { color: teal; }"
    assert response.mimetype == "text/css"
    response.close()
    assert app.static_folder == os.path.join(str(static_root), "static")
    assert app.has_static_folder
    with app.test_request_context():
        assert url_for("static", filename="sub/deep.css") == "/static/sub/deep.css"


def test_static_missing_file_and_traversal_are_404(static_root):
    app = Flask("static_app", root_path=str(static_root))
    client = app.test_client()
    assert client.get("/static/absent.txt").status_code == 404
    assert client.get("/static/../secret.txt").status_code == 404
    assert client.get("/static/%2e%2e/secret.txt").status_code == 404
    assert client.get("/static/sub/../../secret.txt").status_code == 404


def test_static_conditional_request_gives_304(static_root):
    app = Flask("static_app", root_path=str(static_root))
    client = app.test_client()
    first = client.get("/static/note.txt")
    etag = first.headers["ETag"]
    first.close()
    second = client.get("/static/note.txt", headers={"If-None-Match": etag})
    assert second.status_code == 304
    assert second.data == b""


def test_static_max_age_from_config(static_root):
    from datetime import timedelta

    app = Flask("static_app", root_path=str(static_root))
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(minutes=2)
    response = app.test_client().get("/static/note.txt")
    assert response.cache_control.max_age == 120
    response.close()


def test_get_send_file_max_age_override_per_file(static_root):
    class App(Flask):
        def get_send_file_max_age(self, filename):
            return 7 if filename.endswith(".css") else 99

    app = App("static_app", root_path=str(static_root))
    client = app.test_client()
    css = client.get("/static/sub/deep.css")
    txt = client.get("/static/note.txt")
    assert css.cache_control.max_age == 7
    assert txt.cache_control.max_age == 99
    css.close()
    txt.close()


def test_static_url_path(static_root):
    app = Flask("static_app", root_path=str(static_root), static_url_path="/assets/")
    client = app.test_client()
    assert app.static_url_path == "/assets"
    response = client.get("/assets/note.txt")
    assert response.data == b"plain static note\n"
    response.close()
    assert client.get("/static/note.txt").status_code == 404
    with app.test_request_context():
        assert url_for("static", filename="note.txt") == "/assets/note.txt"


def test_static_url_path_empty_serves_from_root(static_root):
    app = Flask("static_app", root_path=str(static_root), static_url_path="")
    response = app.test_client().get("/note.txt")
    assert response.data == b"plain static note\n"
    response.close()


def test_static_url_path_defaults_to_folder_name(tmp_path):
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "x.txt").write_text("x")
    app = Flask("static_app", root_path=str(tmp_path), static_folder="public/")
    assert app.static_url_path == "/public"
    response = app.test_client().get("/public/x.txt")
    assert response.data == b"x"
    response.close()


def test_static_folder_none_disables_static_route(static_root):
    app = Flask("static_app", root_path=str(static_root), static_folder=None)
    assert not app.has_static_folder
    assert app.static_url_path is None
    assert "static" not in app.view_functions
    assert [r.endpoint for r in app.url_map.iter_rules()] == []
    assert app.test_client().get("/static/note.txt").status_code == 404
    with pytest.raises(RuntimeError, match="static_folder"), app.test_request_context():
        app.send_static_file("note.txt")


def test_static_host_with_host_matching(static_root):
    app = Flask(
        "static_app",
        root_path=str(static_root),
        static_host="cdn.example.test",
        host_matching=True,
    )
    app.add_url_rule("/", "home", lambda: "home", host="www.example.test")
    client = app.test_client()
    response = client.get("/static/note.txt", base_url="http://cdn.example.test")
    assert response.data == b"plain static note\n"
    response.close()
    assert client.get("/static/note.txt", base_url="http://www.example.test").status_code == 404
    assert client.get("/", base_url="http://www.example.test").data == b"home"
    with app.test_request_context(base_url="http://www.example.test"):
        assert url_for("static", filename="note.txt") == "http://cdn.example.test/static/note.txt"


def test_static_host_requires_host_matching_and_vice_versa(static_root):
    with pytest.raises(AssertionError, match="static_host"):
        Flask("static_app", root_path=str(static_root), static_host="cdn.example.test")
    with pytest.raises(AssertionError, match="static_host"):
        Flask("static_app", root_path=str(static_root), host_matching=True)
    # Without a static folder there is no static route, so no static host is needed.
    app = Flask("static_app", root_path=str(static_root), host_matching=True, static_folder=None)
    assert app.url_map.host_matching


# -- subdomains ----------------------------------------------------------------


def test_subdomain_matching(app):
    app.subdomain_matching = True
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/", subdomain="api")
    def api_root():
        return "api"

    @app.route("/")
    def www_root():
        return "main"

    @app.route("/u", subdomain="<user>")
    def user_page(user):
        return f"user {user}"

    client = app.test_client()
    assert client.get("/", base_url="http://api.example.test").data == b"api"
    assert client.get("/", base_url="http://example.test").data == b"main"
    assert client.get("/u", base_url="http://bob.example.test").data == b"user bob"
    with app.test_request_context(base_url="http://example.test"):
        assert url_for("user_page", user="eve") == "http://eve.example.test/u"


def test_subdomain_rules_do_not_match_without_subdomain_matching(app):
    app.config["SERVER_NAME"] = "example.test"
    app.add_url_rule("/", "api_root", lambda: "api", subdomain="api")
    app.add_url_rule("/plain", "plain", lambda: "plain")
    client = app.test_client()
    assert client.get("/", base_url="http://api.example.test").status_code == 404
    # Requests are matched as the default subdomain whatever the host.
    assert client.get("/plain", base_url="http://api.example.test").data == b"plain"


def test_host_outside_server_name_warns_and_misses_with_subdomain_matching(app):
    app.subdomain_matching = True
    app.config["SERVER_NAME"] = "example.test"
    app.add_url_rule("/", "root", lambda: "root")
    with pytest.warns(UserWarning, match="doesn't match configured server name"):
        response = app.test_client().get("/", base_url="http://other.invalid")
    assert response.status_code == 404


# -- resources and the instance folder -----------------------------------------


def test_open_resource_text_and_binary(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "words.txt").write_bytes("café\n".encode())
    app = Flask("res_app", root_path=str(tmp_path))
    with app.open_resource("data/words.txt") as f:
        assert f.read() == "café\n".encode()
    with app.open_resource("data/words.txt", "r", encoding="utf-8") as f:
        assert f.read() == "café\n"
    with app.open_resource("data/words.txt", "rt", encoding="latin-1") as f:
        assert f.read() == "cafÃ©\n"


@pytest.mark.parametrize("mode", ["w", "wb", "a", "r+", "x"])
def test_open_resource_refuses_writing(tmp_path, mode):
    (tmp_path / "f.txt").write_text("keep me")
    app = Flask("res_app", root_path=str(tmp_path))
    with pytest.raises(ValueError, match="only be opened for reading"):
        app.open_resource("f.txt", mode)
    assert (tmp_path / "f.txt").read_text() == "keep me"


def test_open_instance_resource_reads_and_writes(tmp_path):
    instance = tmp_path / "inst"
    instance.mkdir()
    app = Flask("res_app", root_path=str(tmp_path), instance_path=str(instance))
    with app.open_instance_resource("state.txt", "w") as f:
        f.write("größe")
    assert (instance / "state.txt").read_text(encoding="utf-8") == "größe"
    with app.open_instance_resource("state.txt") as f:
        assert f.read() == "größe".encode()
    with app.open_instance_resource("state.txt", "r") as f:
        assert f.read() == "größe"


def test_instance_path_must_be_absolute(tmp_path):
    with pytest.raises(ValueError, match="must be absolute"):
        Flask("res_app", root_path=str(tmp_path), instance_path="relative/inst")


def test_instance_path_explicit_and_instance_relative_config(tmp_path):
    instance = tmp_path / "elsewhere"
    instance.mkdir()
    (instance / "settings.py").write_text("GREETING = 'from instance'\n")
    app = Flask(
        "res_app",
        root_path=str(tmp_path),
        instance_path=str(instance),
        instance_relative_config=True,
    )
    assert app.instance_path == str(instance)
    assert app.config.root_path == str(instance)
    app.config.from_pyfile("settings.py")
    assert app.config["GREETING"] == "from instance"


def test_default_instance_path_is_beside_an_uninstalled_module():
    app = Flask(__name__)
    assert app.root_path == HERE
    assert app.instance_path == os.path.join(HERE, "instance")
    # Nothing is created on disk just by making the app.
    assert app.config.root_path == HERE
