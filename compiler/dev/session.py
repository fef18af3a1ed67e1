"""The build session: a process that holds the app loaded and rebuilds on request.

``sitec serve`` starts one (:class:`BuildSession`) from its warm fork server ahead of
need, as a *standby*: while it waits it reads the last build's record, lists the spare
tree the next build stages in, parses the templates the last build used, indexes and
parses the project's code, and imports the runtime the app will import as ``flask``;
none of that imports anything of the user's. The first request loads the app
(:class:`~sitec.compiler.graph.memory.LoadedApp`) and builds; for every rebuild the
process forks a child that runs the incremental build and exits, so each build starts
from the app as its creation left it, whatever the one before cached. When the app's
code, ``pyproject.toml`` or a file read while it was created has changed, the session
answers ``stale`` instead and ends: the dev server hands the build to its standby, in
which no module of the old code exists.
"""

from __future__ import annotations

import contextlib
import gc
import mimetypes
import multiprocessing
import signal
import traceback
import typing as t
from dataclasses import dataclass
from dataclasses import field

from sitec.runtime import install_flask_alias

from ..analyse import analyse_app
from ..analyse import parse_ahead
from ..analyse.templates import parse_templates_ahead
from ..forked import ForkedCall
from ..forked import ForkedCallDied
from ..graph import stamps
from ..graph.code import CodeIndex
from ..graph.code import project_sources
from ..graph.memory import BuildMemory
from ..graph.memory import LoadedApp
from ..graph.memory import ignored_folders
from ..graph.memory import spare_folder
from ..graph.record import TEMPLATES
from ..graph.record import BuildRecord
from ..graph.record import Changes
from ..graph.record import RecordReader
from ..load import AppLoadError
from ..output import OutputError
from ..output import TreeListing
from ..project import BuildSettings
from .child import ChildProcess
from .errors import ErrorReport
from .errors import report_of

if t.TYPE_CHECKING:  # pragma: no cover
    from multiprocessing.connection import Connection
    from multiprocessing.context import BaseContext


