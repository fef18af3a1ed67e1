"""Fixtures shared by every test folder: real servers on free loopback ports, and the
installed ``sitec`` command."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
from servers import Server
from servers import free_port
from servers import running


@pytest.fixture
def unused_port() -> int:
    """A loopback port nobody listens on now (see :func:`servers.free_port`)."""
    return free_port()


@pytest.fixture
def start_server() -> t.Iterator[t.Callable[..., Server]]:
    """``start_server(argv, port, cwd=..., env=...)``: run ``argv`` in its own process
    group, wait until ``port`` accepts connections, and stop it after the test."""
    with contextlib.ExitStack() as servers:
        yield lambda argv, port, **options: servers.enter_context(running(argv, port, **options))


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


@pytest.fixture
def run_sitec(
    sitec_script: Path, clean_env: dict[str, str]
) -> t.Callable[..., subprocess.CompletedProcess[str]]:
    """``run_sitec(args, cwd, **options)``: ``sitec ARGS`` as a real process in ``cwd``,
    in :func:`clean_env`, its output captured as text. ``options`` go to
    :func:`subprocess.run` (``input=``, another ``env=``)."""

    def run(
        args: list[str], cwd: str | os.PathLike[str], **options: t.Any
    ) -> subprocess.CompletedProcess[str]:
        options.setdefault("env", clean_env)
        command = [str(sitec_script), *args]
        return subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=60, **options
        )

    return run
