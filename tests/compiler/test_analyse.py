"""The analysis of direct cases: methods, reads in the view and the code it
calls, templates, overrides, blind spots, url_for and template dependencies.

Fixture: ``tests/apps/analyse_basic``. Lines are found by ``# L:name`` markers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_build_support import VISITORS
from test_build_support import get_as

from sitec.compiler.analyse import AppAnalysis
from sitec.compiler.analyse import analyse_app
from sitec.compiler.model import Evidence
from sitec.compiler.model import RouteAnalysis

APP = Path(__file__).resolve().parents[1] / "apps" / "analyse_basic"


def line_of(file: str, marker: str) -> int:
    for number, text in enumerate((APP / file).read_text().splitlines(), 1):
        if f"L:{marker}" in text:
            return number
    raise AssertionError(f"no marker {marker} in {file}")


@pytest.fixture(scope="module")
def analysis() -> AppAnalysis:
    from conftest import load_app_from

    app = load_app_from("analyse_basic")
    return analyse_app(app, APP)


@pytest.fixture(scope="module")
def app(analysis: AppAnalysis):
    import sys

    return sys.modules["app"].app


def route(analysis: AppAnalysis, endpoint: str) -> RouteAnalysis:
    (found,) = analysis.route_for(endpoint)
    return found


def only_reason(analysis: AppAnalysis, endpoint: str) -> Evidence:
    found = route(analysis, endpoint)
    assert found.decision == "dynamic"
    assert len(found.reasons) == 1, found.reasons
    return found.reasons[0]


def test_one_analysis_per_rule_in_order(analysis: AppAnalysis, app) -> None:
    assert [r.endpoint for r in analysis.routes] == [r.endpoint for r in app.url_map.iter_rules()]
    post = route(analysis, "post")
    assert post.rule == "/posts/<slug>/"
    assert post.arguments == ("slug",)
    assert "GET" in post.methods


def test_static_folder_endpoint_is_static_without_reasons(analysis: AppAnalysis) -> None:
    static = route(analysis, "static")
    assert static.decision == "static"
    assert static.reasons == []


def test_url_determined_reads_stay_static_with_notes(analysis: AppAnalysis) -> None:
    index = route(analysis, "index")
    assert index.decision == "static"
    assert index.reasons == []
    assert index.templates == ("index.html", "base.html")
    messages = {(n.message, n.where()) for n in index.notes}
    assert ("reads request.path, which the URL determines", "app.py:23") in messages
    assert ("reads request.path, which the URL determines", "base.html:3") in messages


def test_template_name_from_module_constant(analysis: AppAnalysis) -> None:
    post = route(analysis, "post")
    assert post.decision == "static"
    assert post.templates == ("page.html", "base.html")


def test_request_args_in_view(analysis: AppAnalysis) -> None:
    reason = only_reason(analysis, "search")
    assert reason.message == "reads request.args"
    assert reason.where() == f"app.py:{line_of('app.py', 'search')}"
    assert reason.via == "view search"


def test_post_only_route_is_dynamic(analysis: AppAnalysis) -> None:
    reason = only_reason(analysis, "contact")
    assert reason.message == "accepts only POST"
    assert reason.where() == f"app.py:{line_of('app.py', 'contact')}"


def test_get_and_post_route_reading_the_form(analysis: AppAnalysis) -> None:
    feedback = route(analysis, "feedback")
    assert feedback.decision == "dynamic"
    assert [(r.message, r.where()) for r in feedback.reasons] == [
        ("reads request.form", f"app.py:{line_of('app.py', 'feedback')}")
    ]
    assert any(n.message.startswith("also accepts POST") for n in feedback.notes)


def test_read_in_a_helper_module_through_calls(analysis: AppAnalysis) -> None:
    reason = only_reason(analysis, "themed")
    assert reason.message == "reads request.cookies"
    assert reason.where() == f"lib.py:{line_of('lib.py', 'cookie')}"
    assert reason.via == "view themed -> current_theme -> _read_cookie"


def test_aliased_request_import(analysis: AppAnalysis) -> None:
    reason = only_reason(analysis, "alias")
    assert reason.message == "reads request.headers"
    assert reason.where() == f"app.py:{line_of('app.py', 'alias')}"


def test_session_through_the_flask_module(analysis: AppAnalysis) -> None:
    reason = only_reason(analysis, "module_attr")
    assert reason.message == "reads session"
    assert reason.where() == f"app.py:{line_of('app.py', 'module_attr')}"


def test_eval_cannot_be_seen(analysis: AppAnalysis) -> None:
    reason = only_reason(analysis, "evaluated")
    assert reason.message == "analysis cannot see: eval() runs code analysis cannot see"
    assert reason.where() == f"app.py:{line_of('app.py', 'eval')}"


def test_getattr_on_request_with_computed_name(analysis: AppAnalysis) -> None:
    reason = only_reason(analysis, "computed_attribute")
    assert reason.message.startswith("analysis cannot see: getattr(request, <computed name>)")
    assert reason.where() == f"app.py:{line_of('app.py', 'getattr')}"


def test_unresolved_method_call_matching_a_reading_method(analysis: AppAnalysis) -> None:
    reason = only_reason(analysis, "maybe")
    assert reason.message == "may call Box.fetch, which reads request.args"
    assert reason.where() == f"app.py:{line_of('app.py', 'maybe')}"


def test_unresolved_method_call_with_no_reading_candidate(analysis: AppAnalysis) -> None:
    assert route(analysis, "pure_method").decision == "static"


def test_include_through_a_base_template(analysis: AppAnalysis) -> None:
    reason = only_reason(analysis, "flashes")
    assert reason.message == "reads flashed messages (session)"
    assert reason.where() == "flashes.html:2"
    assert reason.via == "template flash_page.html -> flash_layout.html -> flashes.html"


def test_macro_of_an_imported_template(analysis: AppAnalysis) -> None:
    reason = only_reason(analysis, "macros")
    assert reason.message == "reads session"
    assert reason.where() == "macros.html:2"
    assert reason.via == "template macro_page.html -> macros.html"


def test_template_string_is_shown_at_the_call(analysis: AppAnalysis) -> None:
    reason = only_reason(analysis, "inline")
    assert reason.message == "reads request.cookies"
    assert reason.where() == f"app.py:{line_of('app.py', 'inline')}"


def test_computed_template_name_analyses_the_matching_templates(analysis: AppAnalysis) -> None:
    computed = route(analysis, "computed_template")
    assert computed.decision == "static"
    assert set(computed.templates) == {"kinds/note.html", "kinds/link.html"}
    assert any("is computed" in n.message and n.file == "app.py" for n in computed.notes)


def test_static_page_override(analysis: AppAnalysis) -> None:
    forced = route(analysis, "forced_static")
    assert forced.decision == "static"
    assert forced.override == "static"
    assert [(r.message, r.where()) for r in forced.reasons] == [
        (
            "forced static: the query string only tags analytics",
            f"app.py:{line_of('app.py', 'forced_static')}",
        )
    ]
    assert any(n.message == "overridden: reads request.args" for n in forced.notes)


def test_dynamic_page_override(analysis: AppAnalysis) -> None:
    forced = route(analysis, "forced_dynamic")
    assert (forced.decision, forced.override) == ("dynamic", "dynamic")
    assert forced.reasons[0].message == "forced dynamic: shows live stock"
    assert forced.reasons[0].where() == f"app.py:{line_of('app.py', 'forced_dynamic')}"


def test_override_from_tool_sitec_routes(analysis: AppAnalysis) -> None:
    forced = route(analysis, "configured")
    assert (forced.decision, forced.override) == ("dynamic", "dynamic")
    assert forced.reasons == [
        Evidence("forced dynamic: set in [tool.sitec.routes]", via="[tool.sitec.routes]")
    ]


def test_lambda_view_is_analysed(analysis: AppAnalysis) -> None:
    assert route(analysis, "lam").decision == "static"


def test_view_without_source_stays_dynamic(analysis: AppAnalysis) -> None:
    reason = only_reason(analysis, "builtin")
    assert reason.message.startswith("analysis cannot see: the view str is not Python source")


def test_literal_url_for_calls(analysis: AppAnalysis) -> None:
    calls = {(e, tuple(sorted(v.items())), ev.where()) for e, v, ev in analysis.url_for_calls}
    assert ("post", (("slug", "second"),), "app.py:28") in calls
    assert ("post", (("slug", "hello"),), "index.html:2") in calls
    assert ("index", (), "base.html:3") in calls


def test_template_dependencies_are_transitive(analysis: AppAnalysis) -> None:
    deps = analysis.template_deps
    assert deps["flash_page.html"] == {"flash_layout.html", "base.html", "flashes.html"}
    assert deps["macro_page.html"] == {"macros.html"}
    assert deps["base.html"] == set()


def test_static_routes_do_not_change_with_the_request(analysis: AppAnalysis, app) -> None:
    """What the analysis declares static renders the same whoever asks."""
    checked = 0
    for found in analysis.routes:
        if found.decision != "static" or found.override or found.endpoint == "static":
            continue
        url = {"post": "/posts/hello/", "computed_template": "/computed-template/note"}.get(
            found.endpoint, found.rule
        )
        bodies = set()
        for visitor in VISITORS:  # cookies, signed sessions, queries, headers
            response = get_as(app, url, visitor, "http://localhost")
            assert response.status_code == 200, url
            bodies.add(response.data)
        assert len(bodies) == 1, url
        checked += 1
    assert checked >= 5
