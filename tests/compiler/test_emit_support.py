"""Helpers of the deploy bundle's end-to-end tests (``test_emit_*.py``); no tests here.

They start the real components on loopback ports, each with its own config and folder
under the test's ``tmp_path``: gunicorn running the generated ``server/wsgi.py``, nginx
with the generated server block, Caddy with the generated Caddyfile. A missing binary
skips the test locally and fails it under ``CI=true``. Every process is stopped when the
``with`` block ends (:func:`servers.running`, which ``start_server`` is made of too).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest
from servers import Server
from servers import running


def require_binary(name: str) -> str:
    """The path of ``name``; skipped locally when it is missing, a failure in CI."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if found is None:
        reason = f"{name} is not installed (Debian: apt-get install {name})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; .ci/run installs it")
        pytest.skip(reason)
    return found


def require_gunicorn() -> None:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("gunicorn is not installed; it is in the test extra")
        pytest.skip("gunicorn is not installed (pip install -e '.[test]')")


def gunicorn(
    out: Path,
    port: int,
    folder: Path,
    *,
    serve_public: bool = False,
    env: dict[str, str] | None = None,
) -> contextlib.AbstractContextManager[Server]:
    """gunicorn serving ``out/server/wsgi.py``, as its docstring says to run it."""
    require_gunicorn()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "SITEC_"))}
    env = clean | (env or {})
    env["SITEC_TEST_REACHED"] = str(folder / "reached.log")
    if serve_public:
        env["SITEC_SERVE_PUBLIC"] = "1"
    command = [sys.executable, "-m", "gunicorn", "--chdir", str(out)]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "1"]
    command += ["--access-logfile", str(folder / "gunicorn-access.log"), "server.wsgi:application"]
    return running(command, port, env=env, log=folder / "gunicorn.log")


def nginx(out: Path, port: int, folder: Path) -> contextlib.AbstractContextManager[Server]:
    """nginx with ``out/deploy/nginx.conf`` included in a minimal ``http`` block."""
    binary = require_binary("nginx")
    prefix = folder / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    temp = "".join(
        f"    {kind}_temp_path {prefix / 'tmp' / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Run as root (CI), nginx's workers would drop to "nobody", who cannot read tmp_path.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"{user}pid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'};\n"
        f"events {{}}\nhttp {{\n    access_log {prefix / 'access.log'};\n{temp}"
        f"    include {out / 'deploy/nginx.conf'};\n}}\n"
    )
    command = [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")]
    return running([*command, "-g", "daemon off;"], port, log=folder / "nginx.log")


def caddy(out: Path, port: int, folder: Path) -> contextlib.AbstractContextManager[Server]:
    """Caddy running ``out/deploy/Caddyfile`` as its main config, after global options
    for a test (an ``import`` would re-read the file's escapes: see its header)."""
    binary = require_binary("caddy")
    home = folder / "caddy"
    home.mkdir()
    config = home / "Caddyfile"
    options = f"{{\n\tadmin off\n\tstorage file_system {home / 'data'}\n}}\n"
    config.write_text(options + (out / "deploy/Caddyfile").read_text(encoding="utf-8"))
    env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home), XDG_CONFIG_HOME=str(home))
    command = [binary, "run", "--adapter", "caddyfile", "--config", str(config)]
    return running(command, port, env=env, log=folder / "caddy.log")


@dataclass
class Answer:
    """An HTTP response, from a host or from the runtime in-process."""

    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def _with_agent(headers: dict[str, str] | None) -> dict[str, str]:
    # Host and runtime requests name the same client: the test client's default differs.
    return {"User-Agent": "sitec-deploy-test", **(headers or {})}


def fetch(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> Answer:
    """One request over a fresh connection; redirects are not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers=_with_agent(headers))
        response = connection.getresponse()
        data = response.read()
        found = {name.lower(): value for name, value in response.getheaders()}
        return Answer(response.status, found, data)
    finally:
        connection.close()


def ask_runtime(
    client: t.Any,
    method: str,
    url: str,
    script_name: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> Answer:
    """The runtime's own answer for the app-relative ``url`` under ``script_name``."""
    response = client.open(
        url,
        method=method,
        base_url=f"http://127.0.0.1{script_name}",
        headers=_with_agent(headers),
        data=body or None,
    )
    try:
        found = {name.lower(): value for name, value in response.headers.items()}
        return Answer(response.status_code, found, response.get_data())
    finally:
        response.close()


#: A static file of ``deploy_site`` whose name carries a content fingerprint.
FINGERPRINTED = "/static/app.3f9a2b1c.css"
IMMUTABLE = "public, max-age=31536000, immutable"


def assert_fingerprinted_files_are_cached_long(
    host: t.Callable[[str], Answer], runtime: t.Callable[[str], Answer]
) -> None:
    """Through ``host``, the fingerprinted file is cached for a year, immutable (the app
    itself does not say so), and another static file gets the app's own caching."""
    assert host(FINGERPRINTED).header("Cache-Control") == IMMUTABLE
    assert runtime(FINGERPRINTED).header("Cache-Control") != IMMUTABLE
    plain = "/static/site.css"
    assert host(plain).header("Cache-Control") == runtime(plain).header("Cache-Control")
