"""Blueprints: registration options, nesting, files, app-wide registrations, deferred setup."""

from __future__ import annotations

import pytest

from sitec.runtime import Blueprint
from sitec.runtime import Flask
from sitec.runtime import render_template
from sitec.runtime import render_template_string
from sitec.runtime import request
from sitec.runtime import url_for
from sitec.runtime.blueprints import BlueprintSetupState


@pytest.fixture
def app(tmp_path):
    app = Flask("bp_app", root_path=str(tmp_path))
    app.testing = True
    return app


def make_bp(name="news", **kwargs):
    bp = Blueprint(name, __name__, **kwargs)

    @bp.route("/")
    def index():
        return f"{request.blueprint}:index"

    @bp.route("/item/<int:n>")
    def item(n):
        return f"{request.endpoint}:{n}"

    return bp


# -- basic registration --------------------------------------------------------


def test_endpoints_are_prefixed_with_blueprint_name(app):
    app.register_blueprint(make_bp())
    client = app.test_client()
    assert client.get("/").data == b"news:index"
    assert client.get("/item/4").data == b"news.item:4"
    assert app.blueprints["news"] is not None
    assert set(app.view_functions) >= {"news.index", "news.item"}
    assert list(app.iter_blueprints())[0].name == "news"


def test_url_prefix_from_constructor_and_option(app):
    bp = make_bp(url_prefix="/news")
    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix="/archive/", name="archive")
    client = app.test_client()
    assert client.get("/news/item/1").data == b"news.item:1"
    assert client.get("/archive/item/2").data == b"archive.item:2"
    assert client.get("/archive/").data == b"archive:index"
    assert client.get("/item/1").status_code == 404


def test_url_prefix_slashes_are_joined_cleanly(app):
    bp = Blueprint("slashy", __name__, url_prefix="/pre/")
    bp.add_url_rule("/x", "x", lambda: "x")
    bp.add_url_rule("", "bare", lambda: "bare")
    app.register_blueprint(bp)
    rules = {r.endpoint: r.rule for r in app.url_map.iter_rules()}
    assert rules["slashy.x"] == "/pre/x"
    assert rules["slashy.bare"] == "/pre/"


def test_registering_same_name_twice_fails(app):
    bp = make_bp()
    app.register_blueprint(bp)
    with pytest.raises(ValueError, match="already registered for this blueprint"):
        app.register_blueprint(bp)
    with pytest.raises(ValueError, match="different blueprint"):
        app.register_blueprint(make_bp())


def test_same_blueprint_twice_with_name(app):
    bp = make_bp()
    app.register_blueprint(bp, url_prefix="/a")
    app.register_blueprint(bp, url_prefix="/b", name="news_b")
    client = app.test_client()
    assert client.get("/a/").data == b"news:index"
    assert client.get("/b/").data == b"news_b:index"
    with app.test_request_context():
        assert url_for("news.item", n=3) == "/a/item/3"
        assert url_for("news_b.item", n=3) == "/b/item/3"


@pytest.mark.parametrize("name", ["", "a.b"])
def test_invalid_blueprint_names(name):
    with pytest.raises(ValueError):
        Blueprint(name, __name__)


def test_dotted_endpoint_or_view_name_rejected():
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="endpoint"):
        bp.add_url_rule("/", "a.b", lambda: "")

    def view():
        return ""

    view.__name__ = "has.dot"
    with pytest.raises(ValueError, match="view_func"):
        bp.add_url_rule("/", view_func=view)


def test_blueprint_cannot_register_itself():
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="itself"):
        bp.register_blueprint(bp)


def test_setup_after_registration_fails(app):
    bp = make_bp()
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="already been registered"):
        bp.add_url_rule("/late", "late", lambda: "late")


def test_rule_options_pass_through(app):
    bp = Blueprint("api", __name__, url_prefix="/api")
    bp.add_url_rule("/thing", "thing", lambda: request.method, methods=["PUT"])
    bp.add_url_rule("/opt", "opt", lambda: "o", provide_automatic_options=False)
    app.register_blueprint(bp)
    client = app.test_client()
    assert client.put("/api/thing").data == b"PUT"
    assert client.get("/api/thing").status_code == 405
    assert client.options("/api/opt").status_code == 405


# -- url_defaults --------------------------------------------------------------


def test_blueprint_url_defaults(app):
    bp = Blueprint("pages", __name__, url_defaults={"size": "m"})

    @bp.route("/shirt")
    def shirt(size):
        return size

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="kids", url_prefix="/kids", url_defaults={"size": "s"})
    client = app.test_client()
    assert client.get("/shirt").data == b"m"
    assert client.get("/kids/shirt").data == b"s"


def test_rule_defaults_win_over_blueprint_url_defaults(app):
    bp = Blueprint("d", __name__, url_defaults={"a": 1, "b": 2})
    bp.add_url_rule("/d", "d", lambda a, b: f"{a}{b}", defaults={"b": 9})
    app.register_blueprint(bp)
    assert app.test_client().get("/d").data == b"19"


# -- subdomains ----------------------------------------------------------------


