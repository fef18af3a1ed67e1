"""What ``sitec build`` writes: file names, recorded headers, static folders, 404.html,
redirects, ``manifest.json``; ``--base-url``; and the same bytes whatever ``--jobs``.

Fixture project: ``tests/apps/build_output`` (an app factory with a blueprint that has its
own static folder).
"""

from __future__ import annotations

import hashlib

import pytest
from test_build_support import assert_static_pages_do_not_change
from test_build_support import manifest_of
from test_build_support import report_of
from test_build_support import route_of
from test_build_support import run_sitec
from test_build_support import settings_for
from test_build_support import tree
from test_build_support import written_urls

from sitec.compiler.build import build
from sitec.compiler.load import load_app
from sitec.compiler.manifest import validate_manifest


@pytest.fixture
def output(build_project):
    project = build_project("build_output")
    settings = settings_for(project)
    result = build(settings)
    assert result.committed, report_of(result)
    assert result.problems == [], report_of(result)
    return settings


def test_each_url_gets_its_file(output) -> None:
    assert written_urls(manifest_of(output.output)) == {
        "/": "index.html",
        "/a/": "a/index.html",
        "/about": "about.html",
        "/feed.xml": "feed.xml",
        "/api/posts.json": "api/posts.json",
        "/api/status": "api/status",
        "/secure/": "secure/index.html",
        "/shop/": "shop/index.html",
        "/static/css/site.css": "static/css/site.css",
        "/shop/assets/img/logo.svg": "shop/assets/img/logo.svg",
        # Percent-encoded in the URL, decoded in the file name, as hosts look files up.
        "/shop/items/caf%C3%A9%20cr%C3%A8me/": "shop/items/café crème/index.html",
    }
    public = output.output / "public"
    assert (public / "feed.xml").read_bytes().startswith(b'<?xml version="1.0"?><rss')
    assert b'"posts"' in (public / "api/posts.json").read_bytes()


def test_types_and_replayed_headers_are_recorded_per_file(output) -> None:
    manifest = manifest_of(output.output)

    def headers(endpoint: str) -> dict[str, str]:
        [entry] = route_of(manifest, endpoint)["urls"]
        return entry["headers"]

    assert headers("about") == {"Content-Type": "text/html; charset=utf-8"}
    assert headers("feed") == {"Content-Type": "application/rss+xml; charset=utf-8"}
    assert headers("posts_json") == {"Content-Type": "application/json"}
    # No extension: the file keeps the URL's name and the manifest keeps its type.
    assert headers("status") == {"Content-Type": "application/json"}
    assert headers("secure") == {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "public, max-age=600",
        "Content-Security-Policy": "default-src 'self'",
        "Content-Language": "fr",
        "X-Frame-Options": "DENY",
    }
    assert headers("static")["Content-Type"] == "text/css; charset=utf-8"


def test_the_app_and_blueprint_static_folders_are_copied(output) -> None:
    public = output.output / "public"
    project = output.project_root
    assert (public / "static/css/site.css").read_bytes() == (
        project / "static/css/site.css"
    ).read_bytes()
    assert (public / "shop/assets/img/logo.svg").read_bytes() == (
        project / "shop/shop_static/img/logo.svg"
    ).read_bytes()
    assert manifest_of(output.output)["static_folders"] == [
        {"url_prefix": "/shop/assets", "folder": "shop/shop_static"},
        {"url_prefix": "/static", "folder": "static"},
    ]


def test_404_html_is_the_apps_404_page(output) -> None:
    app = load_app(output)
    response = app.test_client().get("/no/such/page/")
    assert response.status_code == 404
    assert (output.output / "public/404.html").read_bytes() == response.get_data()
    assert manifest_of(output.output)["not_found"] == "404.html"


def test_redirects_are_recorded_not_written(output) -> None:
    manifest = manifest_of(output.output)
    assert manifest["redirects"] == [{"url": "/old/", "location": "/a/", "status": 301}]
    assert not (output.output / "public/old").exists()
    old = route_of(manifest, "old")
    assert (old["decision"], old["urls"]) == ("static", [])


