"""The ``flask`` command line: finding the app, the ``run``/``shell``/``routes`` commands.

:class:`ScriptInfo` finds and loads the application lazily (``--app``, ``FLASK_APP``,
``wsgi.py`` or ``app.py``); :class:`FlaskGroup` is the click group that adds the
app's own ``app.cli`` commands and ``flask.commands`` plugins to the built-in
ones. ``app.py`` and ``blueprints.py`` import :class:`AppGroup` from here, so this
module imports ``.app`` only inside functions.
"""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import os
import platform
import re
import sys
import traceback
import typing as t
from functools import update_wrapper
from operator import itemgetter
from types import ModuleType

import click
from click.core import ParameterSource
from werkzeug.serving import is_running_from_reloader
from werkzeug.serving import run_simple
from werkzeug.utils import import_string

from .distribution import FLASK_API_VERSION
from .distribution import sitec_version
from .globals import current_app
from .helpers import get_debug_flag
from .helpers import get_load_dotenv

if t.TYPE_CHECKING:  # pragma: no cover
    import ssl

    from .app import Flask

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class NoAppException(click.UsageError):
    """The application could not be found or loaded.

    A :class:`click.UsageError`, so the command line prints one line of advice
    instead of a traceback.
    """


def _flask_class() -> type[Flask]:
    from .app import Flask

    return Flask


def find_best_app(module: t.Any) -> Flask:
    """Find the one application in ``module``.

    Looks at ``app`` and ``application`` first, then for a single Flask instance
    anywhere in the module, then calls a ``create_app`` or ``make_app`` factory
    without arguments.
    """
    flask_cls = _flask_class()
    name = module.__name__

    for attr_name in ("app", "application"):
        app = getattr(module, attr_name, None)
        if isinstance(app, flask_cls):
            return app

    found = [value for value in vars(module).values() if isinstance(value, flask_cls)]
    if len(found) == 1:
        return found[0]
    if found:
        raise NoAppException(
            f"Found more than one Flask application in module '{name}'."
            f" Pick one with '{name}:name'."
        )

    for attr_name in ("create_app", "make_app"):
        factory = getattr(module, attr_name, None)
        if not inspect.isfunction(factory):
            continue
        try:
            app = factory()
        except TypeError as e:
            if not _called_with_wrong_args(factory):
                raise
            raise NoAppException(
                f"Found the factory '{attr_name}' in module '{name}', but it cannot be"
                f" called without arguments. Pass them with '{name}:{attr_name}(args)'."
            ) from e
        if isinstance(app, flask_cls):
            return app

    raise NoAppException(
        f"Found no Flask application or factory in module '{name}'. Name one with '{name}:name'."
    )


def _called_with_wrong_args(f: t.Callable[..., t.Any]) -> bool:
    """Tell whether the ``TypeError`` being handled came from calling ``f`` itself.

    If the traceback never entered ``f``'s code, the call failed on its
    arguments; otherwise the error was raised inside the factory and is the
    user's bug, which must not be hidden.
    """
    tb = sys.exc_info()[2]
    try:
        while tb is not None:
            if tb.tb_frame.f_code is f.__code__:
                return False
            tb = tb.tb_next
        return True
    finally:
        # A traceback refers to frames that refer back to it; break the cycle.
        del tb


