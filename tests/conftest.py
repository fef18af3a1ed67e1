"""Fixtures shared by every test folder: real servers on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import typing as t

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
