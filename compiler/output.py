"""The output folder: a new tree is staged beside it and swapped in only when complete.

The build opens a :class:`StagedOutput` before rendering, writes each page's bytes (named by
:mod:`sitec.compiler.paths`), the static folders and ``manifest.json`` into a staging folder
next to OUT (``OUT.parent/.OUT.staging-xxxx``, so the swap is a rename on one file system),
and calls :meth:`~StagedOutput.commit`. Leaving the ``with`` block any other way (an error,
Ctrl-C) deletes the staging folder and leaves OUT as it was.

Layout: ``OUT/public/`` is the static host root, ``OUT/manifest.json`` the build's contract.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import mimetypes
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from urllib.parse import quote

from werkzeug.utils import get_content_type

from .graph.stamps import RACY_NS
from .manifest import MANIFEST_NAME
from .manifest import dumps
from .manifest import is_sitec_manifest
from .model import WrittenFile
from .paths import Headers
from .paths import UnsafePath
from .paths import check_file
from .paths import recorded_headers

PUBLIC = "public"

#: Hidden names that ``copy_tree`` still copies: RFC 8615's ``/.well-known/``.
KEPT_HIDDEN = frozenset({".well-known"})


def is_hidden(name: str) -> bool:
    """Whether a static folder leaves out the file or folder ``name`` (dot names, but
    those of :data:`KEPT_HIDDEN`)."""
    return name.startswith(".") and name not in KEPT_HIDDEN


# The characters werkzeug leaves unquoted when it builds a URL, so static files' URLs are
# spelled as the app's url_for would spell them.
_URL_SAFE = "!$&'()*+,/:;=@"


class OutputError(Exception):
    """The output folder cannot be used or replaced; the message names it and why."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"output folder {os.fspath(path)}: {reason}")
        self.path = os.fspath(path)
        self.reason = reason


class PathCollision(Exception):
    """Two URLs need the same path: one file (``file-collision``) or a file and a folder
    (``folder-collision``). ``kind`` is the problem kind of :data:`model.PROBLEM_KINDS`."""

    def __init__(self, kind: str, path: str, url: str, other_url: str | None, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.path = path
        self.url = url
        self.other_url = other_url


@dataclass
class CopiedTree:
    """What :meth:`StagedOutput.copy_tree` copied, and what it left out and why."""

    files: list[WrittenFile] = field(default_factory=list)
    #: ``(path relative to the source folder, reason)``.
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class StaticTree:
    """The files of a static folder that can be published, and what was left out."""

    #: ``(source file, file relative to the static root)``, in walk order.
    files: list[tuple[Path, str]] = field(default_factory=list)
    #: ``(path relative to the source folder, reason)``.
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def urls(self) -> list[str]:
        """Each file's URL, as ``url_for`` spells it."""
        return [_url_of(file) for _, file in self.files]


def static_tree(
    src_dir: str | os.PathLike[str],
    dest_prefix: str,
    *,
    exclude: t.Collection[str | os.PathLike[str]] = (),
) -> StaticTree:
    """The files of a static folder to publish under ``dest_prefix`` (``/static``).

    Left out, and listed in :attr:`StaticTree.skipped`: hidden names (``.env``,
    ``.git``, ``.DS_Store``; publishing them is usually a leak) except ``.well-known``;
    symlinks that lead outside ``src_dir`` or to a folder (no symlink is followed out
    of the source); special files; names that are not safe files; the folders in
    ``exclude`` (the build's own output).
    """
    src = Path(src_dir).resolve()
    prefix = dest_prefix.strip("/")
    if prefix:
        check_file(prefix, shown=dest_prefix)
    mine = {Path(folder).resolve() for folder in exclude}
    tree = StaticTree()
    for folder, dirnames, filenames in os.walk(src):
        here = Path(folder)
        kept_dirs = []
        for name in sorted(dirnames):
            relative = (here / name).relative_to(src).as_posix()
            why = _skip_reason(here / name, name, src, mine, is_dir=True)
            if why:
                tree.skipped.append((relative, why))
            else:
                kept_dirs.append(name)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            path = here / name
            relative = path.relative_to(src).as_posix()
            why = _skip_reason(path, name, src, mine, is_dir=False)
            if why:
                tree.skipped.append((relative, why))
                continue
            file = f"{prefix}/{relative}" if prefix else relative
            try:
                check_file(file)
            except UnsafePath as e:
                tree.skipped.append((relative, e.reason))
                continue
            tree.files.append((path.resolve(), file))
    return tree


def _skip_reason(path: Path, name: str, src: Path, mine: set[Path], *, is_dir: bool) -> str | None:
    if is_hidden(name):
        return "a hidden name"
    if path.is_symlink():
        target = path.resolve()
        if target != src and src not in target.parents:
            return "a symlink to outside the folder"
        if target.is_dir():
            return "a symlink to a folder"
    elif is_dir and path.resolve() in mine:
        return "the build's own output"
    if not is_dir and not path.is_file():
        return "not a regular file"
    return None


def check_writable(out: str | os.PathLike[str]) -> None:
    """Raise :class:`OutputError` unless a build can create and replace ``out``.

    Called before rendering, so a bad ``-o`` fails in a second. It creates and removes a
    probe folder where the staging folder will go, which also catches read-only file
    systems and permissions that ``os.access`` misjudges (e.g. for root).
    """
    out = Path(out).absolute()
    if out.exists() and not out.is_dir():
        raise OutputError(out, "it is a file, not a folder")
    place = out.parent
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        raise OutputError(out, f"{place} is a file, so no folder can be made under it")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".sitec-probe-", dir=place))
    except OSError as e:
        raise OutputError(out, f"cannot write in {place}: {e.strerror}") from None


