"""What the example site's tests share: how to build it, and what a build and a post file are.

The fixtures that use these are in ``conftest.py``.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import tomllib
import typing as t
from dataclasses import dataclass
from pathlib import Path

SITE_URL = "https://plainpages.example"


@dataclass(frozen=True)
class PostFile:
    """A post as its file says, read here without the site's own code."""

    slug: str
    title: str
    date: datetime.date
    tags: tuple[str, ...]
    draft: bool


def read_post_file(path: Path) -> PostFile:
    _, front, _ = path.read_text(encoding="utf-8").split("+++\n", 2)
    meta = tomllib.loads(front)
    return PostFile(
        path.stem, meta["title"], meta["date"], tuple(meta["tags"]), meta.get("draft", False)
    )


@dataclass
class Build:
    """One ``sitec build`` of a copy of the example."""

    out: Path
    stdout: str
    manifest: dict[str, t.Any]

    @property
    def public(self) -> Path:
        return self.out / "public"

    def routes(self, endpoint: str) -> list[dict[str, t.Any]]:
        return [route for route in self.manifest["routes"] if route["endpoint"] == endpoint]

    def urls(self, endpoint: str) -> set[str]:
        return {entry["url"] for route in self.routes(endpoint) for entry in route["urls"]}


def run_build(project: Path, out: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """``sitec build`` in ``project``, writing to ``out``, through the ``sitec`` command's
    own entry point, without the caller's FLASK_* and PUBLICATION_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PUBLICATION_"))}
    return subprocess.run(
        [sys.executable, "-c", "from sitec.compiler.cli import main; main()", "build"]
        + ["--output", str(out), *flags],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