def find_app_by_string(module: ModuleType, app_name: str) -> Flask:
    """Resolve ``app_name`` in ``module``: an attribute name, or a call of one
    with literal arguments such as ``create_app("dev", debug=True)``.
    """
    flask_cls = _flask_class()
    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(
            f"Cannot read {app_name!r} as an attribute name or a function call."
        ) from None

    args: list[t.Any] = []
    kwargs: dict[str, t.Any] = {}
    if isinstance(expr, ast.Name):
        name = expr.id
    elif isinstance(expr, ast.Call):
        if not isinstance(expr.func, ast.Name):
            raise NoAppException(f"The function to call must be a plain name: {app_name!r}.")
        name = expr.func.id
        try:
            args = [ast.literal_eval(arg) for arg in expr.args]
            kwargs = {
                kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg is not None
            }
        except ValueError:
            raise NoAppException(
                f"The arguments in {app_name!r} must be Python literals."
            ) from None
    else:
        raise NoAppException(f"Cannot read {app_name!r} as an attribute name or a function call.")

    try:
        attr = getattr(module, name)
    except AttributeError as e:
        raise NoAppException(f"Module {module.__name__!r} has no attribute {name!r}.") from e

    if inspect.isfunction(attr):
        try:
            app = attr(*args, **kwargs)
        except TypeError as e:
            if not _called_with_wrong_args(attr):
                raise
            raise NoAppException(
                f"The factory {app_name!r} in module {module.__name__!r} does not accept"
                " the given arguments."
            ) from e
    else:
        app = attr

    if isinstance(app, flask_cls):
        return app
    raise NoAppException(f"'{module.__name__}:{app_name}' did not give a Flask application.")


def prepare_import(path: str | os.PathLike[str]) -> str:
    """Turn a file or module path into an importable dotted name.

    Walks up through the directories that hold an ``__init__.py`` and puts the
    first directory outside the package on ``sys.path``.
    """
    folder, name = import_location(path)
    if sys.path[0] != folder:
        sys.path.insert(0, folder)
    return name


def split_app_path(app: str) -> tuple[str, str | None]:
    """``--app``'s ``"module:name"`` as ``(module, name)``, ``name`` ``None`` without
    one; never split on a Windows drive (``C:\\...``)."""
    path, *rest = re.split(r":(?![\\/])", app, maxsplit=1)
    return path, rest[0] if rest else None


def import_location(path: str | os.PathLike[str]) -> tuple[str, str]:
    """The folder a file or module path is imported from, and its dotted name there:
    ``pkg/sub/mod.py`` in a package ``pkg`` is ``mod`` of ``pkg.sub``, imported as
    ``pkg.sub.mod`` from the folder holding ``pkg``."""
    path = os.path.realpath(path)
    stem, ext = os.path.splitext(path)
    if ext == ".py":
        path = stem
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)

    parts: list[str] = []
    while True:
        path, part = os.path.split(path)
        parts.append(part)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    return path, ".".join(reversed(parts))


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> Flask: ...


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[False] = ...
) -> Flask | None: ...


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> Flask | None:
    """Import ``module_name`` and find the application in it.

    An ``ImportError`` raised while running the module's code is reported with
    its traceback; a module that does not exist gives ``None`` when
    ``raise_if_not_found`` is false.
    """
    try:
        __import__(module_name)
    except ImportError:
        # The import machinery hides its own frames, so a traceback deeper than
        # this frame means the module was found and its code failed.
        if sys.exc_info()[2].tb_next:  # type: ignore[union-attr]
            raise NoAppException(
                f"Importing {module_name!r} raised an ImportError:\n\n{traceback.format_exc()}"
            ) from None
        if raise_if_not_found:
            raise NoAppException(f"Could not import {module_name!r}.") from None
        return None

    module = sys.modules[module_name]
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def get_version(ctx: click.Context, param: click.Parameter, value: t.Any) -> None:
    """The ``--version`` callback: print the versions that matter and exit."""
    if not value or ctx.resilient_parsing:
        return
    sitec = sitec_version() or "not installed"
    click.echo(
        f"Python {platform.python_version()}\n"
        f"Flask {FLASK_API_VERSION} (the API of sitec.runtime, sitec {sitec})\n"
        f"Werkzeug {importlib.metadata.version('werkzeug')}",
        color=ctx.color,
    )
    ctx.exit()


version_option = click.Option(
    ["--version"],
    help="Print the Python, Flask API (sitec.runtime) and Werkzeug versions, then exit.",
    expose_value=False,
    callback=get_version,
    is_flag=True,
    is_eager=True,
)