def check_replaceable(
    out: str | os.PathLike[str], *, project_root: str | os.PathLike[str] | None, force: bool
) -> None:
    """Raise :class:`OutputError` when replacing ``out`` could destroy something else.

    Never replaced, even with ``force``: the file system root, the home folder, the project
    folder, or any folder containing one of them. Without ``force``, a non-empty folder
    that has no sitec ``manifest.json`` is not replaced either.
    """
    out = Path(out).resolve()
    protected = [(Path(out.anchor), "the file system root"), (Path.home(), "your home folder")]
    if project_root is not None:
        protected.append((Path(project_root), "the project folder"))
    for folder, name in protected:
        folder = folder.resolve()
        if out == folder or out in folder.parents:
            what = f"is {name}" if out == folder else f"contains {name} ({folder})"
            raise OutputError(out, f"it {what}; a build replaces its output folder entirely")
    if not out.exists() or force:
        return
    if not out.is_dir():
        raise OutputError(out, "it is a file, not a folder")
    if any(out.iterdir()) and not is_sitec_manifest(out / MANIFEST_NAME):
        raise OutputError(
            out,
            f"it is not empty and has no sitec {MANIFEST_NAME}, so it was not made by a"
            " build; choose another output folder (-o), or delete this one if nothing in"
            " it is needed",
        )


class PreviousFiles(t.Protocol):
    """The last committed tree, as far as its files can be taken unchanged."""

    def file_for(self, file: str, sha256: str) -> str | None:
        """The last tree's ``file`` (its path) when it holds exactly these bytes."""

    def static_for(self, source: Path, file: str) -> tuple[Path, str, int] | None:
        """The last tree's copy of ``source`` at ``file`` (path, sha256, size), when the
        source has not changed since."""


