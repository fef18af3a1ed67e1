"""``sitec explain`` shows the decisions without building, and says when its answer is
the analysis alone and the last build found more.

Fixture projects: ``tests/apps/build_outside`` (a cookie read the analysis cannot see:
only a build's render finds it) and ``tests/apps/build_decisions``.
"""

from __future__ import annotations

import os

import pytest
from test_build_support import assert_clean_failure
from test_build_support import assert_static_pages_do_not_change
from test_build_support import build_committed
from test_build_support import line_of
from test_build_support import run_sitec

ANALYSIS_ONLY = "From the analysis alone: sitec build also renders every static page"


@pytest.fixture
def outside(build_project):
    return build_project("build_outside", "project")


def test_before_any_build_it_says_the_answer_is_the_analysis_alone(outside) -> None:
    process = run_sitec(["explain", "themed"], outside)
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines() == [
        f"{ANALYSIS_ONLY} and makes it dynamic if the render reads the request.",
        "themed  /themed/  -> static",
        "    no request-bound state on any path the analysis can see",
    ]


def test_after_a_build_it_shows_what_the_render_found(outside) -> None:
    settings, _ = build_committed(outside)
    assert assert_static_pages_do_not_change(settings) == 1
    line = line_of(outside / "outside_app.py", "outside-call")
    for target in ("themed", "/themed/", "/themed/?q=1#top", "http://localhost/themed"):
        process = run_sitec(["explain", target], outside)
        assert process.returncode == 0, process.stderr
        lines = process.stdout.splitlines()
        assert lines[0].startswith("From the analysis, and what the last build (")
        assert str(settings.output / "manifest.json") in lines[0]
        assert lines[1:] == [
            "themed  /themed/  -> static; the last build made it dynamic",
            "    the build found: reads request.cookies while rendering /themed/"
            f" at outside_app.py:{line} (via view themed)",
        ]


def test_a_build_older_than_the_code_is_not_used(outside) -> None:
    settings, _ = build_committed(outside)
    manifest = settings.output / "manifest.json"
    later = manifest.stat().st_mtime + 60
    os.utime(outside / "templates/page.html", (later, later))
    process = run_sitec(["explain", "themed"], outside)
    lines = process.stdout.splitlines()
    assert lines[0].startswith("From the analysis alone: the last build (")
    assert "is older than the code, so what it found while rendering is not shown" in lines[0]
    assert lines[1] == "themed  /themed/  -> static"


def test_explain_and_build_agree_where_the_analysis_sees_everything(build_project) -> None:
    project = build_project("build_decisions")
    settings, result = build_committed(project)
    process = run_sitec(["explain"], project)
    assert process.returncode == 0, process.stderr
    shown = {
        line.split("  ")[0]: line.split("-> ")[1]
        for line in process.stdout.splitlines()
        if "  -> " in line and not line.startswith(" ")
    }
    built = {
        route.endpoint: route.decision + (" (forced)" if route.override else "")
        for route in result.routes
    }
    assert shown == built
    assert "the last build made it" not in process.stdout
    assert "because reads session at decisions_auth.py:" in process.stdout


def test_a_url_no_route_answers(outside) -> None:
    process = run_sitec(["explain", "/no/such/page?x=1"], outside)
    assert_clean_failure(process, "Error: No route has the endpoint or URL '/no/such/page?x=1'")
