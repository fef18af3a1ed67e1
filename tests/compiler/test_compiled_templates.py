"""Templates compiled before the render workers fork, kept compiled between builds: a
template is compiled again whenever anything its compiled code depends on changed."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from jinja2 import pass_context
from jinja2.ext import Extension

from sitec.compiler.compiled_templates import compile_ahead
from sitec.compiler.compiled_templates import environment_key
from sitec.runtime import Flask
from sitec.runtime import render_template_string

PAGE = "{% if True %}\n  <p>{{ 'x' | shout }}</p>\n{% endif %}\n"


def make_app(root: Path, **options: t.Any) -> Flask:
    app = Flask("compiled", root_path=str(root))
    for name, value in options.items():
        setattr(app.jinja_env, name, value)
    app.jinja_env.filters["shout"] = lambda value: f"{value}!"
    return app


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(PAGE)
    return tmp_path


def render(app: Flask) -> str:
    with app.test_request_context():
        return app.jinja_env.get_template("page.html").render()


def compiles(app: Flask) -> list[str]:
    """The names the app's environment compiles from now on."""
    compiled: list[str] = []
    env = app.jinja_env
    real = env.compile

    def counting(source: t.Any, name: t.Any = None, *args: t.Any, **kwargs: t.Any) -> t.Any:
        compiled.append(name)
        return real(source, name, *args, **kwargs)

    env.compile = counting  # type: ignore[method-assign]
    return compiled


def test_a_second_app_loads_what_the_first_compiled(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = make_app(root)
    first_compiled = compiles(first)
    compile_ahead(first, ["page.html", "missing.html"], cache)
    assert first_compiled == ["page.html"]
    assert len(list(cache.iterdir())) == 1
    assert first.jinja_env.bytecode_cache is None  # the renders never read the cache

    second = make_app(root)
    second_compiled = compiles(second)
    compile_ahead(second, ["page.html"], cache)
    assert second_compiled == []
    assert render(second) == render(first) == "\n  <p>x!</p>\n"


def test_an_edited_template_is_compiled_again(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    compile_ahead(make_app(root), ["page.html"], cache)
    (root / "templates" / "page.html").write_text(PAGE.replace("<p>", "<p class=a>"))
    app = make_app(root)
    compiled = compiles(app)
    compile_ahead(app, ["page.html"], cache)
    assert compiled == ["page.html"]
    assert render(app) == "\n  <p class=a>x!</p>\n"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"trim_blocks": True}, "  <p>x!</p>\n"),
        ({"keep_trailing_newline": True}, "\n  <p>x!</p>\n\n"),
        (
            {"variable_start_string": "[[", "variable_end_string": "]]"},
            "\n  <p>{{ 'x' | shout }}</p>\n",
        ),
        ({"finalize": lambda value: str(value).upper()}, "\n  <p>X!</p>\n"),
    ],
)
def test_an_environment_compiled_otherwise_does_not_take_it(
    root: Path, tmp_path: Path, options: dict[str, t.Any], expected: str
) -> None:
    cache = tmp_path / "cache"
    compile_ahead(make_app(root), ["page.html"], cache)
    app = make_app(root, **options)
    compiled = compiles(app)
    compile_ahead(app, ["page.html"], cache)
    assert compiled == ["page.html"]
    assert render(app) == expected


def test_a_filter_that_takes_the_context_now_is_compiled_again(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    compile_ahead(make_app(root), ["page.html"], cache)
    app = make_app(root)

    @pass_context
    def shout(context: t.Any, value: str) -> str:
        return f"{value}! ({context.name})"

    app.jinja_env.filters["shout"] = shout
    compile_ahead(app, ["page.html"], cache)
    assert render(app) == "\n  <p>x! (page.html)</p>\n"


def test_autoescape_is_part_of_the_key(root: Path, tmp_path: Path) -> None:
    (root / "templates" / "page.html").write_text("{{ '<b>' }}")
    cache = tmp_path / "cache"
    compile_ahead(make_app(root, autoescape=True), ["page.html"], cache)
    app = make_app(root, autoescape=False)
    compile_ahead(app, ["page.html"], cache)
    assert render(app) == "<b>"


def test_an_extension_of_the_app_is_never_cached(root: Path, tmp_path: Path) -> None:
    class Shouting(Extension):
        def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
            return source.replace("<p>", "<p!>")

    app = make_app(root)
    assert environment_key(app.jinja_env) is not None
    app.jinja_env.add_extension(Shouting)
    assert environment_key(app.jinja_env) is None
    cache = tmp_path / "cache"
    compile_ahead(app, ["page.html"], cache)
    assert not cache.exists() or not any(cache.iterdir())
    assert render(app) == "\n  <p!>x!</p>\n"


def test_jinjas_own_extensions_are_cached(root: Path) -> None:
    app = make_app(root)
    app.jinja_env.add_extension("jinja2.ext.loopcontrols")
    assert environment_key(app.jinja_env) not in {None, environment_key(make_app(root).jinja_env)}
    with app.test_request_context():
        text = "{% for i in [1, 2] %}{% break %}{{ i }}{% endfor %}"
        assert render_template_string(text) == ""
