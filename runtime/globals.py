"""The context-bound globals: ``current_app``, ``g``, ``request`` and ``session``.

Each is a werkzeug ``LocalProxy`` over a ``ContextVar`` that holds the active
application or request context, so they are safe across threads and asyncio
tasks alike.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

from werkzeug.local import LocalProxy

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Flask
    from .ctx import AppContext
    from .ctx import RequestContext
    from .ctx import _AppCtxGlobals
    from .sessions import SessionMixin
    from .wrappers import Request

_no_app_msg = (
    "Working outside of application context: this needs the current application."
    " Push one with 'with app.app_context():' (the CLI and requests do it for you)."
)
_no_req_msg = (
    "Working outside of request context: this needs an active HTTP request."
    " In tests, use 'with app.test_request_context():' or the test client."
)

_cv_app: ContextVar[AppContext] = ContextVar("flask.app_ctx")
app_ctx: AppContext = LocalProxy(_cv_app, unbound_message=_no_app_msg)  # type: ignore[assignment]
current_app: Flask = LocalProxy(_cv_app, "app", unbound_message=_no_app_msg)  # type: ignore[assignment]
g: _AppCtxGlobals = LocalProxy(_cv_app, "g", unbound_message=_no_app_msg)  # type: ignore[assignment]

_cv_request: ContextVar[RequestContext] = ContextVar("flask.request_ctx")
request_ctx: RequestContext = LocalProxy(_cv_request, unbound_message=_no_req_msg)  # type: ignore[assignment]
request: Request = LocalProxy(_cv_request, "request", unbound_message=_no_req_msg)  # type: ignore[assignment]
session: SessionMixin = LocalProxy(_cv_request, "session", unbound_message=_no_req_msg)  # type: ignore[assignment]
