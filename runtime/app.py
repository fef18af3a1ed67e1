"""The ``Flask`` application object: registration, request dispatch and error handling."""

from __future__ import annotations

import collections.abc as cabc
import os
import sys
import typing as t
import warnings
import weakref
from datetime import timedelta
from functools import lru_cache
from inspect import iscoroutinefunction
from itertools import chain
from urllib.parse import quote as _url_quote

import click
from werkzeug.datastructures import Headers
from werkzeug.datastructures import ImmutableDict
from werkzeug.exceptions import Aborter
from werkzeug.exceptions import BadHost
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import BadRequestKeyError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError
from werkzeug.routing import BuildError
from werkzeug.routing import Map
from werkzeug.routing import MapAdapter
from werkzeug.routing import RequestRedirect
from werkzeug.routing import RoutingException
from werkzeug.routing import Rule
from werkzeug.serving import is_running_from_reloader
from werkzeug.utils import cached_property
from werkzeug.utils import redirect as _wz_redirect
from werkzeug.wrappers import Response as BaseResponse
from werkzeug.wsgi import get_host

from . import cli
from . import typing as ft
from .config import Config
from .config import ConfigAttribute
from .ctx import AppContext
from .ctx import RequestContext
from .ctx import _AppCtxGlobals
from .globals import _cv_app
from .globals import _cv_request
from .globals import _no_req_msg
from .globals import g
from .globals import request
from .globals import request_ctx
from .globals import session
from .helpers import _split_blueprint_path
from .helpers import get_debug_flag
from .helpers import get_flashed_messages
from .helpers import get_load_dotenv
from .json.provider import DefaultJSONProvider
from .json.provider import JSONProvider
from .logging import create_logger
from .routememo import BuiltURLs
from .routememo import MatchedRoutes
from .routememo import RouteMap
from .scaffold import Scaffold
from .scaffold import T_teardown
from .scaffold import _endpoint_from_view_func
from .scaffold import find_package
from .scaffold import setupmethod
from .sessions import SecureCookieSessionInterface
from .sessions import SessionInterface
from .sessions import SessionMixin
from .signals import appcontext_tearing_down
from .signals import got_request_exception
from .signals import request_finished
from .signals import request_started
from .signals import request_tearing_down
from .templating import Environment
from .templating import _default_template_ctx_processor
from .wrappers import Request
from .wrappers import Response

if t.TYPE_CHECKING:  # pragma: no cover
    from .blueprints import Blueprint
    from .testing import FlaskClient
    from .testing import FlaskCliRunner

T_shell_context_processor = t.TypeVar(
    "T_shell_context_processor", bound=ft.ShellContextProcessorCallable
)
T_template_filter = t.TypeVar("T_template_filter", bound=ft.TemplateFilterCallable)
T_template_global = t.TypeVar("T_template_global", bound=ft.TemplateGlobalCallable)
T_template_test = t.TypeVar("T_template_test", bound=ft.TemplateTestCallable)

_sentinel = object()
#: Characters left unquoted in a URL fragment built by ``url_for(_anchor=...)``.
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


def _request_ctx() -> RequestContext:
    """The active request context: what ``request_ctx`` proxies, without the proxy's cost."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(_no_req_msg)
    return ctx


def _drop_tracebacks(error: BaseException | None) -> None:
    """Drop the tracebacks of a routing exception that was answered (a 404, 405 or
    redirect), and of the exceptions it was raised from.

    The request holds its routing exception, whose traceback holds the frames
    that matched and dispatched the request, which hold the request: a cycle
    that only the garbage collector can free, and a costly one, as it keeps the
    whole request, environ and response alive. Once the request is over and
    nothing propagates, the frames are of no use to anyone.
    """
    seen: set[int] = set()  # a chain assigned by hand may loop
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        error.__traceback__ = None
        error = error.__context__


def _make_timedelta(value: timedelta | int | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


def _host_within(request: Request, server_name: str) -> bool:
    """Whether the request's host is ``SERVER_NAME`` or a subdomain of it."""
    name = server_name.lower()
    default_port = ":443" if request.scheme == "https" else ":80"
    if name.endswith(default_port):
        name = name[: -len(default_port)]
    labels = name.split(".")
    return request.host.lower().split(".")[-len(labels) :] == labels


_server_name_warnings: dict[t.Any, t.Any] = {}

# The runtime reads the WSGI environ (a dict; a request context copies another mapping
# into one) with dict's own methods: a subclass recording who reads it, as the
# compiler's observer passes in, has nothing to learn from the runtime's own reads,
# and a plain dict answers them as fast either way.
_environ_get = dict.get
_environ_has = dict.__contains__
_environ_item = dict.__getitem__


