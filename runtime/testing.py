"""Test helpers: an app-aware werkzeug test client and environ builder, and a
click runner for the app's CLI commands.

``app.test_client()``, ``app.test_request_context()`` and
``app.test_cli_runner()`` build these. The client can keep the contexts of its
last request pushed after the request ends (``with client:``), so a test can
inspect ``request``, ``session`` and ``g`` afterwards; the app cooperates by
handing its contexts to ``environ["werkzeug.debug.preserve_context"]``.
"""

from __future__ import annotations

import importlib.metadata
import typing as t
from contextlib import ExitStack
from contextlib import contextmanager
from copy import copy
from types import TracebackType
from urllib.parse import urlsplit

import werkzeug.test
from click.testing import CliRunner
from click.testing import Result
from werkzeug.test import Client
from werkzeug.wrappers import Request as BaseRequest

from .cli import ScriptInfo

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.test import TestResponse

    from .app import Flask
    from .sessions import SessionMixin


class EnvironBuilder(werkzeug.test.EnvironBuilder):
    """A werkzeug ``EnvironBuilder`` whose defaults come from the app's
    config: host from ``SERVER_NAME`` (else ``localhost``), script root from
    ``APPLICATION_ROOT``, scheme from ``PREFERRED_URL_SCHEME``.

    ``path`` may be a full URL, whose scheme and host then win. ``subdomain``
    and ``url_scheme`` adjust the default base URL, so they cannot be combined
    with an explicit ``base_url``. JSON bodies are serialized with ``app.json``.
    """

    def __init__(
        self,
        app: Flask,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> None:
        if base_url is not None and (subdomain or url_scheme):
            raise ValueError('Cannot pass "subdomain" or "url_scheme" with "base_url".')
        self.app = app

        if base_url is None:
            host = app.config.get("SERVER_NAME") or "localhost"
            if subdomain:
                host = f"{subdomain}.{host}"
            if url_scheme is None:
                url_scheme = app.config["PREFERRED_URL_SCHEME"]
            root = app.config["APPLICATION_ROOT"].lstrip("/")
            url = urlsplit(path)
            base_url = f"{url.scheme or url_scheme}://{url.netloc or host}/{root}"
            path = url.path
            if url.query:
                path = f"{path}?{url.query}"

        super().__init__(path, base_url, *args, **kwargs)

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` with the app's JSON provider."""
        return self.app.json.dumps(obj, **kwargs)


_werkzeug_version = ""


def _get_werkzeug_version() -> str:
    """The installed werkzeug version, looked up once (metadata reads are slow)."""
    global _werkzeug_version
    if not _werkzeug_version:
        _werkzeug_version = importlib.metadata.version("werkzeug")
    return _werkzeug_version


class FlaskClient(Client):
    """werkzeug's test client, aware of the app.

    Used as ``with client:``, the app and request contexts of the last request
    stay pushed until the block ends (or the next request starts), so the test
    can look at ``request``, ``session`` and ``g`` after a call.
    """

    application: Flask

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.preserve_context = False
        #: Contexts the app handed over during the current request.
        self._new_contexts: list[t.ContextManager[t.Any]] = []
        #: Contexts kept pushed from the last request.
        self._context_stack = ExitStack()
        self.environ_base = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Werkzeug/{_get_werkzeug_version()}",
        }

    @contextmanager
    def session_transaction(self, *args: t.Any, **kwargs: t.Any) -> t.Iterator[SessionMixin]:
        """Open the session the client's cookies carry, yield it for the test
        to read or change, then store it back into the client's cookies.

        Arguments build the request context the session is opened in, as for
        ``app.test_request_context``.
        """
        if self._cookies is None:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")

        app = self.application
        interface = app.session_interface
        ctx = app.test_request_context(*args, **kwargs)
        self._add_cookies_to_wsgi(ctx.request.environ)

        with ctx:
            sess = interface.open_session(app, ctx.request)
        if sess is None:
            raise RuntimeError(
                "Session backend did not open a session. Check the session"
                " configuration (for example, SECRET_KEY must be set)."
            )

        yield sess

        if interface.is_null_session(sess):
            return
        response = app.response_class()
        with ctx:
            interface.save_session(app, sess, response)
        self._update_cookies_from_response(
            ctx.request.host.partition(":")[0],
            ctx.request.path,
            response.headers.getlist("Set-Cookie"),
        )

    def _copy_environ(self, other: WSGIEnvironment) -> WSGIEnvironment:
        environ = {**self.environ_base, **other}
        if self.preserve_context:
            environ["werkzeug.debug.preserve_context"] = self._new_contexts.append
        return environ

    def _request_from_builder_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> BaseRequest:
        kwargs["environ_base"] = self._copy_environ(kwargs.get("environ_base", {}))
        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            return builder.get_request()
        finally:
            builder.close()

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Make a request; takes ``EnvironBuilder`` arguments, or one
        ``EnvironBuilder``, environ dict or request object."""
        first = args[0] if args else None
        if isinstance(first, werkzeug.test.EnvironBuilder):
            builder = copy(first)
            builder.environ_base = self._copy_environ(builder.environ_base or {})
            request = builder.get_request()
        elif isinstance(first, dict):
            request = EnvironBuilder.from_environ(
                first, app=self.application, environ_base=self._copy_environ({})
            ).get_request()
        elif isinstance(first, BaseRequest):
            request = copy(first)
            request.environ = self._copy_environ(request.environ)
        else:
            request = self._request_from_builder_args(args, kwargs)

        # Contexts kept from an earlier request (or an earlier hop of a
        # redirect chain) must not leak into this one.
        self._context_stack.close()

        response = super().open(request, buffered=buffered, follow_redirects=follow_redirects)
        response.json_module = self.application.json  # type: ignore[assignment]

        # Push what the app preserved, in the order it was handed over: the
        # app context, then the request context that runs inside it.
        for cm in self._new_contexts:
            self._context_stack.enter_context(cm)
        self._new_contexts.clear()
        return response

    def __enter__(self) -> FlaskClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._context_stack.close()


class FlaskCliRunner(CliRunner):
    """A click ``CliRunner`` that invokes the app's commands with the app
    already loaded."""

    def __init__(self, app: Flask, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any
    ) -> Result:
        """Run a command (default: ``app.cli``) in an isolated environment.

        Unless ``obj`` is given, commands get a ``ScriptInfo`` that returns
        this runner's app, so no app discovery happens.
        """
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)