class StagedOutput:
    """A new output tree, staged next to ``out`` and swapped in by :meth:`commit`.

    With ``previous`` (an incremental build), a file whose bytes the last tree already
    holds is taken from it (hard-linked, or copied where links cannot be made) instead
    of written: unchanged files keep their identity, and a rebuild writes only what
    changed.

    With ``spare`` too, the tree a commit replaces is not deleted but kept there, and the
    next build stages in it: a file already there as it must be stays, every other one
    is replaced, and what the new tree lacks is removed before the exchange. A rebuild
    then creates and deletes only what changed, instead of every folder and file of the
    site (which some file systems are slow at, and slower still after mass deletions).
    A page written again goes over the spare's file of its path when no other tree
    shares that file: ext4 takes new inodes slowly after many deletions (it skips the
    recently deleted ones), and a template change used to delete and create a file
    for each of its pages.
    """

    #: Take unchanged files by hard link; ``False`` copies them (for measuring).
    link_unchanged = True

    def __init__(
        self,
        out: str | os.PathLike[str],
        *,
        project_root: str | os.PathLike[str] | None = None,
        force: bool = False,
        previous: PreviousFiles | None = None,
        spare: str | os.PathLike[str] | None = None,
        spare_listing: TreeListing | None = None,
    ) -> None:
        self.out = Path(out).resolve()
        self.project_root = project_root
        self.force = force
        self.previous = previous
        self.spare = Path(spare) if spare is not None else None
        #: What the spare tree's ``public/`` held when it was listed ahead (see
        #: :meth:`_sweep`).
        self.spare_listing = spare_listing
        #: Staging in the spare tree of an earlier build: files may be there already.
        self._recycled = False
        #: The mode a new file gets, when staging in the spare tree.
        self._file_mode = 0
        #: The previous tree when it could not be deleted after :meth:`commit`.
        self.leftover: Path | None = None
        #: The previous tree when :meth:`commit` left its removal to a detached process.
        self.removing: Path | None = None
        self._staging: Path | None = None
        self._committed = False
        # Keys of written files and made folders, with the URL that needed each, and how
        # many of them each folder holds (so a folder goes when its last file is removed).
        self._files: dict[str, tuple[str, str]] = {}
        self._folders: dict[str, tuple[str, str]] = {}
        self._held: dict[str, int] = {}
        self._fold_case = False
        self._public = ""

    def __enter__(self) -> StagedOutput:
        check_replaceable(self.out, project_root=self.project_root, force=self.force)
        check_writable(self.out)
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(
                tempfile.mkdtemp(prefix=f".{self.out.name}.staging-", dir=self.out.parent)
            )
        except OSError as e:
            raise OutputError(self.out, f"cannot create the staging folder: {e.strerror}") from None
        self._staging = staging
        try:
            if self.previous is not None and self._recycle_spare(staging):
                self._recycled = True
                self._file_mode = 0o666 & ~_umask()
            # mkdtemp makes a private (0700) folder; the output must stay readable by the
            # web server: keep the old OUT's mode, or use the one any new folder gets.
            if self.out.is_dir():
                staging.chmod(stat.S_IMODE(self.out.stat().st_mode))
            else:
                staging.chmod(0o777 & ~_umask())
            if not self._recycled:
                (staging / PUBLIC).mkdir()
            self._public = str(staging / PUBLIC)
            self._fold_case = (staging.parent / staging.name.swapcase()).exists()
        except OSError as e:
            self._discard()
            raise OutputError(staging, e.strerror or str(e)) from None
        self._folders[""] = ("", "/")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._committed:
            self._discard()
        self._staging = None

    @property
    def staging(self) -> Path:
        """The staging folder: the future OUT."""
        if self._staging is None:
            raise RuntimeError("StagedOutput is used outside its 'with' block")
        return self._staging

    @property
    def public(self) -> Path:
        """The future static host root."""
        return self.staging / PUBLIC

    def write(
        self,
        file: str,
        data: bytes,
        *,
        url: str | None = None,
        headers: Headers | None = None,
    ) -> WrittenFile:
        """Write ``data`` to ``file`` (relative to the static root, ``/`` separators).

        ``url`` is the URL the file answers (for the manifest and collision messages), by
        default the file's own path; ``headers`` are filtered to the recorded ones. Raises
        :class:`~sitec.compiler.paths.UnsafePath` and :class:`PathCollision`.
        """
        url = _url_of(file) if url is None else url
        path = self._claim(file, url)
        sha256 = hashlib.sha256(data).hexdigest()
        unchanged = self.previous.file_for(file, sha256) if self.previous is not None else None
        if unchanged is not None:
            self._take(unchanged, path, file, url)
        else:
            try:
                if not self._overwrite(path, file, url, data):
                    _write_all(self._create(path, file, url), data)
            except OSError as e:
                raise OutputError(self.out, f"cannot write {file}: {e.strerror}") from None
        return WrittenFile(
            url=url,
            file=file,
            sha256=sha256,
            size=len(data),
            headers=recorded_headers(headers or {}),
        )

    def keep(
        self,
        file: str,
        previous: str | os.PathLike[str],
        *,
        url: str,
        headers: Headers | None,
        sha256: str,
        size: int,
    ) -> WrittenFile:
        """Take ``file`` from the last tree (``previous``), whose bytes are known."""
        self._take(previous, self._claim(file, url), file, url)
        return WrittenFile(url, file, sha256, size, recorded_headers(headers or {}))

    def remove(self, written: WrittenFile) -> None:
        """Take back a file :meth:`write` or :meth:`keep` put in the tree, with the folders
        only it needed: the path is free again, for a file or a folder."""
        key = self._key(written.file)
        if self._files.get(key, ("", ""))[1] != written.url:
            raise ValueError(f"{written.file} is not in the tree for {written.url}")
        try:
            os.unlink(os.path.join(self._public, written.file))
            folder = self._let_go(self._files, key)
            while folder and not self._held.get(folder):
                # An earlier build's files may still be in a recycled folder: they go too.
                _remove(os.path.join(self._public, self._folders[folder][0]))
                folder = self._let_go(self._folders, folder)
        except OSError as e:
            raise OutputError(self.out, f"cannot remove {written.file}: {e.strerror}") from None

    def copy_tree(
        self,
        src_dir: str | os.PathLike[str],
        dest_prefix: str,
        *,
        headers: Headers | t.Callable[[str], Headers | None] | None = None,
    ) -> CopiedTree:
        """Copy a static folder to ``dest_prefix`` (a URL path such as ``/static``).

        The files are those of :func:`static_tree`. Each gets the ``Content-Type`` its
        name gives, and ``headers``: the same for every file, or per file from a function
        of the file's URL (the headers the app answers it with); a function returning
        ``None`` leaves the file out.
        """
        tree = static_tree(src_dir, dest_prefix, exclude={self.out, self.staging})
        copied = CopiedTree(skipped=tree.skipped)
        for source, file in tree.files:
            extra = headers(_url_of(file)) if callable(headers) else (headers or {})
            if extra is None:
                copied.skipped.append((file, "the app does not answer it with this file"))
                continue
            copied.files.append(self._copy_file(source, file, recorded_headers(extra)))
        return copied

    def write_json(self, relative: str, obj: t.Any) -> None:
        """Write ``obj`` as stable JSON (sorted keys) to ``relative`` under the OUT root."""
        check_file(relative)
        if relative.split("/", 1)[0] == PUBLIC:
            raise UnsafePath(relative, f"write_json writes beside {PUBLIC}/, not into it")
        path = self.staging / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(dumps(obj))
        except OSError as e:
            raise OutputError(self.out, f"cannot write {relative}: {e.strerror}") from None

    def commit(self, *, wait: bool = True) -> None:
        """Make the staged tree OUT, atomically where the system allows.

        On Linux the two folders are exchanged with ``renameat2(RENAME_EXCHANGE)``, so OUT
        is always a complete tree. Elsewhere OUT is renamed aside, the staging folder takes
        its name, and the old tree is put back if that fails; a crash between those two
        renames leaves the old tree as ``.OUT.old-xxxx`` next to OUT.

        The previous tree is deleted before returning; with ``wait=False`` a detached
        process deletes it (and any ``.OUT.old-xxxx`` an earlier one did not finish), so
        the caller does not wait for thousands of unlinks.
        """
        staging = self.staging
        if self._committed:
            raise RuntimeError("commit() was already called")
        if not (staging / MANIFEST_NAME).is_file():
            # The manifest marks OUT as sitec's, which lets the next build replace it.
            raise RuntimeError(f"write {MANIFEST_NAME} before commit()")
        if self._recycled:
            try:
                self._sweep()
            except OSError as e:
                raise OutputError(self.out, f"cannot clear the staging folder: {e}") from None
        try:
            if not os.path.lexists(self.out):
                os.rename(staging, self.out)
                old = None
            elif _exchange(staging, self.out):
                old = staging
            else:
                old = self._old_name()
                os.rename(self.out, old)
                try:
                    os.rename(staging, self.out)
                except BaseException:
                    os.rename(old, self.out)
                    raise
        except OSError as e:
            raise OutputError(self.out, f"cannot replace it: {e.strerror or e}") from None
        self._committed = True
        if old is None:
            return
        if self.spare is not None and self._keep_as_spare(old):
            return
        if not wait and _remove_in_background(self._old_trees(old)):
            self.removing = old
            return
        shutil.rmtree(old, ignore_errors=True)
        if os.path.lexists(old):
            self.leftover = old

    def _recycle_spare(self, staging: Path) -> bool:
        """Move the spare tree's ``public/`` into the empty ``staging``; the rest of it
        (manifest, bundle) is written again by the build, so it goes."""
        spare = self.spare
        if spare is None or not (spare / PUBLIC).is_dir() or (spare / PUBLIC).is_symlink():
            return False
        try:
            os.rename(spare / PUBLIC, staging / PUBLIC)
        except OSError:
            return False
        shutil.rmtree(spare, ignore_errors=True)
        return True

    def _keep_as_spare(self, old: Path) -> bool:
        """Keep the tree the commit replaced as the spare for the next build; a spare
        this build did not stage in is older, and goes (in the background)."""
        spare = self.spare
        assert spare is not None
        try:
            if os.path.lexists(spare):
                stale = self._old_name()
                os.rename(spare, stale)
                if not _remove_in_background([stale]):
                    shutil.rmtree(stale, ignore_errors=True)
            spare.parent.mkdir(parents=True, exist_ok=True)
            os.rename(old, spare)
        except OSError:
            return False
        return True

    def _sweep(self, folder: str | None = None, prefix: str = "") -> None:
        """Remove what a recycled staging tree holds that this build did not write. A
        folder the spare listing knows as it is now is not listed again (a thousand
        folders take ~7 ms to list, ~2 ms to check)."""
        folder = self._public if folder is None else folder
        listing = self.spare_listing
        entries = listing.entries(folder, prefix) if listing is not None else None
        if entries is None:
            entries = _listed(folder)
        for name, is_folder in entries:
            key = self._key(prefix + name)
            path = os.path.join(folder, name)
            if not is_folder:
                if key not in self._files:
                    os.unlink(path)  # a file, or a link to anything
            elif key in self._folders:
                self._sweep(path, f"{prefix}{name}/")
            else:
                shutil.rmtree(path)

    def _old_name(self) -> Path:
        return self.out.parent / f".{self.out.name}.old-{secrets.token_hex(4)}"

    def _old_trees(self, old: Path) -> list[Path]:
        """``old`` under a ``.OUT.old-xxxx`` name, with the old trees of earlier builds
        that were not (all) deleted."""
        if old.name.startswith(f".{self.out.name}.staging-"):
            renamed = self._old_name()
            try:
                os.rename(old, renamed)
                old = renamed
            except OSError:
                pass
        earlier = self.out.parent.glob(f".{self.out.name}.old-*")
        return [old, *(path for path in earlier if path != old and path.is_dir())]

    def _discard(self) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)

    def _copy_file(self, source: Path, file: str, extra: dict[str, str]) -> WrittenFile:
        url = _url_of(file)
        path = self._claim(file, url)
        unchanged = self.previous.static_for(source, file) if self.previous is not None else None
        if unchanged is not None:
            previous, sha256, size = unchanged
            self._take(previous, path, file, url)
        else:
            sha256, size = self._copy_bytes(source, path, file, url)
        mimetype = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        headers = {"Content-Type": get_content_type(mimetype, "utf-8")} | extra
        return WrittenFile(url, file, sha256, size, recorded_headers(headers))

    def _copy_bytes(
        self, source: str | os.PathLike[str], path: str, file: str, url: str
    ) -> tuple[str, int]:
        digest = hashlib.sha256()
        size = 0
        try:
            with open(source, "rb") as src, open(self._create(path, file, url), "wb") as dest:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    dest.write(chunk)
                    size += len(chunk)
        except OSError as e:
            raise OutputError(self.out, f"cannot copy {source}: {e.strerror}") from None
        return digest.hexdigest(), size

    def _take(self, previous: str | os.PathLike[str], path: str, file: str, url: str) -> None:
        """Put the last tree's ``previous`` at ``file`` (``path``, claimed): a hard link,
        else a copy."""
        if self.link_unchanged:
            if self._recycled and _same_file(path, previous):
                self._hold(self._files, file, url)
                return
            if self._link(previous, path, file, url):
                self._hold(self._files, file, url)
                return
        self._copy_bytes(previous, path, file, url)

    def _link(self, previous: str | os.PathLike[str], path: str, file: str, url: str) -> bool:
        """Hard-link ``previous`` at ``path``; ``False`` where links cannot be made."""
        try:
            if self._recycled:
                _remove(path)  # an earlier build's, whatever it is
            os.link(previous, path, follow_symlinks=False)
        except FileExistsError:
            raise _exists(file, url) from None
        except OSError:
            return False  # another file system, or no links here: copy it
        return True

    def _key(self, path: str) -> str:
        # On a case-insensitive file system (macOS, Windows) /About and /about are one file.
        return path.casefold() if self._fold_case else path

    def _overwrite(self, path: str, file: str, url: str, data: bytes) -> bool:
        """Write ``data`` over the file a recycled tree holds at ``file`` (``path``,
        claimed), if that is a plain file with no other name (not one the committed tree
        shares); ``False`` when there is none, and nothing was written."""
        if not self._recycled or not _NOFOLLOW:
            return False
        try:
            fd = os.open(path, _OVERWRITE)
        except OSError:
            return False  # nothing there, a folder or a link: it is replaced
        with open(fd, "wb") as f:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                return False
            if stat.S_IMODE(info.st_mode) != self._file_mode:
                return False  # a new file would get another mode
            f.write(data)
            f.truncate()
        self._hold(self._files, file, url)
        return True

    def _create(self, path: str, file: str, url: str) -> int:
        """Open ``file`` (``path``, claimed for ``url``) for writing: the file
        descriptor."""
        try:
            if self._recycled:
                _remove(path)  # an earlier build's, whatever it is
            fd = os.open(path, _CREATE, 0o666)
        except FileExistsError:
            raise _exists(file, url) from None
        except OSError as e:
            raise OutputError(self.out, f"cannot write {file}: {e.strerror}") from None
        self._hold(self._files, file, url)
        return fd

    def _claim(self, file: str, url: str) -> str:
        """Check that ``file`` can be ``url``'s, make its folders; its path in the tree."""
        check_file(file, shown=url)
        key = self._key(file)
        if key in self._files:
            other = self._files[key][1]
            raise PathCollision(
                "file-collision", file, url, other, f"{other} and {url} both map to {file}"
            )
        if key in self._folders:
            other = self._folders[key][1]
            raise PathCollision(
                "folder-collision",
                file,
                url,
                other,
                f"{url} needs a file {file}, but that is a folder, made for {other}",
            )
        parts = file.split("/")[:-1]
        folders = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for folder in folders:
            if self._key(folder) in self._files:
                other = self._files[self._key(folder)][1]
                raise PathCollision(
                    "folder-collision",
                    folder,
                    url,
                    other,
                    f"{url} needs a folder {folder}, but that is the file of {other}",
                )
        for folder in folders:
            if self._key(folder) not in self._folders:
                self._make_folder(folder, url)
        return os.path.join(self._public, file)

    def _make_folder(self, folder: str, url: str) -> None:
        # Folders are made parent first, so a folder whose parent is known to be inside
        # the tree is inside too when it is a real folder and not a symlink. Only this
        # class writes here and it makes no symlinks, but safety should not rest on that.
        path = os.path.join(self._public, folder)
        try:
            if not self._recycled:
                os.mkdir(path)
            elif not _is_folder(path):  # else an earlier build's folder, kept as it is
                _remove(path)  # an earlier build's file where a folder goes now
                os.mkdir(path)
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                raise UnsafePath(url, f"{folder} exists and is not a folder") from None
        except OSError as e:
            raise OutputError(self.out, f"cannot make folder {folder}: {e.strerror}") from None
        self._hold(self._folders, folder, url)

    def _hold(self, table: dict[str, tuple[str, str]], path: str, url: str) -> None:
        """Note the file or folder ``path`` in ``table``, made for ``url``."""
        key = self._key(path)
        table[key] = (path, url)
        parent = key.rpartition("/")[0]
        self._held[parent] = self._held.get(parent, 0) + 1

    def _let_go(self, table: dict[str, tuple[str, str]], key: str) -> str:
        """Forget ``key`` of ``table``; the key of its folder."""
        del table[key]
        parent = key.rpartition("/")[0]
        self._held[parent] -= 1
        return parent


