"""Live reload for ``sitec serve --watch``: an event channel, and the script that listens.

:class:`ReloadChannel` numbers what the dev server publishes: ``built`` (which URL
paths a rebuild changed) and ``error`` (what broke it). :class:`LiveReload` wraps the
dev site: it answers ``/__sitec__/events`` with a server-sent event stream and
``/__sitec__/live-reload.js`` with the client script (``templates/livereload.js.j2``),
and adds that script to every HTML response: a same-site script file, so a page's
``Content-Security-Policy`` that forbids inline scripts lets it run. The script
reloads the page when a rebuild changed it or a file it loaded, and shows errors over
the last good page until a rebuild succeeds. Nothing of this is ever written into a
build.

A page carries the event number it was served at; its stream starts there, so a
rebuild that finished between the response and the connection is not missed.
"""

from __future__ import annotations

import collections
import json
import re
import threading
import typing as t

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from ..emit.render import render_template

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIApplication
    from _typeshed.wsgi import WSGIEnvironment

EVENTS_PATH = "/__sitec__/events"
SCRIPT_PATH = "/__sitec__/live-reload.js"
#: Set by the dev site on requests it forwards to the app: ``"app"``.
SERVED_BY = "sitec.served_by"
_BODY_END = re.compile(rb"</body\s*>", re.I)
_NO_BODY = frozenset({204, 304})


class ReloadChannel:
    """The numbered events of one dev server; see the module docstring."""

    def __init__(self, *, history: int = 256, heartbeat: float = 15.0) -> None:
        self.generation = 0
        self.heartbeat = heartbeat
        self._events: collections.deque[dict[str, t.Any]] = collections.deque(maxlen=history)
        self._error: dict[str, t.Any] | None = None
        self._condition = threading.Condition()
        self._closed = False

    def publish(self, event: dict[str, t.Any]) -> None:
        with self._condition:
            self.generation += 1
            event = {**event, "generation": self.generation}
            self._events.append(event)
            self._error = event if event["type"] == "error" else None
            self._condition.notify_all()

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def stream(self, since: int) -> t.Iterator[bytes]:
        """Server-sent events after ``since``, then each new one as it comes."""
        sent = since
        yield b"retry: 1000\n\n"
        with self._condition:
            generation = self.generation
            broken = self._error if since == generation else None
        if since > generation:
            # The page came from an earlier run of the dev server: it may be anything.
            yield _frame({"type": "built", "everything": True, "generation": generation})
            sent = generation
        if broken is not None:
            yield _frame(broken)  # the page was served while the build was broken
        while True:
            with self._condition:
                if self._closed:
                    return
                if self.generation == sent:
                    self._condition.wait(self.heartbeat)
                missed = [event for event in self._events if event["generation"] > sent]
                oldest = self._events[0]["generation"] if self._events else self.generation + 1
                generation = self.generation
            if sent + 1 < oldest and sent < generation:
                # Older than the history: the page may be anything, reload it.
                missed = [{"type": "built", "everything": True, "generation": generation}]
            if not missed:
                yield b": still here\n\n"  # a write that fails ends the stream of a gone page
                continue
            for event in missed:
                yield _frame(event)
            sent = generation


def _frame(event: dict[str, t.Any]) -> bytes:
    data = json.dumps(event, separators=(",", ":"))
    return f"id: {event['generation']}\ndata: {data}\n\n".encode()


class LiveReload:
    """The dev site with the event stream and the client script; see the module docstring."""

    def __init__(self, site: WSGIApplication, channel: ReloadChannel) -> None:
        self.site = site
        self.channel = channel
        self._script = render_template(
            "livereload.js.j2", {"json": json.dumps}, events=EVENTS_PATH
        ).encode("utf-8")

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        if not environ.get("SCRIPT_NAME"):
            if environ.get("PATH_INFO") == EVENTS_PATH:
                return self._events(environ, start_response)
            if environ.get("PATH_INFO") == SCRIPT_PATH:
                script = Response(self._script, mimetype="text/javascript")
                script.headers["Cache-Control"] = "no-store"
                return script(environ, start_response)
        generation = self.channel.generation
        captured: list[t.Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> t.Any:
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info) if exc_info else _no_write

        body = self.site(environ, capture)
        chunks = iter(body)
        first = next(chunks, b"") if not captured else None
        status, headers = captured
        code = int(status.split(None, 1)[0])
        if not _injectable(environ, code, headers):
            start_response(status, headers)
            return _chained(first, chunks, body)
        try:
            page = (first or b"") + b"".join(chunks)
        finally:
            _close(body)
        kind = "app" if environ.get(SERVED_BY) == "app" else "file"
        if kind == "file" and code == 404:
            kind = "not-found"
        tag = (
            f'<script id="sitec-live-reload" src="{SCRIPT_PATH}"'
            f' data-generation="{generation}" data-kind="{kind}"></script>\n'
        )
        page = _insert(page, tag.encode())
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(page))))
        start_response(status, headers)
        return [page]

    def _events(self, environ: WSGIEnvironment, start_response: StartResponse) -> t.Iterable[bytes]:
        request = Request(environ)
        last = request.headers.get("Last-Event-ID") or request.args.get("since", "")
        since = int(last) if last.isdigit() else self.channel.generation
        response = Response(
            self.channel.stream(since),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        return response(environ, start_response)


def _injectable(environ: WSGIEnvironment, code: int, headers: list[tuple[str, str]]) -> bool:
    if environ.get("REQUEST_METHOD") == "HEAD" or code in _NO_BODY:
        return False
    found = {name.lower(): value for name, value in headers}
    encoding = found.get("content-encoding", "identity").lower()
    return found.get("content-type", "").startswith("text/html") and encoding == "identity"


def _insert(page: bytes, script: bytes) -> bytes:
    """``script`` before the last ``</body>``, or at the end of a page without one."""
    ends = list(_BODY_END.finditer(page))
    if not ends:
        return page + script
    at = ends[-1].start()
    return page[:at] + script + page[at:]


def _chained(
    first: bytes | None, rest: t.Iterator[bytes], body: t.Iterable[bytes]
) -> t.Iterator[bytes]:
    try:
        if first:
            yield first
        yield from rest
    finally:
        _close(body)


def _close(body: t.Iterable[bytes]) -> None:
    """Close a WSGI body, as the server would have (PEP 3333)."""
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _no_write(data: bytes) -> None:
    raise RuntimeError("the dev server does not support the WSGI write() callable")
