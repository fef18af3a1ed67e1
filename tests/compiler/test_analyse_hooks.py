"""Indirect request dependence: hooks and ``g``, context processors, decorators,
a ``current_user``-style proxy, Jinja globals, blueprints and class-based views.

Fixture: ``tests/apps/analyse_hooks``. Lines are found by ``# MARK name`` markers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_build_support import line_of

from sitec.compiler.analyse import AppAnalysis
from sitec.compiler.analyse import analyse_app
from sitec.compiler.model import Evidence
from sitec.compiler.model import RouteAnalysis

APP = Path(__file__).resolve().parents[1] / "apps" / "analyse_hooks"


def at(file: str, marker: str) -> str:
    return f"{file}:{line_of(APP / file, marker)}"


@pytest.fixture(scope="module")
def analysis() -> AppAnalysis:
    from conftest import load_app_from

    return analyse_app(load_app_from("analyse_hooks"), APP)


def route(analysis: AppAnalysis, endpoint: str) -> RouteAnalysis:
    (found,) = analysis.route_for(endpoint)
    return found


def reasons(analysis: AppAnalysis, endpoint: str) -> list[tuple[str, str, str | None]]:
    found = route(analysis, endpoint)
    assert found.decision == "dynamic"
    return [(r.message, r.where(), r.via) for r in found.reasons]


G_USER = f"uses g.user, set from session in before_request load_user at {at('app.py', 'g_user')}"


def test_hook_that_only_sets_g_does_not_make_every_page_dynamic(analysis: AppAnalysis) -> None:
    assert route(analysis, "index").decision == "static"
    assert route(analysis, "plain").decision == "static"


def test_view_using_tainted_g(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "profile") == [(G_USER, at("app.py", "profile"), "view profile")]


def test_template_using_tainted_g(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "greeting") == [(G_USER, "greeting.html:2", "template greeting.html")]


def test_g_get_in_template_and_jinja_global_reading_headers(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "counter") == [
        (G_USER, "counter.html:2", "template counter.html"),
        ("reads request.headers", at("app.py", "visitors"), "template counter.html -> visitors"),
    ]


def test_g_from_url_values_is_fine(analysis: AppAnalysis) -> None:
    about = route(analysis, "about")
    assert about.decision == "static"
    assert about.arguments == ("lang",)


def test_decorator_reading_the_session(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "account") == [
        ("reads session", at("auth.py", "login_required"), "decorator login_required")
    ]


def test_current_user_style_proxy_in_python(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "me") == [
        ("reads session", at("auth.py", "load_user"), "view me -> current_user (proxy)")
    ]


def test_current_user_in_a_template(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "badge") == [
        ("reads current_user", "badge.html:1", "template badge.html")
    ]


def test_method_view_follows_self_calls(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "search") == [
        ("reads request.args", at("app.py", "query"), "view Search.get -> Search.query")
    ]


def test_view_class_decorators(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "private") == [
        (
            "reads session",
            at("auth.py", "login_required"),
            "decorator login_required (in Private.decorators)",
        )
    ]


def test_blueprint_hook_sets_g_from_a_cookie(analysis: AppAnalysis) -> None:
    assert route(analysis, "shop.shop_index").decision == "static"
    message = (
        "uses g.cart, set from request.cookies in before_request remember_cart"
        f" at {at('app.py', 'cart')}"
    )
    assert reasons(analysis, "shop.cart") == [(message, at("app.py", "cart_use"), "view cart")]


def test_blueprint_static_folder_is_static(analysis: AppAnalysis) -> None:
    static = route(analysis, "shop.static")
    assert (static.decision, static.reasons) == ("static", [])


def test_context_processor_counts_only_when_a_template_renders(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "news.news_index") == [
        (
            "reads request.remote_addr",
            at("app.py", "visitor"),
            "context_processor inject_visitor",
        )
    ]
    assert route(analysis, "news.news_feed").decision == "static"


def test_parent_blueprint_hook_runs_for_nested_blueprint(analysis: AppAnalysis) -> None:
    assert reasons(analysis, "site.docs.page") == [
        ("reads request.headers", at("docs.py", "accept_language"), "before_request check_language")
    ]


def test_relative_url_for_resolved_in_blueprint_module_and_template(
    analysis: AppAnalysis,
) -> None:
    calls = [(e, v, ev) for e, v, ev in analysis.url_for_calls]
    assert (
        "site.docs.page",
        {"name": "intro"},
        Evidence("url_for('.page')", "docs.py", 20),
    ) in calls
    assert (
        "site.docs.page",
        {"name": "start"},
        Evidence("url_for('.page')", "docs/page.html", 1),
    ) in calls


def test_static_routes_do_not_change_with_the_request(analysis: AppAnalysis) -> None:
    app = sys.modules["app"].app
    checked = 0
    for found in analysis.routes:
        if found.decision != "static" or found.arguments:
            continue
        bodies = set()
        for value in ("a", "b"):
            client = app.test_client()
            client.set_cookie("cart", value)
            with client.session_transaction() as session:
                session["uid"] = value
            response = client.get(f"{found.rule}?q={value}", headers={"X-Visitors": value})
            assert response.status_code == 200, found.rule
            bodies.add(response.data)
        assert len(bodies) == 1, found.rule
        checked += 1
    assert checked >= 4
