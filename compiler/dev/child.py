"""A process of the dev server, and the pipe it is driven through."""

from __future__ import annotations

import threading
import typing as t

if t.TYPE_CHECKING:  # pragma: no cover
    from multiprocessing.context import BaseContext


class ChildProcess:
    """Starts ``target(conn, *args)`` in a process of ``context``; ``close`` tells it to
    end (``None`` on the pipe), then ends it if it does not. A child also ends when the
    dev server's end of the pipe closes, so none outlives the server."""

    def __init__(
        self,
        context: BaseContext,
        target: t.Callable[..., None],
        args: tuple[t.Any, ...],
        *,
        name: str,
        daemon: bool,
    ) -> None:
        self.conn, child_end = context.Pipe()
        self.process = context.Process(  # type: ignore[attr-defined]
            target=target, args=(child_end, *args), name=name, daemon=daemon
        )
        self.process.start()
        child_end.close()
        #: Held while a request and its answer are on the pipe.
        self.lock = threading.Lock()

    def ask(self, request: t.Any) -> t.Any:
        """Send ``request`` and wait for the child's answer; raises ``EOFError`` or
        ``OSError`` when the child is gone."""
        with self.lock:
            self.conn.send(request)
            return self.conn.recv()

    def tell(self, message: t.Any) -> None:
        """Send ``message``, which has no answer; a child that is gone is not told."""
        with self.lock:
            try:
                self.conn.send(message)
            except OSError:
                pass

    def close(self) -> None:
        with self.lock:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()
