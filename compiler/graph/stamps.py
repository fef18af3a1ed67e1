"""Stamps: what a build saw of one input path, to tell later whether it changed.

A stamp holds the kind of the path (file, folder, missing), its size and modification
time, and a digest of its content (a folder's content is its sorted list of names). A
later check compares size and mtime first and hashes only when they differ, so a
build with nothing changed reads no file.

Two races are closed the way git closes them. A file written twice within one tick of
the file system's clock keeps its size and mtime: a stamp whose mtime is within
:data:`RACY_NS` of the moment it was taken is *racy*, and its content is always compared.
A file first read during a build and modified while the build ran may have been read
before the change: such a stamp is *dirty* and counts as changed at the next check.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
import typing as t
from dataclasses import dataclass

#: A stamp taken less than this after the path's mtime may miss a later write in the
#: same clock tick (file systems keep coarse clocks): compare its content next time.
RACY_NS = 1_000_000_000
#: A file first seen during a build whose mtime is this close to the build's start (or
#: later) may have changed after the app read it.
DURING_BUILD_NS = 50_000_000

FILE = "f"
FOLDER = "d"
MISSING = "-"


@dataclass(frozen=True)
class Stamp:
    """One path as a build saw it."""

    kind: str
    size: int = 0
    mtime_ns: int = 0
    digest: str = ""
    #: Compare the content at the next check, whatever size and mtime say.
    racy: bool = False
    #: Counts as changed at the next check.
    dirty: bool = False

    def to_json(self) -> list[t.Any]:
        flags = ("r" if self.racy else "") + ("x" if self.dirty else "")
        return [self.kind, self.size, self.mtime_ns, self.digest, flags]

    @classmethod
    def from_json(cls, data: list[t.Any]) -> Stamp:
        kind, size, mtime_ns, digest, flags = data
        return cls(kind, size, mtime_ns, digest, "r" in flags, "x" in flags)


def take(path: str | os.PathLike[str], *, now_ns: int | None = None) -> Stamp:
    """The stamp of ``path`` now (a symlink is followed).

    A file is opened once and its stamp taken from the open file (``fstat``, then its
    bytes): a build stamps every file the app read, ten thousand posts for a blog.
    """
    now_ns = time.time_ns() if now_ns is None else now_ns
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        # Missing, unreadable, or a folder where folders cannot be opened (Windows).
        try:
            info = os.stat(path)
        except OSError:
            return Stamp(MISSING)
        return _with_digest(path, info, now_ns)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return _with_digest(path, info, now_ns)
        digest = hashlib.blake2b(digest_size=16)
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
    except OSError:
        return Stamp(MISSING)
    finally:
        os.close(fd)
    racy = now_ns - info.st_mtime_ns < RACY_NS
    return Stamp(FILE, info.st_size, info.st_mtime_ns, digest.hexdigest(), racy)


def _with_digest(path: str | os.PathLike[str], info: os.stat_result, now_ns: int) -> Stamp:
    racy = now_ns - info.st_mtime_ns < RACY_NS
    if stat.S_ISDIR(info.st_mode):
        names = _listing(path)
        if names is None:
            return Stamp(MISSING)
        return Stamp(FOLDER, len(names), info.st_mtime_ns, _digest_names(names), racy)
    digest = _digest_file(path)
    if digest is None:
        return Stamp(MISSING)
    return Stamp(FILE, info.st_size, info.st_mtime_ns, digest, racy)


def check(path: str | os.PathLike[str], old: Stamp) -> Stamp | None:
    """``None`` when ``path`` is as ``old`` says, else its stamp now.

    Size and mtime decide when they match and ``old`` is neither racy nor dirty; else
    the content is compared, so a file saved again with the same bytes is unchanged.
    """
    now_ns = time.time_ns()
    try:
        info = os.stat(path)
    except OSError:
        return None if old.kind == MISSING else Stamp(MISSING)
    kind = FOLDER if stat.S_ISDIR(info.st_mode) else FILE
    if kind != old.kind:
        return _with_digest(path, info, now_ns)
    size = info.st_size if kind == FILE else old.size
    if not old.racy and not old.dirty and info.st_mtime_ns == old.mtime_ns and size == old.size:
        return None
    new = _with_digest(path, info, now_ns)
    if not old.dirty and new.kind == old.kind and new.digest == old.digest:
        return None
    return new


def changed_among(stamped: t.Mapping[str, Stamp], paths: t.Iterable[str]) -> list[str]:
    """The real paths of ``paths`` that ``stamped`` holds and that changed since."""
    return [
        path
        for path in map(os.path.realpath, paths)
        if path in stamped and check(path, stamped[path]) is not None
    ]


def same_content(old: Stamp, new: Stamp) -> bool:
    """Whether two stamps of a path, taken one after the other, saw the same file: the
    same kind, size, modification time and content (a write in between changes the
    modification time, or the content within one tick of the clock)."""
    return (old.kind, old.size, old.mtime_ns, old.digest) == (
        new.kind,
        new.size,
        new.mtime_ns,
        new.digest,
    )


def during_build(stamp: Stamp, started_ns: int) -> Stamp:
    """``stamp``, taken after a build, marked dirty if the path may have changed during it."""
    if stamp.kind != MISSING and stamp.mtime_ns >= started_ns - DURING_BUILD_NS:
        return Stamp(stamp.kind, stamp.size, stamp.mtime_ns, stamp.digest, True, True)
    return stamp


def size_and_mtime(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """A file's size and modification time now; ``None`` when it cannot be stat'ed.
    What a parse of a file made at ``read_ns`` notes, for :func:`still_as_read`."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def still_as_read(path: str | os.PathLike[str], seen: tuple[int, int] | None, read_ns: int) -> bool:
    """Whether ``path`` is still the file that had size and mtime ``seen`` when it was
    read at ``read_ns``: the same now, and the mtime older than the read by more than
    :data:`RACY_NS` (a write in the tick of the read would keep both)."""
    return seen is not None and size_and_mtime(path) == seen and read_ns - seen[1] >= RACY_NS


def _listing(path: str | os.PathLike[str]) -> list[str] | None:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return None


def _digest_names(names: list[str]) -> str:
    text = "\0".join(names).encode("utf-8", "surrogateescape")
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def _digest_file(path: str | os.PathLike[str]) -> str | None:
    digest = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()
