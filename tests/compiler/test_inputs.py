"""What ``InputRecorder`` records: files read under the project, by their real paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sitec.compiler.graph.inputs import InputRecorder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "content" / "posts").mkdir(parents=True)
    (root / "content" / "posts" / "a.txt").write_text("a")
    (root / "content" / "posts" / "b.txt").write_text("b")
    (tmp_path / "outside.txt").write_text("o")
    return root


def test_files_are_recorded_by_their_real_path_however_they_are_opened(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = project / "content" / "posts"
    (project / "linked").symlink_to(posts, target_is_directory=True)
    (project / "alias.txt").symlink_to(posts / "b.txt")
    (posts / "escape.txt").symlink_to(project.parent / "outside.txt")
    monkeypatch.chdir(project / "content")
    recorder = InputRecorder(project)
    with recorder.recording():
        for path in (
            "posts/a.txt",  # relative to the current folder
            project / "linked" / "a.txt",  # through a linked folder: the same file
            project / "content" / "posts" / ".." / "posts" / "b.txt",
            project / "alias.txt",  # a linked file: the file it names
            posts / "escape.txt",  # a link to outside the project: not an input
            project / "linked" / "missing.txt",
        ):
            try:
                Path(path).read_bytes()
            except FileNotFoundError:
                pass
    real = os.path.realpath
    assert list(recorder.files) == [
        real(posts / "a.txt"),
        real(posts / "b.txt"),
        real(posts / "missing.txt"),
    ]
