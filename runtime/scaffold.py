"""What an application and a blueprint have in common.

:class:`Scaffold` holds the registries that both :class:`~.app.Flask` and
:class:`~.blueprints.Blueprint` fill while the program sets itself up: view
functions, request hooks, error handlers, template context processors and URL
value callbacks, each keyed by scope (``None`` for the object itself). It also
knows where the object lives on disk (root path, static and template folders).
The application reads these registries when it handles a request; a blueprint
copies its own into the application when it is registered.

The module also finds the installation prefix of a package, which the
application uses to choose its default instance folder.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
import typing as t
from collections import defaultdict
from datetime import timedelta
from functools import update_wrapper

from jinja2 import FileSystemLoader
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import default_exceptions
from werkzeug.utils import cached_property

from . import typing as ft
from .globals import current_app
from .helpers import get_root_path
from .helpers import send_from_directory

if t.TYPE_CHECKING:  # pragma: no cover
    from click import Group
    from werkzeug.wrappers import Response as BaseResponse

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
# The decorators' type variables, under the names Flask's ``sansio.scaffold`` gives them.
T_after_request = t.TypeVar("T_after_request", bound=ft.AfterRequestCallable[t.Any])
T_before_request = t.TypeVar("T_before_request", bound=ft.BeforeRequestCallable)
T_error_handler = t.TypeVar("T_error_handler", bound=ft.ErrorHandlerCallable)
T_route = t.TypeVar("T_route", bound=ft.RouteCallable)
T_teardown = t.TypeVar("T_teardown", bound=ft.TeardownCallable)
T_template_context_processor = t.TypeVar(
    "T_template_context_processor", bound=ft.TemplateContextProcessorCallable
)
T_url_defaults = t.TypeVar("T_url_defaults", bound=ft.URLDefaultCallable)
T_url_value_preprocessor = t.TypeVar(
    "T_url_value_preprocessor", bound=ft.URLValuePreprocessorCallable
)

#: A scope name: ``None`` for the object itself, else a dotted blueprint name.
ScopeKey = str | None

_READ_MODES = frozenset(("r", "rt", "rb"))


def setupmethod(f: F) -> F:
    """Guard a registration method against use after setup is over.

    The wrapped method first asks the object (``_check_setup_finished``)
    whether changes may still be made, so a late registration fails loudly
    instead of being silently ignored by code that already copied the state.
    """
    name = f.__name__

    def guarded(self: Scaffold, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._check_setup_finished(name)
        return f(self, *args, **kwargs)

    return t.cast(F, update_wrapper(guarded, f))


class Scaffold:
    """The shared base of :class:`~.app.Flask` and :class:`~.blueprints.Blueprint`.

    :param import_name: The import name of the module or package that
        defines the object; it locates :attr:`root_path`.
    :param static_folder: A folder of static files, relative to
        :attr:`root_path`.
    :param static_url_path: The URL prefix of static files; defaults to
        the static folder's name.
    :param template_folder: A folder of templates, relative to
        :attr:`root_path`.
    :param root_path: The folder the other paths are relative to, for when
        it cannot be found from ``import_name`` (namespace packages).
    """

    cli: Group
    name: str
    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder  # type: ignore[assignment]
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        if root_path is None:
            root_path = get_root_path(self.import_name)
        self.root_path = root_path

        #: Endpoint name -> view function.
        self.view_functions: dict[str, t.Callable[..., t.Any]] = {}
        #: Scope -> status code (``None`` for non-HTTP exceptions) ->
        #: exception class -> handler.
        self.error_handler_spec: dict[
            ScopeKey, dict[int | None, dict[type[Exception], t.Callable[..., t.Any]]]
        ] = defaultdict(lambda: defaultdict(dict))
        self.before_request_funcs: dict[ScopeKey, list[t.Callable[..., t.Any]]] = defaultdict(list)
        self.after_request_funcs: dict[ScopeKey, list[t.Callable[..., t.Any]]] = defaultdict(list)
        self.teardown_request_funcs: dict[ScopeKey, list[t.Callable[..., t.Any]]] = defaultdict(
            list
        )
        self.template_context_processors: dict[ScopeKey, list[t.Callable[[], dict[str, t.Any]]]] = (
            defaultdict(list, {None: []})
        )
        self.url_value_preprocessors: dict[
            ScopeKey, list[t.Callable[[str | None, dict[str, t.Any] | None], None]]
        ] = defaultdict(list)
        self.url_default_functions: dict[
            ScopeKey, list[t.Callable[[str, dict[str, t.Any]], None]]
        ] = defaultdict(list)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        """Raise ``AssertionError`` if setup method ``f_name`` comes too late."""
        raise NotImplementedError

    # -- files ---------------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, or ``None``."""
        if self._static_folder is None:
            return None
        return os.path.join(self.root_path, self._static_folder)

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        """Whether a static folder is set."""
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """The URL prefix static files are served under.

        Without an explicit value it is ``/`` plus the static folder's name.
        """
        if self._static_url_path is not None:
            return self._static_url_path
        folder = self.static_folder
        if folder is None:
            return None
        return f"/{os.path.basename(folder)}".rstrip("/")

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    @cached_property
    def jinja_loader(self) -> FileSystemLoader | None:
        """A loader for :attr:`template_folder`, created on first use."""
        if self.template_folder is None:
            return None
        return FileSystemLoader(os.path.join(self.root_path, self.template_folder))

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """The ``max_age`` for :func:`~.helpers.send_file` when none is given.

        Reads ``SEND_FILE_MAX_AGE_DEFAULT`` from the current app's config, so
        a subclass can override this to vary caching by file.
        """
        value = current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return value  # type: ignore[no-any-return]

    def send_static_file(self, filename: str) -> BaseResponse:
        """The view that serves a file from :attr:`static_folder`."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        # Ask per file, so an override of get_send_file_max_age is honoured.
        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(t.cast(str, self.static_folder), filename, max_age=max_age)

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> t.IO[t.AnyStr]:
        """Open a file relative to :attr:`root_path`, for reading only.

        :param resource: The path of the file, relative to the root path.
        :param mode: ``"r"`` or ``"rt"`` for text, ``"rb"`` for bytes.
        :param encoding: The text encoding; ignored in binary mode.
        """
        if mode not in _READ_MODES:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)  # noqa: SIM115 - the caller closes it
        return open(path, mode, encoding=encoding)  # noqa: SIM115

    # -- routing -------------------------------------------------------------

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[T_route], T_route]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    @setupmethod
    def get(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route`` with ``methods=["GET"]``."""
        return self._method_route("GET", rule, options)

    @setupmethod
    def post(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route`` with ``methods=["POST"]``."""
        return self._method_route("POST", rule, options)

    @setupmethod
    def put(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route`` with ``methods=["PUT"]``."""
        return self._method_route("PUT", rule, options)

    @setupmethod
    def delete(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route`` with ``methods=["DELETE"]``."""
        return self._method_route("DELETE", rule, options)

    @setupmethod
    def patch(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route`` with ``methods=["PATCH"]``."""
        return self._method_route("PATCH", rule, options)

    @setupmethod
    def route(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Decorate a view function to serve ``rule``; see :meth:`add_url_rule`.

        ``endpoint`` defaults to the function's name; other options go to
        :class:`werkzeug.routing.Rule`.
        """

        def decorator(f: T_route) -> T_route:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Register a URL rule and, if given, its view function."""
        raise NotImplementedError

    @setupmethod
    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Decorate the view function of an endpoint whose rule is added
        without one."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    # -- hooks ---------------------------------------------------------------

    @setupmethod
    def before_request(self, f: T_before_request) -> T_before_request:
        """Run ``f`` before each request; a non-``None`` return value ends
        the request with that response."""
        self.before_request_funcs[None].append(f)
        return f

    @setupmethod
    def after_request(self, f: T_after_request) -> T_after_request:
        """Run ``f(response)`` after each request; it returns the response
        to send."""
        self.after_request_funcs[None].append(f)
        return f

    @setupmethod
    def teardown_request(self, f: T_teardown) -> T_teardown:
        """Run ``f(error)`` when the request context is popped, even after
        an unhandled exception."""
        self.teardown_request_funcs[None].append(f)
        return f

    @setupmethod
    def context_processor(self, f: T_template_context_processor) -> T_template_context_processor:
        """Register ``f`` to return extra names for the template context."""
        self.template_context_processors[None].append(f)
        return f

    @setupmethod
    def url_value_preprocessor(self, f: T_url_value_preprocessor) -> T_url_value_preprocessor:
        """Run ``f(endpoint, values)`` on the matched URL values before the
        view is called; it may change ``values`` in place."""
        self.url_value_preprocessors[None].append(f)
        return f

    @setupmethod
    def url_defaults(self, f: T_url_defaults) -> T_url_defaults:
        """Run ``f(endpoint, values)`` when building a URL, to fill in
        values in place."""
        self.url_default_functions[None].append(f)
        return f

    # -- errors --------------------------------------------------------------

    @setupmethod
    def errorhandler(
        self, code_or_exception: type[Exception] | int
    ) -> t.Callable[[T_error_handler], T_error_handler]:
        """Decorate a handler for an HTTP status code or an exception class."""

        def decorator(f: T_error_handler) -> T_error_handler:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(
        self,
        code_or_exception: type[Exception] | int,
        f: t.Callable[..., t.Any],
    ) -> None:
        """Register ``f`` as the handler for a status code or exception class,
        like :meth:`errorhandler` without the decorator."""
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[Exception] | int,
    ) -> tuple[type[Exception], int | None]:
        """Resolve a handler key to its exception class and its status code
        (``None`` for exceptions that are not HTTP errors)."""
        hint = " Handlers can only be registered for Exception classes or HTTP error codes."
        if isinstance(exc_class_or_code, int):
            exc_class = default_exceptions.get(exc_class_or_code)
            if exc_class is None:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP error code."
                    " Use a subclass of HTTPException with that code instead."
                )
        else:
            exc_class = exc_class_or_code

        if isinstance(exc_class, Exception):
            raise TypeError(f"{exc_class!r} is an instance, not a class.{hint}")
        if not (isinstance(exc_class, type) and issubclass(exc_class, Exception)):
            name = getattr(exc_class, "__name__", repr(exc_class))
            raise ValueError(f"'{name}' is not a subclass of Exception.{hint}")
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None


def _endpoint_from_view_func(view_func: t.Callable[..., t.Any] | None) -> str:
    """The default endpoint name of a view: the function's name."""
    assert view_func is not None, "expected view func if endpoint is not provided."
    return view_func.__name__


def _path_is_relative_to(path: pathlib.PurePath, base: str) -> bool:
    """Whether ``path`` lies inside ``base`` (a purely lexical test)."""
    return path.is_relative_to(base)


def _find_package_path(import_name: str) -> str:
    """The folder that contains the top-level package or module of
    ``import_name``, or the working directory if it cannot be found."""
    top_name = import_name.partition(".")[0]
    try:
        top_spec = importlib.util.find_spec(top_name)
    except (ImportError, ValueError):
        # Unimportable, an invalid name, or ``__main__`` without a spec.
        top_spec = None
    if top_spec is None:
        return os.getcwd()

    locations = top_spec.submodule_search_locations
    if not locations:
        # A plain module: its file sits in the folder we want.
        return os.path.dirname(t.cast(str, top_spec.origin))
    if top_spec.origin not in (None, "namespace"):
        # A regular package: go up from ``pkg/__init__.py`` past ``pkg``.
        return os.path.dirname(os.path.dirname(t.cast(str, top_spec.origin)))
    return os.path.dirname(_namespace_location(import_name, list(locations)))


def _namespace_location(import_name: str, locations: list[str]) -> str:
    """Which portion of a namespace package holds ``import_name``.

    A namespace package spreads over several folders; the one that holds
    the requested submodule is the one to use, else the first.
    """
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        return locations[0]
    inner = pathlib.Path(os.path.commonpath(spec.submodule_search_locations))
    for location in locations:
        if _path_is_relative_to(inner, location):
            return location
    return locations[0]


def find_package(import_name: str) -> tuple[str | None, str]:
    """Where the package of ``import_name`` is installed.

    Returns ``(prefix, package_path)``: ``prefix`` is the installation
    prefix (``sys.prefix`` or a virtualenv's root) when the package is
    installed, else ``None``; ``package_path`` is the folder that holds the
    top-level package or module.
    """
    package_path = _find_package_path(import_name)
    prefix = os.path.abspath(sys.prefix)
    if _path_is_relative_to(pathlib.PurePath(package_path), prefix):
        return prefix, package_path

    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() != "site-packages":
        return None, package_path
    # A virtualenv: prefix/lib/site-packages (Windows),
    # prefix/lib/pythonX.Y/site-packages (Unix), or prefix/site-packages.
    parent, folder = os.path.split(site_parent)
    if folder.lower() == "lib":
        return parent, package_path
    if os.path.basename(parent).lower() == "lib":
        return os.path.dirname(parent), package_path
    return site_parent, package_path