class ScriptInfo:
    """What a command needs to load the application, passed as the click context's ``obj``.

    Built by :class:`FlaskGroup`; commands reach it with :func:`pass_script_info`
    and call :meth:`load_app`. ``data`` is free for extensions to keep state in.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., Flask] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        #: Where to import the app from (``module``, ``module:name``, a file path).
        self.app_import_path = app_import_path
        #: A factory that returns the app; it wins over ``app_import_path``.
        self.create_app = create_app
        #: Arbitrary data kept for the duration of the command.
        self.data: dict[t.Any, t.Any] = {}
        self.set_debug_flag = set_debug_flag
        #: Whether ``.flaskenv`` and ``.env`` are loaded; ``FLASK_SKIP_DOTENV``
        #: turns it off.
        self.load_dotenv_defaults = get_load_dotenv(load_dotenv_defaults)
        self._loaded_app: Flask | None = None

    def load_app(self) -> Flask:
        """Load the application once and return it on every later call."""
        if self._loaded_app is not None:
            return self._loaded_app

        app: Flask | None
        if self.create_app is not None:
            app = self.create_app()
        elif self.app_import_path:
            path, name = split_app_path(self.app_import_path)
            app = locate_app(prepare_import(path), name)
        else:
            app = None
            for filename in ("wsgi.py", "app.py"):
                app = locate_app(prepare_import(filename), None, raise_if_not_found=False)
                if app is not None:
                    break

        if app is None:
            raise NoAppException(
                "Could not locate a Flask application. Name it with the '--app' option or"
                " the 'FLASK_APP' environment variable, or put a 'wsgi.py' or 'app.py'"
                " file in the current directory."
            )

        if self.set_debug_flag:
            # Set here rather than by the app so a factory sees the CLI's choice too.
            app.debug = get_debug_flag()

        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: F) -> F:
    """Run a click command callback inside the application's context.

    The app is loaded through the context's :class:`ScriptInfo` unless an app
    context is already active. Commands registered through :class:`AppGroup`
    (``app.cli``, ``blueprint.cli``) get this automatically.
    """

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if not current_app:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return update_wrapper(decorator, f)  # type: ignore[return-value]


class AppGroup(click.Group):
    """A click group whose commands run in the app context by default.

    Pass ``with_appcontext=False`` to :meth:`command` to opt out; :meth:`group`
    makes nested groups of this class.
    """

    def command(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Any:
        """Like :meth:`click.Group.command`, wrapping the callback in
        :func:`with_appcontext` unless ``with_appcontext=False`` is given.
        """
        if len(args) == 1 and not kwargs and callable(args[0]):
            # Used bare, as ``@app.cli.command``.
            return self.command()(args[0])

        wrap = kwargs.pop("with_appcontext", True)

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap:
                f = with_appcontext(f)
            return super(AppGroup, self).command(*args, **kwargs)(f)

        return decorator

    def group(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Any:
        """Like :meth:`click.Group.group`, with :class:`AppGroup` as the default class."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            return self.group()(args[0])
        kwargs.setdefault("cls", AppGroup)
        return super().group(*args, **kwargs)


def _set_app(ctx: click.Context, param: click.Option, value: str | None) -> str | None:
    if value is None:
        return None
    ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


# Eager, so the app path is known before any command (or --help) loads the app.
_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    help=(
        "The application to load: 'module', 'module:name' or 'module:factory(args)',"
        " or a path to a Python file. Without it, FLASK_APP is used, then wsgi.py"
        " or app.py in the current directory."
    ),
    is_eager=True,
    expose_value=False,
    callback=_set_app,
)


def _set_debug(ctx: click.Context, param: click.Option, value: bool) -> bool | None:
    # An absent flag defaults to False; leave FLASK_DEBUG alone in that case.
    source = ctx.get_parameter_source(param.name)  # type: ignore[arg-type]
    if source is not None and source in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
        return None
    # Through the environment, so an app factory can read it while loading.
    os.environ["FLASK_DEBUG"] = "1" if value else "0"
    return value