def _bind_to_environ(
    url_map: Map, environ: dict[str, t.Any], server_name: str | None, subdomain: str
) -> MapAdapter:
    """``url_map.bind_to_environ(environ, server_name, subdomain)``, for a known subdomain
    and a request that is not a WebSocket upgrade.

    Those two are what make werkzeug's version slow (it splits the host to find
    the subdomain and parses the ``Connection`` header); with them settled the
    adapter is built from the same environ values, at a fraction of the cost.
    """
    get = _environ_get
    scheme = _environ_item(environ, "wsgi.url_scheme")
    if server_name is None:
        server_name = _request_server_name(
            scheme,
            get(environ, "HTTP_HOST"),
            get(environ, "SERVER_NAME"),
            get(environ, "SERVER_PORT"),
        )
    else:
        server_name = _configured_server_name(scheme, server_name)
    return MapAdapter(
        url_map,
        server_name,
        _wsgi_str(get(environ, "SCRIPT_NAME"), "/"),
        subdomain,
        scheme,
        _wsgi_str(get(environ, "PATH_INFO"), "/"),
        _environ_item(environ, "REQUEST_METHOD"),
        _wsgi_str(get(environ, "QUERY_STRING"), None),
    )


# Requests come for the same few hosts, so the two functions below work out each
# host's adapter name once; both are pure functions of their arguments.


@lru_cache(maxsize=256)
def _request_server_name(
    scheme: str, host_header: str | None, server_name: str | None, server_port: str | None
) -> str:
    """The adapter's server name from the request's host, as werkzeug's ``get_host``
    reads it from these environ values."""
    environ = {
        "wsgi.url_scheme": scheme,
        "HTTP_HOST": host_header,
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
    }
    return _idna_host(get_host(environ).lower())


@lru_cache(maxsize=64)
def _configured_server_name(scheme: str, server_name: str) -> str:
    """The adapter's server name from ``SERVER_NAME``."""
    # Like werkzeug: a default port in SERVER_NAME is left out, as in the Host header.
    server_name = server_name.lower()
    if scheme in {"http", "ws"} and server_name.endswith(":80"):
        server_name = server_name[:-3]
    elif scheme in {"https", "wss"} and server_name.endswith(":443"):
        server_name = server_name[:-4]
    return _idna_host(server_name)


def _idna_host(server_name: str) -> str:
    """``host[:port]`` with the host IDNA-encoded, as URL adapters want it."""
    host, colon, port = server_name.partition(":")
    try:
        return f"{host.encode('idna').decode('ascii')}{colon}{port}"
    except UnicodeError as e:
        raise BadHost() from e


def _wsgi_str(value: str | None, default: str | None) -> str | None:
    """A WSGI environ string (UTF-8 bytes as latin-1) decoded, or ``default`` when missing."""
    if value is None:
        return default
    return value.encode("latin1").decode(errors="replace")


def _foreign_host_subdomain(host: str, server_name: str) -> str:
    """The subdomain to match a host outside ``SERVER_NAME`` with: one no rule has.

    werkzeug would warn about the mismatch itself, from inside its own call;
    warning here instead attributes it to ``flask.app``, the module name Flask
    apps' warning filters use for it.
    """
    warnings.warn_explicit(
        f"Current server name {host!r} doesn't match configured server name {server_name!r}",
        UserWarning,
        __file__,
        0,
        module="flask.app",
        registry=_server_name_warnings,
    )
    return "<invalid>"


