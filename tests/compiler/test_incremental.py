"""Incremental builds: after each kind of change, ``sitec build`` renders only what the
change touched, and writes exactly the tree ``sitec build --force`` writes.

Fixture project: ``tests/apps/incremental_site`` (a file read while the app is created,
data files read while rendering, a folder the index lists, templates that extend,
include and import, a helper module, a static folder). Every build is a real ``sitec
build`` process in a copy of it. The changes run in order on one copy, each starting
from the tree the one before left; each one is checked on its own: which pages were
rendered, which output files were rewritten (a file left alone keeps its inode: it
is hard-linked from the last tree), and that a forced full build into the same folder
gives the same bytes, file for file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
from edits import edit

APPS = Path(__file__).resolve().parents[1] / "apps"


def sitec_build(project: Path, *flags: str, env: dict[str, str] | None = None) -> str:
    """Run ``sitec build`` in ``project``; its output, after checking it succeeded."""
    result = subprocess.run(
        [sys.executable, "-c", "from sitec.compiler.cli import main; main()", "build", *flags],
        cwd=project,
        env={k: v for k, v in (env or os.environ).items() if not k.startswith("FLASK_")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"sitec build failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def rendered_count(stdout: str) -> int:
    found = re.search(r"^rendered (\d+) pages, reused \d+", stdout, re.M)
    if found:
        return int(found.group(1))
    assert "rendered every page" in stdout, stdout
    return -1


def tree(out: Path) -> dict[str, bytes]:
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


def inodes(out: Path) -> dict[str, int]:
    public = out / "public"
    return {
        path.relative_to(public).as_posix(): path.stat().st_ino
        for path in public.rglob("*")
        if path.is_file()
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("incremental") / "site"
    shutil.copytree(APPS / "incremental_site", target, ignore=shutil.ignore_patterns("__pycache__"))
    assert "rendered every page: no earlier build" in sitec_build(target)
    return target


def _template(root: Path) -> None:
    edit(root / "site_app/templates/about.html", "<h1>About</h1>", "<h1>About us</h1>")


def _include(root: Path) -> None:
    edit(root / "site_app/templates/_nav.html", ">About<", ">About us<")


def _data_file(root: Path) -> None:
    edit(root / "data/posts/second.txt", "The second one.", "The second one, edited.")


def _static_file(root: Path) -> None:
    edit(root / "site_app/static/style.css", "serif", "sans-serif")


def _well_known_file(root: Path) -> None:
    edit(root / "site_app/static/.well-known/security.txt", "example.org", "example.net")


def _python_helper(root: Path) -> None:
    edit(root / "site_app/helpers.py", "only where it changed.", "only where it changed!")


def _python_filter(root: Path) -> None:
    edit(root / "site_app/helpers.py", "return text.upper()", "return text.upper() + '!'")


def _new_post(root: Path) -> None:
    (root / "data/posts/fourth.txt").write_text("Fourth post\nThe fourth one.\n")


def _deleted_post(root: Path) -> None:
    (root / "data/posts/third.txt").unlink()


def _creation_input(root: Path) -> None:
    edit(root / "settings.toml", "The Incremental Site", "The Incremental Site, Renamed")


def _url_map_setting(root: Path) -> None:
    edit(root / "settings.toml", "strict_slashes = true", "strict_slashes = false")


def _pyproject_setting(root: Path) -> None:
    edit(root / "pyproject.toml", 'output = "_site"', 'output = "_site"\nbase-url = "/blog/"')


POSTS = {f"posts/{slug}/index.html" for slug in ("first", "second", "third")}

#: (change, the pages it renders again (-1: every page), the public files it rewrites).
CHANGES: list[tuple[t.Callable[[Path], None], int, set[str]]] = [
    (_template, 1, {"about/index.html"}),
    (_include, 5, {"index.html", "about/index.html", *POSTS}),
    # The index reads every post but shows only titles: rendered, not rewritten.
    (_data_file, 2, {"posts/second/index.html"}),
    (_static_file, 0, {"static/style.css"}),
    # A hidden folder the copy keeps (RFC 8615) is an input like any other.
    (_well_known_file, 0, {"static/.well-known/security.txt"}),
    (_python_helper, 1, {"about/index.html"}),
    # The factory registers the filter, so it is code of every page: all are rendered,
    # and only the pages that use it change.
    (_python_filter, 5, POSTS),
    (_new_post, 2, {"posts/fourth/index.html", "index.html"}),
    (_deleted_post, 1, {"index.html"}),
    # Every page is rendered again; the posts show their own title, not the site's.
    (_creation_input, -1, {"index.html", "about/index.html"}),
    # The pages stay as they were; the host configs' trailing-slash redirects go.
    (_url_map_setting, -1, set()),
]


@pytest.mark.parametrize(
    ("change", "rendered", "rewritten"), CHANGES, ids=[c.__name__[1:] for c, _, _ in CHANGES]
)
def test_an_incremental_build_is_a_full_build(
    project: Path, change: t.Callable[[Path], None], rendered: int, rewritten: set[str]
) -> None:
    out = project / "_site"
    before = inodes(out)
    change(project)
    stdout = sitec_build(project)
    assert rendered_count(stdout) == rendered, stdout
    after = inodes(out)
    changed = {file for file, inode in after.items() if before.get(file) != inode}
    assert changed == rewritten
    incremental = tree(out)

    sitec_build(project, "--force")
    full = tree(out)
    assert incremental.keys() == full.keys()
    differing = [name for name in full if incremental[name] != full[name]]
    assert not differing, f"the incremental build differs from a full one in {differing}"


def test_a_settings_change_builds_everything_again(project: Path) -> None:
    _pyproject_setting(project)
    stdout = sitec_build(project)
    assert "rendered every page: " in stdout
    incremental = tree(project / "_site")
    assert b'href="/blog/about/"' in incremental["public/index.html"]
    sitec_build(project, "--force")
    assert tree(project / "_site") == incremental


def test_nothing_changed_imports_nothing(project: Path, tmp_path: Path) -> None:
    """With nothing changed, the build ends before the app is imported; any input
    touched brings it back."""
    marker = tmp_path / "imports.log"
    env = dict(os.environ, INCREMENTAL_SITE_IMPORTS=str(marker))
    sitec_build(project, env=env)  # whatever the tests before left, now it is current
    marker.unlink(missing_ok=True)
    assert "nothing changed since the last build" in sitec_build(project, env=env)
    assert not marker.exists()

    # Saved again with the same bytes: nothing changed either.
    settings = project / "settings.toml"
    settings.write_bytes(settings.read_bytes())
    assert "nothing changed since the last build" in sitec_build(project, env=env)
    assert not marker.exists()

    edit(project / "data/posts/first.txt", "The first one.", "The first one, edited.")
    assert "nothing changed" not in sitec_build(project, env=env)
    assert marker.read_text() == "created\n"


def test_an_environment_variable_the_app_read_is_an_input(project: Path) -> None:
    env = dict(os.environ, INCREMENTAL_SITE_TITLE="From the environment")
    stdout = sitec_build(project, env=env)
    assert "rendered every page: " in stdout and "$INCREMENTAL_SITE_TITLE" in stdout
    assert b"From the environment" in tree(project / "_site")["public/index.html"]
    assert "nothing changed" in sitec_build(project, env=env)
    assert "$INCREMENTAL_SITE_TITLE changed" in sitec_build(project)  # unset again


def test_an_output_file_edited_by_hand_is_written_again(project: Path) -> None:
    page = project / "_site/public/about/index.html"
    good = page.read_bytes()
    page.write_bytes(b"edited by hand")
    stdout = sitec_build(project)
    assert rendered_count(stdout) == 1
    assert page.read_bytes() == good


def test_force_renders_everything(project: Path) -> None:
    stdout = sitec_build(project, "--force")
    assert "rendered every page: --force" in stdout
    assert "nothing changed" in sitec_build(project)


def test_a_file_saved_again_while_the_app_is_created_is_built_again(tmp_path: Path) -> None:
    """A file the app reads while it is created, saved again while the build loads the
    app (the factory does it here, in place of the user), is changed for the next
    build: the build compared its inputs with the record before it loaded the app. Also
    when the settings changed, which skips the check for an output already up to date."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "racy"\nversion = "0"\n'
        '[tool.sitec]\napp = "racy:app"\noutput = "_site"\njobs = 1\n'
    )
    (tmp_path / "racy.py").write_text(
        "from pathlib import Path\n"
        "from flask import Flask\n"
        "here = Path(__file__).parent\n"
        "app = Flask(__name__)\n"
        "DATA = (here / 'data.txt').read_text()\n"
        "again = here / 'save-again'\n"
        "if again.exists():\n"
        "    again.unlink()\n"
        "    (here / 'data.txt').write_text('v3')\n"
        "@app.route('/')\n"
        "def index():\n"
        "    return DATA\n"
    )
    data = tmp_path / "data.txt"
    page = tmp_path / "_site" / "public" / "index.html"
    data.write_text("v1")
    sitec_build(tmp_path)
    assert page.read_text() == "v1"

    data.write_text("v2")
    (tmp_path / "save-again").touch()
    sitec_build(tmp_path, "--base-url", "http://example.org/")
    assert (page.read_text(), data.read_text()) == ("v2", "v3")

    stdout = sitec_build(tmp_path, "--base-url", "http://example.org/")
    assert "data.txt changed" in stdout
    assert page.read_text() == "v3"
