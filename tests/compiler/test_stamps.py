"""Stamps of build inputs: size and mtime first, content when they cannot decide."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sitec.compiler.graph import stamps


def _age(path: Path, seconds: float) -> None:
    """Set the mtime ``seconds`` in the past, so a stamp taken now is not racy."""
    when = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(when, when))


def test_a_file_saved_again_with_the_same_bytes_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text("hello")
    _age(path, 10)
    old = stamps.take(path)
    assert not old.racy
    path.write_text("hello")
    assert stamps.check(path, old) is None
    path.write_text("hellO")
    assert stamps.check(path, old) is not None


def test_a_racy_stamp_compares_content_even_when_size_and_mtime_match(tmp_path: Path) -> None:
    """A write in the same clock tick as the stamp keeps size and mtime: the racy flag
    makes the check read the file."""
    path = tmp_path / "post.md"
    path.write_text("first")
    old = stamps.take(path)
    assert old.racy
    mtime = path.stat().st_mtime_ns
    path.write_text("other")
    os.utime(path, ns=(mtime, mtime))
    changed = stamps.check(path, old)
    assert changed is not None and changed.digest != old.digest


def test_without_the_racy_flag_size_and_mtime_decide(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text("first")
    _age(path, 10)
    old = stamps.take(path)
    mtime = path.stat().st_mtime_ns
    path.write_text("other")
    os.utime(path, ns=(mtime, mtime))
    assert stamps.check(path, old) is None  # as make and git do: hence the racy flag


def test_a_folder_changes_with_its_names_not_its_files(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("a")
    old = stamps.take(tmp_path)
    assert old.kind == stamps.FOLDER
    (tmp_path / "a.md").write_text("changed")
    assert stamps.check(tmp_path, old) is None
    (tmp_path / "b.md").write_text("b")
    assert stamps.check(tmp_path, old) is not None


def test_missing_paths_and_kinds(tmp_path: Path) -> None:
    path = tmp_path / "later.html"
    old = stamps.take(path)
    assert old.kind == stamps.MISSING
    assert stamps.check(path, old) is None
    path.write_text("now")
    assert stamps.check(path, old) == stamps.take(path)
    path.unlink()
    path.mkdir()
    assert stamps.check(path, stamps.take(tmp_path / "nothing")).kind == stamps.FOLDER


def test_a_file_changed_during_the_build_is_dirty(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    started = time.time_ns()
    path.write_text("written while the build ran")
    stamp = stamps.during_build(stamps.take(path), started)
    assert stamp.dirty
    assert stamps.check(path, stamp) is not None  # the next build takes no chance
    _age(path, 10)
    assert not stamps.during_build(stamps.take(path), started).dirty
    assert stamps.Stamp.from_json(stamp.to_json()) == stamp


def test_a_file_is_digested_whole_past_the_first_chunk(tmp_path: Path) -> None:
    one, two = tmp_path / "one.bin", tmp_path / "two.bin"
    head = b"x" * (3 << 20)
    one.write_bytes(head + b"a")
    two.write_bytes(head + b"b")
    stamp = stamps.take(one)
    assert (stamp.kind, stamp.size) == (stamps.FILE, len(head) + 1)
    assert stamp.digest != stamps.take(two).digest
    two.write_bytes(head + b"a")
    assert stamps.take(two).digest == stamp.digest
