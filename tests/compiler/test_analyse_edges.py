"""Known third-party readers, chains through ``g``, side effects that reach
``g``, blind spots, and ten thousand rules over a few views (how long their analysis
takes is measured by the build benchmark in ``benchmarks/``, never asserted here).

Fixtures: ``tests/apps/analyse_edges`` and ``tests/apps/analyse_many``.
"""

from __future__ import annotations

import ast
import os
import time
import typing as t
from pathlib import Path

import pytest
from test_build_support import line_of

from sitec.compiler.analyse import AppAnalysis
from sitec.compiler.analyse import analyse_app
from sitec.compiler.analyse.pysource import ProjectFiles
from sitec.compiler.analyse.pysource import SourceCache

APPS = Path(__file__).resolve().parents[1] / "apps"
APP = APPS / "analyse_edges"


def at(marker: str) -> str:
    return f"app.py:{line_of(APP / 'app.py', marker)}"


@pytest.fixture(scope="module")
def analysis() -> AppAnalysis:
    from conftest import load_app_from

    return analyse_app(load_app_from("analyse_edges"), APP)


def reasons(analysis: AppAnalysis, endpoint: str) -> list[tuple[str, str, str | None]]:
    (found,) = analysis.route_for(endpoint)
    assert found.decision == "dynamic"
    return [(r.message, r.where(), r.via) for r in found.reasons]


FLASH = ("calls flash(), which writes the session", at("flash"), "before_request prepare -> notify")


def test_side_effect_in_a_hook_counts_even_when_its_value_goes_to_g(
    analysis: AppAnalysis,
) -> None:
    # notify() flashes a message, a session write, and its result goes to g.notice.
    for found in analysis.routes:
        if found.endpoint != "static":
            assert FLASH in reasons(analysis, found.endpoint)


def test_a_session_write_is_named_a_write(analysis: AppAnalysis) -> None:
    found = reasons(analysis, "remember")
    assert ("writes the session", at("session_set"), "view remember") in found
    assert ("writes the session", at("session_pop"), "view remember") in found


def test_known_third_party_proxy(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "known_proxy")[0] == (
        "reads current_user (Flask-Login loads it from the session)",
        at("known_proxy"),
        "view known_proxy",
    )


def test_known_third_party_decorator(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "known_decorator")[0] == (
        "reads the session, in Flask-Login's login_required",
        at("known_decorator"),
        "decorator login_required",
    )


def test_g_set_by_setattr_and_copied_to_another_attribute(analysis: AppAnalysis) -> None:
    message = (
        "uses g.agent_name, set from request.user_agent in before_request prepare"
        f" at {at('agent_name')}"
    )
    assert reasons(analysis, "chained_g")[0] == (message, at("chained_g"), "view chained_g")


def test_import_of_a_computed_module_cannot_be_seen(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "plugin")[0] == (
        "analysis cannot see: importlib.import_module() of a computed name",
        at("import_module"),
        "view plugin",
    )


def test_view_class_dispatch_request(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "dashboard")[0] == (
        "reads request.remote_addr",
        at("dashboard"),
        "view Dashboard.dispatch_request",
    )


def test_view_without_readable_source(analysis: AppAnalysis) -> None:
    message, where, via = reasons(analysis, "generated")[0]
    assert message.startswith("cannot see the source of generated")
    assert (where, via) == ("<string>:1", "view generated")


def test_ten_thousand_rules_are_analysed() -> None:
    from conftest import load_app_from

    app = load_app_from("analyse_many")
    analysis = analyse_app(app, APPS / "analyse_many")
    assert len(analysis.routes) == 10_001
    assert {r.decision for r in analysis.routes} == {"static"}
    assert analysis.routes[1].templates == ("page.html", "base.html")


def test_cycles_of_possible_calls_end_and_lose_no_read() -> None:
    """Unresolved ``obj.name()`` calls that lead back to a function being analysed
    end there; every route on the cycle still sees the read, whichever is asked first."""
    from conftest import load_app_from

    root = APPS / "analyse_cycles"
    analysis = analyse_app(load_app_from("analyse_cycles"), root)
    for endpoint in ("through_store", "through_mirror"):
        (route,) = analysis.route_for(endpoint)
        assert route.decision == "dynamic", endpoint
        assert any(r.message.endswith("which reads request.cookies") for r in route.reasons), (
            route.reasons
        )
    (constant,) = analysis.route_for("constant")
    assert constant.decision == "static"