def test_the_manifest_has_the_designed_shape(output) -> None:
    manifest = manifest_of(output.output)
    validate_manifest(manifest)
    assert manifest["version"] == 1
    assert manifest["base_url"] == "/"
    public = output.output / "public"
    listed = set()
    for route in manifest["routes"]:
        assert set(route) >= {"endpoint", "rule", "methods", "decision", "reasons", "urls"}
        assert route["methods"] == sorted(route["methods"])
        assert "GET" in route["methods"]
        assert route["decision"] in {"static", "dynamic"}
        if route["decision"] == "dynamic":
            assert route["reasons"]
        for entry in route["urls"]:
            assert set(entry) >= {"url", "file", "sha256", "headers"}
            data = (public / entry["file"]).read_bytes()
            assert entry["sha256"] == hashlib.sha256(data).hexdigest()
            assert "Content-Type" in entry["headers"]
            listed.add(entry["file"])
    on_disk = {p for p, data in tree(public).items() if data is not None}
    # Every file written is in the manifest (404.html under not_found), and nothing else.
    assert on_disk == listed | {"404.html"}
    in_public = [f"public/{path}" for path in tree(public)]
    assert sorted(tree(output.output)) == sorted(["manifest.json", "public", *in_public])


def test_static_pages_do_not_change_for_any_visitor(output) -> None:
    assert assert_static_pages_do_not_change(output) == 11


def test_a_base_url_goes_into_links_but_not_into_file_paths(build_project) -> None:
    project = build_project("build_output")
    settings = settings_for(project, base_url="/docs/")
    result = build(settings)
    assert result.committed, report_of(result)
    public = settings.output / "public"
    index = (public / "index.html").read_text()
    assert 'href="/docs/static/css/site.css"' in index
    assert 'href="/docs/a/"' in index
    assert 'href="/docs/shop/"' in index
    assert '"/a/"' not in index
    assert (public / "a/index.html").is_file()
    assert not (public / "docs").exists()
    manifest = manifest_of(settings.output)
    assert manifest["base_url"] == "/docs/"
    assert written_urls(manifest)["/a/"] == "a/index.html"
    assert manifest["redirects"] == [{"url": "/old/", "location": "/docs/a/", "status": 301}]
    assert b'href="/docs/"' in (public / "404.html").read_bytes()
    assert assert_static_pages_do_not_change(settings) == 11


@pytest.mark.parametrize(
    ("fixture", "subfolder"),
    [("build_output", ""), ("build_outside", "project"), ("build_decisions", "")],
)
def test_one_and_two_jobs_give_byte_identical_trees(
    build_project, tmp_path, fixture: str, subfolder: str
) -> None:
    project = build_project(fixture, subfolder)
    one = build(settings_for(project, jobs=1, output=str(tmp_path / "one")))
    two = build(settings_for(project, jobs=2, output=str(tmp_path / "two")))
    assert one.committed and two.committed
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_the_route_table_counts_each_url_once(build_project) -> None:
    """An endpoint with two rules (``/archive/`` with defaults, ``/archive/<int:year>/``)
    wrote one file; the table must not count it for both rules."""
    project = build_project("build_discovery")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.sitec.problems]\nno-urls = "warn"\n')
    result = build(settings_for(project))
    assert result.committed
    table = report_of(result, explain=False).split("\n\n", 1)[0].splitlines()[1:]
    archive = [row.split() for row in table if row.startswith("archive ")]
    assert [(row[1], row[3]) for row in archive] == [
        ("/archive/", "1"),
        ("/archive/<int:year>/", "0"),
    ]
    counts = sum(int(row.split()[3]) for row in table if row.split()[3].isdigit())
    assert counts == result.page_count


def test_the_cli_writes_the_same_tree_as_the_api(build_project, tmp_path) -> None:
    project = build_project("build_output")
    assert build(settings_for(project, output=str(tmp_path / "api"))).committed
    process = run_sitec(["build", "-o", str(tmp_path / "cli"), "--jobs", "2"], project)
    assert process.returncode == 0, process.stdout + process.stderr
    assert "11 pages pre-rendered" in process.stdout
    assert "1 redirects" in process.stdout
    assert tree(tmp_path / "cli") == tree(tmp_path / "api")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_demoted_endpoint_leaves_no_trace_of_its_pages(build_project, jobs: int) -> None:
    """Workers write pages ahead before the build knows their endpoint's fate: one page
    of /notes/<slug>/ reads the request, so all forty others must go again."""
    project = build_project("build_demoted", "project")
    settings = settings_for(project, jobs=jobs)
    result = build(settings)
    assert result.committed, report_of(result)
    assert route_of(manifest_of(settings.output), "note")["decision"] == "dynamic"
    assert tree(settings.output / "public") == {
        "index.html": (settings.output / "public/index.html").read_bytes()
    }
    assert sorted(path.name for path in settings.output.iterdir()) == ["manifest.json", "public"]
