"""Real server processes for tests: a free loopback port, and a process started in its own
process group that must listen on its port, stopped with everything it started.

``tests/conftest.py`` turns these into the ``unused_port`` and ``start_server`` fixtures;
helpers that start several servers in one test (``tests/compiler/test_emit_support.py``:
gunicorn with nginx or Caddy) use them directly.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import typing as t
from pathlib import Path

import pytest


def free_port() -> int:
    """A loopback port nobody listens on now. Servers that cannot report the port they
    got for 0 (werkzeug's ``run_simple``) are handed one; the window for a clash is tiny."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process started by :func:`running`, and what it printed once stopped."""

    def __init__(self, proc: subprocess.Popen[str], port: int, log: Path | None) -> None:
        self.proc = proc
        self.port = port
        self.log = log
        self.stdout = ""
        self.stderr = ""
        self._stopped = False

    def stop(self) -> None:
        """Stop the process and everything it started (a reloader's child too); once."""
        if self._stopped:
            return
        self._stopped = True
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.stdout, self.stderr = self.proc.communicate(timeout=10)
        if self.log is not None:
            self.stdout = self.log.read_text(errors="replace")

    def output(self) -> str:
        """What it printed so far (all of it once stopped), for a failure message."""
        if self.log is not None:
            return self.log.read_text(errors="replace")
        return f"{self.stdout}\n{self.stderr}"


@contextlib.contextmanager
def running(
    argv: list[str],
    port: int,
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    deadline: float = 20.0,
) -> t.Iterator[Server]:
    """Run ``argv`` until the ``with`` block ends; it must listen on ``port`` within
    ``deadline`` seconds. Its output goes to ``log`` when given (a server that writes much
    for a long time), else to pipes read when it stops."""
    with contextlib.ExitStack() as files:
        out = files.enter_context(log.open("w")) if log is not None else subprocess.PIPE
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT if log is not None else subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        server = Server(proc, port, log)
        try:
            _wait_for_port(server, argv, deadline)
            yield server
        finally:
            server.stop()


def _wait_for_port(server: Server, argv: list[str], deadline: float) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if server.proc.poll() is not None:
            server.stop()
            pytest.fail(f"{argv} exited early ({server.proc.returncode}):\n{server.output()}")
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", server.port), 0.5),
        ):
            return
        time.sleep(0.05)
    server.stop()
    pytest.fail(
        f"{argv} did not listen on port {server.port} within {deadline}s:\n{server.output()}"
    )
