"""pytest plugin for the conformance subprocess: Flask's suite runs on ``sitec.runtime``.

Loaded with ``-p alias_plugin`` (its folder is on ``PYTHONPATH``), so it is imported
before any conftest or test module: the alias is in place before Flask's
``conftest.py`` does ``from flask import Flask``.

The harness talks to it through environment variables:

``SITEC_CONFORMANCE_SYSPATH``
    The entries of the parent's ``sys.path`` that hold a ``sitec`` folder; they are
    appended so ``sitec`` imports the way it did in the parent (installed or via
    ``PYTHONPATH``).
``SITEC_CONFORMANCE_REPORT``
    A file that receives one JSON object per line: a ``session`` record naming the
    module that ``flask`` resolved to, then every collect and test-phase report.
``SITEC_CONFORMANCE_TEST_TIMEOUT``
    Seconds one test may take before it is failed, so a hang in the runtime costs
    one test, not the run.

Flask 3.1.3's suite imports ``_pytest.monkeypatch.notset``, which pytest 9 renamed
to ``_pytest.compat.NOTSET``; the old name is restored so the suite's own fixtures
work on current pytest. That concerns the yardstick, not the runtime under test.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import typing as t

import _pytest.monkeypatch
import pytest

if not hasattr(_pytest.monkeypatch, "notset"):
    from _pytest.compat import NOTSET

    _pytest.monkeypatch.notset = NOTSET  # type: ignore[attr-defined]

for _entry in os.environ.get("SITEC_CONFORMANCE_SYSPATH", "").split(os.pathsep):
    if _entry and _entry not in sys.path:
        sys.path.append(_entry)

import sitec.runtime  # noqa: E402

sitec.runtime.install_flask_alias()

_report_file: t.TextIO | None = None


def _write(record: dict[str, t.Any]) -> None:
    if _report_file is not None:
        _report_file.write(json.dumps(record) + "\n")
        _report_file.flush()


def pytest_configure(config: pytest.Config) -> None:
    global _report_file
    path = os.environ.get("SITEC_CONFORMANCE_REPORT")
    if path:
        _report_file = open(path, "w", encoding="utf-8")  # noqa: SIM115
    flask = sys.modules["flask"]
    _write(
        {
            "type": "session",
            "flask_is_runtime": flask is sitec.runtime,
            "flask_file": getattr(flask, "__file__", None),
        }
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    if _report_file is not None:
        _report_file.close()


def _message(report: pytest.CollectReport | pytest.TestReport) -> str:
    if report.passed:
        return ""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return text.strip()[:500]


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _write(
            {
                "type": "collect",
                "nodeid": report.nodeid,
                "outcome": "failed",
                "message": _message(report),
            }
        )


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    _write({"type": "start", "nodeid": nodeid})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _write(
        {
            "type": "test",
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "xfail": hasattr(report, "wasxfail"),
            "message": _message(report),
        }
    )


class ConformanceTimeout(Exception):
    """A test ran longer than ``SITEC_CONFORMANCE_TEST_TIMEOUT`` seconds."""


def _on_alarm(signum: int, frame: t.Any) -> None:
    raise ConformanceTimeout("test exceeded the conformance per-test timeout")


@contextlib.contextmanager
def _deadline() -> t.Iterator[None]:
    seconds = float(os.environ.get("SITEC_CONFORMANCE_TEST_TIMEOUT", "0"))
    if seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# Each phase gets its own deadline inside the phase, so a timeout is reported as
# that test's failure rather than as an error of pytest itself.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> t.Any:
    with _deadline():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> t.Any:
    with _deadline():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> t.Any:
    with _deadline():
        return (yield)
