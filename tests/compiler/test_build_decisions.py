"""``sitec build`` decides, route by route and with evidence, which pages are static.

Fixture projects: ``tests/apps/build_decisions`` (indirect request dependence through a
blueprint hook and ``g``, a context processor, a base template, a decorator, a
``current_user``-style proxy; POST-only routes; overrides in code and in pyproject.toml),
``tests/apps/build_hook_g`` (an app-wide hook loading ``g.user`` from the session) and
``tests/apps/build_outside`` (a cookie read in a helper outside the project root, which
only the render-time proof can see). Every test that builds also requests each static page
through the runtime as two different visitors and checks it does not change.
"""

from __future__ import annotations

import pytest
from test_build_support import assert_clean_failure
from test_build_support import assert_static_pages_do_not_change
from test_build_support import build_committed
from test_build_support import line_of
from test_build_support import manifest_of
from test_build_support import report_of
from test_build_support import route_of
from test_build_support import settings_for
from test_build_support import tree
from test_build_support import written_urls

from sitec.compiler.build import build
from sitec.compiler.load import load_app

# endpoint -> (decision, reason message fragment, file, MARK in that file, via fragment)
DECISIONS = {
    "index": ("static", None, None, None, None),
    "about": ("static", None, None, None, None),  # g.site_name: set, but not from the request
    "hello": ("static", None, None, None, None),  # request.path and .endpoint: the URL's
    "members.lounge": ("dynamic", "uses g.user", "lounge.html", "template-g-user", "lounge.html"),
    "members.greeting": ("dynamic", "uses g.user", "decisions_app.py", "view-g-user", "greeting"),
    "prefs.settings_page": (
        "dynamic",
        "reads request.cookies",
        "decisions_app.py",
        "processor-cookies",
        "context_processor inject_theme",
    ),
    "dashboard": (
        "dynamic",
        "reads session",
        "account_base.html",
        "base-session",
        "account_base.html",
    ),
    "account": (
        "dynamic",
        "reads session",
        "decisions_auth.py",
        "decorator-session",
        "login_required",
    ),
    "profile": ("dynamic", "reads session", "decisions_auth.py", "proxy-session", "current_user"),
    "contact": ("dynamic", "accepts only POST", None, None, None),
    "subscribe": ("dynamic", "reads request.form", "decisions_app.py", "subscribe-form", None),
    "clock": ("dynamic", "forced dynamic", "decisions_app.py", "dynamic-override", None),
    "config_forced_dynamic": ("dynamic", "forced dynamic", None, None, "[tool.sitec.routes]"),
    "campaign": ("static", "forced static", "decisions_app.py", "static-override", None),
    "config_forced_static": ("static", "forced static", None, None, "[tool.sitec.routes]"),
    "newsletter": ("static", None, None, None, None),  # GET is a file, POST the server's
}


@pytest.fixture
def decisions(build_project):
    project = build_project("build_decisions")
    settings = settings_for(project)
    result = build(settings)
    assert result.committed, report_of(result)
    # Every decision test: what was declared static does not change for any visitor.
    assert assert_static_pages_do_not_change(settings) == 6
    return project, settings, result


@pytest.mark.parametrize("endpoint", sorted(DECISIONS))
def test_each_route_gets_its_decision_with_evidence(decisions, endpoint: str) -> None:
    project, settings, _ = decisions
    decision, message, file, mark, via = DECISIONS[endpoint]
    route = route_of(manifest_of(settings.output), endpoint)
    assert route["decision"] == decision
    if message is None:
        assert route["reasons"] == []
        return
    reasons = [r for r in route["reasons"] if message in r["message"]]
    assert reasons, route["reasons"]
    reason = reasons[0]
    if file is not None:
        source = project / ("templates/" + file if file.endswith(".html") else file)
        assert (reason["file"], reason["line"]) == (file, line_of(source, mark))
    if via is not None:
        assert via in reason.get("via", "") or via in reason["message"], reason


def test_static_pages_are_written_and_do_not_change_for_any_visitor(decisions) -> None:
    _, settings, _ = decisions
    manifest = manifest_of(settings.output)
    assert written_urls(manifest) == {
        "/": "index.html",
        "/about/": "about/index.html",
        "/hello/": "hello/index.html",
        "/campaign/": "campaign/index.html",
        "/config-static/": "config-static/index.html",
        "/newsletter/": "newsletter/index.html",
    }
    assert assert_static_pages_do_not_change(settings) == 6


