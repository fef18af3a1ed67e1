"""``sitec build`` finds the URLs of static endpoints: rules, defaults, literal ``url_for``
in Python and templates, crawling, and ``url_values`` generators.

Fixture project: ``tests/apps/build_discovery``. Each parametrized page there can be found
by one source only: the literal ``url_for`` in Python sits in a POST-only view the build
never renders, the one in a template inside an ``{% if %}`` that is false while rendering,
the crawled slugs come from a loop, the generated tags are linked from nowhere.
"""

from __future__ import annotations

from test_build_support import assert_clean_failure
from test_build_support import assert_static_pages_do_not_change
from test_build_support import line_of
from test_build_support import manifest_of
from test_build_support import report_of
from test_build_support import route_of
from test_build_support import run_build
from test_build_support import settings_for
from test_build_support import tree
from test_build_support import written_urls

from sitec.compiler.analyse import analyse_app
from sitec.compiler.build import build
from sitec.compiler.discover import SiteMap
from sitec.compiler.discover import seed_urls
from sitec.compiler.load import load_app

WARN_NO_URLS = '\n[tool.sitec.problems]\nno-urls = "warn"\n'


def allow_orphans(project) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + WARN_NO_URLS)


def test_every_source_finds_its_urls_and_the_pages_are_written(build_project) -> None:
    project = build_project("build_discovery")
    allow_orphans(project)
    settings = settings_for(project)
    result = build(settings)
    assert result.committed, report_of(result)

    manifest = manifest_of(settings.output)
    assert written_urls(manifest) == {
        "/": "index.html",
        # literal url_for in Python (in a view the build never renders)
        "/notes/python-literal/": "notes/python-literal/index.html",
        # literal url_for in a template (in a branch not taken while rendering)
        "/notes/template-literal/": "notes/template-literal/index.html",
        # crawled: url_for in a loop, then a plain href on a crawled page
        "/articles/crawled-one/": "articles/crawled-one/index.html",
        "/articles/crawled-two/": "articles/crawled-two/index.html",
        "/articles/linked-from-an-article/": "articles/linked-from-an-article/index.html",
        # a url_values generator
        "/tags/generated-a/": "tags/generated-a/index.html",
        "/tags/generated-b/": "tags/generated-b/index.html",
        # rule defaults
        "/archive/": "archive/index.html",
    }
    assert (settings.output / "public/archive/index.html").read_bytes() == b"<p>archive 2024</p>"
    assert assert_static_pages_do_not_change(settings) == 9


def test_each_url_is_found_by_the_source_the_fixture_means(build_project) -> None:
    """What is known before rendering, and from where; the rest is the crawl's."""
    project = build_project("build_discovery")
    settings = settings_for(project)
    app = load_app(settings)
    analysis = analyse_app(app, settings.project_root)
    problems: list = []
    site = SiteMap(app, settings.address, analysis)
    seeds = {
        c.url: (c.source, c.origin)
        for c in seed_urls(site, analysis, settings.project_root, problems)
    }
    app_py = project / "discovery_app.py"
    index_html = project / "templates/index.html"
    generator = f"discovery_app.py:{line_of(app_py, 'generator')}"
    assert seeds == {
        "/": ("rule", "rule /"),
        "/archive/": ("defaults", "rule /archive/"),
        "/notes/python-literal/": (
            "url_for",
            f"discovery_app.py:{line_of(app_py, 'python-url-for')}",
        ),
        "/notes/template-literal/": (
            "url_for",
            f"index.html:{line_of(index_html, 'template-url-for')}",
        ),
        "/tags/generated-a/": ("generator", seeds["/tags/generated-a/"][1]),
        "/tags/generated-b/": ("generator", seeds["/tags/generated-b/"][1]),
    }
    assert problems == []
    # Evidence and origins name project files relative to the project root.
    assert seeds["/tags/generated-a/"][1] == generator


def test_a_static_endpoint_without_urls_fails_the_build_by_default(
    build_project, run_sitec
) -> None:
    project = build_project("build_discovery")
    result = run_build(project)
    assert not result.committed
    [failure] = result.failures()
    assert (failure.kind, failure.endpoint) == ("no-urls", "orphan")
    assert "/orphans/<name>/" in failure.message
    assert "url_values" in failure.message  # says what to do
    assert not (project / "_site").exists()

    process = run_sitec(["build"], project)
    assert_clean_failure(process, "error [no-urls]", "orphan", "/orphans/<name>/")
    assert not (project / "_site").exists()


def test_the_warn_policy_lets_a_build_without_urls_pass(build_project, run_sitec) -> None:
    project = build_project("build_discovery")
    allow_orphans(project)
    result = run_build(project)
    assert result.committed
    assert [p.kind for p in result.warnings()] == ["no-urls"]
    assert "warning [no-urls] orphan" in report_of(result)
    orphan = route_of(manifest_of(project / "_site"), "orphan")
    assert (orphan["decision"], orphan["urls"]) == ("static", [])

    process = run_sitec(["build"], project)
    assert process.returncode == 0, process.stdout + process.stderr
    assert "warning [no-urls] orphan" in process.stdout


def test_url_values_generators_of_one_app_do_not_leak_into_the_next_build(
    build_project,
) -> None:
    """Two builds in one process (the Python API, a watch server): the second app has no
    ``tag`` endpoint, so the first app's generator must not run for it."""
    discovery = build_project("build_discovery")
    allow_orphans(discovery)
    assert run_build(discovery).committed
    other = build_project("build_bad_input")
    result = run_build(other, app="intact_app:app")
    assert result.problems == [], report_of(result)
    assert result.committed


def test_rebuilding_gives_the_same_tree(build_project) -> None:
    project = build_project("build_discovery")
    allow_orphans(project)
    assert run_build(project).committed
    first = tree(project / "_site")
    assert run_build(project).committed
    assert tree(project / "_site") == first