def test_project_files_are_told_by_their_real_paths(tmp_path: Path) -> None:
    """A module reached through a link is the project's when the file it links to is,
    whatever folder the link is in, and not when it links out of the project."""
    root, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (root / "pkg").mkdir(parents=True)
    elsewhere.mkdir()
    (root / "pkg" / "views.py").write_text("")
    (elsewhere / "real.py").write_text("")
    (elsewhere / "linked.py").symlink_to(root / "pkg" / "views.py")
    (root / "pkg" / "outside.py").symlink_to(elsewhere / "real.py")
    (tmp_path / "via").symlink_to(root)
    files = ProjectFiles(root)
    assert files.contains(str(root / "pkg" / "views.py"))
    assert files.contains(str(elsewhere / "linked.py"))
    assert files.contains(str(tmp_path / "via" / "pkg" / "views.py"))
    assert not files.contains(str(root / "pkg" / "outside.py"))
    assert not files.contains(str(elsewhere / "real.py"))


def test_a_source_is_parsed_again_when_it_changed_or_may_have(tmp_path: Path) -> None:
    """Parses are kept between analyses (and made before the app is loaded, by the dev
    server's standby session): one is dropped when its file changed, and when the file
    was saved within a tick of the clock before the parse, as a later save in that tick
    would keep its size and date."""
    path = tmp_path / "module.py"
    path.write_text("def f():\n    return 1\n")
    sources = SourceCache()
    just_saved = sources.parse(str(path))
    sources.forget_changed()
    settled = sources.parse(str(path))
    assert settled is not just_saved

    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
    sources.forget_changed()
    settled = sources.parse(str(path))
    sources.forget_changed()
    assert sources.parse(str(path)) is settled

    path.write_text("def f():\n    return 2\n")
    os.utime(path, (an_hour_ago + 1, an_hour_ago + 1))
    sources.forget_changed()
    changed = sources.parse(str(path))
    assert changed is not settled and changed is not None
    assert ast.unparse(changed.tree).endswith("return 2")


def test_a_template_source_is_parsed_once_per_environment() -> None:
    """The analysis and the code fingerprints share the tree of a template's source; the
    name is part of the key only when an extension could read it."""
    from jinja2 import Environment

    from sitec.compiler.analyse.templates import parsed_template

    env = Environment()
    tree = parsed_template(env, "<p>{{ title }}</p>", "page.html")
    assert parsed_template(env, "<p>{{ title }}</p>") is tree
    assert parsed_template(env, "<p>{{ other }}</p>") is not tree
    assert parsed_template(Environment(), "<p>{{ title }}</p>") is not tree

    with_extension = Environment(extensions=["jinja2.ext.loopcontrols"])
    named = parsed_template(with_extension, "<p>{{ title }}</p>", "page.html")
    assert parsed_template(with_extension, "<p>{{ title }}</p>", "page.html") is named
    assert parsed_template(with_extension, "<p>{{ title }}</p>", "other.html") is not named


def test_a_template_parsed_ahead_is_taken_once_by_an_environment_that_parses_alike(
    tmp_path: Path,
) -> None:
    """The dev server's standby parses the last build's templates before it loads the
    app: the app's environment takes such a tree only when it would have parsed the
    same one (no extension, Jinja's own parsing, the same syntax options)."""
    from jinja2 import Environment
    from jinja2 import nodes

    from sitec.compiler.analyse import templates
    from sitec.compiler.analyse.templates import parse_templates_ahead
    from sitec.compiler.analyse.templates import parsed_template

    source = "<% if shown %>{{ title }}<% endif %>{% block body %}{% endblock %}\n"
    page = tmp_path / "page.html"
    page.write_text(source)
    missing = tmp_path / "gone.html"

    parse_templates_ahead([str(page), str(missing)])
    app_env = Environment()
    tree = parsed_template(app_env, source)
    assert tree == Environment().parse(source)
    assert all(node.environment is app_env for node in tree.find_all(nodes.Node))
    assert parsed_template(Environment(), source) is not tree  # taken once

    class Preprocessing(Environment):
        def preprocess(self, source: str, *args: t.Any, **kwargs: t.Any) -> str:
            return source.replace("title", "heading")

    other_syntax = Environment(block_start_string="<%", block_end_string="%>")
    extended = Environment(extensions=["jinja2.ext.loopcontrols"])
    patched = Environment()
    patched.preprocess = Preprocessing().preprocess  # type: ignore[method-assign]
    for env in (other_syntax, extended, Preprocessing(), patched):
        parse_templates_ahead([str(page)])
        assert parsed_template(env, source) == env.parse(source)
        assert source in templates._AHEAD  # left for an environment that parses alike
    assert next(parsed_template(other_syntax, source).find_all(nodes.If)).test.name == "shown"
    assert next(parsed_template(Preprocessing(), source).find_all(nodes.Name)).name == "heading"
    parse_templates_ahead([])  # none left for later tests
    assert templates._AHEAD == {}
