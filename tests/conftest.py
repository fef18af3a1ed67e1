"""Fixtures shared by every test folder: real servers on free loopback ports, and the
installed ``sitec`` command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest


@pytest.fixture
def unused_port() -> int:
    """A loopback port nobody listens on now. Servers that cannot report the port they
    got for 0 (werkzeug's ``run_simple``) are handed one; the window for a clash is tiny."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process started by :func:`start_server`, and what it printed once stopped."""

    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc = proc
        self.port = port
        self.stdout = ""
        self.stderr = ""

    def stop(self) -> None:
        """Stop the process and everything it started (a reloader's child too)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.stdout, self.stderr = self.proc.communicate(timeout=10)


@pytest.fixture
def start_server() -> t.Iterator[t.Callable[..., Server]]:
    """``start_server(argv, port, cwd=..., env=...)``: run ``argv`` in its own process
    group, wait until ``port`` accepts connections, and stop it after the test."""
    servers: list[Server] = []

    def start(
        argv: list[str],
        port: int,
        *,
        cwd: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
        deadline: float = 20.0,
    ) -> Server:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        server = Server(proc, port)
        servers.append(server)
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if proc.poll() is not None:
                server.stop()
                pytest.fail(
                    f"{argv} exited early ({proc.returncode}):\n{server.stdout}\n{server.stderr}"
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return server
            except OSError:
                time.sleep(0.05)
        server.stop()
        pytest.fail(f"{argv} did not listen on port {port} within {deadline}s:\n{server.stderr}")

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def sitec_script() -> Path:
    """The installed ``sitec`` console script, beside the Python running the tests.

    Locally a missing script skips the test; in CI (``CI=true``) it is a failure,
    since CI installs the package as the README says.
    """
    script = Path(sys.executable).parent / ("sitec.exe" if os.name == "nt" else "sitec")
    if not script.exists():
        reason = f"the 'sitec' console script is not installed next to {sys.executable}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must install the package (pip install -e .)")
        pytest.skip(f"{reason}; run 'pip install -e .' to test it")
    return script


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """The caller's environment without FLASK_* settings, with a throwaway HOME
    (a shell's readline setup writes a history file there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env["HOME"] = str(tmp_path)
    env["PYTHONUNBUFFERED"] = "1"
    return env
