"""Flask 3.1's test suite against ``sitec.runtime``: fails below ``floor.txt``."""

from __future__ import annotations

import json

import pytest

from . import harness


def test_flask_suite(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        summary = harness.run_conformance()
    except harness.DownloadError as exc:
        if harness.in_ci():
            pytest.fail(f"cannot fetch Flask's test suite under CI: {exc}")
        pytest.skip(f"cannot fetch Flask's test suite (offline?): {exc}")
    with capsys.disabled():
        print()
        print(harness.table(summary))
        print(harness.headline(summary))
        print("conformance summary:", json.dumps(summary))
    assert not summary["timed_out"], harness.headline(summary)
    assert summary["passed"] >= summary["floor"], (
        f"conformance fell below the floor: {harness.headline(summary)}"
    )
