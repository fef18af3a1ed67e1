from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest

from sitec.compiler import output as output_module
from sitec.compiler.output import OutputError
from sitec.compiler.output import PathCollision
from sitec.compiler.output import StagedOutput
from sitec.compiler.output import check_replaceable
from sitec.compiler.output import check_writable
from sitec.compiler.paths import UnsafePath

MANIFEST = {"version": 1, "routes": []}


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes, by relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


def build(out: Path, pages: dict[str, bytes], **kwargs: object) -> StagedOutput:
    with StagedOutput(out, **kwargs) as staged:  # type: ignore[arg-type]
        for file, data in pages.items():
            staged.write(file, data)
        staged.write_json("manifest.json", MANIFEST)
        staged.commit()
    return staged


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "site" / "_site"


def test_first_build_creates_out(out: Path) -> None:
    with StagedOutput(out) as staged:
        written = staged.write(
            "a/index.html",
            b"<p>a</p>",
            url="/a/",
            headers=[("Content-Type", "text/html"), ("Server", "x")],
        )
        staged.write_json("manifest.json", MANIFEST)
        assert staged.staging.parent == out.parent
        assert staged.staging.name.startswith("._site.staging-")
        assert not out.exists()
        staged.commit()
    assert written.url == "/a/"
    assert written.file == "a/index.html"
    assert written.sha256 == hashlib.sha256(b"<p>a</p>").hexdigest()
    assert written.size == 8
    assert written.headers == {"Content-Type": "text/html"}
    assert (out / "public" / "a" / "index.html").read_bytes() == b"<p>a</p>"
    assert json.loads((out / "manifest.json").read_text()) == MANIFEST
    assert siblings(out) == []


