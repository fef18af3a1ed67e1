"""The deploy bundle end to end: real nginx, Caddy and gunicorn answer as the runtime does.

Fixture project: ``tests/apps/deploy_site`` (static pages, hostile file names, recorded
headers, a redirect, dynamic rules with an ``int`` and a lookahead converter, a GET page
with a POST rule, a 404 handler). For every URL of the manifest, its trailing-slash
variant, redirects, dynamic URLs, a missing page, a HEAD, a conditional GET and a POST,
the answer through each host must equal the runtime's in-process answer: status, type and
body, or for a redirect its status and target (a redirect's body is the host's own
boilerplate). A conditional GET may get 304 from a host that sent a validator, when the
body it validates is the runtime's. Files carry the headers the build recorded. Dynamic
URLs reach the app; files never do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import typing as t
from pathlib import Path
from urllib.parse import unquote
from urllib.parse import urljoin
from urllib.parse import urlsplit

import pytest
from servers import free_port
from test_build_support import manifest_of
from test_build_support import report_of
from test_build_support import settings_for
from test_emit_support import Answer
from test_emit_support import ask_runtime
from test_emit_support import assert_fingerprinted_files_are_cached_long
from test_emit_support import caddy
from test_emit_support import fetch
from test_emit_support import gunicorn
from test_emit_support import nginx

from sitec.compiler.build import build
from sitec.compiler.emit.caddy import sort_answers
from sitec.compiler.emit.plan import plan_deploy
from sitec.compiler.load import load_app
from sitec.compiler.project import DeploySettings

#: Dynamic requests: (method, app-relative URL, form body).
DYNAMIC = [
    ("GET", "/search?q=caf%C3%A9%20au%20lait", b""),
    ("HEAD", "/search?q=x", b""),
    ("GET", "/hits/3/", b""),
    ("GET", "/hits/3", b""),  # the app adds the slash
    ("GET", "/hits/x/", b""),  # not an int: the app's 404
    ("GET", "/u/bob", b""),
    ("GET", "/u/admin", b""),  # the lookahead refuses it: the app's 404
    ("POST", "/contact", b"name=ann"),
]
#: Requests no file answers that reach the app anyway: other methods on files.
OTHER_METHODS = [("POST", "/a/", b""), ("OPTIONS", "/about", b"")]
MISSING = ["/no/such/page/", "/about/", "/a/index.html", "/404.html"]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclasses.dataclass
class Site:
    out: Path
    manifest: dict[str, t.Any]
    script_name: str
    client: t.Any
    host_port: int
    app_port: int


def built_site(build_project, base_url: str) -> Site:
    project = build_project("deploy_site")
    app_port, host_port = free_port(), free_port()
    settings = dataclasses.replace(
        settings_for(project, base_url=base_url),
        deploy=DeploySettings(listen=f"127.0.0.1:{host_port}", upstream=f"127.0.0.1:{app_port}"),
    )
    result = build(settings)
    assert result.committed, report_of(result)
    client = load_app(settings).test_client()
    return Site(
        settings.output,
        manifest_of(settings.output),
        base_url.rstrip("/"),
        client,
        host_port,
        app_port,
    )


@pytest.mark.parametrize("base_url", ["/", "/docs/"])
@pytest.mark.parametrize("host", ["nginx", "caddy", "gunicorn"])
def test_the_host_answers_every_url_as_the_runtime(
    build_project, tmp_path: Path, host: str, base_url: str
) -> None:
    site = built_site(build_project, base_url)
    with contextlib.ExitStack() as servers:
        if host == "gunicorn":
            servers.enter_context(gunicorn(site.out, site.app_port, tmp_path, serve_public=True))
            port = site.app_port
        else:
            servers.enter_context(gunicorn(site.out, site.app_port, tmp_path))
            start = nginx if host == "nginx" else caddy
            servers.enter_context(start(site.out, site.host_port, tmp_path))
            port = site.host_port
        checked = _compare_every_url(site, port)
        assert_fingerprinted_files_are_cached_long(
            lambda url: fetch(port, "GET", site.script_name + url),
            lambda url: ask_runtime(site.client, "GET", url, site.script_name),
        )
    assert checked > 60

    reached = set((tmp_path / "reached.log").read_text(encoding="utf-8").splitlines())
    requested = DYNAMIC + OTHER_METHODS
    dynamic = {f"{method} {unquote(urlsplit(url).path)}" for method, url, _ in requested}
    assert dynamic <= reached, f"dynamic URLs that never reached the app: {dynamic - reached}"
    left_to_app = set()
    if host == "caddy":
        prefix = len(site.script_name)
        left_to_app = {
            path[prefix:] for path, _ in sort_answers(plan_deploy(site.manifest)).left_to_app
        }
    files = {unquote(entry["url"]) for entry in _file_entries(site.manifest)} - left_to_app
    files = {f"{method} {path}" for path in files for method in ("GET", "HEAD")}
    assert not files & reached, f"files that reached the app: {files & reached}"


def test_the_bundle_finds_its_project_after_a_move(build_project, tmp_path: Path) -> None:
    """Inside the project (the default ``_site``) the bundle names the project relatively,
    so both move together; outside it, ``SITEC_PROJECT`` says where the project went."""
    project = build_project("deploy_site")
    assert build(settings_for(project)).committed
    assert build(settings_for(project, output=str(tmp_path / "outside"))).committed
    moved = tmp_path / "srv" / "site"
    moved.parent.mkdir()
    shutil.move(project, moved)

    port = free_port()
    with gunicorn(moved / "_site", port, tmp_path, serve_public=True):
        assert fetch(port, "GET", "/search?q=moved").body == b"results for moved"
        assert fetch(port, "GET", "/a/").status == 200
    port = free_port()
    with gunicorn(tmp_path / "outside", port, tmp_path, env={"SITEC_PROJECT": str(moved)}):
        assert fetch(port, "GET", "/search?q=outside").body == b"results for outside"


@pytest.mark.parametrize("host", ["nginx", "caddy"])
def test_a_subdomain_rule_leaves_the_sites_own_paths_to_the_site(
    build_project, tmp_path: Path, host: str
) -> None:
    """``build_hosts`` has an API blueprint on api.example.com: the host config of
    example.com serves the site's files and its own 404 for unknown paths, and sends
    nothing to the WSGI server (none runs here: a proxied request would get a 502)."""
    project = build_project("build_hosts")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.sitec.problems]\nbad-status = "warn"\n')
    port = free_port()
    settings = dataclasses.replace(
        settings_for(project),
        deploy=DeploySettings(listen=f"127.0.0.1:{port}", upstream=f"127.0.0.1:{free_port()}"),
    )
    result = build(settings)
    assert result.committed, report_of(result)
    host_config = [p.message for p in result.problems if p.kind == "host-config"]
    assert [m.split(":")[0] for m in host_config] == [
        "api.api_index (/)",
        "api.static (/api_static/<path",
    ]
    start = nginx if host == "nginx" else caddy
    with start(settings.output, port, tmp_path):
        home = fetch(port, "GET", "/", {"Host": "example.com"})
        assert home.status == 200
        assert home.body == (settings.output / "public/index.html").read_bytes()
        assert fetch(port, "GET", "/posts/world/", {"Host": "example.com"}).status == 200
        for path in ("/no/such/page/", "/api_static/api.css", "/drafts/secret/"):
            assert fetch(port, "GET", path, {"Host": "example.com"}).status == 404, path


def _file_entries(manifest: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    return [entry for route in manifest["routes"] for entry in route["urls"]]


def _compare_every_url(site: Site, port: int) -> int:
    checked = 0

    def check(method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b""):
        nonlocal checked
        host = fetch(port, method, site.script_name + url, headers, body)
        runtime = ask_runtime(site.client, method, url, site.script_name, headers, body)
        _assert_same(host, runtime, f"{method} {site.script_name + url} through port {port}")
        checked += 1
        return host

    for entry in _file_entries(site.manifest):
        url = entry["url"]
        for method in ("GET", "HEAD"):
            answer = check(method, url)
            for name, value in entry["headers"].items():
                assert answer.header(name) == value, f"{method} {url}: {name}"
        _check_conditional(site, port, url)
        # The runtime serves /static/x.css/ as /static/x.css (safe_join drops the slash);
        # a host answers 404 there, as for any URL the build did not write.
        if url != "/" and not entry["file"].startswith("static/"):
            check("GET", url[:-1] if url.endswith("/") else url + "/")
    for redirect in site.manifest["redirects"]:
        check("GET", redirect["url"])
        check("GET", redirect["url"].rstrip("/"))
    for method, url, body in DYNAMIC + OTHER_METHODS:
        check(method, url, FORM if body else None, body)
    for url in MISSING:
        check("GET", url)
    return checked


def _check_conditional(site: Site, port: int, url: str) -> None:
    full = site.script_name + url
    first = fetch(port, "GET", full)
    validators = {}
    if first.header("ETag"):
        validators["If-None-Match"] = first.header("ETag")
    if first.header("Last-Modified"):
        validators["If-Modified-Since"] = first.header("Last-Modified")
    host = fetch(port, "GET", full, validators)
    runtime = ask_runtime(site.client, "GET", url, site.script_name, validators)
    if host.status == 304:
        assert validators, f"{full}: 304 without a validator"
        assert host.body == b""
        assert runtime.status == 200 and first.body == runtime.body, f"{full}: stale 304"
    else:
        _assert_same(host, runtime, f"conditional GET {full}")


def _assert_same(host: Answer, runtime: Answer, what: str) -> None:
    assert host.status == runtime.status, (
        f"{what}: status {host.status}, the runtime answers {runtime.status}\n"
        f"host body: {host.body[:300]!r}"
    )
    if 300 <= runtime.status < 400:
        base = "http://127.0.0.1/"
        expected = urlsplit(urljoin(base, runtime.header("Location") or ""))
        got = urlsplit(urljoin(base, host.header("Location") or ""))
        assert (unquote(got.path), got.query) == (unquote(expected.path), expected.query), what
        return
    assert host.header("Content-Type") == runtime.header("Content-Type"), what
    assert host.body == runtime.body, (
        f"{what}:\nhost:    {host.body[:300]!r}\nruntime: {runtime.body[:300]!r}"
    )
