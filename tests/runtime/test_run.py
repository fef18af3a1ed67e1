"""``Flask.run`` and the ``run`` command, each serving on a real socket in a subprocess.

Every server runs ``python -m sitec.runtime`` (or a script calling ``app.run``) in a
temporary folder holding the app, and is stopped, with its reloader child, after the test.
"""

from __future__ import annotations

import http.client
import os
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import typing as t
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitec.runtime.cli import FlaskGroup
from sitec.runtime.cli import run_command

APP = """
import os
import threading

from sitec.runtime import Flask

app = Flask(__name__)
released = threading.Event()


@app.get("/")
def index():
    return f"pid={os.getpid()}"


@app.get("/wait")
def wait():
    # Answers "released" only when /release is served while this request is open.
    return "released" if released.wait(3) else "timed out"


@app.get("/release")
def release():
    released.set()
    return "ok"


@app.get("/boom")
def boom():
    raise ZeroDivisionError("the view failed on purpose")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "served.py").write_text(APP)
    return tmp_path


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    return env | extra


def run_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "sitec.runtime", "--app", "served", "run", "--port", str(port)]


def get(port: int, path: str, *, context: ssl.SSLContext | None = None) -> tuple[int, str]:
    if context is None:
        conn: http.client.HTTPConnection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    else:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def answer_of_wait_while_releasing(port: int) -> str:
    """GET /wait and, while it is open, GET /release; what /wait answered."""
    answers: list[str] = []
    waiting = threading.Thread(target=lambda: answers.append(get(port, "/wait")[1]))
    waiting.start()
    time.sleep(0.3)  # let /wait be the request the server is handling
    try:
        get(port, "/release")
    except OSError:
        pass  # a single-threaded server may not even accept it before /wait ends
    waiting.join(10)
    return answers[0]


def test_run_listens_on_the_given_host_and_port(project, start_server, unused_port):
    start_server(
        [*run_argv(unused_port), "--host", "127.0.0.1"], unused_port, cwd=project, env=environment()
    )
    status, body = get(unused_port, "/")
    assert status == 200 and body.startswith("pid=")


def test_run_with_threads_serves_requests_side_by_side(project, start_server, unused_port):
    start_server(run_argv(unused_port), unused_port, cwd=project, env=environment())
    assert answer_of_wait_while_releasing(unused_port) == "released"


def test_run_without_threads_serves_one_request_at_a_time(project, start_server, unused_port):
    start_server(
        [*run_argv(unused_port), "--without-threads"], unused_port, cwd=project, env=environment()
    )
    assert answer_of_wait_while_releasing(unused_port) == "timed out"


# --- HTTPS


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made by openssl."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def trusting(cert: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    return context


def test_run_serves_https_with_a_certificate_and_key(
    project, start_server, unused_port, certificate
):
    cert, key = certificate
    argv = [*run_argv(unused_port), "--cert", str(cert), "--key", str(key)]
    start_server(argv, unused_port, cwd=project, env=environment())
    status, body = get(unused_port, "/", context=trusting(cert))
    assert status == 200 and body.startswith("pid=")


def test_run_serves_https_with_an_ssl_context_import_path(
    project, start_server, unused_port, certificate
):
    cert, key = certificate
    (project / "tls.py").write_text(
        textwrap.dedent(f"""
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain({str(cert)!r}, {str(key)!r})
        """)
    )
    argv = [*run_argv(unused_port), "--cert", "tls.context"]
    start_server(argv, unused_port, cwd=project, env=environment(PYTHONPATH=str(project)))
    status, _ = get(unused_port, "/", context=trusting(cert))
    assert status == 200


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--key", "{key}"], "'--key' needs '--cert' as well."),
        (["--cert", "{cert}"], "Required when '--cert' is a file."),
        (["--cert", "adhoc", "--key", "{key}"], "'--key' cannot be used with '--cert adhoc'."),
        (["--cert", "no.such.context"], "does not exist"),
    ],
)
def test_run_rejects_inconsistent_certificate_options(
    project, certificate, monkeypatch, options, message
):
    cert, key = certificate
    monkeypatch.chdir(project)
    monkeypatch.setitem(sys.modules, "cryptography", t.cast(t.Any, object()))  # "installed"
    argv = ["--app", "served", "run", *(o.format(cert=cert, key=key) for o in options)]
    result = CliRunner().invoke(FlaskGroup(), argv)
    assert result.exit_code == 2
    assert message in result.output


def test_run_adhoc_certificates_need_cryptography(project, monkeypatch):
    monkeypatch.chdir(project)
    monkeypatch.setitem(sys.modules, "cryptography", None)  # import fails: not installed
    result = CliRunner().invoke(FlaskGroup(), ["--app", "served", "run", "--cert", "adhoc"])
    assert result.exit_code == 2
    assert "Ad-hoc certificates need the 'cryptography' package" in result.output


# --- reloader and debugger


def wait_for_new_pid(port: int, old: str, seconds: float) -> str:
    """The server's pid once it differs from ``old`` (the reloader restarted it), or ``old``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            _, body = get(port, "/")
        except OSError:
            body = old  # restarting
        if body != old:
            return body
        time.sleep(0.1)
    return old


