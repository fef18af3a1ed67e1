"""The application logger and the handler it gets by default.

Log records go to the current request's ``wsgi.errors`` stream, so they land
wherever the WSGI server sends errors; outside a request they go to stderr.
"""

from __future__ import annotations

import logging
import sys
import typing as t

from werkzeug.local import LocalProxy

from .globals import _cv_request

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Flask


def _errors_stream() -> t.TextIO:
    ctx = _cv_request.get(None)
    if ctx is None:
        return sys.stderr
    return ctx.request.environ["wsgi.errors"]


#: A stream that writes to the active request's ``wsgi.errors``, or to
#: ``sys.stderr`` when there is no request.
wsgi_errors_stream: t.TextIO = LocalProxy(_errors_stream)  # type: ignore[assignment]


def has_level_handler(logger: logging.Logger) -> bool:
    """Tell whether a record at ``logger``'s effective level would reach a handler.

    Walks up the logger hierarchy the way ``Logger.callHandlers`` does, stopping
    where propagation stops.
    """
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            return False
        current = current.parent
    return False


#: The handler added to an app's logger when nothing else would handle its records.
default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def create_logger(app: Flask) -> logging.Logger:
    """Return the logger named after ``app``, set up for it.

    In debug mode a logger without its own level logs at DEBUG. The default
    handler is added only when no configured handler would receive the
    logger's records, so an app that configures logging keeps its setup.
    """
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
