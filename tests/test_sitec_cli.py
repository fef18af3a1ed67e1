"""The installed ``sitec`` console script, run as a real process.

These tests need the package installed (``pip install -e .``), which puts the
``sitec`` script next to the Python running the tests. Locally they are skipped
when it is missing; in CI (``CI=true``) a missing script is a failure.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.parse
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# A small fixed Flask project (the first example site), so these tests of the CLI do not
# change whenever example_site/ grows; tests/example/ tests the example site itself.
EXAMPLE_ROOT = REPO_ROOT / "tests" / "apps" / "cli_site"
SITEC = Path(sys.executable).parent / ("sitec.exe" if os.name == "nt" else "sitec")


@pytest.fixture(scope="module")
def sitec() -> Path:
    if not SITEC.exists():
        reason = f"the 'sitec' console script is not installed next to {sys.executable}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must install the package (pip install -e .)")
        pytest.skip(f"{reason}; run 'pip install -e .' to test it")
    return SITEC


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The caller's environment without FLASK_* settings, with a throwaway HOME
    (the shell's readline setup writes a history file there)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    clean["HOME"] = str(tmp_path)
    clean["PYTHONUNBUFFERED"] = "1"
    return clean


def run_sitec(sitec: Path, args: list[str], env: dict[str, str], cwd: Path = EXAMPLE_ROOT, **kw):
    return subprocess.run(
        [str(sitec), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        **kw,
    )


def test_routes_lists_the_example_endpoints(sitec, env):
    result = run_sitec(sitec, ["routes"], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Rule"]
    rows = {}
    for line in lines[2:]:
        endpoint, methods, rule = re.split(r"\s{2,}", line)
        rows[endpoint] = (methods, rule)
    assert rows == {
        "blog.index": ("GET", "/posts/"),
        "blog.post": ("GET", "/posts/<slug>/"),
        "home": ("GET", "/"),
        "search": ("GET", "/search"),
        "static": ("GET", "/static/<path:filename>"),
        "subscribe": ("GET, POST", "/subscribe"),
    }
    # Sorted by endpoint by default.
    assert [line.split()[0] for line in lines[2:]] == sorted(rows)


def _free_port() -> int:
    # Werkzeug's run_simple cannot tell us the port it got for 0, so ask the OS
    # for a free one and hand it over; the window for a clash is tiny.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(proc: subprocess.Popen, port: int, deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"sitec run exited early ({proc.returncode}):\n{out}\n{err}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"sitec run did not listen on port {port} within {deadline}s")


def _request(port: int, method: str, path: str, body: str | None = None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        conn.close()


@pytest.fixture
def served_example(sitec, env):
    """``sitec run`` in example_site/ on a free port; yields the port, stops it after."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(sitec), "run", "--port", str(port)],
        cwd=EXAMPLE_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_server(proc, port)
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)


def test_run_serves_the_example_site(served_example):
    proc, port = served_example

    status, headers, body = _request(port, "GET", "/posts/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Latest posts</h1>" in body
    # Newest first, linking to each post's page.
    first = body.index('href="/posts/two-halves/"')
    second = body.index('href="/posts/hello-sitec/"')
    assert first < second
    assert 'href="/static/style.css"' in body

    status, _, body = _request(port, "GET", "/posts/hello-sitec/")
    assert status == 200
    assert "<h1>Hello, sitec</h1>" in body
    assert "<time>2026-11-01</time>" in body
    assert "sitec renders those to files" in body

    status, _, body = _request(port, "GET", "/posts/no-such-post/")
    assert status == 404
    assert "<h1>Not found</h1>" in body

    status, headers, _ = _request(port, "GET", "/")
    assert status == 302
    assert urllib.parse.urlsplit(headers["Location"]).path == "/posts/"

    status, headers, body = _request(port, "GET", "/static/style.css")
    assert status == 200
    assert body == (EXAMPLE_ROOT / "publication/static/style.css").read_text()

    # Stopping it the way Ctrl+C does ends the process cleanly.
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Serving Flask app 'publication:create_app()'" in out
    assert f"http://127.0.0.1:{port}" in err
    assert re.search(r'"GET /posts/hello-sitec/ HTTP/1.1" 200', err)


def test_run_subscribe_form_redirects_and_remembers(served_example):
    _, port = served_example
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    status, headers, _ = _request(port, "POST", "/subscribe", "email=reader%40example.org", form)
    assert status == 302
    assert urllib.parse.urlsplit(headers["Location"]).path == "/subscribe"
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("session=") and "HttpOnly" in cookie

    session = cookie.split(";", 1)[0]
    status, headers, body = _request(port, "GET", "/subscribe", headers={"Cookie": session})
    assert status == 200
    assert "Subscribed reader@example.org. Thank you!" in body
    assert "You are subscribed as reader@example.org." in body

    status, headers, _ = _request(port, "POST", "/subscribe", "email=nope", form)
    assert status == 302
    session = headers["Set-Cookie"].split(";", 1)[0]
    _, _, body = _request(port, "GET", "/subscribe", headers={"Cookie": session})
    assert "That does not look like an email address." in body
    assert "You are subscribed as" not in body


def test_shell_runs_in_the_example_app(sitec, env):
    source = "print(app.name)\nprint(app.url_map.bind('x').build('blog.post', {'slug': 'a'}))\n"
    result = run_sitec(sitec, ["shell"], env, input=source)
    assert result.returncode == 0, result.stderr
    # The prompts go to stdout too, since stdin is not a terminal.
    printed = [line.removeprefix(">>> ") for line in result.stdout.splitlines()]
    assert printed[:2] == ["publication", "/posts/a/"]
    assert "App: publication" in result.stderr


def test_app_commands_of_a_flask_app(sitec, env, tmp_path):
    (tmp_path / "tasks_app.py").write_text(
        textwrap.dedent(
            """
            import click
            import flask
            from flask import Flask, current_app

            app = Flask(__name__)

            @app.cli.command("count-words")
            @click.argument("text")
            def count_words(text):
                \"\"\"Count the words of TEXT.\"\"\"
                click.echo(f"{current_app.name}: {len(text.split())} words")

            @app.cli.command("runtime")
            def runtime():
                \"\"\"Say which framework is running.\"\"\"
                click.echo(flask.Flask.__module__)
            """
        )
    )
    help_result = run_sitec(sitec, ["--app", "tasks_app", "--help"], env, cwd=tmp_path)
    assert help_result.returncode == 0, help_result.stderr
    assert help_result.stdout.startswith("Usage: sitec")
    assert re.search(r"^\s+count-words\s+Count the words of TEXT\.", help_result.stdout, re.M)
    assert re.search(r"^\s+routes\b", help_result.stdout, re.M)

    result = run_sitec(
        sitec, ["--app", "tasks_app", "count-words", "one two three"], env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "tasks_app: 3 words\n"

    # `import flask` in the app got the sitec runtime through the alias.
    result = run_sitec(sitec, ["--app", "tasks_app", "runtime"], env, cwd=tmp_path)
    assert result.stdout == "sitec.runtime.app\n"


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ("no_such_module_here", "Error: Could not import 'no_such_module_here'."),
        ("publication:nothing", "Error: Module 'publication' has no attribute 'nothing'."),
        ("publication:create_app(", "Error: Cannot read 'create_app(' as an attribute name"),
    ],
)
def test_bad_app_is_a_one_line_error(sitec, env, app, message):
    result = run_sitec(sitec, ["--app", app, "routes"], env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert errors[0].startswith(message)
    assert result.stdout == ""
