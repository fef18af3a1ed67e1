"""Files read, folders listed and environment variables read outside any page's render.

The render observer (:mod:`sitec.runtime.observe`) attributes what a page reads to that
page. What the app reads while it is created (a config file, every post loaded into
memory by the factory, ``config.from_prefixed_env()``) or while URLs are discovered (a
``url_values`` generator listing the posts) belongs to no page: :class:`InputRecorder`
collects it while its :meth:`~InputRecorder.recording` block runs, files and folders
through the same kind of audit hook (``open``, ``os.listdir``, ``os.scandir``), the
environment through a recording ``os.environ``.
"""

from __future__ import annotations

import os
import sys
import typing as t
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sitec.runtime.observe import file_audit_hook

from ..analyse.pysource import RealPaths

_active: ContextVar[InputRecorder | None] = ContextVar("sitec.inputs", default=None)
_hook_installed = False


class InputRecorder:
    """Paths under ``project_root`` read while recording, outside the ``ignored`` folders.

    ``files`` and ``folders`` hold absolute paths in first-seen order. Python sources
    (imports, ``config.from_pyfile``) go to ``code``: the code graph tracks them.
    ``environment`` holds each variable read (``None`` when unset); when the whole
    environment was listed (``from_prefixed_env`` does), ``environment_names`` holds
    the names it had.

    While recording, a path is only noted (made absolute); it is resolved and sorted
    when first asked for, once the app that read a thousand posts is created and the
    build that waits for it is done.
    """

    def __init__(self, project_root: Path, ignored: t.Iterable[Path] = ()) -> None:
        self.root = os.path.join(os.path.realpath(project_root), "")
        self.ignored = tuple(os.path.join(os.path.realpath(p), "") for p in ignored)
        self.environment: dict[str, str | None] = {}
        self.environment_names: list[str] | None = None
        self._files: dict[str, None] = {}
        self._folders: dict[str, None] = {}
        self._code: dict[str, None] = {}
        #: Paths opened and folders listed, noted but not sorted yet.
        self._opened: list[str] = []
        self._listed: list[str] = []
        self._realpath = RealPaths()

    @property
    def files(self) -> dict[str, None]:
        self._sort()
        return self._files

    @property
    def folders(self) -> dict[str, None]:
        self._sort()
        return self._folders

    @property
    def code(self) -> dict[str, None]:
        self._sort()
        return self._code

    @contextmanager
    def recording(self) -> t.Iterator[InputRecorder]:
        """Record what this thread reads until the block ends."""
        _install_hook()
        token = _active.set(self)
        environ = os.environ
        # The same variables behind a recording object (os.getenv reads os.environ too).
        os.environ = _RecordingEnviron(environ, self)  # noqa: B003
        try:
            yield self
        finally:
            os.environ = environ  # noqa: B003
            _active.reset(token)

    def _file_opened(self, path: t.Any) -> None:
        self._opened.append(_absolute(path))

    def _folder_listed(self, path: t.Any) -> None:
        self._listed.append(_absolute(path))

    def _sort(self) -> None:
        """Resolve the paths noted since the last time, and keep those of the project."""
        opened, self._opened = self._opened, []
        for path in opened:
            full = self._inside(path)
            if full is not None and not full.endswith((".pyc", ".so")):
                (self._code if full.endswith(".py") else self._files)[full] = None
        listed, self._listed = self._listed, []
        for path in listed:
            full = self._inside(path)
            if full is not None:
                self._folders[full] = None

    def _inside(self, path: str) -> str | None:
        full = self._realpath(path)
        folder = os.path.join(full, "")
        if not folder.startswith(self.root) or folder.startswith(self.ignored):
            return None
        parts = full[len(self.root) :].split(os.sep)
        if "__pycache__" in parts or "site-packages" in parts:
            return None
        return full


def _absolute(path: t.Any) -> str:
    """``path`` as text, joined to the working folder of now if it is relative."""
    text = os.fsdecode(path)
    return text if os.path.isabs(text) else os.path.join(os.getcwd(), text)


class _RecordingEnviron(os._Environ):  # type: ignore[type-arg]
    """``os.environ`` (the same variables) noting what is read into a recorder."""

    def __init__(self, environ: os._Environ[str], recorder: InputRecorder) -> None:
        super().__init__(
            environ._data,  # type: ignore[attr-defined]
            environ.encodekey,  # type: ignore[attr-defined]
            environ.decodekey,  # type: ignore[attr-defined]
            environ.encodevalue,  # type: ignore[attr-defined]
            environ.decodevalue,  # type: ignore[attr-defined]
        )
        self._recorder = recorder

    def __getitem__(self, key: str) -> str:
        try:
            value = super().__getitem__(key)
        except KeyError:
            self._recorder.environment.setdefault(key, None)
            raise
        self._recorder.environment.setdefault(key, value)
        return value

    def __iter__(self) -> t.Iterator[str]:
        names = list(super().__iter__())
        self._recorder.environment_names = sorted(names)
        return iter(names)


def _install_hook() -> None:
    """One audit hook per process (they cannot be removed); idle unless recording."""
    global _hook_installed
    if not _hook_installed:
        _hook_installed = True
        sys.addaudithook(file_audit_hook(_active))
