"""Watch the project folder for saved files, and hand them out in settled batches.

:class:`ProjectWatcher` watches the project with watchdog, only for the events a
rebuild cares about (modified, created, deleted, moved: never opens and closes, which
every Python process in the project would flood the queue with), and not in the
folders no input lives in: the output and the cache, version control, virtualenvs,
hidden folders at the top. Editor temporary files are ignored. :meth:`next_batch`
waits for a change, then for the saves to settle (a short quiet period), and returns
every path that changed meanwhile: rapid saves make one rebuild, and saves made while
a rebuild runs make the next one. A save that is known to be complete (the file was
closed after writing, or renamed into place, or deleted) settles sooner: only the
events of the same save and the saves right behind it (an editor's "save all" writes
its files back to back) are waited for, 5 ms; a save that comes later makes the next
rebuild.

A change the watcher missed is not lost: a rebuild compares every recorded input
with the disk, whatever the batch says. When the kernel's event queue overflows
(watchdog then logs a warning and drops events) the next batch is ``OVERFLOW``, so a
rebuild runs anyway.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import threading
import time
import typing as t
from pathlib import Path

from watchdog.events import DirCreatedEvent
from watchdog.events import DirDeletedEvent
from watchdog.events import DirMovedEvent
from watchdog.events import FileClosedEvent
from watchdog.events import FileCreatedEvent
from watchdog.events import FileDeletedEvent
from watchdog.events import FileModifiedEvent
from watchdog.events import FileMovedEvent
from watchdog.events import FileSystemEvent
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

#: Events after which a file is complete: nothing more of its save is coming.
_COMPLETE = frozenset({"closed", "moved", "deleted"})

#: The path a batch holds after events were lost.
OVERFLOW = "(the watcher's event queue overflowed)"

#: Folders at the top of the project that hold no input.
_IGNORED_TOP = frozenset({"node_modules", "__pycache__", "build", "dist"})
#: Names of editors' temporary and backup files, the build's own staging folders
#: beside the output, and other noise.
_IGNORED_NAMES = (
    "*.swp", "*.swo", "*.swx", "*.swpx", "*~", ".#*", "#*#", "4913", "*.tmp", "*.bak",
    ".DS_Store", "*___jb_tmp___", "*___jb_old___", "*.kate-swp", ".goutputstream-*",
    "sed??????", "*.pyc", "*.pyo", ".*.staging-*", ".*.old-*", ".sitec-probe-*",
)  # fmt: skip
_EVENTS: list[type[FileSystemEvent]] = [
    FileClosedEvent,  # closed after writing: never a read
    FileModifiedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]


def is_noise(relative: str) -> bool:
    """A path (relative to the project) in or of an editor's temporary file, a backup,
    bytecode, the build's staging folders: never an input."""
    parts = Path(relative).parts
    return "__pycache__" in parts or any(
        fnmatch.fnmatchcase(part, pattern) for part in parts for pattern in _IGNORED_NAMES
    )


class ProjectWatcher:
    """See the module docstring. ``ignored`` are folders whose changes never matter;
    ``quiet`` is how long saves settle, ``complete`` how long after a complete one."""

    def __init__(
        self,
        root: Path,
        ignored: t.Iterable[Path],
        *,
        quiet: float = 0.05,
        complete: float = 0.005,
    ) -> None:
        self.root = root.resolve()
        self.ignore(ignored)
        self.quiet = quiet
        self.complete = min(complete, quiet)
        self._changed: dict[str, None] = {}
        #: When the batch may be taken if nothing else comes.
        self._settled = 0.0
        self._condition = threading.Condition()
        self._stopped = False
        self._observer = Observer()
        self._handler = _Handler(self)
        self._watched: set[str] = set()
        self._overflow = _OverflowLog(self._overflowed)

    def start(self) -> None:
        self._observer.schedule(
            self._handler, str(self.root), recursive=False, event_filter=_EVENTS
        )
        self._watch_top_folders()
        logging.getLogger("watchdog.observers").addHandler(self._overflow)
        self._observer.start()

    def ignore(self, ignored: t.Iterable[Path]) -> None:
        """Ignore these folders from now on, instead of the ones given before."""
        self.ignored = tuple(os.path.join(os.path.realpath(p), "") for p in ignored)

    def stop(self) -> None:
        logging.getLogger("watchdog.observers").removeHandler(self._overflow)
        with self._condition:
            self._stopped = True
            self._condition.notify_all()
        self._observer.stop()
        self._observer.join(5)

    def next_batch(self, max_wait: float = 2.0) -> list[str] | None:
        """The paths changed since the last batch, once saves have settled; ``None``
        once stopped. Saves that keep coming are cut into batches ``max_wait`` long."""
        with self._condition:
            while not self._changed and not self._stopped:
                self._condition.wait()
            if self._stopped:
                return None
            first = time.monotonic()
            while not self._stopped:
                now = time.monotonic()
                settle = self._settled - now
                if settle <= 0 or now - first >= max_wait:
                    break
                self._condition.wait(settle)
            batch = list(self._changed)
            self._changed.clear()
            return batch

    def _watch_top_folders(self) -> None:
        for entry in sorted(os.listdir(self.root)):
            self._watch_top_folder(os.path.join(self.root, entry))

    def _overflowed(self) -> None:
        """Events were lost: a folder made meanwhile at the top is watched now, and the
        next batch says a rebuild must compare everything."""
        self._watch_top_folders()
        self._note(OVERFLOW)

    def _note(self, path: str, *, complete: bool = False) -> None:
        with self._condition:
            self._changed[path] = None
            self._settled = time.monotonic() + (self.complete if complete else self.quiet)
            self._condition.notify_all()

    def _matters(self, path: str) -> bool:
        relative = os.path.relpath(path, self.root)
        if relative == "." or relative.startswith("..") or is_noise(relative):
            return False
        return not os.path.join(path, "").startswith(self.ignored)

    def _watch_top_folder(self, path: str) -> None:
        """A recursive watch on a folder at the top of the project, unless it holds no
        input (hidden, a virtualenv, the build's own folders)."""
        name = os.path.basename(path)
        if (
            path in self._watched
            or not os.path.isdir(path)
            or name.startswith(".")
            or name in _IGNORED_TOP
            or not self._matters(path)
            or os.path.exists(os.path.join(path, "pyvenv.cfg"))
        ):
            return
        self._watched.add(path)
        try:
            self._observer.schedule(self._handler, path, recursive=True, event_filter=_EVENTS)
        except OSError:
            self._watched.discard(path)  # gone already, or no more watches left


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: ProjectWatcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        watcher = self.watcher
        paths = [os.fsdecode(event.src_path)]
        if event.event_type == "moved":
            paths.append(os.fsdecode(event.dest_path))
        complete = event.event_type in _COMPLETE
        for path in paths:
            if event.is_directory and os.path.dirname(path) == str(watcher.root):
                watcher._watch_top_folder(path)
            if watcher._matters(path):
                watcher._note(path, complete=complete)


class _OverflowLog(logging.Handler):
    """watchdog reports a queue overflow only in its log: turn that into a batch."""

    def __init__(self, overflowed: t.Callable[[], None]) -> None:
        super().__init__(logging.WARNING)
        self.overflowed = overflowed

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.overflowed()