_debug_option = click.Option(
    ["--debug/--no-debug"],
    help="Turn debug mode on or off.",
    expose_value=False,
    callback=_set_debug,
)


def _env_file_callback(ctx: click.Context, param: click.Option, value: str | None) -> str | None:
    try:
        import dotenv  # noqa: F401
    except ImportError:
        # Without a file given, still call load_dotenv so it can print its tip.
        if value is not None:
            raise click.BadParameter(
                "Loading an env file needs python-dotenv; install it.",
                ctx=ctx,
                param=param,
            ) from None

    if value is not None or ctx.obj.load_dotenv_defaults:
        load_dotenv(value, load_defaults=ctx.obj.load_dotenv_defaults)
    return value


# Eager, and declared before --app, so the file can set FLASK_APP.
_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    help=(
        "Load environment variables from this file, on top of .env and .flaskenv."
        " Variables already set are kept. Needs python-dotenv."
    ),
    is_eager=True,
    expose_value=False,
    callback=_env_file_callback,
)


class FlaskGroup(AppGroup):
    """The ``flask`` command group: the built-in commands plus the app's own.

    :param add_default_commands: add ``run``, ``shell`` and ``routes``.
    :param create_app: a factory that returns the app, instead of importing it.
    :param add_version_option: add ``--version``.
    :param load_dotenv: load ``.flaskenv`` and ``.env`` from the working directory upward.
    :param set_debug_flag: set ``app.debug`` from ``FLASK_DEBUG`` once the app is loaded.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., Flask] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params: list[click.Parameter] = list(extra.pop("params", None) or ())
        # Options with callbacks rather than a group callback, so a user's own
        # group callback keeps the behaviour.
        params.extend((_env_file_option, _app_option, _debug_option))
        if add_version_option:
            params.append(version_option)

        extra.setdefault("context_settings", {})
        extra["context_settings"].setdefault("auto_envvar_prefix", "FLASK")
        super().__init__(params=params, **extra)

        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag

        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)

        self._loaded_plugin_commands = False

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        for ep in importlib.metadata.entry_points(group="flask.commands"):
            self.add_command(ep.load(), ep.name)
        self._loaded_plugin_commands = True

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._load_plugin_commands()
        # Built-in and plugin commands work even when the app does not load.
        rv = super().get_command(ctx, name)
        if rv is not None:
            return rv

        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
            return None

        # Make the app context available to parameter callbacks as well as the
        # command, unless this app's context is already active.
        if not current_app or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
            ctx.with_resource(app.app_context())
        return app.cli.get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        rv = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            rv.update(info.load_app().cli.list_commands(ctx))
        except NoAppException as e:
            # A user mistake: the message is enough.
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        except Exception:
            # A bug while loading: show where, but still list the built-ins.
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(rv)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        # Tells app.run() not to start a second server when a module calls it at
        # import time, outside an ``if __name__ == "__main__"`` guard.
        os.environ["FLASK_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            # Help is printed while parsing, before the eager options would run;
            # apply the env file and --app (from the environment) first so the
            # app's commands are listed.
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


def _path_is_ancestor(path: str, other: str) -> bool:
    """Whether ``other`` is ``path`` or inside it (both absolute and normalised)."""
    return os.path.join(path, other[len(path) :].lstrip(os.sep)) == other


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Load environment variables from dotenv files; variables already set win.

    With ``load_defaults``, the nearest ``.flaskenv`` and ``.env`` are found
    from the working directory upward; ``.env`` wins over ``.flaskenv`` and
    ``path`` wins over both. Returns whether any variable was read. Without
    python-dotenv nothing is loaded, and a tip is printed if files are present.
    """
    try:
        import dotenv
    except ImportError:
        if path or os.path.isfile(".env") or os.path.isfile(".flaskenv"):
            click.secho(
                " * Tip: found .env files; install python-dotenv to load them.",
                fg="yellow",
                err=True,
            )
        return False

    data: dict[str, str | None] = {}
    if load_defaults:
        for name in (".flaskenv", ".env"):
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                data.update(dotenv.dotenv_values(found, encoding="utf-8"))

    if path is not None and os.path.isfile(path):
        data.update(dotenv.dotenv_values(path, encoding="utf-8"))

    for key, value in data.items():
        if value is not None and key not in os.environ:
            os.environ[key] = value

    return bool(data)