def test_the_methods_a_file_cannot_answer_go_to_the_wsgi_server(decisions) -> None:
    """A static GET + POST page: the manifest says which methods the WSGI server takes,
    and the analysis notes it."""
    project, settings, result = decisions
    manifest = manifest_of(settings.output)
    newsletter = route_of(manifest, "newsletter")
    assert newsletter["decision"] == "static"
    assert newsletter["methods"] == ["GET", "HEAD", "OPTIONS", "POST"]
    assert newsletter["dynamic_methods"] == ["OPTIONS", "POST"]
    contact = route_of(manifest, "contact")  # POST only: dynamic, all of it
    assert contact["dynamic_methods"] == contact["methods"] == ["OPTIONS", "POST"]
    assert route_of(manifest, "index")["dynamic_methods"] == ["OPTIONS"]
    [note] = [n for n in result.route("newsletter").notes if "POST" in n.message]
    assert note.message == (
        "also accepts POST, which only the WSGI server can answer, even when GET is a file"
    )
    assert (note.file, note.line) == (
        "decisions_app.py",
        line_of(project / "decisions_app.py", "newsletter"),
    )
    # The runtime still takes the post.
    app = load_app(settings)
    response = app.test_client().post("/newsletter/")
    assert (response.status_code, response.headers["Location"]) == (302, "/newsletter/")


def test_dynamic_routes_write_nothing_and_each_has_a_reason(decisions) -> None:
    _, settings, _ = decisions
    public = settings.output / "public"
    for route in manifest_of(settings.output)["routes"]:
        if route["decision"] == "dynamic":
            assert route["reasons"], route
            assert route["urls"] == []
    assert not (public / "members").exists()
    assert not (public / "dashboard").exists()
    assert not (public / "prefs").exists()


def test_overrides_are_shown_in_the_report_and_the_manifest(decisions) -> None:
    project, settings, result = decisions
    manifest = manifest_of(settings.output)
    campaign = route_of(manifest, "campaign")["reasons"][0]
    assert campaign == {
        "message": "forced static: reads request.args only to log a campaign tag",
        "file": "decisions_app.py",
        "line": line_of(project / "decisions_app.py", "static-override"),
    }
    assert route_of(manifest, "clock")["reasons"][0]["message"] == (
        "forced dynamic: shows the time of the request"
    )
    assert route_of(manifest, "config_forced_static")["reasons"][0]["via"] == (
        "[tool.sitec.routes]"
    )
    overrides = {route["endpoint"]: route["override"] for route in manifest["routes"]}
    assert {endpoint: o for endpoint, o in overrides.items() if o is not None} == {
        "campaign": "static",
        "config_forced_static": "static",
        "clock": "dynamic",
        "config_forced_dynamic": "dynamic",
    }
    assert overrides["index"] is None

    report = report_of(result)
    table = report.split("\n\n", 1)[0].splitlines()
    rows = {line.split()[0]: line for line in table}
    assert "static (forced)" in rows["campaign"]
    assert "reads request.args only to log a campaign tag" in rows["campaign"]
    assert "dynamic (forced)" in rows["clock"]
    assert "static (forced)" in rows["config_forced_static"]
    assert "dynamic (forced)" in rows["config_forced_dynamic"]
    # --explain shows what the override overrode.
    assert "overridden: reads request.args" in report
    assert "overridden: reads request.headers" in report


def test_the_cli_builds_the_same_decisions(build_project, run_sitec) -> None:
    project = build_project("build_decisions")
    process = run_sitec(["build", "--explain"], project)
    assert process.returncode == 0, process.stdout + process.stderr
    assert "Traceback" not in process.stderr
    assert "because reads session at decisions_auth.py:" in process.stdout
    manifest = manifest_of(project / "_site")
    assert {r["endpoint"]: r["decision"] for r in manifest["routes"]} == {
        "static": "static",
        **{endpoint: decision for endpoint, (decision, *_) in DECISIONS.items()},
    }


def test_an_app_wide_hook_setting_g_user_keeps_pages_that_do_not_use_it_static(
    build_project,
) -> None:
    """The issue's own example: "a before_request that sets g.user from the session makes
    every page whose view or template uses g.user dynamic" -- and only those."""
    project = build_project("build_hook_g", "project")
    settings = settings_for(project)
    result = build(settings)
    assert result.committed, report_of(result)
    manifest = manifest_of(settings.output)
    me = route_of(manifest, "me")
    assert me["decision"] == "dynamic"
    assert (me["reasons"][0]["file"], me["reasons"][0]["line"]) == (
        "me.html",
        line_of(project / "templates/me.html", "template-g-user"),
    )
    assert route_of(manifest, "index")["decision"] == "static", report_of(result)
    assert written_urls(manifest)["/"] == "index.html"
    # The hook's session read did not count for /, and neither did its Vary: Cookie.
    [index] = route_of(manifest, "index")["urls"]
    assert "Vary" not in index["headers"]


