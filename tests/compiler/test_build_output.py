"""What ``sitec build`` writes: file names, recorded headers, static folders, 404.html,
redirects, ``manifest.json``; ``--base-url``; and the same bytes whatever ``--jobs``.

Fixture project: ``tests/apps/build_output`` (an app factory with a blueprint that has its
own static folder).
"""

from __future__ import annotations

import hashlib
import re

import pytest
from test_build_support import assert_static_pages_do_not_change
from test_build_support import build_committed
from test_build_support import line_of
from test_build_support import manifest_of
from test_build_support import report_of
from test_build_support import route_of
from test_build_support import run_sitec_on_a_terminal
from test_build_support import settings_for
from test_build_support import tree
from test_build_support import written_urls

from sitec.compiler.build import build
from sitec.compiler.load import load_app
from sitec.compiler.manifest import validate_manifest

#: The summary line of the fixture's build, without its sizes and time.
SUMMARY = re.compile(
    r"^10 pages pre-rendered \(\d+ B\), 2 static files copied \(\d+ B\), 404.html written,"
    r" 2 redirects, 0 dynamic routes, in [\d.]+s -> ",
    re.M,
)


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
        # A folder URL answering JSON: an index file named by its type.
        "/api/posts/": "api/posts/index.json",
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
    assert headers("posts_api") == {"Content-Type": "application/json"}
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


def test_static_files_get_the_headers_the_runtime_sends_them_with(build_project) -> None:
    """Each static file is requested through the app once: its caching (the app's
    default, a blueprint's per-file get_send_file_max_age) and the after_request
    security headers are recorded, as a host must replay them."""
    project = build_project("build_output")
    settings, result = build_committed(project, app="headers_app:app")
    security = {
        "Content-Security-Policy": "default-src 'self'",
        "X-Frame-Options": "DENY",
        "Strict-Transport-Security": "max-age=63072000",
        "Referrer-Policy": "no-referrer",
    }
    files = {
        entry["url"]: entry["headers"]
        for route in manifest_of(settings.output)["routes"]
        for entry in route["urls"]
    }
    assert files["/static/css/site.css"] == {
        "Content-Type": "text/css; charset=utf-8",
        "Cache-Control": "no-cache",
        "Content-Disposition": "inline; filename=site.css",  # send_file names the file
        **security,
        "Link": "</shop/assets/img/logo.svg>; rel=preload; as=image",
    }
    assert files["/shop/assets/img/logo.svg"] == {
        "Content-Type": "image/svg+xml; charset=utf-8",
        "Cache-Control": "public, max-age=31536000",
        "Content-Disposition": "inline; filename=logo.svg",
        **security,
    }
    assert files["/"] == {"Content-Type": "text/html; charset=utf-8", **security}
    # The runtime answers every visitor with these bytes and these headers.
    assert assert_static_pages_do_not_change(settings) == 3


def test_a_static_file_answered_per_visitor_makes_its_folder_dynamic(build_project) -> None:
    project = build_project("build_output")
    settings, result = build_committed(project, app="static_reads_app:app")
    manifest = manifest_of(settings.output)
    shop = route_of(manifest, "shop.static")
    assert shop["decision"] == "dynamic"
    assert shop["urls"] == []
    [reason] = shop["reasons"]
    assert reason["message"] == ("reads request.cookies while rendering /shop/assets/img/logo.svg")
    assert (reason["file"], reason["line"]) == (
        "static_reads_app.py",
        line_of(project / "static_reads_app.py", "static-read"),
    )
    assert not (settings.output / "public/shop").exists()
    assert [f["url_prefix"] for f in manifest["static_folders"]] == ["/static"]
    assert [(p.kind, p.endpoint) for p in result.problems] == [("request-read", "shop.static")]
    assert assert_static_pages_do_not_change(settings) == 2


def test_404_html_is_the_apps_404_page(output) -> None:
    app = load_app(output)
    response = app.test_client().get("/no/such/page/")
    assert response.status_code == 404
    assert (output.output / "public/404.html").read_bytes() == response.get_data()
    assert manifest_of(output.output)["not_found"] == "404.html"


def test_a_generic_error_handler_makes_404_html_too(build_project) -> None:
    project = build_project("build_output")
    settings, result = build_committed(project, app="errors_app:app")
    response = load_app(settings).test_client().get("/no/such/page/")
    assert response.status_code == 404
    assert (settings.output / "public/404.html").read_bytes() == response.get_data()
    assert response.get_data() == b"<h1>404 Not Found</h1>"
    assert manifest_of(settings.output)["not_found"] == "404.html"


def test_redirects_are_recorded_not_written(output) -> None:
    manifest = manifest_of(output.output)
    assert manifest["redirects"] == [
        {"url": "/old/", "location": "/a/", "status": 301},
        # To another site: recorded like any redirect, not followed.
        {"url": "/source/", "location": "https://github.com/pallets/flask", "status": 302},
    ]
    assert not (output.output / "public/old").exists()
    assert not (output.output / "public/source").exists()
    for endpoint in ("old", "source"):
        route = route_of(manifest, endpoint)
        assert (route["decision"], route["urls"]) == ("static", [])


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
    bundle = ["server", "server/routes.json", "server/wsgi.py"]
    bundle += ["deploy", "deploy/Caddyfile", "deploy/nginx.conf"]
    bundle += ["deploy/netlify", "deploy/netlify/_headers", "deploy/netlify/_redirects"]
    assert sorted(tree(output.output)) == sorted(["manifest.json", "public", *in_public, *bundle])