def show_server_banner(debug: bool | None, app_import_path: str | None) -> None:
    """Print which app is served and whether debug mode is on (once, not per reload)."""
    if is_running_from_reloader():
        return
    if app_import_path is not None:
        click.echo(f" * Serving Flask app '{app_import_path}'")
    if debug is not None:
        click.echo(f" * Debug mode: {'on' if debug else 'off'}")


class CertParamType(click.ParamType):
    """The ``--cert`` value: a certificate file, ``adhoc``, or the import
    path of an :class:`ssl.SSLContext`.
    """

    name = "path"

    def __init__(self) -> None:
        self.path_type = click.Path(exists=True, dir_okay=False, resolve_path=True)

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        try:
            import ssl
        except ImportError:
            raise click.BadParameter(
                "'--cert' needs a Python built with SSL support.", ctx, param
            ) from None

        try:
            return self.path_type(value, param, ctx)
        except click.BadParameter:
            value = click.STRING(value, param, ctx).lower()
            if value == "adhoc":
                try:
                    import cryptography  # noqa: F401
                except ImportError:
                    raise click.BadParameter(
                        "Ad-hoc certificates need the 'cryptography' package; install it.",
                        ctx,
                        param,
                    ) from None
                return value

            obj = import_string(value, silent=True)
            if isinstance(obj, ssl.SSLContext):
                return obj
            raise


def _validate_key(ctx: click.Context, param: click.Parameter, value: t.Any) -> t.Any:
    """Check ``--key`` against ``--cert`` and fold both into ``cert`` as a pair."""
    cert = ctx.params.get("cert")
    is_adhoc = cert == "adhoc"
    try:
        import ssl
    except ImportError:
        is_context = False
    else:
        is_context = isinstance(cert, ssl.SSLContext)

    if value is not None:
        if is_adhoc:
            raise click.BadParameter("'--key' cannot be used with '--cert adhoc'.", ctx, param)
        if is_context:
            raise click.BadParameter(
                "'--key' cannot be used when '--cert' is an SSLContext.", ctx, param
            )
        if not cert:
            raise click.BadParameter("'--key' needs '--cert' as well.", ctx, param)
        ctx.params["cert"] = cert, value
    elif cert and not (is_adhoc or is_context):
        raise click.BadParameter("Required when '--cert' is a file.", ctx, param)
    return value


class SeparatedPathType(click.Path):
    """A list of paths separated by :data:`os.pathsep`, each checked as a :class:`click.Path`."""

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        convert_one = super().convert
        return [convert_one(item, param, ctx) for item in self.split_envvar_value(value)]


