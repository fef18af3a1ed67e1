"""Helpers that act on the active application or request: URLs, redirects,
aborting, flashed messages, streaming, sending files, and a few environment
and path utilities used across the runtime.

Everything that needs the application reaches it through the context globals,
so these functions work the same inside views, templates and CLI commands.
This module must not import ``.app`` or ``.scaffold`` at import time: the
scaffold imports :func:`get_root_path` from here.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import typing as t
from functools import cache
from functools import update_wrapper

import werkzeug.utils
from werkzeug.exceptions import abort as _wz_abort
from werkzeug.utils import redirect as _wz_redirect

from .globals import _cv_app
from .globals import _cv_request
from .globals import current_app
from .globals import request
from .globals import request_ctx
from .globals import session
from .signals import message_flashed

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.wrappers import Response as BaseResponse

    from .wrappers import Response

_FALSE_WORDS = frozenset(("0", "false", "no"))


def get_debug_flag() -> bool:
    """Whether ``FLASK_DEBUG`` asks for debug mode (unset, empty, ``0``,
    ``false`` and ``no`` mean no)."""
    value = os.environ.get("FLASK_DEBUG")
    return bool(value and value.lower() not in _FALSE_WORDS)


def get_load_dotenv(default: bool = True) -> bool:
    """Whether ``.env`` files should be loaded: ``default`` unless
    ``FLASK_SKIP_DOTENV`` is set, in which case a false-ish value means load."""
    value = os.environ.get("FLASK_SKIP_DOTENV")
    if not value:
        return default
    return value.lower() in _FALSE_WORDS


def stream_with_context(
    generator_or_function: t.Iterable[t.AnyStr] | t.Callable[..., t.Iterable[t.AnyStr]],
) -> t.Iterator[t.AnyStr] | t.Callable[..., t.Iterator[t.AnyStr]]:
    """Keep the current request (and its app) context available while a
    streamed response body is produced.

    Pass an iterable, or decorate a generator function. The contexts are
    captured now, while the view runs, and pushed again around the iteration,
    which happens after the view has returned and the request was torn down.
    """
    try:
        inner = iter(generator_or_function)  # type: ignore[arg-type]
    except TypeError:
        function = t.cast(t.Callable[..., t.Iterable[t.AnyStr]], generator_or_function)

        def call_and_wrap(*args: t.Any, **kwargs: t.Any) -> t.Iterator[t.AnyStr]:
            return stream_with_context(function(*args, **kwargs))  # type: ignore[return-value]

        return update_wrapper(call_and_wrap, function)

    def wrapped() -> t.Iterator[t.AnyStr]:
        req_ctx = _cv_request.get(None)
        if req_ctx is None:
            raise RuntimeError(
                "'stream_with_context' needs an active request context;"
                " call it while handling a request, for example inside a view."
            )
        app_ctx = _cv_app.get()
        # Stop here until iteration starts. The contexts are pushed only then,
        # so their ContextVar tokens belong to the context that iterates (an
        # async view runs in a different one).
        yield None  # type: ignore[misc]
        # The app context goes first so the request context reuses it.
        with app_ctx, req_ctx:
            try:
                yield from inner
            finally:
                # The wrapped iterable may be a WSGI body that needs closing.
                close = getattr(inner, "close", None)
                if close is not None:
                    close()

    gen = wrapped()
    next(gen)  # capture the contexts (or raise) now, not at first iteration
    return gen


def make_response(*args: t.Any) -> Response:
    """Turn a view's return value into a response object, so headers can be
    added before returning it. Takes the same values a view may return: no
    arguments gives an empty response, several arguments are a tuple."""
    if not args:
        return current_app.response_class()
    return current_app.make_response(args[0] if len(args) == 1 else args)


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """Build a URL for ``endpoint`` with the current app; see ``Flask.url_for``."""
    return current_app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def redirect(
    location: str, code: int = 302, Response: type[BaseResponse] | None = None
) -> BaseResponse:
    """Return a redirect response. Inside an app context the app's
    ``redirect`` method decides (and ``Response`` is ignored)."""
    app_ctx = _cv_app.get(None)
    if app_ctx is not None:
        return app_ctx.app.redirect(location, code=code)
    return _wz_redirect(location, code=code, Response=Response)


def abort(code: int | BaseResponse, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the HTTP exception for ``code``, using the app's ``aborter`` when
    an app context is active so app-registered codes are known."""
    app_ctx = _cv_app.get(None)
    if app_ctx is not None:
        app_ctx.app.aborter(code, *args, **kwargs)
    _wz_abort(code, *args, **kwargs)


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """Return a macro or variable exported by a template, e.g. to call a
    macro from Python code."""
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)


