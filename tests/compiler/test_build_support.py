"""Helpers of the end-to-end ``sitec build`` tests (``test_build_*.py``); no tests here.

The fixture projects live in ``tests/apps/build_*/``; the ``build_project`` fixture of
``conftest.py`` copies one into ``tmp_path``. Lines are found by ``MARK name`` comments in
the fixture files, so editing a fixture does not break line numbers in the tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from pathlib import Path

import click
import pytest

from sitec.compiler.build import BuildResult
from sitec.compiler.build import build
from sitec.compiler.load import load_app
from sitec.compiler.paths import recorded_headers
from sitec.compiler.project import BuildSettings
from sitec.compiler.project import load_settings
from sitec.compiler.report import print_build

SITEC = Path(sys.executable).parent / ("sitec.exe" if os.name == "nt" else "sitec")


def line_of(path: Path, marker: str) -> int:
    """The line of ``path`` carrying ``MARK <marker>``."""
    for number, text in enumerate(path.read_text().splitlines(), 1):
        if f"MARK {marker} " in f"{text} ":
            return number
    raise AssertionError(f"no 'MARK {marker}' in {path}")


def settings_for(project: Path, **flags: t.Any) -> BuildSettings:
    """The settings ``sitec build`` would use in ``project`` with these flags."""
    return load_settings(project, **flags)


def run_build(project: Path, **flags: t.Any) -> BuildResult:
    """Build ``project`` through the Python API, as ``sitec build`` would."""
    return build(settings_for(project, **flags))


def build_committed(project: Path, **flags: t.Any) -> tuple[BuildSettings, BuildResult]:
    """Build ``project`` with these flags; the build must commit its output."""
    settings = settings_for(project, **flags)
    result = build(settings)
    assert result.committed, report_of(result)
    return settings, result


def report_of(result: BuildResult, *, explain: bool = True) -> str:
    """What the terminal shows for ``result``, without colours."""
    lines: list[str] = []
    print_build(result, lambda text: lines.append(click.unstyle(text)), explain=explain)
    return "\n".join(lines)


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder (``None``) under ``folder``."""
    found: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        found[relative] = path.read_bytes() if path.is_file() else None
    return found


def manifest_of(out: Path) -> dict[str, t.Any]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def route_of(manifest: dict[str, t.Any], endpoint: str, rule: str | None = None) -> dict:
    routes = [
        r
        for r in manifest["routes"]
        if r["endpoint"] == endpoint and (rule is None or r["rule"] == rule)
    ]
    assert len(routes) == 1, f"{endpoint} {rule}: {routes}"
    return routes[0]


def written_urls(manifest: dict[str, t.Any]) -> dict[str, str]:
    """URL -> file, for every URL of every route."""
    return {u["url"]: u["file"] for r in manifest["routes"] for u in r["urls"]}


#: Two visitors as different as a request can make them. A page the build declared
#: static must answer both with the same bytes, the bytes of its file.
VISITORS: list[dict[str, t.Any]] = [
    {
        "query": "?q=first&page=2&theme=dark",
        "cookies": {"theme": "dark", "lang": "fr", "tracking": "abc"},
        "session": {"user": "alice", "uid": "alice", "_flashes": [("message", "hi")]},
        "headers": {
            "Accept-Language": "fr-FR",
            "User-Agent": "visitor-one/1.0",
            "X-Test": "one",
            "Referer": "https://elsewhere.example/",
            "X-Forwarded-For": "203.0.113.7",
        },
    },
    {
        "query": "?q=second",
        "cookies": {"theme": "light"},
        "session": {},
        "headers": {"Accept-Language": "en", "User-Agent": "visitor-two/2.0", "X-Test": "two"},
    },
]


def get_as(app: t.Any, url: str, visitor: dict[str, t.Any], site: str) -> t.Any:
    """``GET url`` from the test client of ``app`` at ``site``, as ``visitor``: its
    cookies, its session (signed with the app's key), its query string and headers."""
    client = app.test_client()
    for name, value in visitor["cookies"].items():
        client.set_cookie(name, value)
    if visitor["session"] and app.secret_key:
        with client.session_transaction() as session:
            session.update(visitor["session"])
    return client.get(
        url + visitor["query"],
        base_url=site,
        headers=visitor["headers"],
    )


def assert_static_pages_do_not_change(
    settings: BuildSettings, *, overridden: t.Collection[str] = ()
) -> int:
    """Request every URL the manifest says is static through the runtime, as each of
    :data:`VISITORS`: the same bytes each time, equal to the written file, with the
    recorded headers (those a host replays). Redirects answer alike too. Returns the
    URLs checked.

    ``overridden`` names endpoints forced static although they read the request: the
    user's word, not the build's, so they are left out."""
    out = settings.output
    manifest = manifest_of(out)
    app = load_app(settings)
    # Where the site is served: the --base-url's scheme and host, when it has them.
    site = f"{settings.address.scheme}://{settings.address.host}{manifest['base_url'].rstrip('/')}"
    checked = 0
    for route in manifest["routes"]:
        if route["decision"] != "static" or route["endpoint"] in overridden:
            continue
        for entry in route["urls"]:
            written = (out / "public" / entry["file"]).read_bytes()
            for visitor in VISITORS:
                response = get_as(app, entry["url"], visitor, site)
                try:
                    assert response.status_code == 200, (entry["url"], response.status)
                    body = response.get_data()
                    assert body == written, (
                        f"{route['endpoint']} {entry['url']} changed for visitor"
                        f" {VISITORS.index(visitor)}:\n  file:    {written[:200]!r}"
                        f"\n  runtime: {body[:200]!r}"
                    )
                    assert recorded_headers(response.headers) == entry["headers"], entry["url"]
                finally:
                    response.close()
            checked += 1
    for redirect in manifest.get("redirects", []):
        for visitor in VISITORS:
            response = get_as(app, redirect["url"], visitor, site)
            assert response.status_code == redirect["status"]
            assert response.headers["Location"] == redirect["location"]
            response.close()
    return checked


# -- the console script -------------------------------------------------------------------


def require_sitec() -> Path:
    """The installed ``sitec`` script; skipped locally when missing, a failure in CI."""
    if not SITEC.exists():
        reason = f"the 'sitec' console script is not installed next to {sys.executable}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must install the package (pip install -e .)")
        pytest.skip(f"{reason}; run 'pip install -e .' to test it")
    return SITEC


def run_sitec(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``sitec ARGS`` in ``cwd`` as a real process, without the caller's FLASK_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env["HOME"] = str(cwd)
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [str(require_sitec()), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def run_sitec_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """``sitec ARGS`` with its stderr on a real pseudo-terminal (stdout stays a pipe).

    Returns the exit code, stdout, and what the terminal received.
    """
    import pty

    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env["HOME"] = str(cwd)
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [str(require_sitec()), *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=secondary
    )
    os.close(secondary)
    received = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(primary)
    stdout = process.stdout.read() if process.stdout is not None else b""
    process.wait(timeout=60)
    return process.returncode, stdout.decode(), received.decode(errors="replace")


def assert_clean_failure(process: subprocess.CompletedProcess[str], *needles: str) -> str:
    """A non-zero exit with no traceback; the line holding every needle is returned."""
    output = process.stdout + process.stderr
    assert process.returncode != 0, output
    assert "Traceback" not in output, output
    for line in output.splitlines():
        if all(needle in line for needle in needles):
            return line
    raise AssertionError(f"no line of the output has all of {needles}:\n{output}")