def _write_all(fd: int, data: bytes) -> None:
    """Write ``data`` to the new file ``fd`` and close it: a page is one ``write``, with
    no file object around it (ten thousand pages)."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _same_file(path: str, other: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is the very file ``other`` is (hard links of one file)."""
    try:
        mine = os.lstat(path)
        theirs = os.stat(other)
    except OSError:
        return False
    return stat.S_ISREG(mine.st_mode) and (mine.st_ino, mine.st_dev) == (
        theirs.st_ino,
        theirs.st_dev,
    )


class TreeListing:
    """What a tree held, folder by folder, listed ahead of a build that stages in it.

    A folder holds the entries listed for it while it is the same folder (inode) with the
    same modification time, older than the listing by more than a tick of the file
    system's clock: adding, removing or renaming an entry changes a folder's time, and
    a change in the tick of the listing could keep it.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.taken_ns = time.time_ns()
        #: Folder (relative, ``/``-terminated, ``""`` for the root) -> its inode, its
        #: modification time, and its entries as ``(name, is a folder)``.
        self.folders: dict[str, tuple[int, int, list[tuple[str, bool]]]] = {}
        self._list(os.fspath(root), "")

    def _list(self, folder: str, prefix: str) -> None:
        info = os.lstat(folder)
        entries = _listed(folder)
        self.folders[prefix] = (info.st_ino, info.st_mtime_ns, entries)
        for name, is_folder in entries:
            if is_folder:
                self._list(os.path.join(folder, name), f"{prefix}{name}/")

    def entries(self, folder: str, prefix: str) -> list[tuple[str, bool]] | None:
        """The entries of ``folder`` (``prefix`` in the listed tree) if it is as listed."""
        known = self.folders.get(prefix)
        if known is None:
            return None
        inode, mtime_ns, entries = known
        try:
            info = os.lstat(folder)
        except OSError:
            return None
        if (info.st_ino, info.st_mtime_ns) != (inode, mtime_ns):
            return None
        if self.taken_ns - mtime_ns < RACY_NS:
            return None
        return entries


def _listed(folder: str) -> list[tuple[str, bool]]:
    """The entries of ``folder`` as ``(name, is a real folder)``."""
    with os.scandir(folder) as found:
        return [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in found]


def _is_folder(path: str) -> bool:
    """Whether ``path`` is a real folder (not a link to one)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _remove(path: str) -> None:
    """Delete whatever is at ``path`` (a file, a link, a folder), if anything."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _exists(file: str, url: str) -> PathCollision:
    return PathCollision(
        "file-collision",
        file,
        url,
        None,
        f"{url} maps to {file}, but this file system already has a file by that"
        " name (its names ignore case or Unicode normalisation)",
    )


def _url_of(file: str) -> str:
    return "/" + quote(file, safe=_URL_SAFE)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Run detached: the first process forks and exits at once (so nobody has to reap the one
# that deletes), the second deletes.
_REMOVE = """
import os, shutil, sys
if os.fork() == 0:
    for path in sys.argv[1:]:
        shutil.rmtree(path, ignore_errors=True)
"""


def _remove_in_background(paths: list[Path]) -> bool:
    """Delete ``paths`` from a process of their own that outlives this one."""
    if os.name != "posix":
        return False
    try:
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", _REMOVE, *map(str, paths)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal does not stop it
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CREATE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | _NOFOLLOW  # never write through a symlink
    | getattr(os, "O_BINARY", 0)
)
#: Opening a file to write over: never through a symlink, never waiting on a FIFO.
_OVERWRITE = os.O_WRONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)

AT_FDCWD = -100
RENAME_EXCHANGE = 2


@functools.cache
def _renameat2() -> t.Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no libc symbol (glibc < 2.28, some musl builds)
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step; ``False`` when the system or file system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in {errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP}:
        return False
    raise OSError(code, os.strerror(code), os.fspath(b))
