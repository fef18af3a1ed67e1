"""The build session: a process that holds the app loaded and rebuilds on request.

``sitec serve`` starts one (:class:`BuildSession`) from its warm fork server: the
process loads the app once (:class:`~sitec.compiler.graph.memory.LoadedApp`), then for
every rebuild forks a child that runs the incremental build and exits, so each build
starts from the app as its creation left it, whatever the one before cached. When the
app's code, ``pyproject.toml`` or a file read while it was created has changed, the
session answers ``stale`` instead and ends: the dev server starts a fresh one, in
which no module of the old code survives.
"""

from __future__ import annotations

import contextlib
import signal
import traceback
import typing as t
from dataclasses import dataclass
from dataclasses import field

from ..analyse import analyse_app
from ..forked import ForkedCall
from ..forked import ForkedCallDied
from ..graph.memory import BuildMemory
from ..graph.memory import LoadedApp
from ..graph.record import RecordReader
from ..load import AppLoadError
from ..output import OutputError
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


class BuildSession(ChildProcess):
    """The dev server's handle on one session process.

    The process is not a daemon (a build forks render workers, which a daemon may
    not); it ends when told to, or when the dev server's end of the pipe closes.
    """

    def __init__(
        self, context: BaseContext, settings: BuildSettings, *, saved: t.Sequence[str] = ()
    ) -> None:
        super().__init__(
            context, serve_builds, (settings, list(saved)), name="sitec-session", daemon=False
        )

    def build(self) -> BuildOutcome:
        """Rebuild and wait for the outcome; a session that died answers with an error."""
        try:
            outcome: BuildOutcome = self.ask("build")
        except (EOFError, OSError):
            self.process.join(5)
            return BuildOutcome.failed(
                ErrorReport(
                    f"the build process ended unexpectedly (exit code {self.process.exitcode})"
                ),
                ended=True,
            )
        return outcome


def serve_builds(conn: Connection, settings: BuildSettings, saved: list[str]) -> None:
    """The session process: load the app (``saved``: files just saved, see
    :class:`LoadedApp`), then build on each request until stale."""
    # Ctrl-C reaches the whole process group; the dev server decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    records = RecordReader(settings.output)
    try:
        loaded = LoadedApp(settings, saved=saved)
    except AppLoadError as e:
        conn.send(BuildOutcome.failed(report_of(str(e), settings.project_root), ended=True))
        return
    warm = False
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        changed = loaded.changed()
        if changed:
            conn.send(BuildOutcome(stale=changed, ended=True))
            return
        memory = BuildMemory(settings, loaded=loaded, records=records)
        if memory.up_to_date():
            conn.send(BuildOutcome(up_to_date=True))
        else:
            conn.send(_build_in_fork(loaded, memory))
            records.read()  # the new one, while nobody waits
        if not warm:
            # What every later build reads again, each in a fork of this process: done
            # once the first build is sent, which did it itself. A failing analysis
            # fails again in the build, which reports it.
            loaded.code_index()
            with contextlib.suppress(Exception):
                analyse_app(loaded.app, settings.project_root)
            warm = True


def _build_in_fork(loaded: LoadedApp, memory: BuildMemory) -> BuildOutcome:
    """One build in a fork of the session: its caches and imports die with it."""
    try:
        return ForkedCall(_build_once, loaded, memory, daemon=False).result()
    except ForkedCallDied:
        return BuildOutcome.failed(
            ErrorReport("the build process died while building (a crash in the app?)")
        )


def _build_once(loaded: LoadedApp, memory: BuildMemory) -> BuildOutcome:
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
    root = settings.project_root
    return BuildOutcome(
        rendered=result.rendered,
        reused=result.reused,
        why_all=result.why_all,
        errors=[report_of(p.message, root, p) for p in result.failures()],
        warnings=[p.message for p in result.warnings()],
    )
