"""The application and request contexts, and the helpers that work on them."""

from __future__ import annotations

import contextvars
import sys
import typing as t
from functools import update_wrapper

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request as RequestBase

from . import typing as ft
from .globals import _cv_app
from .globals import _cv_request
from .signals import appcontext_popped
from .signals import appcontext_pushed

if t.TYPE_CHECKING:  # pragma: no cover
    from types import TracebackType

    from .app import Flask
    from .sessions import SessionMixin
    from .wrappers import Request

_sentinel = object()


class _AppCtxGlobals:
    """The ``g`` namespace: a plain object to keep data on for one app context."""

    def get(self, name: str, default: t.Any | None = None) -> t.Any:
        """The attribute ``name``, or ``default`` when it is not set."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        """Remove and return ``name``; ``KeyError`` when missing and no default is given."""
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        """The attribute ``name``, set to ``default`` first when it is missing."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_app.get(None)
        if ctx is not None:
            return f"<flask.g of '{ctx.app.name}'>"
        return object.__repr__(self)


def after_this_request(f: ft.AfterRequestCallable[t.Any]) -> ft.AfterRequestCallable[t.Any]:
    """Run ``f`` on the response of the current request only, before the app's own hooks."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "'after_this_request' needs an active request context: call it from a view"
            " function or a before_request hook."
        )
    ctx._after_request_functions.append(f)
    return f


F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def copy_current_request_context(f: F) -> F:
    """Wrap ``f`` so that it runs inside a copy of the current request context.

    For work handed to another thread or greenlet that still needs ``request``.
    """
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "'copy_current_request_context' needs an active request context: use it"
            " inside a view function or a hook."
        )
    ctx = ctx.copy()

    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with ctx:
            return ctx.app.ensure_sync(f)(*args, **kwargs)

    return update_wrapper(wrapper, f)  # type: ignore[return-value]


def has_request_context() -> bool:
    """Whether a request context is active (``request`` and ``session`` usable)."""
    return _cv_request.get(None) is not None


def has_app_context() -> bool:
    """Whether an application context is active (``current_app`` and ``g`` usable)."""
    return _cv_app.get(None) is not None


def _close_request(request: Request) -> None:
    """Close the request, as the end of its context does.

    werkzeug's ``close`` closes the uploaded files the form parser opened, and
    costs as much as a small request's teardown even when there are none, so
    it is skipped for requests that never parsed their files. A request class
    with its own ``close`` is always closed.
    """
    if (
        getattr(type(request), "close", None) is RequestBase.close
        and "files" not in request.__dict__
    ):
        return
    close = getattr(request, "close", None)
    if close is not None:
        close()


class AppContext:
    """Makes ``current_app`` and ``g`` point at an application while it is pushed.

    Pushed for every request, and by the CLI; push one by hand with
    ``with app.app_context():``.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.url_adapter = app.create_url_adapter(None)
        self.g: _AppCtxGlobals = app.app_ctx_globals_class()
        self._cv_tokens: list[contextvars.Token[AppContext]] = []

    def push(self) -> None:
        """Make this the active application context."""
        self._cv_tokens.append(_cv_app.set(self))
        if appcontext_pushed.receivers:
            appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)

    def pop(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Pop this context; the last pop runs the app's teardown functions."""
        try:
            if len(self._cv_tokens) == 1:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_appcontext(exc)
        finally:
            active = _cv_app.get()
            _cv_app.reset(self._cv_tokens.pop())

        if active is not self:
            raise AssertionError(f"Popped the wrong app context: {active!r} instead of {self!r}.")
        if appcontext_popped.receivers:
            appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)


class RequestContext:
    """Everything one request needs: the request, its session, its URL adapter.

    ``wsgi_app`` pushes one at the start of each request (with an app context
    when none is active for this app) and pops it at the end, which runs the
    teardown functions.
    """

    def __init__(
        self,
        app: Flask,
        environ: dict[str, t.Any],
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        self.app = app
        if request is None:
            if not isinstance(environ, dict):  # WSGI asks for a dict; Flask serves any mapping
                environ = dict(environ)
            request = app.request_class(environ)
            request.json_module = app.json
        self.request: Request = request
        self.url_adapter = None
        try:
            self.url_adapter = app.create_url_adapter(self.request)
        except HTTPException as e:
            self.request.routing_exception = e
        self.flashes: list[tuple[str, str]] | None = None
        self._opened_session = session
        self._after_request_functions: list[ft.AfterRequestCallable[t.Any]] = []
        self._cv_tokens: list[tuple[contextvars.Token[RequestContext], AppContext | None]] = []

    @property
    def session(self) -> SessionMixin:
        """The session, opened through the app's session interface on first use.

        Opening is deferred for the built-in cookie session only (see
        ``Flask._open_session_lazily``), so a request that never touches its
        session never pays for verifying the cookie.
        """
        if self._opened_session is None:
            self._opened_session = self.app._open_session(self.request)
        return self._opened_session

    @session.setter
    def session(self, value: SessionMixin | None) -> None:
        self._opened_session = value

    # Flask 3.1 code and tests reach for the private name; it means the same.
    _session = session

    def copy(self) -> RequestContext:
        """A new context for the same request object and session.

        The copy can be pushed in another thread or greenlet; both share the
        request, so it should not be read from both at once.
        """
        return self.__class__(
            self.app,
            environ=self.request.environ,
            request=self.request,
            session=self.session,
        )

    def match_request(self) -> None:
        """Match the request against the URL map, recording the rule or the routing error."""
        try:
            self.request.url_rule, self.request.view_args = self.app._matched_routes.match(
                self.url_adapter  # type: ignore[arg-type]
            )
        except HTTPException as e:
            self.request.routing_exception = e

    def push(self) -> None:
        """Make this the active request context, with an app context under it when needed."""
        app_ctx = _cv_app.get(None)
        if app_ctx is None or app_ctx.app is not self.app:
            app_ctx = self.app.app_context()
            app_ctx.push()
        else:
            app_ctx = None

        self._cv_tokens.append((_cv_request.set(self), app_ctx))

        if self._opened_session is None and not self.app._open_session_lazily():
            self._opened_session = self.app._open_session(self.request)

        if self.url_adapter is not None:
            self.match_request()

    def pop(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Pop this context; the last pop runs the teardown functions and closes the request."""
        clear_request = len(self._cv_tokens) == 1
        try:
            if clear_request:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_request(exc)
                _close_request(self.request)
        finally:
            active = _cv_request.get()
            token, app_ctx = self._cv_tokens.pop()
            _cv_request.reset(token)
            # Break the request <-> environ cycle so the request is freed promptly.
            if clear_request:
                active.request.environ["werkzeug.request"] = None
            if app_ctx is not None:
                app_ctx.pop(exc)
            if active is not self:
                raise AssertionError(
                    f"Popped the wrong request context: {active!r} instead of {self!r}."
                )

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.request.url!r}"
            f" [{self.request.method}] of {self.app.name}>"
        )
