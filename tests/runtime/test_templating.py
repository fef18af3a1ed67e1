"""Templating: the app's Jinja environment, the loader over the app's and the
blueprints' template folders, autoescaping, the render/stream functions,
context processors and template filters, tests and globals."""

from __future__ import annotations

import logging
import os
import typing as t
from pathlib import Path

import pytest
from jinja2 import BaseLoader
from jinja2 import ChoiceLoader
from jinja2 import DictLoader
from jinja2 import TemplateNotFound
from jinja2 import TemplateSyntaxError
from markupsafe import Markup

from sitec.runtime import Blueprint
from sitec.runtime import Flask
from sitec.runtime import Response
from sitec.runtime import flash
from sitec.runtime import g
from sitec.runtime import get_template_attribute
from sitec.runtime import render_template
from sitec.runtime import render_template_string
from sitec.runtime import request
from sitec.runtime import session
from sitec.runtime import stream_template
from sitec.runtime import stream_template_string
from sitec.runtime import stream_with_context
from sitec.runtime.templating import DispatchingJinjaLoader
from sitec.runtime.templating import Environment


def write(root: Path, relpath: str, text: str) -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A root folder with app templates and two blueprint template folders.

    ``shared.txt`` exists in all three folders and ``both_bps.txt`` in both
    blueprint folders, to show which folder wins.
    """
    write(tmp_path, "templates/greet.html", "<p>Hello {{ who }}!</p>")
    write(tmp_path, "templates/plain.txt", "Hello {{ who }}!")
    write(tmp_path, "templates/shared.txt", "from app")
    write(tmp_path, "pets/tpl/shared.txt", "from pets")
    write(tmp_path, "pets/tpl/both_bps.txt", "from pets")
    write(tmp_path, "pets/tpl/pets/only_pets.txt", "pets: {{ n }}")
    write(tmp_path, "shop/tpl/shared.txt", "from shop")
    write(tmp_path, "shop/tpl/both_bps.txt", "from shop")
    return tmp_path


def make_app(root: Path, name: str = "tplsite", **kwargs: t.Any) -> Flask:
    app = Flask(name, root_path=str(root), **kwargs)
    app.testing = True
    return app


def with_blueprints(app: Flask, root: Path) -> tuple[Blueprint, Blueprint]:
    pets = Blueprint("pets", "pets_mod", root_path=str(root / "pets"), template_folder="tpl")
    shop = Blueprint("shop", "shop_mod", root_path=str(root / "shop"), template_folder="tpl")
    app.register_blueprint(pets, url_prefix="/pets")
    app.register_blueprint(shop, url_prefix="/shop")
    return pets, shop


# -- the environment -----------------------------------------------------------


def test_jinja_env_is_app_bound_created_once_and_has_default_globals(site: Path) -> None:
    app = make_app(site)
    env = app.jinja_env
    assert isinstance(env, Environment)
    assert env is app.jinja_env
    assert env.app is app
    assert isinstance(env.loader, DispatchingJinjaLoader)
    for name in ("url_for", "get_flashed_messages", "config", "request", "session", "g"):
        assert name in env.globals
    assert env.globals["config"] is app.config


def test_jinja_options_of_a_subclass_reach_the_environment(tmp_path: Path) -> None:
    class LineStatementApp(Flask):
        jinja_options = {"line_statement_prefix": "%%", "trim_blocks": True}

    app = LineStatementApp("linestmt", root_path=str(tmp_path))
    assert app.jinja_env.line_statement_prefix == "%%"
    source = "%% for n in nums\n[{{ n }}]\n%% endfor\n"
    with app.app_context():
        assert render_template_string(source, nums=[3, 1]) == "[3]\n[1]\n"
    # The default autoescape selection is still installed next to the options.
    assert app.jinja_env.autoescape == app.select_jinja_autoescape


def test_jinja_options_can_replace_autoescape(tmp_path: Path) -> None:
    class NoEscapeApp(Flask):
        jinja_options = {"autoescape": False}

    app = NoEscapeApp("noescape", root_path=str(tmp_path))
    with app.app_context():
        assert render_template_string("{{ v }}", v="<b>") == "<b>"


# -- the dispatching loader ------------------------------------------------------


def test_a_subclass_can_replace_the_global_loader(site: Path) -> None:
    """Templates from a database, a theme folder, ...: ``create_global_jinja_loader``
    decides where every template comes from, blueprints' folders included."""

    class ThemedApp(Flask):
        def create_global_jinja_loader(self) -> BaseLoader:
            theme = DictLoader({"greet.html": "<b>Themed {{ who }}</b>"})
            return ChoiceLoader([theme, super().create_global_jinja_loader()])

    app = ThemedApp("themed", root_path=str(site))
    with_blueprints(app, site)
    with app.app_context():
        assert render_template("greet.html", who="you") == "<b>Themed you</b>"
        assert render_template("plain.txt", who="you") == "Hello you!"  # the app's folder
        assert render_template("pets/only_pets.txt", n=3) == "pets: 3"  # a blueprint's