@dataclass
class BuildOutcome:
    """What one rebuild did, as the session reports it to the dev server."""

    #: Nothing had changed: the output stands as it was.
    up_to_date: bool = False
    #: The app's code or creation inputs changed: a fresh session must do the build.
    stale: list[str] = field(default_factory=list)
    #: The session ended after this answer (the app failed to load).
    ended: bool = False
    rendered: int = 0
    reused: int = 0
    why_all: str | None = None
    errors: list[ErrorReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def failed(cls, report: ErrorReport, *, ended: bool = False) -> BuildOutcome:
        return cls(errors=[report], ended=ended)


#: What the dev server tells a standby session after another session's build: read
#: the new record, list the spare tree again, and index and parse what changed of the code.
READ_AHEAD = "read ahead"


class BuildSession(ChildProcess):
    """The dev server's handle on one session process.

    The process is not a daemon (a build forks render workers, which a daemon may
    not); it ends when told to, or when the dev server's end of the pipe closes.
    """

    def __init__(self, context: BaseContext, settings: BuildSettings) -> None:
        super().__init__(context, serve_builds, (settings,), name="sitec-session", daemon=False)

    def build(self, saved: t.Sequence[str] = ()) -> BuildOutcome:
        """Rebuild after ``saved`` files were saved, and wait for the outcome; a session
        that died answers with an error."""
        try:
            outcome: BuildOutcome = self.ask(list(saved))
        except (EOFError, OSError):
            self.process.join(5)
            return BuildOutcome.failed(
                ErrorReport(
                    f"the build process ended unexpectedly (exit code {self.process.exitcode})"
                ),
                ended=True,
            )
        return outcome

    def read_ahead(self) -> None:
        """Tell a standby to read the new record and code (no answer comes)."""
        self.tell(READ_AHEAD)


def serve_builds(conn: Connection, settings: BuildSettings) -> None:
    """The session process: wait as a standby until the first request, load the app,
    then build on each request until stale. A request is the list of files just saved
    (see :class:`LoadedApp`); ``None`` ends the process."""
    # Ctrl-C reaches the whole process group; the dev server decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    records = RecordReader(settings.output)
    spare = _SpareTree(settings)
    mimetypes.init()  # read once here, not by the build's first static file
    install_flask_alias()  # the runtime modules the app's `import flask` gets (5 ms)
    index = _read_ahead(settings, records, spare, None)
    while (saved := _next_request(conn)) == READ_AHEAD:
        index = _read_ahead(settings, records, spare, index)
    if saved is None:
        return
    # What was read ahead stays while the app is created and rebuilt: the collector's
    # full passes leave it alone (one during the blog's factory walked it, 11 ms).
    gc.freeze()
    try:
        loaded = LoadedApp(settings, saved=saved, index=index)
    except AppLoadError as e:
        conn.send(BuildOutcome.failed(report_of(str(e), settings.project_root), ended=True))
        return
    _build_and_answer(conn, loaded, records, spare, saved)
    # While nobody waits: what the creation read (the first build did not wait for
    # it), and what every later build reads again, each in a fork of this process (the
    # first build did it in its own). A failing analysis fails again in the build,
    # which reports it.
    loaded.stamp()
    loaded.code_index()
    with contextlib.suppress(Exception):
        analyse_app(loaded.app, settings.project_root)
    while isinstance(saved := _next_request(conn), list):
        changed = loaded.changed(saved)
        if changed:
            conn.send(BuildOutcome(stale=changed, ended=True))
            return
        _build_and_answer(conn, loaded, records, spare, saved)


def _next_request(conn: Connection) -> list[str] | str | None:
    """The next request; ``None`` when told to end, or when the dev server is gone."""
    try:
        request: list[str] | str | None = conn.recv()
    except EOFError:
        return None
    return request


def _build_and_answer(
    conn: Connection,
    loaded: LoadedApp,
    records: RecordReader,
    spare: _SpareTree,
    saved: t.Sequence[str],
) -> None:
    """Build in a fork, unless nothing changed since the last record; send the outcome.
    When a file just ``saved`` changed, the rest of what changed is looked for while the
    build analyses the app (:class:`_ChangesFromSession`). Whether one did is told by the
    record read after the last build (``records.last``): the build reads the record
    again, with its check against the output's manifest (a hash of 4 MB at 10,000
    pages), and once is enough."""
    from_session = _ChangesFromSession() if _saved_changed(records.last, saved) else None
    memory = BuildMemory(
        loaded.settings,
        loaded=loaded,
        records=records,
        changes=from_session.receive if from_session is not None else None,
    )
    if from_session is None and memory.up_to_date():
        conn.send(BuildOutcome(up_to_date=True))
        return
    memory.spare_listing = spare.listing
    conn.send(_build_in_fork(loaded, memory, from_session))
    # While nobody waits: the new record, and the tree the next build stages in.
    records.read()
    spare.list()


def _saved_changed(record: BuildRecord | None, saved: t.Sequence[str]) -> bool:
    """Whether one of the files just saved is an input of ``record`` that changed."""
    return record is not None and bool(stamps.changed_among(record.stamps, saved))


class _ChangesFromSession:
    """What changed since the last record, looked for by the session once it has forked
    the build, while the build analyses the app (7 ms for the blog's 1,000 posts and
    1,117 pages): the build waits for them when it first needs them. A session that
    fails or dies on the way leaves the build to look for itself; a build that ends
    without them closes its end, so the session does not wait to send them."""

    def __init__(self) -> None:
        self._receive, self._send = multiprocessing.Pipe(duplex=False)

    def find(self, record: BuildRecord | None) -> None:
        """In the session: send the changes since ``record``."""
        self._receive.close()
        found = None
        with contextlib.suppress(Exception):
            found = record.changes() if record is not None else None
        with contextlib.suppress(OSError):
            self._send.send(found)
        self._send.close()

    def receive(self) -> Changes | None:
        """In the build: the changes the session found, or ``None``."""
        self._send.close()
        try:
            found: Changes | None = self._receive.recv()
        except (EOFError, OSError):
            found = None
        self._receive.close()
        return found

    def close(self) -> None:
        """In the build, once it is over."""
        self._send.close()
        self._receive.close()


class _SpareTree:
    """The spare tree the next build stages in, listed ahead (see
    :class:`~sitec.compiler.output.TreeListing`); a tree that cannot be listed is
    swept the slow way."""

    def __init__(self, settings: BuildSettings) -> None:
        self.public = spare_folder(settings.output) / "public"
        self.listing: TreeListing | None = None

    def list(self) -> None:
        try:
            self.listing = TreeListing(self.public)
        except OSError:
            self.listing = None


def _read_ahead(
    settings: BuildSettings, records: RecordReader, spare: _SpareTree, index: CodeIndex | None
) -> CodeIndex | None:
    """What a standby reads before it is needed: the last record (kept by ``records``),
    the spare tree, the templates the last build's pages loaded, an index of the
    project's code (``index`` again while its sources are the same files) and the
    analysis' parse of them. Whatever fails here is left for the build to find and
    report."""
    spare.list()
    try:
        record = records.read()
        if record is not None:
            with contextlib.suppress(Exception):  # the analysis parses them then
                parse_templates_ahead(record.groups.get(TEMPLATES, ()))
        root = settings.project_root
        sources = project_sources(root, ignored_folders(settings))
        if index is None or index.sources != sources or not index.unchanged():
            index = CodeIndex(root, sources)
        parse_ahead(root, sources)
    except Exception:
        return None
    return index


def _build_in_fork(
    loaded: LoadedApp, memory: BuildMemory, from_session: _ChangesFromSession | None
) -> BuildOutcome:
    """One build in a fork of the session: its caches and imports die with it."""
    try:
        with ForkedCall(_build_once, loaded, memory, from_session, daemon=False) as building:
            if from_session is not None:
                from_session.find(memory.record)
            return building.result()
    except ForkedCallDied:
        return BuildOutcome.failed(
            ErrorReport("the build process died while building (a crash in the app?)")
        )


def _build_once(
    loaded: LoadedApp, memory: BuildMemory, from_session: _ChangesFromSession | None
) -> BuildOutcome:
    from ..build import build

    settings = loaded.settings
    app = loaded.app
    if app.jinja_env.cache is not None:
        app.jinja_env.cache.clear()  # templates loaded while the app was created
    try:
        result = build(settings, memory=memory, app=app)
    except (AppLoadError, OutputError) as e:
        return BuildOutcome.failed(report_of(str(e), settings.project_root))
    except Exception as e:
        text = "".join(traceback.format_exception(e))
        return BuildOutcome.failed(ErrorReport(f"sitec failed while building:\n{text}"))
    finally:
        if from_session is not None:
            from_session.close()
    root = settings.project_root
    return BuildOutcome(
        rendered=result.rendered,
        reused=result.reused,
        why_all=result.why_all,
        errors=[report_of(p.message, root, p) for p in result.failures()],
        warnings=[p.message for p in result.warnings()],
    )
