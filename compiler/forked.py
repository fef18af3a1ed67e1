"""A call run in a forked child process while the caller goes on with other work.

The build process ends with steps that do not depend on each other (writing the deploy
bundle, recording the build for the next one); on a machine with a free core, one of
them runs in a child forked from the build process, which already holds everything the
call needs: nothing is pickled on the way in, only the result on the way back.
"""

from __future__ import annotations

import multiprocessing
import signal
import traceback
import typing as t

if t.TYPE_CHECKING:  # pragma: no cover
    from multiprocessing.connection import Connection

R = t.TypeVar("R")


class ForkedCallDied(RuntimeError):
    """The child ended without an answer (killed, or ``os._exit`` in the call)."""


class ForkedCall(t.Generic[R]):
    """``function(*args, **kwargs)`` in a child process forked now; :meth:`result` waits
    for it and returns what it returned, or raises what it raised (a child that died
    raises :class:`ForkedCallDied`). Where the system cannot fork, the call runs at
    once, in this process. A child that starts processes of its own (render workers)
    must not be a daemon: ``daemon=False``."""

    def __init__(
        self, function: t.Callable[..., R], *args: t.Any, daemon: bool = True, **kwargs: t.Any
    ) -> None:
        self._outcome: tuple[bool, t.Any] | None = None
        if "fork" not in multiprocessing.get_all_start_methods():
            self._outcome = _outcome(function, args, kwargs)
            return
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_child, args=(send, function, args, kwargs), name="sitec-forked", daemon=daemon
        )
        self._process.start()
        send.close()

    def result(self) -> R:
        if self._outcome is None:
            try:
                self._outcome = self._receive.recv()
            except EOFError:
                self._outcome = None
            finally:
                self._receive.close()
            self._process.join()
            if self._outcome is None:
                died = f"a forked process of the build died (exit code {self._process.exitcode})"
                self._outcome = (False, ForkedCallDied(died))
        done, value = self._outcome
        if not done:
            raise value
        return t.cast(R, value)

    def __enter__(self) -> ForkedCall[R]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the child if nobody waited for it (the caller failed meanwhile)."""
        if self._outcome is None:
            self._process.terminate()
            self._process.join()
            self._receive.close()
            self._outcome = (False, RuntimeError("stopped"))


def _outcome(
    function: t.Callable[..., t.Any], args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
) -> tuple[bool, t.Any]:
    try:
        return True, function(*args, **kwargs)
    except Exception as e:
        return False, e


def _child(
    send: Connection,
    function: t.Callable[..., t.Any],
    args: tuple[t.Any, ...],
    kwargs: dict[str, t.Any],
) -> None:
    # Ctrl-C reaches the whole process group; the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    outcome = _outcome(function, args, kwargs)
    try:
        send.send(outcome)
    except Exception as e:  # what it returned or raised cannot be pickled
        done, value = outcome
        raised = "" if done else "".join(traceback.format_exception(value))
        send.send((False, RuntimeError(f"the outcome could not be sent back: {e!r}\n{raised}")))
