"""``sitec serve [--watch]``: the site as it will be deployed, rebuilt as it is edited.

The dev server process imports no user code. It serves on werkzeug's threaded server
(:mod:`.site`: the files of the latest build with the deploy bundle's rules, the rest
forwarded to the app process), builds in a session process that keeps the app loaded
(:mod:`.session`), and runs the app's dynamic half in an app process
(:mod:`.appserver`). Both are forked from a warm fork server that has imported sitec
and its libraries, never the user's code, so starting a fresh one after a Python
change costs the app's import, not the interpreter's.

With ``--watch``, each settled batch of saved files (:mod:`.watch`) starts a rebuild;
the terminal says what changed, what was rendered and how long it took, or shows the
errors; the browser is told through :mod:`.livereload`. A failed rebuild changes
nothing that is served: the last good build and the last good app stay in place
until a rebuild succeeds. ``pyproject.toml`` is read again before each rebuild, so a
change of ``[tool.sitec]`` takes effect without a restart.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
import typing as t
from pathlib import Path
from urllib.parse import unquote

import click
from werkzeug.serving import make_server

from ..graph.memory import ignored_folders
from ..manifest import MANIFEST_NAME
from ..project import BuildSettings
from ..project import SettingsError
from .appserver import AppServer
from .errors import ErrorReport
from .errors import report_of
from .livereload import LiveReload
from .livereload import ReloadChannel
from .proxy import AppProxy
from .session import BuildOutcome
from .session import BuildSession
from .site import NOT_FOUND_KEY
from .site import DevSite
from .site import split_summary
from .watch import OVERFLOW
from .watch import ProjectWatcher

if t.TYPE_CHECKING:  # pragma: no cover
    from multiprocessing.context import BaseContext

    from _typeshed.wsgi import WSGIApplication

#: What the fork server imports before forking sessions and app processes.
_PRELOAD = [
    "sitec.compiler.build",
    "sitec.compiler.dev.session",
    "sitec.compiler.dev.appserver",
    "werkzeug.serving",
]


class DevServer:
    """See the module docstring."""

    def __init__(
        self,
        load_settings: t.Callable[[], BuildSettings],
        *,
        host: str,
        port: int,
        watch: bool,
        echo: t.Callable[[str], None] = click.echo,
    ) -> None:
        self.load_settings = load_settings
        self.settings = load_settings()
        self.host = host
        self.port = port
        self.watch = watch
        self.echo = echo
        self.context = _fork_server()
        self.proxy = AppProxy()
        self.site = DevSite(self.settings, self.proxy)
        self.channel = ReloadChannel()
        self.wsgi: WSGIApplication = LiveReload(self.site, self.channel) if watch else self.site
        self.session: BuildSession | None = None
        #: The next session, started ahead of need (see :mod:`.session`).
        self._standby: BuildSession | None = None
        #: Sessions that ended during a rebuild, to wait for once it is out.
        self._ended: list[BuildSession] = []
        self.app_server: AppServer | None = None
        self._next_app: AppServer | None = None
        self._watcher: ProjectWatcher | None = None

    def run(self) -> None:
        """Build if needed, serve until Ctrl-C; with ``watch``, rebuild on every save.

        The port is opened once the site is built, so a client that can connect gets
        the built site.
        """
        server = None
        signal.signal(signal.SIGTERM, _stop)
        try:
            self._say("building...")
            self.rebuild([])
            if not self.watch and self.session is not None:
                self.session.close()
                self.session = None
            try:
                server = make_server(self.host, self.port, self.wsgi, threaded=True)
            except OSError as e:
                raise click.ClickException(
                    f"cannot listen on {self.host}:{self.port} ({e.strerror}); pick another --port"
                ) from None
            self._say(f"serving at http://{_url_host(self.host)}:{server.server_port}/")
            self._say(split_summary(self.settings.output))
            if self.watch:
                watcher = self._watcher = ProjectWatcher(
                    self.settings.project_root, ignored_folders(self.settings)
                )
                watcher.start()
                threading.Thread(
                    target=self._rebuild_loop, args=(watcher,), name="sitec-rebuild", daemon=True
                ).start()
                self._say(f"watching {self.settings.project_root} for changes (Ctrl-C to stop)")
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            if self._watcher is not None:
                self._watcher.stop()
            self.channel.close()
            if server is not None:
                server.server_close()
            for process in (self.session, self._standby, self.app_server, self._next_app):
                if process is not None:
                    process.close()

    # -- rebuilding ---------------------------------------------------------------------

    def _rebuild_loop(self, watcher: ProjectWatcher) -> None:
        while (batch := watcher.next_batch()) is not None:
            self.rebuild(batch)

    def rebuild(self, changed: list[str]) -> BuildOutcome:
        """Rebuild after ``changed`` paths were saved; report it in the terminal and to
        the browsers. With ``watch``, a standby session is ready for the next one."""
        try:
            return self._rebuild(changed)
        finally:
            while self._ended:
                self._ended.pop().close()
            # Once the pages are out: it takes a core while it reads ahead.
            if self.watch and self._standby is None:
                self._standby = BuildSession(self.context, self.settings)
            elif self.watch:
                self._standby.read_ahead()

    def _rebuild(self, changed: list[str]) -> BuildOutcome:
        started = time.perf_counter()
        try:
            self._follow_settings()
        except SettingsError as e:
            outcome = BuildOutcome.failed(report_of(str(e), self.settings.project_root))
            self._report(outcome, self._errors(outcome), changed, time.perf_counter() - started)
            self.channel.publish({"type": "error", "errors": [outcome.errors[0].to_json()]})
            return outcome
        before = self.site.latest.served()
        outcome = self._build(changed)
        app_replaced = self._refresh_app()
        seconds = time.perf_counter() - started
        errors = self._errors(outcome)
        self._report(outcome, errors, changed, seconds)
        if errors:
            self.channel.publish({"type": "error", "errors": [e.to_json() for e in errors]})
            return outcome
        after = self.site.latest.served()
        script = self.settings.address.script_name
        touched = sorted(
            script + unquote(url)
            for url in before.keys() | after.keys()
            if before.get(url) != after.get(url)
        )
        self.channel.publish(
            {
                "type": "built",
                "touched": touched,
                "not_found": before.get(NOT_FOUND_KEY) != after.get(NOT_FOUND_KEY),
                "dynamic": app_replaced or not outcome.up_to_date,
                "seconds": round(seconds, 3),
            }
        )
        return outcome

    def _follow_settings(self) -> None:
        """Take ``pyproject.toml``'s settings again; when they changed, the next build's
        session and app process get them, and the site is served from their output."""
        fresh = self.load_settings()
        if fresh == self.settings:
            return
        self.settings = fresh
        self.site.configure(fresh)
        if self._watcher is not None:
            self._watcher.ignore(ignored_folders(fresh))
        for session in (self.session, self._standby):
            if session is not None:
                session.close()
        self.session = self._standby = None
        if self._next_app is None:
            self._next_app = AppServer(self.context, fresh)

    def _build(self, changed: list[str]) -> BuildOutcome:
        """One build in the session; a stale session gives way to the standby."""
        saved = changed
        while True:
            if self.session is None:
                self.session, self._standby = self._standby, None
            if self.session is None:
                self.session = BuildSession(self.context, self.settings)
            outcome = self.session.build(saved)
            if outcome.stale or outcome.ended:
                self._ended.append(self.session)  # it ends by itself: waited for later
                self.session = None
            if not outcome.stale:
                return outcome
            # The app changed: a fresh session builds. The new app process starts once
            # the pages are written (_refresh_app): started now, it would take the cores
            # from the render workers.
            saved = outcome.stale

    def _refresh_app(self) -> bool:
        """Replace the app process if its code changed (or it is not running), once the
        new one is ready; whether it was replaced."""
        current = self.app_server
        candidate = self._next_app
        self._next_app = None
        if candidate is None:
            if current is not None and not current.changed():
                # Its code is the code on disk again (a broken file was put back).
                self.site.app_error = None
                return False
            candidate = AppServer(self.context, self.settings)
        if not candidate.wait_ready():
            self.site.app_error = candidate.error
            candidate.close()
            return False
        self.proxy.port = candidate.port
        self.site.app_error = None
        self.app_server = candidate
        if current is not None:
            current.close()
        return True

    def _errors(self, outcome: BuildOutcome) -> list[ErrorReport]:
        """The build's errors and the app's, once each (a syntax error breaks both)."""
        errors = list(outcome.errors)
        if self.site.app_error is not None and self.site.app_error not in errors:
            errors.append(self.site.app_error)
        return errors

    # -- the terminal -------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.echo(click.style(" * ", fg="cyan") + text)

    def _report(
        self, outcome: BuildOutcome, errors: list[ErrorReport], changed: list[str], seconds: float
    ) -> None:
        what = _describe(changed, self.settings.project_root)
        if errors:
            served = (
                "serving the last good one"
                if (self.settings.output / MANIFEST_NAME).exists()
                else "there is no good build to serve yet"
            )
            self.echo(click.style(f"{what}the build failed; {served}", fg="red"))
            for error in errors:
                self.echo("  " + error.terminal_text().replace("\n", "\n  "))
            return
        if outcome.up_to_date:
            if not changed:
                self._say("the last build is up to date")
            return
        for warning in outcome.warnings:
            self.echo(click.style("warning: ", fg="yellow") + warning)
        if outcome.why_all is not None:
            done = f"rendered every page ({outcome.rendered}: {outcome.why_all})"
        else:
            done = f"rendered {_pages(outcome.rendered)}, reused {outcome.reused}"
        self._say(f"{what}{done} in {seconds:.2f}s")


def _pages(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


def _describe(changed: list[str], root: Path) -> str:
    if not changed:
        return ""
    if OVERFLOW in changed:
        return "files changed (too many to tell): "
    names = []
    for path in changed:
        try:
            names.append(Path(path).relative_to(root).as_posix())
        except ValueError:
            names.append(path)
    shown = ", ".join(sorted(names)[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return f"{shown}{more} changed: "


def _stop(signum: int, frame: t.Any) -> None:
    """SIGTERM ends the dev server as Ctrl-C does, stopping its processes."""
    raise KeyboardInterrupt


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _fork_server() -> BaseContext:
    """The warm fork server's context (plain spawning where there is none)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context
