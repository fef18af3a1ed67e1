"""Building URLs with url_for, inside and outside requests."""

from __future__ import annotations

import pytest
from werkzeug.routing import BuildError

from sitec.runtime import Blueprint
from sitec.runtime import Flask
from sitec.runtime import g
from sitec.runtime import url_for


@pytest.fixture
def app(tmp_path):
    app = Flask("urls_app", root_path=str(tmp_path), static_folder=None)

    @app.route("/")
    def home():
        return "home"

    @app.route("/user/<name>")
    def profile(name):
        return name

    @app.route("/article/<int:year>/<slug>")
    def article(year, slug):
        return slug

    return app


# -- inside a request ----------------------------------------------------------


def test_relative_urls_inside_request(app):
    with app.test_request_context():
        assert url_for("home") == "/"
        assert url_for("profile", name="ann") == "/user/ann"
        assert url_for("article", year=2024, slug="hello") == "/article/2024/hello"


def test_unknown_values_become_query_string(app):
    with app.test_request_context():
        assert url_for("profile", name="ann", tab="posts", n=2) == "/user/ann?tab=posts&n=2"
        assert url_for("home", q=["a", "b"]) == "/?q=a&q=b"


def test_values_are_quoted(app):
    with app.test_request_context():
        assert url_for("profile", name="a b?c#d") == "/user/a%20b%3Fc%23d"
        assert url_for("home", q="x&y=z") == "/?q=x%26y%3Dz"


def test_external_inside_request_uses_request_host(app):
    with app.test_request_context(base_url="https://shop.example.test:8443"):
        assert url_for("profile", name="x", _external=True) == (
            "https://shop.example.test:8443/user/x"
        )


def test_script_root_of_request_is_prefixed(app):
    with app.test_request_context("/", base_url="http://h.test/mounted/app"):
        assert url_for("home") == "/mounted/app/"
        assert url_for("profile", name="n", _external=True) == "http://h.test/mounted/app/user/n"


def test_scheme_requires_external(app):
    with app.test_request_context():
        assert url_for("home", _scheme="https") == "https://localhost/"
    with app.test_request_context(base_url="https://secure.test"):
        assert url_for("home", _scheme="http", _external=True) == "http://secure.test/"
        with pytest.raises(ValueError, match="_external"):
            url_for("home", _scheme="https", _external=False)


def test_anchor(app):
    with app.test_request_context():
        assert url_for("home", _anchor="top") == "/#top"
        assert url_for("profile", name="z", _anchor="a b&c") == "/user/z#a%20b&c"
        assert url_for("home", page=2, _anchor="x/y?") == "/?page=2#x/y?"


def test_method_selects_rule(app):
    def items():
        return "items"

    app.add_url_rule("/items", "items", items, methods=["GET"])
    app.add_url_rule("/items/new", "items", items, methods=["POST"])
    with app.test_request_context():
        assert url_for("items") == "/items"
        assert url_for("items", _method="GET") == "/items"
        assert url_for("items", _method="POST") == "/items/new"


def test_missing_value_raises_build_error(app):
    with app.test_request_context():
        with pytest.raises(BuildError):
            url_for("profile")
        with pytest.raises(BuildError):
            url_for("no_such_endpoint")
        with pytest.raises(BuildError):
            url_for("home", _method="POST")


def test_url_for_in_view_and_template(app):
    @app.route("/links")
    def links():
        from sitec.runtime import render_template_string

        return render_template_string("{{ url_for('profile', name=who) }}", who="tpl")

    assert app.test_client().get("/links").data == b"/user/tpl"


# -- outside a request ---------------------------------------------------------


def test_outside_request_without_server_name_fails(app):
    with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("home")
    with pytest.raises(RuntimeError, match="application context"):
        url_for("home")


def test_outside_request_with_server_name_is_external(app):
    app.config["SERVER_NAME"] = "api.example.test"
    with app.app_context():
        assert url_for("profile", name="q") == "http://api.example.test/user/q"
        assert url_for("profile", name="q", _external=False) == "/user/q"


def test_outside_request_application_root_and_scheme(app):
    app.config.update(
        SERVER_NAME="example.test:8080",
        APPLICATION_ROOT="/portal",
        PREFERRED_URL_SCHEME="https",
    )
    with app.app_context():
        assert url_for("home") == "https://example.test:8080/portal/"
        assert url_for("profile", name="r", _external=False) == "/portal/user/r"
        assert url_for("home", _scheme="http") == "http://example.test:8080/portal/"


def test_app_url_for_without_app_context(app):
    app.config["SERVER_NAME"] = "plain.test"
    assert app.url_for("profile", name="s") == "http://plain.test/user/s"


def test_preferred_url_scheme_not_used_inside_request(app):
    app.config["PREFERRED_URL_SCHEME"] = "https"
    with app.test_request_context(base_url="http://real.test"):
        assert url_for("home", _external=True) == "http://real.test/"


