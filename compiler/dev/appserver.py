"""The dynamic half of ``sitec serve``: the app, on the runtime, in its own process.

The dev server cannot reload Python code in place, so the app runs in a child process
(:class:`AppServer`) started from the warm fork server, on a loopback port of its own,
behind werkzeug's ``ProxyFix``; the dev server forwards to it every request no file
answers (:mod:`.proxy`). After a Python change a new one is started, and the old one
keeps answering until the new one is ready: a change that breaks the app leaves the
last good one in place. Templates are reloaded when they change, as in debug mode.
"""

from __future__ import annotations

import signal
import threading
import typing as t

from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

from ..graph.memory import LoadedApp
from ..load import AppLoadError
from ..project import BuildSettings
from .child import ChildProcess
from .errors import ErrorReport
from .errors import report_of

if t.TYPE_CHECKING:  # pragma: no cover
    from multiprocessing.connection import Connection
    from multiprocessing.context import BaseContext


class AppServer(ChildProcess):
    """The dev server's handle on one app process."""

    def __init__(self, context: BaseContext, settings: BuildSettings) -> None:
        super().__init__(context, serve_app, (settings,), name="sitec-app", daemon=True)
        self.port: int | None = None
        self.error: ErrorReport | None = None

    def wait_ready(self) -> bool:
        """Wait until the app answers on its port, or failed to load (``error``)."""
        try:
            kind, value = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            kind, value = (
                "error",
                ErrorReport(
                    f"the app process ended while loading (exit code {self.process.exitcode})"
                ),
            )
        if kind == "ready":
            self.port = value
        else:
            self.error = value
        return self.port is not None

    def changed(self) -> list[str]:
        """The app's inputs that changed since it was loaded; a dead app counts as changed."""
        try:
            return t.cast(list[str], self.ask("changed"))
        except (EOFError, OSError):
            return ["(the app process ended)"]


class _QuietHandler(WSGIRequestHandler):
    """The dev server logs each request already."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def serve_app(conn: Connection, settings: BuildSettings) -> None:
    """The app process: load the app, serve it on a free loopback port until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        loaded = LoadedApp(settings)
    except AppLoadError as e:
        conn.send(("error", report_of(str(e), settings.project_root)))
        return
    app = loaded.app
    app.jinja_env.auto_reload = True
    wsgi = ProxyFix(app, x_for=1, x_prefix=1)
    server = make_server("127.0.0.1", 0, wsgi, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="sitec-app-http", daemon=True)
    thread.start()
    conn.send(("ready", server.server_port))
    try:
        while True:
            try:
                request = conn.recv()
            except EOFError:
                break
            if request is None:
                break
            conn.send(loaded.changed())
    finally:
        server.shutdown()
        server.server_close()