def test_blueprint_subdomain(app):
    app.config["SERVER_NAME"] = "site.test"
    app.subdomain_matching = True
    bp = Blueprint("api", __name__, subdomain="api")
    bp.add_url_rule("/", "root", lambda: "api root")
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="beta", subdomain="beta")
    app.add_url_rule("/", "home", lambda: "home")
    client = app.test_client()
    assert client.get("/", base_url="http://api.site.test").data == b"api root"
    assert client.get("/", base_url="http://beta.site.test").data == b"api root"
    assert client.get("/", base_url="http://site.test").data == b"home"
    with app.app_context():
        assert url_for("api.root") == "http://api.site.test/"
        assert url_for("beta.root") == "http://beta.site.test/"


def test_rule_subdomain_overrides_blueprint_subdomain(app):
    app.config["SERVER_NAME"] = "site.test"
    app.subdomain_matching = True
    bp = Blueprint("mixed", __name__, subdomain="api")
    bp.add_url_rule("/", "own", lambda: "own", subdomain="docs")
    app.register_blueprint(bp)
    assert app.test_client().get("/", base_url="http://docs.site.test").data == b"own"


# -- nesting -------------------------------------------------------------------


def test_nested_blueprints_prefixes_and_names(app):
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    grandchild = Blueprint("grandchild", __name__)

    @grandchild.route("/gc")
    def gc():
        return f"{request.endpoint}|{url_for('.gc')}|{request.blueprints}"

    child.register_blueprint(grandchild, url_prefix="/grand")
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    response = app.test_client().get("/parent/child/grand/gc")
    assert response.data == (
        b"parent.child.grandchild.gc|/parent/child/grand/gc|"
        b"['parent.child.grandchild', 'parent.child', 'parent']"
    )
    assert set(app.blueprints) == {"parent", "parent.child", "parent.child.grandchild"}


def test_nested_blueprint_registered_twice_under_different_parents(app):
    shared = Blueprint("shared", __name__)
    shared.add_url_rule("/s", "s", lambda: request.endpoint)
    left = Blueprint("left", __name__, url_prefix="/l")
    right = Blueprint("right", __name__, url_prefix="/r")
    left.register_blueprint(shared)
    right.register_blueprint(shared)
    app.register_blueprint(left)
    app.register_blueprint(right)
    client = app.test_client()
    assert client.get("/l/s").data == b"left.shared.s"
    assert client.get("/r/s").data == b"right.shared.s"


def test_nested_subdomains_are_joined(app):
    app.config["SERVER_NAME"] = "site.test"
    app.subdomain_matching = True
    parent = Blueprint("parent", __name__, subdomain="eu")
    child = Blueprint("child", __name__, subdomain="shop")
    child.add_url_rule("/", "c", lambda: "child")
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert app.test_client().get("/", base_url="http://shop.eu.site.test").data == b"child"


def test_nested_prefix_override_at_registration(app):
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c")
    child.add_url_rule("/x", "x", lambda: "x")
    parent.register_blueprint(child, url_prefix="/override")
    app.register_blueprint(parent, url_prefix="/top")
    assert app.test_client().get("/top/override/x").data == b"x"


# -- static and template folders -----------------------------------------------


@pytest.fixture
def bp_files(tmp_path):
    root = tmp_path / "bp_pkg"
    (root / "assets").mkdir(parents=True)
    (root / "assets" / "bp.js").write_text("console.log('bp')")
    (root / "tmpl").mkdir()
    (root / "tmpl" / "bp_only.html").write_text("blueprint {{ word }}")
    (root / "tmpl" / "shadowed.html").write_text("from blueprint")
    app_templates = tmp_path / "templates"
    app_templates.mkdir()
    (app_templates / "shadowed.html").write_text("from app")
    return root


def test_blueprint_static_folder(app, bp_files):
    bp = Blueprint(
        "widgets",
        __name__,
        root_path=str(bp_files),
        static_folder="assets",
        url_prefix="/widgets",
    )
    app.register_blueprint(bp)
    response = app.test_client().get("/widgets/assets/bp.js")
    assert response.status_code == 200
    assert response.data == b"console.log('bp')"
    response.close()
    with app.test_request_context():
        assert url_for("widgets.static", filename="bp.js") == "/widgets/assets/bp.js"


def test_blueprint_static_url_path(app, bp_files):
    bp = Blueprint(
        "widgets",
        __name__,
        root_path=str(bp_files),
        static_folder="assets",
        static_url_path="/w-static",
    )
    app.register_blueprint(bp, url_prefix="/w")
    response = app.test_client().get("/w/w-static/bp.js")
    assert response.data == b"console.log('bp')"
    response.close()


def test_blueprint_without_static_folder_has_no_static_route(app):
    app.register_blueprint(Blueprint("plain", __name__))
    assert "plain.static" not in app.view_functions


def test_blueprint_template_folder_is_searched_after_app(app, bp_files):
    bp = Blueprint("themed", __name__, root_path=str(bp_files), template_folder="tmpl")

    @bp.route("/only")
    def only():
        return render_template("bp_only.html", word="words")

    @bp.route("/shadow")
    def shadow():
        return render_template("shadowed.html")

    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/only").data == b"blueprint words"
    assert client.get("/shadow").data == b"from app"


