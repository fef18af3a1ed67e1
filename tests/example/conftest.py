"""Fixtures of the example site's tests: a clean copy of ``example_site/``, one build
of it by the ``sitec`` command, the posts as its content files say, and the app served
by the runtime on a real socket.

Nothing is written into the repository: the copy and every build live under pytest's
temporary folder.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
import threading
import typing as t
from pathlib import Path

import pytest

from .example_support import Build
from .example_support import PostFile
from .example_support import read_post_file
from .example_support import run_build

EXAMPLE_ROOT = Path(__file__).resolve().parents[2] / "example_site"
#: What builds, runs and screenshots leave in a checkout; a clean copy has none of it.
LEFT_BEHIND = shutil.ignore_patterns("_site", "__pycache__", ".sitec-cache", "screenshots")


@pytest.fixture(scope="session")
def example_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``example_site/`` as a fresh checkout has it."""
    target = tmp_path_factory.mktemp("checkout") / "example_site"
    shutil.copytree(EXAMPLE_ROOT, target, ignore=LEFT_BEHIND)
    return target


@pytest.fixture(scope="session")
def build(example_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """``sitec build --explain`` of the clean copy."""
    out = tmp_path_factory.mktemp("build") / "site"
    result = run_build(example_copy, out, "--explain")
    assert result.returncode == 0, f"sitec build failed:\n{result.stdout}\n{result.stderr}"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return Build(out, result.stdout, manifest)


@pytest.fixture(scope="session")
def post_files(example_copy: Path) -> list[PostFile]:
    """Every post file, drafts included, newest first."""
    posts = [read_post_file(path) for path in (example_copy / "content" / "posts").glob("*.md")]
    return sorted(posts, key=lambda post: (-post.date.toordinal(), post.slug))


@pytest.fixture(scope="session")
def published(post_files: list[PostFile]) -> list[PostFile]:
    return [post for post in post_files if not post.draft]


@pytest.fixture(scope="session")
def drafts(post_files: list[PostFile]) -> list[PostFile]:
    found = [post for post in post_files if post.draft]
    assert found, "the example should keep a draft, to show that drafts are not published"
    return found


@pytest.fixture(scope="module")
def publication(example_copy: Path) -> t.Iterator[t.Any]:
    """The copy's ``publication`` package, imported as ``sitec run`` imports it: after the
    alias, so its ``import flask`` is the runtime. Unloaded again afterwards."""
    from sitec.compiler import hints
    from sitec.runtime import install_flask_alias

    install_flask_alias()
    saved_path, saved_modules = list(sys.path), set(sys.modules)
    saved_generators = list(hints._registry)
    sys.path.insert(0, str(example_copy))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module("publication")
    finally:
        sys.path[:] = saved_path
        for name in set(sys.modules) - saved_modules:
            del sys.modules[name]
        hints._registry[:] = saved_generators


@pytest.fixture(scope="module")
def server(publication: t.Any) -> t.Iterator[str]:
    """The example app on a free port of 127.0.0.1; yields its base URL."""
    from werkzeug.serving import make_server

    app = publication.create_app()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(10)
        httpd.server_close()