def test_server_name_inside_request(app):
    app.config["SERVER_NAME"] = "configured.test"
    app.subdomain_matching = True
    with app.test_request_context(base_url="http://configured.test"):
        assert url_for("home", _external=True) == "http://configured.test/"


# -- blueprints ----------------------------------------------------------------


@pytest.fixture
def bp_app(app):
    admin = Blueprint("admin", __name__, url_prefix="/admin")

    @admin.route("/")
    def home():
        return url_for(".home") + " " + url_for("home") + " " + url_for(".users", page=2)

    @admin.route("/users")
    def users():
        return url_for("admin.home")

    reports = Blueprint("reports", __name__, url_prefix="/reports")

    @reports.route("/latest")
    def latest():
        return url_for(".latest") + " " + url_for("admin.reports.latest")

    admin.register_blueprint(reports)
    app.register_blueprint(admin)
    return app


def test_dot_prefixed_endpoint_is_blueprint_relative(bp_app):
    client = bp_app.test_client()
    assert client.get("/admin/").data == b"/admin/ / /admin/users?page=2"
    assert client.get("/admin/users").data == b"/admin/"
    assert client.get("/admin/reports/latest").data == (
        b"/admin/reports/latest /admin/reports/latest"
    )


def test_dot_prefixed_endpoint_outside_blueprint_means_app(bp_app):
    with bp_app.test_request_context("/"):
        assert url_for(".profile", name="dot") == "/user/dot"


# -- url_defaults --------------------------------------------------------------


def test_app_url_defaults_fill_values(app):
    @app.route("/<lang>/about")
    def about(lang):
        return lang

    @app.url_defaults
    def default_lang(endpoint, values):
        if endpoint == "about":
            values.setdefault("lang", g.get("lang", "en"))

    with app.test_request_context():
        assert url_for("about") == "/en/about"
        g.lang = "nl"
        assert url_for("about") == "/nl/about"
        assert url_for("about", lang="sv") == "/sv/about"
        # Other endpoints are left alone.
        assert url_for("home") == "/"


def test_blueprint_url_defaults_only_for_its_endpoints(app):
    bp = Blueprint("shop", __name__, url_prefix="/<region>/shop")
    seen = []

    @bp.url_defaults
    def region(endpoint, values):
        seen.append(endpoint)
        values.setdefault("region", "eu")

    bp.add_url_rule("/cart", "cart", lambda region: region)
    app.register_blueprint(bp)
    with app.test_request_context():
        assert url_for("shop.cart") == "/eu/shop/cart"
        assert url_for("home") == "/"
    assert seen == ["shop.cart"]


def test_url_defaults_app_runs_before_blueprint(app):
    order = []
    bp = Blueprint("bp", __name__)
    bp.url_defaults(lambda endpoint, values: order.append("bp"))
    app.url_defaults(lambda endpoint, values: order.append("app"))
    bp.add_url_rule("/b", "b", lambda: "b")
    app.register_blueprint(bp)
    with app.test_request_context():
        url_for("bp.b")
    assert order == ["app", "bp"]


# -- build errors --------------------------------------------------------------


def test_url_build_error_handler_supplies_url(app):
    calls = []

    def fallback(error, endpoint, values):
        calls.append((type(error), endpoint, dict(values)))
        if endpoint.startswith("ext."):
            return f"https://external.test/{endpoint[4:]}"
        return None

    app.url_build_error_handlers.append(fallback)
    with app.test_request_context():
        assert url_for("ext.docs", v=1, _anchor="a") == "https://external.test/docs"
        with pytest.raises(BuildError):
            url_for("other.thing")
    assert calls[0][0] is BuildError
    assert calls[0][1] == "ext.docs"
    assert calls[0][2]["v"] == 1
    assert calls[0][2]["_anchor"] == "a"
    assert calls[0][2]["_external"] is False


def test_url_build_error_handlers_tried_in_order(app):
    app.url_build_error_handlers.extend(
        [
            lambda error, endpoint, values: None,
            lambda error, endpoint, values: "/second-handler",
            lambda error, endpoint, values: "/never-reached",
        ]
    )
    with app.test_request_context():
        assert url_for("missing") == "/second-handler"


def test_url_build_error_handler_may_raise_its_own_build_error(app):
    def stricter(error, endpoint, values):
        raise BuildError(endpoint, values, "GET")

    app.url_build_error_handlers.append(stricter)
    with app.test_request_context(), pytest.raises(BuildError) as info:
        url_for("nothing_here")
    assert info.value.method == "GET"


def test_handle_url_build_error_override(tmp_path):
    class App(Flask):
        def handle_url_build_error(self, error, endpoint, values):
            return f"/fallback/{endpoint}"

    app = App("override", root_path=str(tmp_path))
    with app.test_request_context():
        assert url_for("anything") == "/fallback/anything"