def flash(message: str, category: str = "message") -> None:
    """Store a message in the session for the next request to show.

    Sends :data:`message_flashed`.
    """
    # Reassign instead of appending in place so the session notices the change.
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    message_flashed.send(app, _async_wrapper=app.ensure_sync, message=message, category=category)


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """Take the flashed messages out of the session and return them.

    The first call in a request removes them from the session; later calls in
    the same request return the same messages. With ``with_categories`` the
    items are ``(category, message)`` pairs; ``category_filter`` keeps only the
    listed categories.
    """
    flashes = request_ctx.flashes
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        request_ctx.flashes = flashes
    if category_filter:
        flashes = [item for item in flashes if item[0] in category_filter]
    if with_categories:
        return flashes
    return [item[1] for item in flashes]


def _prepare_send_file_kwargs(**kwargs: t.Any) -> dict[str, t.Any]:
    app = current_app
    if kwargs.get("max_age") is None:
        kwargs["max_age"] = app.get_send_file_max_age
    kwargs["environ"] = request.environ
    kwargs["use_x_sendfile"] = app.config["USE_X_SENDFILE"]
    kwargs["response_class"] = app.response_class
    kwargs["_root_path"] = app.root_path
    return kwargs


def send_file(
    path_or_file: os.PathLike[t.AnyStr] | str | t.IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: t.Any = None,
    max_age: int | t.Callable[[str | None], int | None] | None = None,
) -> Response:
    """Send a file (a path relative to the app's root, or a binary file
    object) to the client, with werkzeug's ``send_file`` and the app's
    settings. ``max_age`` defaults to ``app.get_send_file_max_age``."""
    return werkzeug.utils.send_file(  # type: ignore[return-value]
        **_prepare_send_file_kwargs(
            path_or_file=path_or_file,
            mimetype=mimetype,
            as_attachment=as_attachment,
            download_name=download_name,
            conditional=conditional,
            etag=etag,
            last_modified=last_modified,
            max_age=max_age,
        )
    )


def send_from_directory(
    directory: os.PathLike[str] | str, path: os.PathLike[str] | str, **kwargs: t.Any
) -> Response:
    """Send ``path`` from inside ``directory`` safely: a path that would leave
    the directory gives a 404. Other arguments go to :func:`send_file`."""
    return werkzeug.utils.send_from_directory(  # type: ignore[return-value]
        directory, path, **_prepare_send_file_kwargs(**kwargs)
    )


def get_root_path(import_name: str) -> str:
    """Return the folder of the module or package ``import_name``.

    Falls back to the working directory when the module cannot be found (e.g.
    an interactive ``__main__``). Raises ``RuntimeError`` when the module has
    no file, such as a namespace package, because then the root path must be
    given explicitly.
    """
    module = sys.modules.get(import_name)
    filename = getattr(module, "__file__", None)
    if filename is not None:
        return os.path.dirname(os.path.abspath(filename))

    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    loader = spec.loader if spec is not None else None
    if loader is None:
        return os.getcwd()

    if hasattr(loader, "get_filename"):
        filename = loader.get_filename(import_name)
    else:
        # No file information from the loader: import and ask the module.
        __import__(import_name)
        filename = getattr(sys.modules[import_name], "__file__", None)
        if filename is None:
            raise RuntimeError(
                f"Cannot find a root path for module {import_name!r}: it has no file"
                " name (an import hook without file information, or a namespace"
                " package). Pass the root path explicitly."
            )
    return os.path.dirname(os.path.abspath(filename))


@cache
def _split_blueprint_path(name: str) -> list[str]:
    """``"a.b.c"`` -> ``["a.b.c", "a.b", "a"]``: a nested blueprint's name
    followed by its parents' names, innermost first."""
    parts = [name]
    while "." in name:
        name = name.rpartition(".")[0]
        parts.append(name)
    return parts