@click.command("run", short_help="Run a development server.")
@click.option("--host", "-h", default="127.0.0.1", help="The interface to listen on.")
@click.option("--port", "-p", default=5000, help="The port to listen on.")
@click.option(
    "--cert",
    type=CertParamType(),
    is_eager=True,
    help="Serve HTTPS with this certificate file, 'adhoc', or an SSLContext import path.",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="The private key file for '--cert'.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart the server when code changes. On by default in debug mode.",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    help="Show the interactive debugger on errors. On by default in debug mode.",
)
@click.option(
    "--with-threads/--without-threads",
    default=True,
    help="Handle each request in its own thread.",
)
@click.option(
    "--extra-files",
    default=None,
    type=SeparatedPathType(),
    help=(
        f"More files that make the reloader restart when they change, separated by {os.pathsep!r}."
    ),
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=SeparatedPathType(),
    help=(f"fnmatch patterns of files the reloader ignores, separated by {os.pathsep!r}."),
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: ssl.SSLContext | tuple[str, str | None] | t.Literal["adhoc"] | None,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Run the app on the Werkzeug development server.

    Meant for development only: use a production WSGI server to deploy.
    The reloader and the debugger follow debug mode unless set explicitly.
    """
    try:
        app: t.Any = info.load_app()
    except Exception as e:
        if not is_running_from_reloader():
            raise e from None
        # In the reloader's server process, keep running so a fixed file
        # restarts it: print the error now and raise it on every request.
        traceback.print_exc()
        error = e

        def app(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
            raise error from None

    debug = get_debug_flag()
    if reload is None:
        reload = debug
    if debugger is None:
        debugger = debug

    show_server_banner(debug, info.app_import_path)
    run_simple(
        host,
        port,
        app,
        use_reloader=reload,
        use_debugger=debugger,
        threaded=with_threads,
        ssl_context=cert,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
    )


# ``flask run --debug`` as well as ``flask --debug run``.
run_command.params.insert(0, _debug_option)


@click.command("shell", short_help="Run a Python shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """Start an interactive Python shell with the app context pushed.

    The names from the app's shell context processors are predefined, and
    PYTHONSTARTUP is run first, as the plain interpreter does.
    """
    import code

    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {current_app.import_name}\n"
        f"Instance: {current_app.instance_path}"
    )
    namespace: dict[str, t.Any] = {}

    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            eval(compile(f.read(), startup, "exec"), namespace)

    namespace.update(current_app.make_shell_context())

    # site.py installs this hook to set up readline history and completion.
    interactive_hook = getattr(sys, "__interactivehook__", None)
    if interactive_hook is not None:
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            # The default completer looks at __main__, which is this package's
            # __main__ here, not the shell's namespace.
            readline.set_completer(Completer(namespace).complete)
        interactive_hook()

    code.interact(banner=banner, local=namespace)


@click.command("routes", short_help="Show the app's routes.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    help="Order by this column; 'match' is the order in which URLs are matched.",
)
@click.option("--all-methods", is_flag=True, help="Include HEAD and OPTIONS.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Print a table of every URL rule, its endpoint and its methods."""
    rules = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return

    hidden_methods = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = current_app.url_map.host_matching
    has_domain = any(rule.host if host_matching else rule.subdomain for rule in rules)

    headers = ["Endpoint", "Methods"]
    columns = ["endpoint", "methods"]
    if has_domain:
        headers.append("Host" if host_matching else "Subdomain")
        columns.append("domain")
    headers.append("Rule")
    columns.append("rule")

    rows = []
    for rule in rules:
        row = [rule.endpoint, ", ".join(sorted((rule.methods or set()) - hidden_methods))]
        if has_domain:
            row.append((rule.host if host_matching else rule.subdomain) or "")
        row.append(rule.rule)
        rows.append(row)

    # "match" (and "domain" without a domain column) keeps the url_map order.
    if sort in columns:
        rows.sort(key=itemgetter(columns.index(sort)))

    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join(f"{{{i}:<{width}}}" for i, width in enumerate(widths))
    click.echo(line.format(*headers).rstrip())
    click.echo(line.format(*("-" * width for width in widths)))
    for row in rows:
        click.echo(line.format(*row).rstrip())


cli = FlaskGroup(
    name="flask",
    help="""\
Manage a Flask application (served by sitec.runtime) from the command line.

Say which application to load with the '--app' option or the 'FLASK_APP'
environment variable; otherwise a 'wsgi.py' or 'app.py' file in the current
directory is used.
""",
)


def main() -> None:
    """Run the ``flask`` command line."""
    cli.main()
