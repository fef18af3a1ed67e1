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
    """

    def __init__(self, project_root: Path, ignored: t.Iterable[Path] = ()) -> None:
        self.root = os.path.join(os.path.realpath(project_root), "")
        self.ignored = tuple(os.path.join(os.path.realpath(p), "") for p in ignored)
        self.files: dict[str, None] = {}
        self.folders: dict[str, None] = {}
        self.code: dict[str, None] = {}
        self.environment: dict[str, str | None] = {}
        self.environment_names: list[str] | None = None
        self._realpath = RealPaths()

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

    def _inside(self, path: t.Any) -> str | None:
        full = self._realpath(os.fsdecode(path))
        folder = os.path.join(full, "")
        if not folder.startswith(self.root) or folder.startswith(self.ignored):
            return None
        parts = full[len(self.root) :].split(os.sep)
        if "__pycache__" in parts or "site-packages" in parts:
            return None
        return full

    def _file_opened(self, path: t.Any) -> None:
        full = self._inside(path)
        if full is None or full.endswith((".pyc", ".so")):
            return
        (self.code if full.endswith(".py") else self.files)[full] = None

    def _folder_listed(self, path: t.Any) -> None:
        full = self._inside(path)
        if full is not None:
            self.folders[full] = None


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
