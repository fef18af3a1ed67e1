"""Helpers of the deploy bundle's end-to-end tests (``test_emit_*.py``); no tests here.

They start the real components on loopback ports, each with its own config and folder
under the test's ``tmp_path``: gunicorn running the generated ``server/wsgi.py``, nginx
with the generated server block, Caddy with the generated Caddyfile. A missing binary
skips the test locally and fails it under ``CI=true``. Every process is stopped when the
``with`` block ends.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(
    command: list[str],
    port: int,
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> t.Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` until the ``with`` block ends; it must listen on ``port``."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        try:
            _wait_for_port(port, process, log)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args[0]} exited:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"{process.args[0]} did not listen on {port}:\n{log.read_text()}")


def gunicorn(
    out: Path,
    port: int,
    folder: Path,
    *,
    serve_public: bool = False,
    env: dict[str, str] | None = None,
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
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
    return running(command, port, folder / "gunicorn.log", env)


def nginx(out: Path, port: int, folder: Path) -> contextlib.AbstractContextManager[t.Any]:
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
    return running([*command, "-g", "daemon off;"], port, folder / "nginx.log")


def caddy(out: Path, port: int, folder: Path) -> contextlib.AbstractContextManager[t.Any]:
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
    return running(command, port, folder / "caddy.log", env)


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