def test_output_is_readable_by_others(out: Path) -> None:
    build(out, {"index.html": b"x"})
    old_umask = os.umask(0o022)
    os.umask(old_umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~old_umask
    assert (out / "public" / "index.html").stat().st_mode & 0o777 == 0o666 & ~old_umask


def test_default_url_is_the_file_path_quoted(out: Path) -> None:
    with StagedOutput(out) as staged:
        assert staged.write("a b/é.css", b"").url == "/a%20b/%C3%A9.css"


def test_rebuild_replaces_the_whole_tree(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exchanged = []
    real_exchange = output_module._exchange

    def spy(a: Path, b: Path) -> bool:
        exchanged.append(real_exchange(a, b))
        return exchanged[-1]

    monkeypatch.setattr(output_module, "_exchange", spy)
    build(out, {"old.html": b"old", "keep/index.html": b"1"})
    assert exchanged == []  # nothing to swap with the first time
    build(out, {"new.html": b"new", "keep/index.html": b"2"})
    assert len(exchanged) == 1
    assert tree(out / "public") == {"new.html": b"new", "keep/index.html": b"2"}
    assert siblings(out) == []


def test_rebuild_without_renameat2(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output_module, "_exchange", lambda a, b: False)
    build(out, {"old.html": b"old"})
    build(out, {"new.html": b"new"})
    assert tree(out / "public") == {"new.html": b"new"}
    assert siblings(out) == []


def test_exchange_swaps_folders(tmp_path: Path) -> None:
    if output_module._renameat2() is None:
        pytest.skip("renameat2 is not available here")
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "from_a").touch()
    (b / "from_b").touch()
    if not output_module._exchange(a, b):
        pytest.skip("this file system cannot exchange folders")
    assert [p.name for p in a.iterdir()] == ["from_b"]
    assert [p.name for p in b.iterdir()] == ["from_a"]


def test_exception_mid_build_keeps_old_tree(out: Path) -> None:
    build(out, {"index.html": b"old"})
    before = tree(out)
    with pytest.raises(RuntimeError), StagedOutput(out) as staged:
        staged.write("index.html", b"new")
        staged.write("other.html", b"new")
        raise RuntimeError("render failed")
    assert tree(out) == before
    assert siblings(out) == []


def test_keyboard_interrupt_keeps_old_tree(out: Path) -> None:
    build(out, {"index.html": b"old"})
    before = tree(out)
    with pytest.raises(KeyboardInterrupt), StagedOutput(out) as staged:
        staged.write("index.html", b"new")
        raise KeyboardInterrupt
    assert tree(out) == before
    assert siblings(out) == []


def test_failure_between_renames_restores_old_tree(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(out, {"index.html": b"old"})
    before = tree(out)
    monkeypatch.setattr(output_module, "_exchange", lambda a, b: False)
    real_rename = os.rename
    calls = []

    def failing_rename(src: object, dst: object) -> None:
        calls.append((src, dst))
        if len(calls) == 2:  # OUT moved aside; now move the staging folder in
            raise OSError(28, "No space left on device")
        real_rename(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(output_module.os, "rename", failing_rename)
    with pytest.raises(OutputError, match="No space left"), StagedOutput(out) as staged:
        staged.write("index.html", b"new")
        staged.write_json("manifest.json", MANIFEST)
        staged.commit()
    assert tree(out) == before
    assert siblings(out) == []


def test_failed_exchange_keeps_old_tree(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(out, {"index.html": b"old"})
    before = tree(out)

    def broken_exchange(a: Path, b: Path) -> bool:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(output_module, "_exchange", broken_exchange)
    with pytest.raises(OutputError, match="Input/output error"), StagedOutput(out) as staged:
        staged.write("index.html", b"new")
        staged.write_json("manifest.json", MANIFEST)
        staged.commit()
    assert tree(out) == before
    assert siblings(out) == []


def test_commit_needs_the_manifest_and_happens_once(out: Path) -> None:
    with StagedOutput(out) as staged:
        with pytest.raises(RuntimeError, match="manifest.json"):
            staged.commit()
        staged.write_json("manifest.json", MANIFEST)
        staged.commit()
        with pytest.raises(RuntimeError):
            staged.commit()


def test_rebuild_keeps_the_folder_mode(out: Path) -> None:
    build(out, {"index.html": b"x"})
    out.chmod(0o2750)
    build(out, {"index.html": b"y"})
    assert out.stat().st_mode & 0o7777 == 0o2750


def test_leftover_old_tree_is_reported(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(out, {"index.html": b"old"})
    monkeypatch.setattr(output_module.shutil, "rmtree", lambda path, ignore_errors: None)
    staged = build(out, {"index.html": b"new"})
    assert (out / "public" / "index.html").read_bytes() == b"new"
    assert staged.leftover is not None
    assert (staged.leftover / "public" / "index.html").read_bytes() == b"old"


# Collisions and unsafe paths


def test_two_urls_one_file(out: Path) -> None:
    with StagedOutput(out) as staged:
        staged.write("a.html", b"1", url="/a")
        with pytest.raises(PathCollision) as info:
            staged.write("a.html", b"2", url="/a.html")
    error = info.value
    assert error.kind == "file-collision"
    assert (error.url, error.other_url, error.path) == ("/a.html", "/a", "a.html")
    assert "/a and /a.html both map to a.html" in str(error)


def test_folder_where_a_file_is(out: Path) -> None:
    with StagedOutput(out) as staged:
        staged.write("post", b"{}", url="/post")
        with pytest.raises(PathCollision) as info:
            staged.write("post/hello/index.html", b"", url="/post/hello/")
    error = info.value
    assert error.kind == "folder-collision"
    assert (error.url, error.other_url, error.path) == ("/post/hello/", "/post", "post")
    assert "/post/hello/ needs a folder post, but that is the file of /post" in str(error)


def test_file_where_a_folder_is(out: Path) -> None:
    with StagedOutput(out) as staged:
        staged.write("post/hello/index.html", b"", url="/post/hello/")
        with pytest.raises(PathCollision) as info:
            staged.write("post", b"{}", url="/post")
        with pytest.raises(PathCollision):
            staged.write("post/hello", b"{}", url="/post/hello")
    error = info.value
    assert error.kind == "folder-collision"
    assert (error.url, error.other_url, error.path) == ("/post", "/post/hello/", "post")


def test_a_refused_write_leaves_no_trace(out: Path) -> None:
    with StagedOutput(out) as staged:
        staged.write("a", b"", url="/a")
        with pytest.raises(PathCollision):
            staged.write("b/c/a/b/c", b"", url="/b/c/a/b/c")  # fine so far
            staged.write("a/b/c", b"", url="/a/b/c")
        assert not (staged.public / "a" / "b").exists()
        # The refused URL claimed nothing: its would-be folder is still free for a file.
        staged.write("a.b", b"", url="/a.b")
        staged.write("b/c/a/b/d", b"", url="/b/c/a/b/d")


@pytest.mark.parametrize(
    "file", ["../escape", "a/../../escape", "/etc/passwd", "a\\..\\b", "a\x00", "", "a//b"]
)
def test_write_refuses_unsafe_files(out: Path, file: str) -> None:
    with StagedOutput(out) as staged, pytest.raises(UnsafePath):
        staged.write(file, b"x")
    assert not (out.parent / "escape").exists()


def test_write_refuses_symlinked_folders(out: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    with StagedOutput(out) as staged:
        (staged.public / "link").symlink_to(outside)
        with pytest.raises(UnsafePath):
            staged.write("link/x.html", b"x")
        (staged.public / "file.html").symlink_to(outside / "target.html")
        with pytest.raises(PathCollision):
            staged.write("file.html", b"x")
    assert list(outside.iterdir()) == []


def test_write_json_stays_beside_public(out: Path) -> None:
    with StagedOutput(out) as staged:
        with pytest.raises(UnsafePath):
            staged.write_json("../manifest.json", {})
        with pytest.raises(UnsafePath):
            staged.write_json("public/manifest.json", {})
        staged.write_json("manifest.json", {"b": 1, "a": [1, "é"]})
        assert (staged.staging / "manifest.json").read_bytes() == (
            '{"a": [1, "é"], "b": 1}\n'.encode()
        )


# copy_tree


def test_copy_tree(out: Path, tmp_path: Path) -> None:
    static = tmp_path / "project" / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body{}")
    (static / "logo.png").write_bytes(b"\x89PNG")
    (static / "LICENSE").write_text("MIT")
    (static / ".env").write_text("SECRET=1")
    (static / ".git").mkdir()
    (static / ".git" / "config").write_text("x")
    (static / ".well-known").mkdir()
    (static / ".well-known" / "security.txt").write_text("Contact: x")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (static / "leak.txt").symlink_to(secret)
    (static / "alias.css").symlink_to(static / "css" / "site.css")
    (static / "dirlink").symlink_to(static / "css")
    (static / "outlink").symlink_to(tmp_path)
    Path(os.fsdecode(os.fsencode(static) + b"/latin1-caf\xe9.css")).write_text("x")

    with StagedOutput(out) as staged:
        copied = staged.copy_tree(static, "/static", headers={"Cache-Control": "no-cache"})
        staged.write_json("manifest.json", MANIFEST)
        staged.commit()

    assert tree(out / "public") == {
        "static/.well-known/security.txt": b"Contact: x",
        "static/LICENSE": b"MIT",
        "static/alias.css": b"body{}",
        "static/css/site.css": b"body{}",
        "static/logo.png": b"\x89PNG",
    }
    assert not (out / "public" / "static" / "alias.css").is_symlink()
    by_url = {f.url: f for f in copied.files}
    assert sorted(by_url) == [
        "/static/.well-known/security.txt",
        "/static/LICENSE",
        "/static/alias.css",
        "/static/css/site.css",
        "/static/logo.png",
    ]
    css = by_url["/static/css/site.css"]
    assert css.file == "static/css/site.css"
    assert css.sha256 == hashlib.sha256(b"body{}").hexdigest()
    assert css.size == 6
    assert css.headers == {"Content-Type": "text/css; charset=utf-8", "Cache-Control": "no-cache"}
    assert by_url["/static/logo.png"].headers["Content-Type"] == "image/png"
    assert by_url["/static/LICENSE"].headers["Content-Type"] == "application/octet-stream"
    assert dict(copied.skipped) == {
        ".env": "a hidden name",
        ".git": "a hidden name",
        "dirlink": "a symlink to a folder",
        "latin1-caf\udce9.css": "a name that is not valid UTF-8",
        "leak.txt": "a symlink to outside the folder",
        "outlink": "a symlink to outside the folder",
    }


def test_copy_tree_collides_with_pages(out: Path, tmp_path: Path) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("static")
    with StagedOutput(out) as staged:
        staged.write("index.html", b"page", url="/")
        with pytest.raises(PathCollision, match="/ and /index.html both map to index.html"):
            staged.copy_tree(static, "")


def test_copy_tree_skips_the_output_inside_the_source(tmp_path: Path) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "a.css").write_text("a")
    out = static / "build"
    build(out, {"index.html": b"x"})
    with StagedOutput(out) as staged:
        copied = staged.copy_tree(static, "static")
        staged.write_json("manifest.json", MANIFEST)
        staged.commit()
    assert tree(out / "public") == {"static/a.css": b"a"}
    assert ("build", "the build's own output") in copied.skipped


# Where the output may go


def test_check_writable_accepts_new_and_existing_folders(tmp_path: Path) -> None:
    check_writable(tmp_path / "new" / "deeper" / "_site")
    check_writable(tmp_path)
    assert list(tmp_path.iterdir()) == []


def _unavailable(reason: str) -> None:
    """Skip locally; under CI a missing capability is a failure, not a pass."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must be able to run this test)")
    pytest.skip(reason)


@contextlib.contextmanager
def _unwritable(folder: Path) -> t.Iterator[str]:
    """Make ``folder`` refuse new entries for real; yields the error the OS gives.

    A user is refused by permissions; root ignores them, so for root the folder is
    made immutable (``chattr +i``, which stops root too) and made mutable again after.
    """
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield os.strerror(errno.EACCES)
        finally:
            folder.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        _unavailable("running as root without chattr: nothing here stops root writing")
    made = subprocess.run([chattr, "+i", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        _unavailable(f"chattr +i does not work here: {made.stderr.strip()}")
    try:
        yield os.strerror(errno.EPERM)
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_unwritable_output_folder(tmp_path: Path) -> None:
    parent = tmp_path / "readonly"
    parent.mkdir()
    with _unwritable(parent) as refusal:
        with pytest.raises(OutputError) as info:
            check_writable(parent / "_site")
        assert str(info.value) == (
            f"output folder {parent / '_site'}: cannot write in {parent}: {refusal}"
        )
        with pytest.raises(OutputError):
            StagedOutput(parent / "_site").__enter__()
        assert list(parent.iterdir()) == []


def test_read_only_file_system(tmp_path: Path) -> None:
    """A real read-only mount: ``tmp_path`` bound read-only onto itself in a private
    mount namespace (``unshare``), where ``check_writable`` runs."""
    unshare = shutil.which("unshare")
    if unshare is None:
        _unavailable("no unshare command to make a read-only mount with")
    # Root makes a mount namespace; a user needs a user namespace for it (-r).
    namespace = [unshare, "-m"] if os.geteuid() == 0 else [unshare, "-r", "-m"]
    folder = str(tmp_path)
    script = (
        "import sys\n"
        "from sitec.compiler.output import OutputError, check_writable\n"
        "try:\n"
        f"    check_writable({folder!r} + '/_site')\n"
        "except OutputError as e:\n"
        "    print(e)\n"
    )
    command = (
        f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} {folder}"
        f' && exec "$0" -c "$1"'
    )
    run = subprocess.run(
        [*namespace, "sh", "-c", command, sys.executable, script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if run.returncode != 0:
        _unavailable(f"cannot make a read-only mount here: {run.stderr.strip()}")
    assert run.stdout.strip() == (
        f"output folder {tmp_path / '_site'}: cannot write in {tmp_path}: Read-only file system"
    )
    assert list(tmp_path.iterdir()) == []


def test_output_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError) as info:
        check_writable(blocker / "sub" / "_site")
    assert str(blocker / "sub" / "_site") in str(info.value)
    assert "is a file" in str(info.value)
    with pytest.raises(OutputError, match="it is a file, not a folder"):
        check_writable(blocker)
    with pytest.raises(OutputError), StagedOutput(blocker / "_site"):
        pass
    assert blocker.read_text() == "x"


@pytest.mark.parametrize("place", ["root", "home", "project", "project_parent"])
def test_data_loss_guards(place: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    project = home / "work" / "project"
    project.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    out = {
        "root": Path("/"),
        "home": home,
        "project": project,
        "project_parent": project.parent,
    }[place]
    with pytest.raises(OutputError, match="a build replaces its output folder entirely"):
        check_replaceable(out, project_root=project, force=True)
    with pytest.raises(OutputError), StagedOutput(out, project_root=project, force=True):
        pass
    assert project.is_dir()


def test_guard_sees_through_relative_and_symlinked_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (tmp_path / "link").symlink_to(project)
    monkeypatch.chdir(project / "sub")
    for out in (Path(".."), tmp_path / "link"):
        with pytest.raises(OutputError, match="is the project folder"):
            check_replaceable(out, project_root=project, force=True)


def test_foreign_folder_is_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "manifest.json").write_text('{"manifest_version": 3}')  # e.g. a browser extension
    with pytest.raises(
        OutputError, match=r"not made by a build; choose another output folder \(-o\)"
    ):
        StagedOutput(out).__enter__()
    assert siblings(out) == []
    build(out, {"index.html": b"x"}, force=True)
    assert tree(out / "public") == {"index.html": b"x"}


def test_empty_and_sitec_folders_are_replaced(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    build(empty, {"index.html": b"x"})
    build(empty, {"index.html": b"y"})
    assert tree(empty / "public") == {"index.html": b"y"}


def test_symlinked_out_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "www" / "site"
    target.parent.mkdir()
    build(target, {"index.html": b"old"})
    link = tmp_path / "_site"
    link.symlink_to(target)
    build(link, {"index.html": b"new"})
    assert link.is_symlink()
    assert (target / "public" / "index.html").read_bytes() == b"new"


def test_leaving_without_commit_removes_staging(out: Path) -> None:
    with StagedOutput(out) as staged:
        staged.write("index.html", b"x")
        staging = staged.staging
    assert not staging.exists()
    assert not out.exists()
    with pytest.raises(RuntimeError):
        _ = staged.public


# Taking files back


def folders(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir())


def test_remove_takes_back_a_file_and_the_folders_only_it_needed(out: Path) -> None:
    with StagedOutput(out) as staged:
        b = staged.write("a/b/index.html", b"b", url="/a/b/")
        staged.write("a/c/index.html", b"c", url="/a/c/")
        staged.remove(b)
        assert tree(staged.public) == {"a/c/index.html": b"c"}
        assert folders(staged.public) == ["a", "a/c"]
        # The path is free again, for a file or a folder.
        staged.write("a/b", b"now a file", url="/a/b")
        with pytest.raises(ValueError):
            staged.remove(b)
        staged.remove(staged.write("x/y/z.html", b"", url="/x/y/z"))
        assert folders(staged.public) == ["a", "a/c"]
        staged.write("x", b"{}", url="/x")  # no folder-collision with the forgotten /x/y/z
        staged.write_json("manifest.json", MANIFEST)
        staged.commit()
    assert tree(out / "public") == {"a/b": b"now a file", "a/c/index.html": b"c", "x": b"{}"}


def test_remove_in_a_recycled_tree_leaves_what_a_fresh_one_would(tmp_path: Path) -> None:
    """The spare tree of an earlier build is staged in: a folder emptied by removing
    this build's last file in it goes, with the earlier build's files still in it."""

    class Unchanged:
        def file_for(self, file: str, sha256: str) -> Path | None:
            return None

        def static_for(self, source: Path, file: str) -> None:
            return None

    out, spare = tmp_path / "site", tmp_path / "spare"
    for pages in ({"old/a.html": b"a", "old/b.html": b"b"}, {"index.html": b"i"}):
        with StagedOutput(out, previous=Unchanged(), spare=spare) as staged:
            for file, data in pages.items():
                staged.write(file, data)
            staged.write_json("manifest.json", MANIFEST)
            staged.commit()
    with StagedOutput(out, previous=Unchanged(), spare=spare) as staged:
        assert tree(staged.public) == {"old/a.html": b"a", "old/b.html": b"b"}  # recycled
        staged.remove(staged.write("old/a.html", b"new a", url="/old/a.html"))
        assert folders(staged.public) == []
        staged.write("old", b"a file now", url="/old")
        staged.write_json("manifest.json", MANIFEST)
        staged.commit()
    assert tree(out / "public") == {"old": b"a file now"}


# Replacing the old tree


def test_commit_can_leave_the_old_tree_to_a_background_process(out: Path) -> None:
    build(out, {"index.html": b"old", "a/index.html": b"old a"})
    stale = out.parent / f".{out.name}.old-0123abcd"  # left by an interrupted earlier removal
    (stale / "public").mkdir(parents=True)
    with StagedOutput(out) as staged:
        staged.write("index.html", b"new")
        staged.write_json("manifest.json", MANIFEST)
        staged.commit(wait=False)
    assert tree(out / "public") == {"index.html": b"new"}
    assert staged.removing is not None
    assert staged.leftover is None
    deadline = time.monotonic() + 30
    while siblings(out) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert siblings(out) == []