# -- app-wide registrations ----------------------------------------------------


def test_app_template_helpers(app):
    bp = Blueprint("helpers", __name__)

    @bp.app_template_filter()
    def shout(value):
        return value.upper()

    @bp.app_template_filter("whisper")
    def lower_it(value):
        return value.lower()

    @bp.app_template_test()
    def even(n):
        return n % 2 == 0

    @bp.app_template_global()
    def site_name():
        return "Example"

    bp.add_app_template_global(lambda: 42, name="answer")

    @bp.app_context_processor
    def extra():
        return {"injected": "ctx"}

    app.register_blueprint(bp)
    with app.test_request_context():
        rendered = render_template_string(
            "{{ 'a'|shout }} {{ 'B'|whisper }} {{ 4 is even }} {{ 3 is even }}"
            " {{ site_name() }} {{ answer() }} {{ injected }}"
        )
    assert rendered == "A b True False Example 42 ctx"


def test_scoped_context_processor_only_in_blueprint(app):
    bp = Blueprint("scoped", __name__)
    bp.context_processor(lambda: {"who": "blueprint"})
    bp.add_url_rule("/in", "in_bp", lambda: render_template_string("{{ who|default('none') }}"))
    app.add_url_rule("/out", "out", lambda: render_template_string("{{ who|default('none') }}"))
    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/in").data == b"blueprint"
    assert client.get("/out").data == b"none"


def test_app_registrations_happen_once_per_app(app):
    calls = []
    bp = Blueprint("once", __name__)

    @bp.before_app_request
    def count():
        calls.append(request.path)

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again", url_prefix="/again")
    app.add_url_rule("/", "i", lambda: "i")
    app.test_client().get("/")
    assert calls == ["/"]


def test_app_url_defaults_from_blueprint(app):
    bp = Blueprint("locale", __name__)

    @bp.app_url_defaults
    def lang(endpoint, values):
        values.setdefault("lang", "pt")

    app.add_url_rule("/<lang>/", "home", lambda lang: lang)
    app.register_blueprint(bp)
    with app.test_request_context():
        assert url_for("home") == "/pt/"


# -- record / record_once / BlueprintSetupState --------------------------------


def test_record_runs_for_every_registration(app):
    states = []
    bp = Blueprint("rec", __name__, url_prefix="/rec", subdomain=None)
    bp.record(lambda state: states.append(state))
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="rec2", url_prefix="/rec2", url_defaults={"k": 1}, extra="x")
    assert len(states) == 2
    first, second = states
    assert all(isinstance(s, BlueprintSetupState) for s in states)
    assert first.app is app and first.blueprint is bp
    assert (first.name, first.url_prefix, first.first_registration) == ("rec", "/rec", True)
    assert (second.name, second.url_prefix, second.first_registration) == ("rec2", "/rec2", False)
    assert second.url_defaults == {"k": 1}
    assert second.options["extra"] == "x"


def test_record_once_runs_once_per_app(tmp_path):
    seen = []
    bp = Blueprint("once", __name__)
    bp.record_once(lambda state: seen.append(state.app.name))
    one = Flask("one", root_path=str(tmp_path))
    two = Flask("two", root_path=str(tmp_path))
    one.register_blueprint(bp)
    one.register_blueprint(bp, name="once_again")
    two.register_blueprint(bp)
    assert seen == ["one", "two"]


def test_setup_state_add_url_rule_applies_registration(app):
    bp = Blueprint("st", __name__, url_prefix="/st", url_defaults={"flavour": "plain"})

    @bp.record
    def add_rule(state):
        state.add_url_rule("/dyn", "dyn", lambda flavour: f"{state.name}:{flavour}")

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="st2", url_prefix="/st2", url_defaults={"flavour": "hot"})
    client = app.test_client()
    assert client.get("/st/dyn").data == b"st:plain"
    assert client.get("/st2/dyn").data == b"st2:hot"


def test_make_setup_state_override(app):
    class TracingState(BlueprintSetupState):
        def add_url_rule(self, rule, endpoint=None, view_func=None, **options):
            super().add_url_rule(rule + "-traced", endpoint, view_func, **options)

    class TracingBlueprint(Blueprint):
        def make_setup_state(self, app, options, first_registration=False):
            return TracingState(self, app, options, first_registration)

    bp = TracingBlueprint("tr", __name__)
    bp.add_url_rule("/t", "t", lambda: "traced")
    app.register_blueprint(bp)
    assert app.test_client().get("/t-traced").data == b"traced"


def test_blueprint_view_functions_and_error_handlers_copied(app):
    bp = Blueprint("copy", __name__)

    @bp.route("/v")
    def v():
        raise KeyError("x")

    bp.register_error_handler(KeyError, lambda e: "bp handled")
    app.register_blueprint(bp)
    assert app.view_functions["copy.v"] is v
    assert KeyError in app.error_handler_spec["copy"][None]
    assert app.test_client().get("/v").data == b"bp handled"