def test_loader_finds_app_and_blueprint_templates(site: Path) -> None:
    app = make_app(site)
    with_blueprints(app, site)
    with app.app_context():
        assert render_template("greet.html", who="Ann") == "<p>Hello Ann!</p>"
        assert render_template("pets/only_pets.txt", n=4) == "pets: 4"
    names = app.jinja_env.list_templates()
    assert {"greet.html", "plain.txt", "pets/only_pets.txt", "both_bps.txt"} <= set(names)
    assert names.count("shared.txt") == 1


def test_loader_precedence_app_first_then_blueprints_in_registration_order(
    site: Path,
) -> None:
    app = make_app(site)
    with_blueprints(app, site)
    with app.test_request_context("/shop/x"):
        # Even from a request routed to a blueprint, the app's folder wins...
        assert render_template("shared.txt") == "from app"
        # ...and between blueprints, the one registered first.
        assert render_template("both_bps.txt") == "from pets"


def test_loader_precedence_follows_registration_order_not_names(site: Path) -> None:
    app = make_app(site)
    shop = Blueprint("shop", "shop_mod", root_path=str(site / "shop"), template_folder="tpl")
    pets = Blueprint("pets", "pets_mod", root_path=str(site / "pets"), template_folder="tpl")
    app.register_blueprint(shop)
    app.register_blueprint(pets)
    with app.app_context():
        assert render_template("both_bps.txt") == "from shop"


def test_app_without_template_folder_still_uses_blueprint_folders(site: Path) -> None:
    app = make_app(site, template_folder=None)
    with_blueprints(app, site)
    assert app.jinja_loader is None
    with app.app_context():
        assert render_template("shared.txt") == "from pets"
        with pytest.raises(TemplateNotFound):
            render_template("greet.html")


def test_render_template_with_a_list_uses_the_first_that_exists(site: Path) -> None:
    app = make_app(site)
    with app.app_context():
        out = render_template(["nope.html", "plain.txt", "greet.html"], who="Bo")
        assert out == "Hello Bo!"
        template = app.jinja_env.get_template("greet.html")
        assert render_template(template, who="Cy") == "<p>Hello Cy!</p>"


def test_missing_template_raises_template_not_found_naming_it(site: Path) -> None:
    app = make_app(site)
    with_blueprints(app, site)
    with app.app_context(), pytest.raises(TemplateNotFound) as info:
        render_template("does/not/exist.html")
    assert info.value.name == "does/not/exist.html"
    assert "does/not/exist.html" in str(info.value)


def test_missing_template_in_a_view_is_a_server_error(site: Path) -> None:
    app = make_app(site)
    app.testing = False

    @app.route("/")
    def index() -> str:
        return render_template("ghost.html")

    assert app.test_client().get("/").status_code == 500


def test_syntax_error_reports_file_name_and_line(site: Path) -> None:
    write(site, "templates/broken.html", "line one\nline two\n{% if x %}\n{{ x }}\n{% endfor %}\n")
    app = make_app(site)
    with app.app_context(), pytest.raises(TemplateSyntaxError) as info:
        render_template("broken.html", x=1)
    err = info.value
    assert err.name == "broken.html"
    assert err.filename is not None
    assert os.path.samefile(err.filename, site / "templates" / "broken.html")
    assert err.lineno == 5
    # Jinja reports the location as a traceback frame in the template file.
    template_frames = [
        frame.lineno + 1  # pytest's traceback line numbers are 0-based
        for frame in info.traceback
        if str(frame.path).endswith("broken.html")
    ]
    assert template_frames == [5]


