"""A staged output that stages in the spare tree of an earlier build: files already
right stay (same inode), everything else is replaced, and what the new tree lacks is
gone before the exchange; the committed tree is exactly the one a fresh staging makes."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from sitec.compiler.output import StagedOutput
from sitec.compiler.output import TreeListing


class LastTree:
    """The committed tree's files by content, as an incremental build knows them."""

    def __init__(self, out: Path) -> None:
        self.public = out / "public"
        self.sha = {
            path.relative_to(self.public).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in self.public.rglob("*")
            if path.is_file()
        }

    def file_for(self, file: str, sha256: str) -> Path | None:
        return self.public / file if self.sha.get(file) == sha256 else None

    def static_for(self, source: Path, file: str) -> tuple[Path, str, int] | None:
        return None


def build(out: Path, spare: Path, files: dict[str, bytes], *, previous: bool = True) -> None:
    last = LastTree(out) if previous and out.exists() else None
    with StagedOutput(out, previous=last, spare=spare) as output:
        for name, data in files.items():
            output.write(name, data)
        output.write_json("manifest.json", {"version": 1, "routes": []})
        output.commit()


def tree(out: Path) -> dict[str, bytes]:
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


def inode(out: Path, file: str) -> int:
    return (out / "public" / file).stat().st_ino


def test_builds_stage_in_the_tree_the_last_commit_replaced(tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / "cache" / "spare"
    first = {"index.html": b"home", "b/index.html": b"b", "c.txt": b"c", "keep/x.css": b"x"}
    build(out, spare, first)
    assert not spare.exists()  # nothing was replaced yet

    second = {"index.html": b"home", "b/index.html": b"b, edited", "keep/x.css": b"x"}
    build(out, spare, second)
    assert tree(spare / "public") == first  # the tree the commit replaced
    kept = inode(out, "keep/x.css")

    # The spare is the first tree: "b" becomes a file, c.txt goes, d/e.html comes.
    third = {"index.html": b"home", "b": b"now a file", "keep/x.css": b"x", "d/e.html": b"e"}
    (spare / "public" / "junk").mkdir()
    (spare / "public" / "junk" / "left.html").write_text("from nowhere")
    os.symlink(tmp_path, spare / "public" / "link")
    build(out, spare, third)
    assert tree(out) == {
        "manifest.json": (out / "manifest.json").read_bytes(),
        **{f"public/{name}": data for name, data in third.items()},
    }
    assert inode(out, "keep/x.css") == kept  # never rewritten
    assert tmp_path.exists() and (tmp_path / "cache").exists()  # the link was not followed

    fresh = tmp_path / "fresh"
    build(fresh, tmp_path / "other-spare", third)
    assert tree(fresh) == tree(out)


def test_a_build_without_a_last_tree_does_not_stage_in_the_spare(tmp_path: Path) -> None:
    out, spare = tmp_path / "site", tmp_path / "spare"
    build(out, spare, {"a.html": b"a"})
    build(out, spare, {"a.html": b"a2"})
    build(out, spare, {"b.html": b"b"}, previous=False)  # --force: a fresh staging
    assert tree(out / "public") == {"b.html": b"b"}
    assert tree(spare / "public") == {"a.html": b"a2"}
    assert not list(tmp_path.glob(".site.staging-*"))


def test_a_page_written_again_goes_over_the_spare_file_no_other_tree_shares(
    tmp_path: Path,
) -> None:
    out, spare = tmp_path / "site", tmp_path / "spare"
    build(out, spare, {"a.html": b"one", "b.html": b"same"})
    build(out, spare, {"a.html": b"two", "b.html": b"same"})
    # The spare is the first tree: its a.html is its own, its b.html the committed one.
    with (spare / "public" / "a.html").open("rb") as own:
        build(out, spare, {"a.html": b"three, longer than before", "b.html": b"changed"})
        assert own.read() == b"three, longer than before"  # written over, not created anew
    assert tree(out / "public") == {"a.html": b"three, longer than before", "b.html": b"changed"}
    assert tree(spare / "public") == {"a.html": b"two", "b.html": b"same"}  # never written through

    build(out, spare, {"a.html": b"4", "b.html": b"changed"})
    assert tree(out / "public") == {"a.html": b"4", "b.html": b"changed"}  # cut to its new size


def test_a_spare_listed_ahead_is_swept_as_it_is_now(tmp_path: Path) -> None:
    """The dev server lists the spare tree ahead of the next build: a folder that is the
    same folder with the same time, older than the listing by a tick of the clock, is
    not listed again; any other (a file added since, a folder listed in the tick it
    changed) is, so what the build did not write still goes."""
    out, spare = tmp_path / "site", tmp_path / "cache" / "spare"
    pages = {"index.html": b"home", "a/index.html": b"a", "b/index.html": b"b"}
    build(out, spare, pages)
    build(out, spare, {**pages, "c/index.html": b"c"})
    public = spare / "public"
    an_hour_ago = time.time() - 3600
    for folder in (public, public / "a", public / "b"):
        os.utime(folder, (an_hour_ago, an_hour_ago))
    listing = TreeListing(public)
    assert listing.entries(str(public / "a"), "a/") == [("index.html", False)]

    (public / "b" / "stray.html").write_text("saved into the spare by hand")
    assert listing.entries(str(public / "b"), "b/") is None  # changed since it was listed
    (public / "a" / "old.html").write_text("an earlier build's")
    os.utime(public / "a", (an_hour_ago, an_hour_ago))  # as if it had always been there
    assert listing.entries(str(public / "a"), "a/") == [("index.html", False)]

    last = LastTree(out)
    with StagedOutput(out, previous=last, spare=spare, spare_listing=listing) as output:
        for name, data in pages.items():
            output.write(name, data)
        output.write_json("manifest.json", {"version": 1, "routes": []})
        output.commit()
    # "b" was listed again: its stray file is gone. The listing stood for "a": old.html,
    # written with the folder's time set back (which only a hand does), was not seen.
    assert sorted(
        p.relative_to(out / "public").as_posix() for p in (out / "public").rglob("*")
    ) == [
        "a",
        "a/index.html",
        "a/old.html",
        "b",
        "b/index.html",
        "index.html",
    ]

    fresh = TreeListing(tmp_path / "site" / "public")  # listed in the tick it changed
    assert fresh.entries(str(out / "public" / "b"), "b/") is None