@pytest.mark.parametrize(("option", "reloads"), [("--reload", True), ("--no-reload", False)])
def test_run_starts_the_reloader_when_asked(project, start_server, unused_port, option, reloads):
    server = start_server(
        [*run_argv(unused_port), option], unused_port, cwd=project, env=environment()
    )
    assert get(unused_port, "/")[0] == 200
    server.stop()
    assert ("Restarting with" in server.stderr) is reloads


def test_run_splits_extra_files_and_exclude_patterns_on_the_path_separator(project):
    (project / "a.txt").write_text("a")
    (project / "b.txt").write_text("b")
    context = run_command.make_context(
        "run",
        [
            "--extra-files",
            os.pathsep.join([str(project / "a.txt"), str(project / "b.txt")]),
            "--exclude-patterns",
            os.pathsep.join(["*/build/*", "*.tmp"]),
        ],
    )
    assert context.params["extra_files"] == [str(project / "a.txt"), str(project / "b.txt")]
    assert context.params["exclude_patterns"] == ["*/build/*", "*.tmp"]


@pytest.mark.parametrize(
    ("options", "debugger_page"), [([], True), (["--no-debugger"], False)], ids=["on", "off"]
)
def test_debug_mode_shows_the_debugger_unless_turned_off(
    project, start_server, unused_port, options, debugger_page
):
    argv = [sys.executable, "-m", "sitec.runtime", "--app", "served", "--debug", "run"]
    argv += ["--port", str(unused_port), "--no-reload", *options]
    start_server(argv, unused_port, cwd=project, env=environment())
    status, body = get(unused_port, "/boom")
    assert status == 500
    assert ("the view failed on purpose" in body) is debugger_page
    assert ("Traceback" in body) is debugger_page


# --- Flask.run


def run_script(project: Path, body: str) -> list[str]:
    script = project / "main.py"
    script.write_text("from served import app\n" + textwrap.dedent(body))
    return [sys.executable, str(script)]


def test_app_run_serves_on_the_port_it_is_given(project, start_server, unused_port):
    argv = run_script(project, f"app.run(port={unused_port})")
    start_server(argv, unused_port, cwd=project, env=environment())
    assert get(unused_port, "/")[0] == 200


def test_app_run_takes_host_and_port_from_server_name(project, start_server, unused_port):
    argv = run_script(
        project,
        f"""
        app.config["SERVER_NAME"] = "127.0.0.1:{unused_port}"
        app.run()
        """,
    )
    start_server(argv, unused_port, cwd=project, env=environment())
    assert get(unused_port, "/")[0] == 200


def test_app_run_reloads_on_extra_files_and_not_on_excluded_ones(
    project, start_server, unused_port
):
    """The options of ``run`` reach werkzeug's reloader. The stat reloader polls
    modification times, so the test does not depend on inotify events arriving."""
    data = project / "data.txt"
    data.write_text("one")
    (project / "scratch.py").write_text("VALUE = 1\n")
    argv = run_script(
        project,
        f"""
        import scratch  # a module the reloader watches, unless excluded
        app.run(
            port={unused_port},
            use_reloader=True,
            reloader_type="stat",
            extra_files=[{str(data)!r}],
            exclude_patterns=["*{os.sep}scratch.py"],
        )
        """,
    )
    start_server(argv, unused_port, cwd=project, env=environment(PYTHONPATH=str(project)))
    first = get(unused_port, "/")[1]

    time.sleep(1.1)  # modification times are compared once a second
    (project / "scratch.py").write_text("VALUE = 2\n")
    assert wait_for_new_pid(unused_port, first, 3.0) == first

    data.write_text("two")
    assert wait_for_new_pid(unused_port, first, 10.0) != first


def test_app_run_is_ignored_under_the_run_command(project):
    argv = run_script(project, "app.run()\nprint('returned')")
    result = subprocess.run(
        argv,
        cwd=project,
        env=environment(FLASK_RUN_FROM_CLI="true"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    assert result.stdout.strip().endswith("returned")
    assert "Ignoring a call to 'app.run()'" in result.stdout