def test_static_pages_do_not_change_for_any_visitor(output) -> None:
    assert assert_static_pages_do_not_change(output) == 12


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
    assert manifest["redirects"] == [
        {"url": "/old/", "location": "/docs/a/", "status": 301},
        {"url": "/source/", "location": "https://github.com/pallets/flask", "status": 302},
    ]
    assert b'href="/docs/"' in (public / "404.html").read_bytes()
    assert '<link rel="canonical" href="http://localhost/docs/">' in index
    assert assert_static_pages_do_not_change(settings) == 12


def test_a_full_base_url_gives_absolute_links_its_scheme_and_host(build_project) -> None:
    project = build_project("build_output")
    settings, result = build_committed(project, base_url="https://example.org/docs/")
    index = (settings.output / "public/index.html").read_text()
    assert '<link rel="canonical" href="https://example.org/docs/">' in index
    assert 'href="/docs/a/"' in index
    manifest = manifest_of(settings.output)
    assert manifest["base_url"] == "/docs/"
    assert written_urls(manifest)["/a/"] == "a/index.html"
    # Served from https://example.org/docs/, the runtime answers with the same bytes.
    assert assert_static_pages_do_not_change(settings) == 12


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
    # The host configs name the folder they serve: the only difference allowed.
    assert _named_out(tmp_path / "one") == _named_out(tmp_path / "two")


def _named_out(out) -> dict[str, bytes | None]:
    where = str(out).encode()
    return {
        path: data.replace(where, b"OUT") if data is not None else None
        for path, data in tree(out).items()
    }


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
    assert counts == sum(len(files) for files in result.files.values())


def test_the_cli_writes_the_same_tree_as_the_api(build_project, tmp_path, run_sitec) -> None:
    project = build_project("build_output")
    assert build(settings_for(project, output=str(tmp_path / "api"))).committed
    process = run_sitec(["build", "-o", str(tmp_path / "cli"), "--jobs", "2"], project)
    assert process.returncode == 0, process.stdout + process.stderr
    assert SUMMARY.search(process.stdout), process.stdout
    assert _named_out(tmp_path / "cli") == _named_out(tmp_path / "api")


def test_the_cli_shows_a_progress_bar_on_a_terminal_only(
    build_project, run_sitec, sitec_script
) -> None:
    project = build_project("build_output")
    code, stdout, terminal = run_sitec_on_a_terminal(sitec_script, ["build"], project)
    assert code == 0, stdout + terminal
    # Redrawn in place (\r) as pages come: the last state is full.
    bars = re.findall(r"rendering pages  \[([#-]+)\]  (\d+)/(\d+)", terminal)
    assert len(bars) > 1, terminal
    assert bars[-1] == ("#" * len(bars[-1][0]), "12", "12")
    assert [int(done) for _, done, _ in bars] == sorted(int(done) for _, done, _ in bars)
    assert SUMMARY.search(stdout) and "rendering pages" not in stdout

    process = run_sitec(["build"], project)  # stderr is a pipe: no bar at all
    assert process.returncode == 0
    assert process.stderr == ""


def test_the_summary_counts_pages_static_files_and_the_404_page_apart(output, run_sitec) -> None:
    """Pages a view rendered, files copied from static folders and 404.html are
    different things to a newcomer: each has its own count and size."""
    manifest = manifest_of(output.output)
    public = output.output / "public"
    sizes: dict[bool, list[int]] = {True: [], False: []}
    for route in manifest["routes"]:
        copied = route["endpoint"].endswith("static")
        sizes[copied] += [(public / u["file"]).stat().st_size for u in route["urls"]]
    pages, copied = sizes[False], sizes[True]
    assert (len(pages), len(copied)) == (10, 2)
    process = run_sitec(["build"], output.project_root)
    assert process.returncode == 0, process.stderr
    assert SUMMARY.search(process.stdout), process.stdout
    assert f"pre-rendered ({sum(pages)} B), 2 static files copied ({sum(copied)} B)" in (
        process.stdout
    )
    # The table's rows of static folders say so too, not "static" beside "static".
    rows = {line.split()[0]: line.split()[2:] for line in process.stdout.splitlines()[1:3]}
    assert rows.keys() == {"static", "shop.static"}
    for row in rows.values():
        assert row[:3] == ["static", "files", "1"]
        assert " ".join(row).endswith(" the static folder's files, copied as they are")
    # Without a 404 handler there is no 404 page, and the summary says so.
    (output.project_root / "output_app.py").write_text(
        (output.project_root / "output_app.py")
        .read_text()
        .replace("@app.errorhandler(404)", "@app.errorhandler(418)")
    )
    process = run_sitec(["build"], output.project_root)
    assert process.returncode == 0, process.stderr
    assert ", 2 static files copied (" in process.stdout
    assert "B), no 404 page, 2 redirects," in process.stdout


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_demoted_endpoint_leaves_no_trace_of_its_pages(build_project, jobs: int) -> None:
    """Pages are written as they come in, before the build knows their endpoint's fate:
    one page of /notes/<slug>/ reads the request, so all forty others must go again."""
    project = build_project("build_demoted", "project")
    settings = settings_for(project, jobs=jobs)
    result = build(settings)
    assert result.committed, report_of(result)
    assert route_of(manifest_of(settings.output), "note")["decision"] == "dynamic"
    assert tree(settings.output / "public") == {
        "index.html": (settings.output / "public/index.html").read_bytes()
    }
    assert not (settings.output / "public" / "notes").exists()
