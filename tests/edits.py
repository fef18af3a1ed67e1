"""Editing a project's files the way a person at an editor does, for tests that watch
what sitec makes of the change."""

from __future__ import annotations

from pathlib import Path


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` with ``new`` in ``path``; ``old`` must be there, or the test
    would check a change that never happened."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
