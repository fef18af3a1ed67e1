"""``sitec serve`` answers as the deploy bundle's single-server mode does.

Fixture project: ``tests/apps/deploy_site`` (hostile file names, recorded headers, a
redirect, dynamic rules, a GET page with a POST rule, a 404 handler), at the root and
under a path prefix. ``sitec serve`` builds it and serves it; gunicorn then runs the
bundle it built (``server/wsgi.py`` with ``SITEC_SERVE_PUBLIC=1``). Every URL of the
manifest, its trailing-slash variant, a conditional GET, the redirects, dynamic URLs,
other methods and missing pages get the same status, headers and body from both,
apart from the headers that name the server software and the time.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import typing as t
from pathlib import Path

import pytest
from servers import free_port
from servers import running
from test_emit_hosts import DYNAMIC
from test_emit_hosts import FORM
from test_emit_hosts import MISSING
from test_emit_hosts import OTHER_METHODS
from test_emit_support import Answer
from test_emit_support import fetch
from test_emit_support import gunicorn

APPS = Path(__file__).resolve().parents[1] / "apps"
#: Headers that name the server software or the moment, or belong to one connection.
SERVER_OWN = frozenset({"date", "server", "connection", "keep-alive", "transfer-encoding"})

Request = tuple[str, str, dict[str, str] | None, bytes]


def requests_for(manifest: dict[str, t.Any], script: str) -> list[Request]:
    found: list[Request] = []
    for route in manifest["routes"]:
        for entry in route["urls"]:
            url = script + entry["url"]
            found += [("GET", url, None, b""), ("HEAD", url, None, b"")]
            if not entry["file"].startswith("static/") and entry["url"] != "/":
                other = url[:-1] if url.endswith("/") else url + "/"
                found.append(("GET", other, None, b""))
    for redirect in manifest["redirects"]:
        found.append(("GET", script + redirect["url"], None, b""))
    for method, url, body in DYNAMIC + OTHER_METHODS:
        found.append((method, script + url, FORM if body else None, body))
    found += [("GET", script + url, None, b"") for url in MISSING]
    return found


def comparable(answer: Answer, port: int) -> tuple[int, dict[str, str], bytes]:
    """The answer less what names the server; its own address (in absolute redirects,
    made from the request's Host) reads ``HOST``."""
    own = f"127.0.0.1:{port}"
    headers = {
        name: value.replace(own, "HOST")
        for name, value in answer.headers.items()
        if name not in SERVER_OWN
    }
    if "allow" in headers:  # werkzeug lists a 405's methods in a set's order
        headers["allow"] = ", ".join(sorted(headers["allow"].split(", ")))
    return answer.status, headers, answer.body.replace(own.encode(), b"HOST")


@pytest.mark.parametrize("base_url", ["/", "/docs/"])
def test_serve_answers_as_the_bundle_does(tmp_path: Path, base_url: str) -> None:
    project = tmp_path / "deploy_site"
    shutil.copytree(APPS / "deploy_site", project, ignore=shutil.ignore_patterns("__pycache__"))
    if base_url != "/":
        with (project / "pyproject.toml").open("a") as f:
            f.write(f'base-url = "{base_url}"\n')
    serve_port, bundle_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "SITEC_"))}
    env["SITEC_TEST_REACHED"] = str(tmp_path / "reached.log")
    command = [sys.executable, "-c", "from sitec.compiler.cli import main; main()"]
    command += ["serve", "--port", str(serve_port)]
    with running(command, serve_port, env=env, cwd=project, log=tmp_path / "serve.log"):
        out = project / "_site"
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        with gunicorn(out, bundle_port, tmp_path, serve_public=True):
            script = base_url.rstrip("/")
            checked = 0
            for method, url, headers, body in requests_for(manifest, script):
                served = fetch(serve_port, method, url, headers, body)
                bundled = fetch(bundle_port, method, url, headers, body)
                assert comparable(served, serve_port) == comparable(bundled, bundle_port), (
                    f"{method} {url}"
                )
                checked += 1
                validators = {
                    name: value
                    for name, value in (
                        ("If-None-Match", served.header("ETag")),
                        ("If-Modified-Since", served.header("Last-Modified")),
                    )
                    if value
                }
                if method == "GET" and validators:
                    again = fetch(serve_port, method, url, validators)
                    assert again.status == 304, f"conditional GET {url}"
                    bundled = fetch(bundle_port, method, url, validators)
                    assert comparable(again, serve_port) == comparable(bundled, bundle_port)
            assert checked > 60
    log = (tmp_path / "serve.log").read_text()
    assert f"serving at http://127.0.0.1:{serve_port}/" in log
    assert "routes through the runtime" in log
