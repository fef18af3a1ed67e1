"""ForkedCall: a call in a forked child gives back what it returned or raised."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from sitec.compiler.forked import ForkedCall


def write_and_tell(path: Path, text: str) -> tuple[int, str]:
    path.write_text(text)
    return os.getpid(), text.upper()


def test_the_call_runs_in_another_process_while_this_one_goes_on(tmp_path: Path) -> None:
    target = tmp_path / "written"
    with ForkedCall(write_and_tell, target, text="bundle") as call:
        here = os.getpid()
        pid, answer = call.result()
    assert pid != here
    assert answer == "BUNDLE"
    assert target.read_text() == "bundle"  # its side effects on disk stay
    assert call.result() == (pid, "BUNDLE")  # asked again: the same answer


def fail(kind: str) -> None:
    if kind == "raise":
        raise FileNotFoundError(2, "No such file or directory", "/nowhere")
    if kind == "die":
        os._exit(3)
    if kind == "unpicklable":
        raise_unpicklable()


def raise_unpicklable() -> None:
    error = ValueError("holds a lock")
    error.lock = threading.Lock()  # type: ignore[attr-defined]
    raise error


def test_what_the_call_raises_is_raised_by_result() -> None:
    with pytest.raises(FileNotFoundError) as info:
        ForkedCall(fail, "raise").result()
    assert info.value.filename == "/nowhere"


def test_a_child_that_dies_is_an_error_not_a_hang() -> None:
    with pytest.raises(RuntimeError, match="died .exit code 3"):
        ForkedCall(fail, "die").result()


def test_an_exception_that_cannot_be_sent_back_comes_as_its_text() -> None:
    with pytest.raises(RuntimeError, match="ValueError: holds a lock"):
        ForkedCall(fail, "unpicklable").result()


def sleep_forever(ready: Path) -> None:
    ready.touch()
    threading.Event().wait()


def test_leaving_the_block_without_waiting_stops_the_child(tmp_path: Path) -> None:
    with pytest.raises(KeyError), ForkedCall(sleep_forever, tmp_path / "ready") as call:
        while not (tmp_path / "ready").exists():
            pass
        raise KeyError("the caller failed meanwhile")
    assert not call._process.is_alive()
