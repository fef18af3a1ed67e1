"""Rules of another host are dynamic, and URLs the build is given must lead somewhere.

Fixture project: ``tests/apps/build_hosts``, a site on ``example.com`` with a blueprint on
``api.example.com`` (with its own static folder), built with ``base-url =
"http://example.com/"``; its ``url_values`` generator yields one URL that no route answers.
"""

from __future__ import annotations

from test_build_support import assert_static_pages_do_not_change
from test_build_support import build_committed
from test_build_support import line_of
from test_build_support import manifest_of
from test_build_support import report_of
from test_build_support import route_of
from test_build_support import settings_for
from test_build_support import written_urls

from sitec.compiler.build import build

WARN_BAD_STATUS = '\n[tool.sitec.problems]\nbad-status = "warn"\n'


def test_a_subdomain_blueprint_is_dynamic_with_its_reason(build_project) -> None:
    project = build_project("build_hosts")
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text() + WARN_BAD_STATUS
    )
    settings, result = build_committed(project)
    manifest = manifest_of(settings.output)
    for endpoint in ("api.api_index", "api.static"):
        route = route_of(manifest, endpoint)
        assert route["decision"] == "dynamic"
        assert route["reasons"][0]["message"].startswith("matches only the subdomain 'api'")
        assert route["urls"] == []
    assert route_of(manifest, "api.api_index")["reasons"][0]["line"] == line_of(
        project / "hosts_app.py", "api-view"
    )
    # The API's static folder is not published on the site's host.
    assert not (settings.output / "public/api_static").exists()
    assert [f["url_prefix"] for f in manifest["static_folders"]] == ["/static"]
    assert written_urls(manifest) == {
        "/": "index.html",
        "/static/site.css": "static/site.css",
        "/posts/hello/": "posts/hello/index.html",
        "/posts/world/": "posts/world/index.html",
    }
    assert assert_static_pages_do_not_change(settings) == 4


def test_a_generated_url_that_no_route_answers_is_a_problem_naming_the_generator(
    build_project,
) -> None:
    project = build_project("build_hosts")
    result = build(settings_for(project))
    assert not result.committed
    [problem] = result.failures()
    generator = line_of(project / "hosts_app.py", "generator")
    assert (problem.kind, problem.url, problem.message) == (
        "bad-status",
        "/drafts/secret/",
        "/drafts/secret/: no route answers (404)",
    )
    assert problem.found_by == f"the url_values generator at hosts_app.py:{generator}"
    assert f"found by the url_values generator at hosts_app.py:{generator}" in report_of(result)