def test_runtime_error_in_a_template_keeps_its_line_in_the_traceback(site: Path) -> None:
    write(site, "templates/divide.txt", "a\nb\n{{ 1 // zero }}\n")
    app = make_app(site)
    with app.app_context(), pytest.raises(ZeroDivisionError) as info:
        render_template("divide.txt", zero=0)
    template_lines = [
        frame.lineno + 1  # pytest's traceback line numbers are 0-based
        for frame in info.traceback
        if str(frame.path).endswith("divide.txt")
    ]
    assert template_lines == [3]


# -- EXPLAIN_TEMPLATE_LOADING ----------------------------------------------------


def explain_records(caplog: pytest.LogCaptureFixture, app: Flask) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == app.logger.name and r.getMessage().startswith("Locating template")
    ]


def test_explain_template_loading_logs_every_loader_tried(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(site, name="explainer")
    with_blueprints(app, site)
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    caplog.set_level(logging.INFO, logger=app.logger.name)

    with app.app_context():
        assert render_template("pets/only_pets.txt", n=1) == "pets: 1"
    [message] = explain_records(caplog, app)
    assert "'pets/only_pets.txt'" in message
    assert "application 'explainer'" in message
    assert "blueprint 'pets'" in message
    assert "blueprint 'shop'" in message
    assert message.count("no match") == 2
    assert message.count("found (") == 1
    assert str(site / "pets" / "tpl") in message
    assert "Warning" not in message and "Error" not in message


def test_explain_template_loading_warns_about_shadowed_templates(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(site, name="explainer2")
    with_blueprints(app, site)
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    caplog.set_level(logging.INFO, logger=app.logger.name)
    with app.app_context():
        assert render_template("shared.txt") == "from app"
    [message] = explain_records(caplog, app)
    assert message.count("found (") == 3
    assert "multiple loaders" in message


def test_explain_template_loading_for_a_missing_template_hints_at_the_blueprint(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(site, name="explainer3")
    pets = Blueprint("pets", "pets_mod", root_path=str(site / "pets"), template_folder="tpl")

    @pets.route("/missing")
    def missing() -> str:
        return render_template("lost.html")

    app.register_blueprint(pets, url_prefix="/pets")
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    caplog.set_level(logging.INFO, logger=app.logger.name)
    with app.test_request_context("/pets/missing"):
        assert request.blueprint == "pets"
        with pytest.raises(TemplateNotFound):
            missing()
    [message] = explain_records(caplog, app)
    assert message.count("no match") == 2
    assert "could not be found" in message
    assert "'pets'" in message


def test_without_explain_nothing_is_logged(site: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(site, name="quietloader")
    caplog.set_level(logging.DEBUG, logger=app.logger.name)
    with app.app_context():
        render_template("plain.txt", who="x")
    assert explain_records(caplog, app) == []


# -- auto reload -----------------------------------------------------------------


def _rewrite_later(path: Path, text: str) -> None:
    """Change a file and move its mtime forward, so a changed file is seen
    even on file systems with coarse timestamps."""
    before = path.stat().st_mtime
    path.write_text(text, encoding="utf-8")
    os.utime(path, (before + 10, before + 10))


def test_templates_auto_reload_picks_up_an_edited_file(tmp_path: Path) -> None:
    path = write(tmp_path, "templates/page.txt", "version one")
    app = make_app(tmp_path)
    app.config["TEMPLATES_AUTO_RELOAD"] = True
    with app.app_context():
        assert render_template("page.txt") == "version one"
        _rewrite_later(path, "version two")
        assert render_template("page.txt") == "version two"


def test_without_auto_reload_the_cached_template_stays(tmp_path: Path) -> None:
    path = write(tmp_path, "templates/page.txt", "version one")
    app = make_app(tmp_path)
    app.config["TEMPLATES_AUTO_RELOAD"] = False
    with app.app_context():
        assert render_template("page.txt") == "version one"
        _rewrite_later(path, "version two")
        assert render_template("page.txt") == "version one"


def test_auto_reload_defaults_to_debug(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.debug = False
    assert app.jinja_env.auto_reload is False
    app.debug = True
    assert app.jinja_env.auto_reload is True

    pinned = make_app(tmp_path, name="pinned")
    pinned.config["TEMPLATES_AUTO_RELOAD"] = False
    pinned.debug = True
    assert pinned.jinja_env.auto_reload is False


# -- autoescape ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("t.html", True),
        ("t.htm", True),
        ("t.xml", True),
        ("t.xhtml", True),
        ("t.svg", True),
        ("t.txt", False),
        ("t.html.txt", False),
        ("t.j2", False),
    ],
)
def test_autoescape_by_extension(tmp_path: Path, name: str, escaped: bool) -> None:
    write(tmp_path, f"templates/{name}", "{{ v }}|{{ safe_v }}")
    app = make_app(tmp_path)
    with app.app_context():
        out = render_template(name, v="<a href='x'>&</a>", safe_v=Markup("<i>ok</i>"))
    if escaped:
        assert out == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;|<i>ok</i>"
    else:
        assert out == "<a href='x'>&</a>|<i>ok</i>"


def test_string_templates_are_autoescaped(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with app.app_context():
        assert render_template_string("{{ v }}", v="<script>") == "&lt;script&gt;"
        assert render_template_string("{{ v|safe }}", v="<b>") == "<b>"
        out = render_template_string("{% autoescape false %}{{ v }}{% endautoescape %}", v="<b>")
        assert out == "<b>"


# -- render and stream -------------------------------------------------------------


def test_render_template_string_is_compiled_once_and_renders_each_context(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path)
    with app.app_context():
        assert render_template_string("{{ a + b }}", a=2, b=3) == "5"
        assert render_template_string("{{ a + b }}", a="x", b="y") == "xy"
        assert render_template_string("{{ missing }}") == ""


def test_render_template_needs_an_app_context(site: Path) -> None:
    with pytest.raises(RuntimeError, match="application context"):
        render_template("plain.txt")
    with pytest.raises(RuntimeError, match="application context"):
        render_template_string("x")


def test_stream_template_through_a_response_uses_the_request(site: Path) -> None:
    write(
        site,
        "templates/list.txt",
        "{% for i in items %}{{ i }}-{{ request.args.sep }};{% endfor %}",
    )
    app = make_app(site)

    @app.route("/list")
    def listing() -> Response:
        return app.response_class(stream_template("list.txt", items=["a", "b", "c"]))

    @app.route("/inline")
    def inline() -> Response:
        chunks = stream_template_string("{{ request.path }} {{ g.tag }} {{ n }}", n=7)
        g.tag = "late"  # set after the stream was made, before it is consumed
        return app.response_class(chunks)

    client = app.test_client()
    assert client.get("/list?sep=z").text == "a-z;b-z;c-z;"
    assert client.get("/inline").text == "/inline late 7"


def test_stream_template_is_lazy_and_yields_text_chunks(site: Path) -> None:
    write(site, "templates/chunks.txt", "start{% for i in items %}{{ i }}{% endfor %}end")
    app = make_app(site)
    with app.app_context():
        it = stream_template("chunks.txt", items=range(3))
        chunks = list(it)
    assert "".join(chunks) == "start012end"
    assert all(isinstance(c, str) for c in chunks)
    assert len(chunks) > 1


def test_stream_template_string_with_stream_with_context_generator(site: Path) -> None:
    app = make_app(site)

    @app.route("/gen")
    def gen() -> Response:
        @stream_with_context
        def body() -> t.Iterator[str]:
            yield "<"
            yield from stream_template_string("{{ request.args.q }}")
            yield ">"

        return app.response_class(body())

    assert app.test_client().get("/gen?q=hi").text == "<hi>"


def test_get_template_attribute_calls_a_macro(tmp_path: Path) -> None:
    write(
        tmp_path,
        "templates/macros.html",
        "{% macro badge(label, n=0) %}<b>{{ label }}:{{ n }}</b>{% endmacro %}"
        "{% set version = 12 %}",
    )
    app = make_app(tmp_path)
    with app.app_context():
        badge = get_template_attribute("macros.html", "badge")
        assert badge("a<b", n=3) == "<b>a&lt;b:3</b>"
        assert badge("x") == "<b>x:0</b>"
        assert get_template_attribute("macros.html", "version") == 12
        with pytest.raises(AttributeError):
            get_template_attribute("macros.html", "nope")


# -- template context --------------------------------------------------------------


def test_default_context_in_a_request(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.secret_key = "not-secret"
    app.config["SITE_TITLE"] = "Kites"

    @app.route("/set")
    def set_values() -> str:
        session["user"] = "kim"
        flash("saved", "ok")
        return "set"

    @app.route("/show/<int:num>")
    def show(num: int) -> str:
        g.color = "teal"
        return render_template_string(
            "{{ request.method }} {{ request.view_args.num }}|{{ session.user }}|{{ g.color }}"
            "|{{ config.SITE_TITLE }}|{{ url_for('show', num=num + 1) }}"
            "|{{ get_flashed_messages(with_categories=true) }}",
            num=num,
        )

    client = app.test_client()
    client.get("/set")
    out = client.get("/show/4").text
    assert out == "GET 4|kim|teal|Kites|/show/5|[(&#39;ok&#39;, &#39;saved&#39;)]"
    # The flashed message was consumed by the previous render.
    assert client.get("/show/1").text.endswith("|[]")


def test_default_context_outside_a_request_has_g_and_config(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.config["SERVER_NAME"] = "kites.test"

    @app.route("/k")
    def kite() -> str:
        return ""

    with app.app_context():
        g.word = "hello"
        out = render_template_string("{{ g.word }} {{ config.SERVER_NAME }} {{ url_for('kite') }}")
        # Without a request, URLs are external, built from SERVER_NAME.
        assert out == "hello kites.test http://kites.test/k"
        ctx: dict[str, t.Any] = {}
        app.update_template_context(ctx)
        assert "g" in ctx and "request" not in ctx and "session" not in ctx


def test_context_processors_app_and_blueprint_scoped(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    admin = Blueprint("admin", __name__)
    public = Blueprint("public", __name__)
    source = "{{ site }}/{{ area|default('-') }}/{{ everywhere|default('-') }}"

    @app.context_processor
    def site_vars() -> dict[str, t.Any]:
        return {"site": "S"}

    @admin.context_processor
    def admin_vars() -> dict[str, t.Any]:
        return {"area": "admin"}

    @public.app_context_processor
    def global_from_bp() -> dict[str, t.Any]:
        return {"everywhere": "E"}

    @admin.route("/")
    def admin_index() -> str:
        return render_template_string(source)

    @public.route("/")
    def public_index() -> str:
        return render_template_string(source)

    @app.route("/")
    def index() -> str:
        return render_template_string(source)

    app.register_blueprint(admin, url_prefix="/admin")
    app.register_blueprint(public, url_prefix="/public")
    client = app.test_client()
    assert client.get("/").text == "S/-/E"
    assert client.get("/admin/").text == "S/admin/E"
    assert client.get("/public/").text == "S/-/E"


def test_nested_blueprint_context_processors_inner_overrides_outer(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    outer = Blueprint("outer", __name__)
    inner = Blueprint("inner", __name__)

    @outer.context_processor
    def outer_vars() -> dict[str, t.Any]:
        return {"level": "outer", "from_outer": 1}

    @inner.context_processor
    def inner_vars() -> dict[str, t.Any]:
        return {"level": "inner"}

    @inner.route("/")
    def deep() -> str:
        return render_template_string("{{ level }} {{ from_outer }}")

    outer.register_blueprint(inner, url_prefix="/in")
    app.register_blueprint(outer, url_prefix="/out")
    assert app.test_client().get("/out/in/").text == "inner 1"


def test_explicit_values_win_over_context_processors(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    calls: list[str] = []

    @app.context_processor
    def first() -> dict[str, t.Any]:
        calls.append("first")
        return {"color": "red", "size": "L", "g": "not g"}

    @app.context_processor
    def second() -> dict[str, t.Any]:
        calls.append("second")
        return {"color": "blue"}

    with app.test_request_context("/"):
        # A later processor overrides an earlier one; an explicit value beats both.
        assert render_template_string("{{ color }} {{ size }}") == "blue L"
        assert render_template_string("{{ color }} {{ size }}", color="green") == "green L"
        context: dict[str, t.Any] = {"size": "S", "request": "mine"}
        app.update_template_context(context)
        assert context["size"] == "S"
        assert context["request"] == "mine"
        assert context["color"] == "blue"
        assert context["g"] == "not g"  # a processor may shadow the defaults
    assert calls == ["first", "second"] * 3


# -- filters, tests and globals --------------------------------------------------


def test_app_template_filters_tests_and_globals(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.template_filter()
    def shout(s: str) -> str:
        return s.upper() + "!"

    @app.template_filter("rev")
    def reverse_it(s: str) -> str:
        return s[::-1]

    def halve(n: int) -> float:
        return n / 2

    app.add_template_filter(halve)
    app.add_template_filter(lambda s: f"[{s}]", name="boxed")

    @app.template_test()
    def even(n: int) -> bool:
        return n % 2 == 0

    @app.template_test("palindrome")
    def is_palindrome(s: str) -> bool:
        return s == s[::-1]

    app.add_template_test(lambda n: n > 100, name="big")

    @app.template_global()
    def answer() -> int:
        return 42

    @app.template_global("twice")
    def double(n: int) -> int:
        return n * 2

    app.add_template_global(3.5, name="ratio")

    assert app.jinja_env.filters["shout"] is shout
    assert app.jinja_env.filters["rev"] is reverse_it
    assert "reverse_it" not in app.jinja_env.filters
    assert app.jinja_env.tests["even"] is even
    assert app.jinja_env.globals["answer"] is answer
    with app.app_context():
        out = render_template_string(
            "{{ 'hey'|shout }} {{ 'abc'|rev }} {{ 9|halve }} {{ 'q'|boxed }}"
            " {{ 4 is even }} {{ 5 is even }} {{ 'abba' is palindrome }} {{ 101 is big }}"
            " {{ answer() }} {{ twice(4) }} {{ ratio }}"
        )
    assert out == "HEY! cba 4.5 [q] True False True True 42 8 3.5"


def test_blueprint_app_template_filters_tests_and_globals(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    bp = Blueprint("texttools", __name__)

    @bp.app_template_filter()
    def snake(s: str) -> str:
        return s.replace(" ", "_")

    @bp.app_template_filter("initials")
    def first_letters(s: str) -> str:
        return "".join(w[0] for w in s.split())

    bp.add_app_template_filter(len, name="length_of")

    @bp.app_template_test()
    def blank(s: str) -> bool:
        return not s.strip()

    bp.add_app_template_test(lambda s: s.isdigit(), name="numeric")

    @bp.app_template_global()
    def brand() -> str:
        return "Acme"

    bp.add_app_template_global(lambda: 7, name="lucky")

    # Nothing is registered until the blueprint is.
    assert "snake" not in app.jinja_env.filters
    app.register_blueprint(bp)

    @app.route("/")
    def index() -> str:  # an app view: the helpers are app-wide, not blueprint-scoped
        return render_template_string(
            "{{ 'a b c'|snake }} {{ 'big old tree'|initials }} {{ 'four'|length_of }}"
            " {{ '  ' is blank }} {{ 'x' is blank }} {{ '123' is numeric }}"
            " {{ brand() }} {{ lucky() }}"
        )

    assert app.test_client().get("/").text == "a_b_c bot 4 True False True Acme 7"


def test_an_imported_template_sees_the_globals_its_importer_was_loaded_with() -> None:
    """Jinja makes an imported template's module again, with the importer's extra
    globals, when the importer has globals the imported template lacks."""
    app = Flask(__name__)
    app.jinja_env.loader = DictLoader(
        {
            "macros.html": "{% macro tag() %}[{{ extra }}|{{ url_for('index') }}]{% endmacro %}",
            "page.html": '{% from "macros.html" import tag %}{{ tag() }}',
        }
    )

    @app.route("/")
    def index() -> str:
        return "index"

    env = app.jinja_env
    with app.test_request_context("/"):
        assert env.get_template("page.html").render() == "[|/]"
        assert (
            env.from_string(
                '{% from "macros.html" import tag %}{{ tag() }}', globals={"extra": "own"}
            ).render()
            == "[own|/]"
        )
        assert env.get_template("page.html").render() == "[|/]"
    assert set(env.get_template("page.html").globals.keys()) == set(env.globals)