def test_g_user_read_by_code_the_analysis_cannot_see_is_not_pre_rendered(build_project) -> None:
    """/vendor/ shows g.user through a helper outside the project root: the analysis
    cannot see that use, so only the render can prove the page depends on the session."""
    project = build_project("build_hook_g", "project")
    settings = settings_for(project)
    result = build(settings)
    manifest = manifest_of(settings.output) if result.committed else None
    assert manifest is not None, report_of(result)
    vendor = route_of(manifest, "vendor")
    assert vendor["decision"] == "dynamic", (
        "/vendor/ was written as a file although signed-in visitors get another page: "
        + repr((settings.output / "public/vendor/index.html").read_bytes())
    )
    assert vendor["urls"] == []
    assert assert_static_pages_do_not_change(settings) == 1


# -- the render-time proof -----------------------------------------------------------------


def test_a_read_the_analysis_cannot_see_is_caught_while_rendering(build_project) -> None:
    project = build_project("build_outside", "project")
    settings = settings_for(project)
    result = build(settings)
    assert result.committed, report_of(result)

    manifest = manifest_of(settings.output)
    themed = route_of(manifest, "themed")
    assert themed["decision"] == "dynamic"
    assert themed["urls"] == []
    reason = themed["reasons"][0]
    assert reason["message"] == "reads request.cookies while rendering /themed/"
    where = (reason["file"], reason["line"])
    assert where == ("outside_app.py", line_of(project / "outside_app.py", "outside-call"))
    assert not (settings.output / "public" / "themed").exists()
    assert written_urls(manifest) == {"/": "index.html"}

    [problem] = result.problems
    assert (problem.kind, problem.url, problem.endpoint) == ("request-read", "/themed/", "themed")
    assert result.policy_of(problem) == "warn"
    report = report_of(result)
    assert "warning [request-read] themed made dynamic: reads request.cookies" in report
    assert f"at outside_app.py:{where[1]} (via view themed)" in report
    assert assert_static_pages_do_not_change(settings) == 1


def test_strict_fails_on_a_render_time_read_and_keeps_the_previous_output(
    build_project,
    run_sitec,
) -> None:
    project = build_project("build_outside", "project")
    assert build(settings_for(project)).committed
    out = project / "_site"
    before = tree(out)

    result = build(settings_for(project, strict=True))
    assert not result.committed
    assert [(p.kind, result.policy_of(p)) for p in result.failures()] == [("request-read", "fail")]
    assert "build failed with 1 error" in report_of(result)
    assert tree(out) == before

    process = run_sitec(["build", "--strict"], project)
    line = assert_clean_failure(process, "error [request-read]", "themed", "request.cookies")
    assert "/themed/" in line
    assert tree(out) == before


def test_forced_static_is_written_and_what_it_overrides_is_a_warning(decisions) -> None:
    """The README's own example: a view that reads request.args only to log it, forced
    static with @static_page. The page is written (the user's word stands against the
    render proof too) and the report shows each read it overrode, with the override."""
    project, settings, result = decisions
    assert written_urls(manifest_of(settings.output))["/campaign/"] == "campaign/index.html"
    [warning] = [p for p in result.problems if p.endpoint == "campaign"]
    override = line_of(project / "decisions_app.py", "static-override")
    assert (warning.kind, result.policy_of(warning)) == ("request-read", "warn")
    assert warning.message == (
        "campaign reads request.args while rendering /campaign/, but it is forced static:"
        f" reads request.args only to log a campaign tag (decisions_app.py:{override}):"
        " written anyway"
    )
    assert warning.evidence is not None
    assert (warning.evidence.file, warning.evidence.line) == (
        "decisions_app.py",
        line_of(project / "decisions_app.py", "campaign-args"),
    )
    report = report_of(result)
    assert "warning [request-read] campaign reads request.args" in report
    assert "note: overridden: reads request.args while rendering /campaign/" in report


def test_forced_static_stays_a_warning_under_strict(build_project) -> None:
    project = build_project("build_decisions")
    result = build(settings_for(project, strict=True))
    assert result.committed, report_of(result)
    assert [(p.endpoint, result.policy_of(p)) for p in result.problems] == [("campaign", "warn")]


def test_forcing_static_a_page_that_reads_a_cookie_writes_it_and_says_so(
    build_project, run_sitec
) -> None:
    """Forced in [tool.sitec.routes]; the warning is true: visitors with the cookie get
    another page from the runtime than the file."""
    project = build_project("build_outside", "project")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.sitec.routes]\nthemed = "static"\n')
    settings, result = build_committed(project)
    assert written_urls(manifest_of(settings.output))["/themed/"] == "themed/index.html"
    [warning] = result.warnings()
    assert (warning.kind, warning.endpoint) == ("request-read", "themed")
    assert "but it is forced static: set in [tool.sitec.routes]" in warning.message
    process = run_sitec(["build"], project)
    assert process.returncode == 0, process.stdout + process.stderr
    assert "warning [request-read] themed reads request.cookies" in process.stdout
    assert_static_pages_do_not_change(settings, overridden={"themed"})
    with pytest.raises(AssertionError, match="themed /themed/ changed"):
        assert_static_pages_do_not_change(settings)