class Flask(Scaffold):
    """The WSGI application: a registry of routes, hooks and handlers plus the config.

    Create one in the main module or package of the app::

        from flask import Flask
        app = Flask(__name__)

    ``import_name`` locates the app's resources (templates, static files, the
    instance folder); pass ``root_path`` when it cannot be derived from it.
    """

    #: The class of ``request`` objects.
    request_class: type[Request] = Request
    #: The class of response objects that views' return values are turned into.
    response_class: type[Response] = Response
    #: The class of :attr:`aborter`, which :func:`abort` raises through.
    aborter_class = Aborter
    #: The Jinja environment class; see :meth:`create_jinja_environment`.
    jinja_environment = Environment
    #: The class of ``g``.
    app_ctx_globals_class = _AppCtxGlobals
    #: The class of :attr:`config`.
    config_class = Config

    testing = ConfigAttribute[bool]("TESTING")
    secret_key = ConfigAttribute[str | bytes | None]("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute[timedelta](
        "PERMANENT_SESSION_LIFETIME",
        get_converter=_make_timedelta,  # type: ignore[arg-type]
    )

    #: The JSON provider class; an instance is created per app as :attr:`json`.
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    #: Options for the Jinja environment, read when it is first created.
    jinja_options: dict[str, t.Any] = {}
    url_rule_class = Rule
    url_map_class: type[Map] = RouteMap
    #: Set to a ``FlaskClient`` subclass to change what :meth:`test_client` makes.
    test_client_class: type[FlaskClient] | None = None
    #: Set to a ``FlaskCliRunner`` subclass to change what :meth:`test_cli_runner` makes.
    test_cli_runner_class: type[FlaskCliRunner] | None = None
    #: The session backend; a signed cookie by default.
    session_interface: SessionInterface = SecureCookieSessionInterface()

    default_config = ImmutableDict(
        {
            "DEBUG": None,
            "TESTING": False,
            "PROPAGATE_EXCEPTIONS": None,
            "SECRET_KEY": None,
            "SECRET_KEY_FALLBACKS": None,
            "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
            "USE_X_SENDFILE": False,
            "TRUSTED_HOSTS": None,
            "SERVER_NAME": None,
            "APPLICATION_ROOT": "/",
            "SESSION_COOKIE_NAME": "session",
            "SESSION_COOKIE_DOMAIN": None,
            "SESSION_COOKIE_PATH": None,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": False,
            "SESSION_COOKIE_PARTITIONED": False,
            "SESSION_COOKIE_SAMESITE": None,
            "SESSION_REFRESH_EACH_REQUEST": True,
            "MAX_CONTENT_LENGTH": None,
            "MAX_FORM_MEMORY_SIZE": 500_000,
            "MAX_FORM_PARTS": 1_000,
            "SEND_FILE_MAX_AGE_DEFAULT": None,
            "TRAP_BAD_REQUEST_ERRORS": None,
            "TRAP_HTTP_EXCEPTIONS": False,
            "EXPLAIN_TEMPLATE_LOADING": False,
            "PREFERRED_URL_SCHEME": "http",
            "TEMPLATES_AUTO_RELOAD": None,
            "MAX_COOKIE_SIZE": 4093,
            "PROVIDE_AUTOMATIC_OPTIONS": True,
        }
    )

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )

        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                f"The instance path must be absolute; a relative path was given: {instance_path!r}."
            )
        #: The folder for files that belong to this deployment, not to the code.
        self.instance_path = instance_path

        self.config = self.make_config(instance_relative_config)
        self.aborter = self.make_aborter()
        self.json: JSONProvider = self.json_provider_class(self)

        #: Called in order when ``url_for`` cannot build a URL; the first
        #: non-``None`` result is used.
        self.url_build_error_handlers: list[
            t.Callable[[Exception, str, dict[str, t.Any]], str]
        ] = []
        self.teardown_appcontext_funcs: list[ft.TeardownCallable] = []
        self.shell_context_processors: list[ft.ShellContextProcessorCallable] = []
        #: Registered functions known not to be coroutine functions; see :meth:`_sync`.
        self._plain_functions: set[t.Callable[..., t.Any]] = set()
        #: What requests matched and :meth:`url_for` built; see ``routememo``.
        self._matched_routes = MatchedRoutes()
        self._built_urls = BuiltURLs()
        self.blueprints: dict[str, Blueprint] = {}
        #: Where extensions keep their per-app state.
        self.extensions: dict[str, t.Any] = {}
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False

        self.template_context_processors.setdefault(None, []).insert(
            0, _default_template_ctx_processor
        )

        self.cli = cli.AppGroup()
        self.cli.name = self.name

        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise AssertionError(
                    "Invalid static_host/host_matching combination: static_host is"
                    " required with host_matching=True, and only then."
                )
            # A weak reference, so the static view does not keep the app alive.
            app_ref = weakref.ref(self)
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=lambda **kw: app_ref().send_static_file(**kw),  # type: ignore[union-attr]
            )

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the application."
                " It has already handled its first request, so changes would not be"
                " applied consistently.\nMake sure all views, blueprints, hooks and"
                " handlers are registered before the application starts serving."
            )

    @cached_property
    def name(self) -> str:
        """The app's name: its import name, or the script's name when run as ``__main__``."""
        if self.import_name == "__main__":
            filename = getattr(sys.modules["__main__"], "__file__", None)
            if filename is None:
                return "__main__"
            return os.path.splitext(os.path.basename(filename))[0]
        return self.import_name

    @cached_property
    def logger(self):  # type: ignore[no-untyped-def]
        """The ``logging.Logger`` named after :attr:`name`; see ``sitec.runtime.logging``."""
        return create_logger(self)

    @cached_property
    def jinja_env(self) -> Environment:
        """The Jinja environment, created on first use by :meth:`create_jinja_environment`."""
        return self.create_jinja_environment()

    @property
    def debug(self) -> bool:
        """Whether debug mode is on (the ``DEBUG`` config key)."""
        return self.config["DEBUG"]  # type: ignore[no-any-return]

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self.config["TEMPLATES_AUTO_RELOAD"] is None:
            self.jinja_env.auto_reload = value

    # -- setup ------------------------------------------------------------

    def make_config(self, instance_relative: bool = False) -> Config:
        """The :attr:`config` object, filled with :attr:`default_config`."""
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    def make_aborter(self) -> Aborter:
        """The :attr:`aborter` that :func:`abort` raises HTTP errors through."""
        return self.aborter_class()

    def auto_find_instance_path(self) -> str:
        """``instance`` beside the package, or ``<prefix>/var/<name>-instance`` when installed."""
        prefix, package_path = find_package(self.import_name)
        if prefix is None:
            return os.path.join(package_path, "instance")
        return os.path.join(prefix, "var", f"{self.name}-instance")

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.AnyStr]:
        """Open ``resource`` relative to :attr:`instance_path`, for reading or writing."""
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    def create_jinja_environment(self) -> Environment:
        """Build the Jinja environment from :attr:`jinja_options` and the app's config."""
        options = dict(self.jinja_options)
        if "autoescape" not in options:
            options["autoescape"] = self.select_jinja_autoescape
        if "auto_reload" not in options:
            auto_reload = self.config["TEMPLATES_AUTO_RELOAD"]
            options["auto_reload"] = self.debug if auto_reload is None else auto_reload
        env = self.jinja_environment(self, **options)
        env.globals.update(
            url_for=self.url_for,
            get_flashed_messages=get_flashed_messages,
            config=self.config,
            request=request,
            session=session,
            g=g,
        )
        env.policies["json.dumps_function"] = self.json.dumps
        return env

    def create_global_jinja_loader(self):  # type: ignore[no-untyped-def]
        """The loader that searches the app's templates, then each blueprint's."""
        from .templating import DispatchingJinjaLoader

        return DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Autoescape templates from strings and ``.html .htm .xml .xhtml .svg`` files."""
        if filename is None:
            return True
        return filename.endswith((".html", ".htm", ".xml", ".xhtml", ".svg"))

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add the context processors' values to ``context``; explicit values win."""
        by_scope = self.template_context_processors
        names: t.Iterable[str | None] = (None,)
        req_ctx = _cv_request.get(None)
        # The request's blueprints only matter when some have processors of their own.
        if req_ctx is not None and (len(by_scope) > 1 or None not in by_scope):
            names = chain(names, reversed(req_ctx.request.blueprints))
        explicit = context.copy()
        for name in names:
            processors = by_scope.get(name)
            if processors:
                for func in processors:
                    context.update(self._sync(func)())
        context.update(explicit)

    def make_shell_context(self) -> dict[str, t.Any]:
        """The namespace of ``flask shell``: ``app``, ``g`` and the shell context processors'."""
        namespace: dict[str, t.Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            namespace.update(processor())
        return namespace

    def iter_blueprints(self) -> t.ValuesView[Blueprint]:
        """The registered blueprints, in registration order."""
        return self.blueprints.values()

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Register ``blueprint``; ``options`` override its ``url_prefix``, ``subdomain``, …"""
        blueprint.register(self, options)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)  # type: ignore[arg-type]
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for example:"
                ' @app.route(..., methods=["POST"])'
            )
        methods = {item.upper() for item in methods}
        required_methods = set(getattr(view_func, "required_methods", ()))

        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            provide_automatic_options = (
                "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]
            )
            if provide_automatic_options:
                required_methods.add("OPTIONS")

        rule_obj = self.url_rule_class(rule, methods=methods | required_methods, **options)
        rule_obj.provide_automatic_options = provide_automatic_options  # type: ignore[attr-defined]
        self.url_map.add(rule_obj)

        if view_func is not None:
            existing = self.view_functions.get(endpoint)
            if existing is not None and existing != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing endpoint"
                    f" function: {endpoint}"
                )
            self.view_functions[endpoint] = view_func

    @setupmethod
    def template_filter(
        self, name: str | None = None
    ) -> t.Callable[[T_template_filter], T_template_filter]:
        """Register a Jinja filter, named ``name`` or after the function."""

        def decorator(f: T_template_filter) -> T_template_filter:
            self.add_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_filter(self, f: ft.TemplateFilterCallable, name: str | None = None) -> None:
        self.jinja_env.filters[name or f.__name__] = f

    @setupmethod
    def template_test(
        self, name: str | None = None
    ) -> t.Callable[[T_template_test], T_template_test]:
        """Register a Jinja test, named ``name`` or after the function."""

        def decorator(f: T_template_test) -> T_template_test:
            self.add_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_test(self, f: ft.TemplateTestCallable, name: str | None = None) -> None:
        self.jinja_env.tests[name or f.__name__] = f

    @setupmethod
    def template_global(
        self, name: str | None = None
    ) -> t.Callable[[T_template_global], T_template_global]:
        """Register a Jinja global, named ``name`` or after the function."""

        def decorator(f: T_template_global) -> T_template_global:
            self.add_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_global(self, f: ft.TemplateGlobalCallable, name: str | None = None) -> None:
        self.jinja_env.globals[name or f.__name__] = f

    @setupmethod
    def teardown_appcontext(self, f: T_teardown) -> T_teardown:
        """Call ``f(error)`` whenever an app context is popped, even after an error."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def shell_context_processor(self, f: T_shell_context_processor) -> T_shell_context_processor:
        """Add the dict ``f()`` returns to the namespace of ``flask shell``."""
        self.shell_context_processors.append(f)
        return f

    # -- running ------------------------------------------------------------

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app on werkzeug's development server. Not for production."""
        if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
            if not is_running_from_reloader():
                click.secho(
                    " * Ignoring a call to 'app.run()': the CLI is already serving the"
                    " app.\n   Guard the call with 'if __name__ == \"__main__\":'.",
                    fg="red",
                )
            return

        if get_load_dotenv(load_dotenv):
            cli.load_dotenv()
            if "FLASK_DEBUG" in os.environ:
                self.debug = get_debug_flag()
        if debug is not None:
            self.debug = bool(debug)

        server_name = self.config.get("SERVER_NAME")
        sn_host = sn_port = None
        if server_name:
            sn_host, _, sn_port = server_name.partition(":")
        if not host:
            host = sn_host or "127.0.0.1"
        if port or port == 0:
            port = int(port)
        elif sn_port:
            port = int(sn_port)
        else:
            port = 5000

        options.setdefault("use_reloader", self.debug)
        options.setdefault("use_debugger", self.debug)
        options.setdefault("threaded", True)
        cli.show_server_banner(self.debug, self.name)

        from werkzeug.serving import run_simple

        try:
            run_simple(host, port, self, **options)
        finally:
            # Allow setup methods again when the dev server reloads the app in-process.
            self._got_first_request = False

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> FlaskClient:
        """A client that sends requests to the app without a server; see ``testing``."""
        cls = self.test_client_class
        if cls is None:
            from .testing import FlaskClient as cls
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

    def test_cli_runner(self, **kwargs: t.Any) -> FlaskCliRunner:
        """A runner that invokes the app's CLI commands in tests."""
        cls = self.test_cli_runner_class
        if cls is None:
            from .testing import FlaskCliRunner as cls
        return cls(self, **kwargs)

    # -- errors ------------------------------------------------------------

    def _find_error_handler(
        self, e: Exception, blueprints: list[str]
    ) -> ft.ErrorHandlerCallable | None:
        """The handler for ``e``: by code before class, blueprints before the app,
        and the most specific class first."""
        exc_class, code = self._get_exc_class_and_code(type(e))
        names = (*blueprints, None)
        for c in (code, None) if code is not None else (None,):
            for name in names:
                handler_map = self.error_handler_spec[name][c]
                if not handler_map:
                    continue
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether an HTTP exception should propagate like any other instead of becoming
        a response (``TRAP_HTTP_EXCEPTIONS``, ``TRAP_BAD_REQUEST_ERRORS``)."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and isinstance(e, BadRequestKeyError):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequest)
        return False

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown functions should not see ``error``; never, by default."""
        return False

    def handle_http_exception(self, e: HTTPException) -> HTTPException | ft.ResponseReturnValue:
        """Turn an HTTP exception into a response through its registered handler."""
        # Exceptions without a code (proxy exceptions) and routing redirects are
        # responses in their own right.
        if e.code is None or isinstance(e, RoutingException):
            return e
        handler = self._find_error_handler(e, _request_ctx().request.blueprints)
        if handler is None:
            return e
        return self._sync(handler)(e)  # type: ignore[no-any-return]

    def handle_user_exception(self, e: Exception) -> HTTPException | ft.ResponseReturnValue:
        """Handle an exception raised while dispatching; re-raise when no handler takes it."""
        if isinstance(e, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True

        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)

        handler = self._find_error_handler(e, _request_ctx().request.blueprints)
        if handler is None:
            raise
        return self._sync(handler)(e)  # type: ignore[no-any-return]

    def handle_exception(self, e: Exception) -> Response:
        """Handle an exception that nothing else handled: a 500, or re-raised when
        propagating (``PROPAGATE_EXCEPTIONS``, or testing or debug mode)."""
        exc_info = sys.exc_info()
        if got_request_exception.receivers:
            got_request_exception.send(self, _async_wrapper=self.ensure_sync, exception=e)
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        if propagate:
            if exc_info[1] is e:
                raise
            raise e

        self.log_exception(exc_info)
        server_error: InternalServerError | ft.ResponseReturnValue
        server_error = InternalServerError(original_exception=e)
        handler = self._find_error_handler(server_error, request.blueprints)
        if handler is not None:
            server_error = self._sync(handler)(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def log_exception(
        self,
        exc_info: tuple[type, BaseException, t.Any] | tuple[None, None, None],
    ) -> None:
        """Log an unhandled exception to :attr:`logger` at error level."""
        self.logger.error(f"Exception on {request.path} [{request.method}]", exc_info=exc_info)

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the routing error; in debug mode a redirect that would drop a form body
        becomes an explanation instead."""
        if (
            not self.debug
            or not isinstance(request.routing_exception, RequestRedirect)
            or request.routing_exception.code in {307, 308}
            or request.method in {"GET", "HEAD", "OPTIONS"}
        ):
            raise request.routing_exception  # type: ignore[misc]

        from .debughelpers import FormDataRoutingRedirect

        raise FormDataRoutingRedirect(request)

    # -- dispatch ------------------------------------------------------------

    def dispatch_request(self) -> ft.ResponseReturnValue:
        """Call the view of the matched rule and return what it returns."""
        req = _request_ctx().request
        if req.routing_exception is not None:
            self.raise_routing_exception(req)
        rule = req.url_rule
        if req.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
            return self.make_default_options_response()
        return self._sync(self.view_functions[rule.endpoint])(**req.view_args)  # type: ignore[union-attr,no-any-return]

    def full_dispatch_request(self) -> Response:
        """Run the before hooks and the view, handle their errors, and finalize the response."""
        self._got_first_request = True
        try:
            if request_started.receivers:
                request_started.send(self, _async_wrapper=self.ensure_sync)
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    def finalize_request(
        self,
        rv: ft.ResponseReturnValue | HTTPException,
        from_error_handler: bool = False,
    ) -> Response:
        """Make a response from ``rv`` and run the after-request processing on it."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            if request_finished.receivers:
                request_finished.send(self, _async_wrapper=self.ensure_sync, response=response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Finalizing the response failed while handling an earlier error.")
        return response

    def make_default_options_response(self) -> Response:
        """The answer to an automatic ``OPTIONS`` request: an empty body and ``Allow``."""
        methods = request_ctx.url_adapter.allowed_methods()  # type: ignore[union-attr]
        response = self.response_class()
        response.allow.update(methods)
        return response

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """``func`` itself, or a synchronous wrapper when it is a coroutine function."""
        if iscoroutinefunction(func):
            return self.async_to_sync(func)
        return func

    def _sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """``self.ensure_sync(func)`` for a function registered on the app (a view, a hook,
        a handler), remembered when it is a plain function.

        Asking whether a function is a coroutine function costs more than calling
        a small view. Registered functions are few and live as long as the app, so
        the answer for a plain one is kept; coroutine functions, and every function
        when ``ensure_sync`` is overridden, go through ``ensure_sync`` on each call.
        """
        try:
            if func in self._plain_functions:
                return func
        except TypeError:  # unhashable callables are never remembered
            return self.ensure_sync(func)
        synced = self.ensure_sync(func)
        if synced is func and getattr(self.ensure_sync, "__func__", None) is Flask.ensure_sync:
            self._plain_functions.add(func)
        return synced

    def async_to_sync(
        self, func: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]
    ) -> t.Callable[..., t.Any]:
        """Wrap a coroutine function to run synchronously, with asgiref."""
        try:
            from asgiref.sync import async_to_sync as asgiref_async_to_sync
        except ImportError:
            raise RuntimeError(
                "Async views need asgiref: install the 'async' extra (pip install 'sitec[async]')."
            ) from None
        return asgiref_async_to_sync(func)

    def make_response(self, rv: ft.ResponseReturnValue) -> Response:
        """Turn a view's return value into a :attr:`response_class` instance.

        Accepted: ``str``/``bytes``/``bytearray`` (the body), a ``dict`` or ``list``
        (JSON), an iterator or generator (a streamed body), a response object or
        any WSGI callable, or a tuple ``(body, status, headers)``,
        ``(body, status)`` or ``(body, headers)`` of those.
        """
        status: t.Any = None
        headers: t.Any = None

        if isinstance(rv, tuple):
            size = len(rv)
            if size == 3:
                rv, status, headers = rv  # type: ignore[misc]
            elif size == 2:
                if isinstance(rv[1], (Headers, dict, tuple, list)):
                    rv, headers = rv
                else:
                    rv, status = rv  # type: ignore[assignment,misc]
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple. The tuple"
                    " must have the form (body, status, headers), (body, status), or"
                    " (body, headers)."
                )

        if rv is None:
            raise TypeError(
                f"The view function for {request.endpoint!r} did not return a valid"
                " response: it returned None or ended without a return statement."
            )

        if not isinstance(rv, self.response_class):
            if isinstance(rv, (str, bytes, bytearray, cabc.Iterator)):
                # Status and headers go straight into the constructor, which is
                # cheaper than setting them afterwards.
                rv = self.response_class(rv, status=status, headers=headers)
                status = headers = None
            elif isinstance(rv, (dict, list)):
                rv = self.json.response(rv)
            elif isinstance(rv, BaseResponse) or callable(rv):
                try:
                    rv = self.response_class.force_type(rv, request.environ)  # type: ignore[arg-type]
                except TypeError as e:
                    raise TypeError(
                        f"{e}\nThe view function did not return a valid response. The"
                        " return type must be a string, dict, list, tuple with headers or"
                        " status, Response instance, or WSGI callable, but it was a"
                        f" {type(rv).__name__}."
                    ).with_traceback(sys.exc_info()[2]) from None
            else:
                raise TypeError(
                    "The view function did not return a valid response. The return type"
                    " must be a string, dict, list, tuple with headers or status,"
                    " Response instance, or WSGI callable, but it was a"
                    f" {type(rv).__name__}."
                )

        rv = t.cast(Response, rv)
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                rv.status = status  # type: ignore[assignment]
            else:
                rv.status_code = status
        if headers:
            rv.headers.update(headers)
        return rv

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """The URL adapter for a request, or for building URLs outside one.

        Outside a request an adapter exists only when ``SERVER_NAME`` is set.
        """
        config = self.config
        if request is not None:
            trusted_hosts = config["TRUSTED_HOSTS"]
            if trusted_hosts is not None:
                request.trusted_hosts = trusted_hosts
            if request.trusted_hosts is not None:
                # Reading the host validates it against the trusted hosts. Without
                # any it cannot fail, and reading it first costs as much as binding.
                request.host  # noqa: B018
            subdomain = None
            server_name = config["SERVER_NAME"]
            if self.url_map.host_matching:
                # SERVER_NAME would replace the real host and break host matching.
                server_name = None
            elif not self.subdomain_matching:
                # Without subdomain matching, every request is on the default subdomain.
                subdomain = self.url_map.default_subdomain or ""
            elif server_name is not None and not _host_within(request, server_name):
                subdomain = _foreign_host_subdomain(request.host, server_name)
            environ = request.environ
            if (
                subdomain is None
                or _environ_has(environ, "HTTP_UPGRADE")
                or type(self.url_map).bind_to_environ is not Map.bind_to_environ
            ):
                return self.url_map.bind_to_environ(
                    environ, server_name=server_name, subdomain=subdomain
                )
            return _bind_to_environ(self.url_map, environ, server_name, subdomain)

        if config["SERVER_NAME"] is not None:
            return self.url_map.bind(
                config["SERVER_NAME"],
                script_name=config["APPLICATION_ROOT"],
                url_scheme=config["PREFERRED_URL_SCHEME"],
            )
        return None

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Let the ``url_defaults`` functions of the app and of the endpoint's
        blueprints fill in ``values``."""
        if not self.url_default_functions:
            return
        names: t.Iterable[str | None] = (None,)
        if "." in endpoint:
            names = chain(names, reversed(_split_blueprint_path(endpoint.rpartition(".")[0])))
        for name in names:
            functions = self.url_default_functions.get(name)
            if functions:
                for func in functions:
                    func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        """Ask :attr:`url_build_error_handlers` for a URL; re-raise when none gives one."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                # The handler may raise a more specific error; keep it.
                error = e
            else:
                if rv is not None:
                    return rv
        if error is sys.exc_info()[1]:
            raise
        raise error

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """Build the URL of ``endpoint`` with ``values``; see :func:`flask.url_for`."""
        req_ctx = _cv_request.get(None)
        if req_ctx is not None:
            url_adapter = req_ctx.url_adapter
            if endpoint[:1] == ".":
                blueprint_name = req_ctx.request.blueprint
                endpoint = f"{blueprint_name}{endpoint}" if blueprint_name else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
        else:
            app_ctx = _cv_app.get(None)
            if app_ctx is not None:
                url_adapter = app_ctx.url_adapter
            else:
                url_adapter = self.create_url_adapter(None)
            if url_adapter is None:
                raise RuntimeError(
                    "Unable to build URLs outside an active request without"
                    " 'SERVER_NAME' configured. Also configure 'APPLICATION_ROOT' and"
                    " 'PREFERRED_URL_SCHEME' as needed."
                )
            if _external is None:
                _external = True

        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")

        self.inject_url_defaults(endpoint, values)
        try:
            rv = self._built_urls.build(
                url_adapter,  # type: ignore[arg-type]
                endpoint,
                values,
                _method,
                _scheme,
                _external,
            )
        except BuildError as error:
            values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
            return self.handle_url_build_error(error, endpoint, values)

        if _anchor is not None:
            rv = f"{rv}#{_url_quote(_anchor, safe=_ANCHOR_SAFE)}"
        return rv

    def redirect(self, location: str, code: int = 302) -> BaseResponse:
        """A redirect response of :attr:`response_class`; what :func:`flask.redirect` uses."""
        return _wz_redirect(location, code=code, Response=self.response_class)  # type: ignore[arg-type]

    def preprocess_request(self) -> ft.ResponseReturnValue | None:
        """Run the URL value preprocessors, then the ``before_request`` functions.

        A ``before_request`` function that returns a value stops the request:
        the value is the response and the view is not called.
        """
        if not (self.url_value_preprocessors or self.before_request_funcs):
            # Nothing registered (the usual case): skip working out the blueprints.
            return None
        req = _request_ctx().request
        names = (None, *reversed(req.blueprints))
        if self.url_value_preprocessors:
            for name in names:
                functions = self.url_value_preprocessors.get(name)
                if functions:
                    for url_func in functions:
                        url_func(req.endpoint, req.view_args)
        for name in names:
            functions = self.before_request_funcs.get(name)
            if functions:
                for before_func in functions:
                    rv = self._sync(before_func)()
                    if rv is not None:
                        return rv  # type: ignore[no-any-return]
        return None

    def process_response(self, response: Response) -> Response:
        """Run the ``after_this_request`` and ``after_request`` functions, then save the
        session onto the response."""
        ctx = _request_ctx()
        for func in ctx._after_request_functions:
            response = self.ensure_sync(func)(response)
        if self.after_request_funcs:
            for name in chain(ctx.request.blueprints, (None,)):
                functions = self.after_request_funcs.get(name)
                if functions:
                    for func in reversed(functions):
                        response = self._sync(func)(response)

        session_obj = ctx._opened_session
        if session_obj is None:
            if not self._session_cookie_sent(ctx.request):
                # Never opened and nothing to refresh: saving would do nothing.
                return response
            session_obj = ctx.session
        if not self.session_interface.is_null_session(session_obj):
            self.session_interface.save_session(self, session_obj, response)
        return response

    def _open_session_lazily(self) -> bool:
        """Whether the session can wait until first use.

        True for the built-in cookie session, whose opening has no side effects
        and whose saving of an untouched session only matters when the client
        sent the cookie. A custom interface is opened when the request starts,
        as it may rely on that.
        """
        interface = type(self.session_interface)
        return (
            interface.open_session is SecureCookieSessionInterface.open_session
            and interface.save_session is SecureCookieSessionInterface.save_session
        )

    def _open_session(self, request: Request) -> SessionMixin:
        interface = self.session_interface
        session_obj = interface.open_session(self, request)
        if session_obj is None:
            session_obj = interface.make_null_session(self)
        return session_obj

    def _session_cookie_sent(self, request: Request) -> bool:
        return (
            _environ_has(request.environ, "HTTP_COOKIE")
            and self.session_interface.get_cookie_name(self) in request.cookies
        )

    def do_teardown_request(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Call the ``teardown_request`` functions, innermost blueprint first."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        if self.teardown_request_funcs:
            for name in chain(_request_ctx().request.blueprints, (None,)):
                functions = self.teardown_request_funcs.get(name)
                if functions:
                    for func in reversed(functions):
                        self._sync(func)(exc)
        if request_tearing_down.receivers:
            request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    def do_teardown_appcontext(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Call the ``teardown_appcontext`` functions, last registered first."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        for func in reversed(self.teardown_appcontext_funcs):
            self._sync(func)(exc)
        if appcontext_tearing_down.receivers:
            appcontext_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    def app_context(self) -> AppContext:
        """A new application context; use it as ``with app.app_context():``."""
        return AppContext(self)

    def request_context(self, environ: dict[str, t.Any]) -> RequestContext:
        """A new request context for the WSGI ``environ``."""
        return RequestContext(self, environ)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context for a request built from werkzeug's ``EnvironBuilder``
        arguments (path, method, data, headers, …), with the app's defaults."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def wsgi_app(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> cabc.Iterable[bytes]:
        """The WSGI application itself; :meth:`__call__` forwards here so that
        middleware can wrap it: ``app.wsgi_app = Middleware(app.wsgi_app)``."""
        ctx = self.request_context(environ)
        error: BaseException | None = None
        try:
            try:
                ctx.push()
                response = self.full_dispatch_request()
            except Exception as e:
                error = e
                response = self.handle_exception(e)
            except:  # noqa: E722
                error = sys.exc_info()[1]
                raise
            return response(environ, start_response)
        finally:
            # The test client keeps the contexts of the last request alive.
            preserve = _environ_get(ctx.request.environ, "werkzeug.debug.preserve_context")
            if preserve is not None:
                preserve(_cv_app.get())
                preserve(_cv_request.get())
            handled = error is None
            if error is not None and self.should_ignore_error(error):
                error = None
            ctx.pop(error)
            if handled and ctx.request.routing_exception is not None:
                _drop_tracebacks(ctx.request.routing_exception)

    def __call__(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> cabc.Iterable[bytes]:
        return self.wsgi_app(environ, start_response)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
