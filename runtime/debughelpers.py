"""Errors and log messages that explain common mistakes in debug mode.

The runtime raises these instead of a bare ``KeyError`` or a silent redirect
when a form posts files without the right enctype, or when routing redirects
a form submission; the template loader logs every loader it tried when
``EXPLAIN_TEMPLATE_LOADING`` is on.
"""

from __future__ import annotations

import typing as t

from jinja2.loaders import BaseLoader
from werkzeug.routing import RequestRedirect

from .globals import _cv_request

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Flask
    from .wrappers import Request


class UnexpectedUnicodeError(AssertionError, UnicodeError):
    """Raised in debug mode where bytes were expected and text arrived."""


class DebugFilesKeyError(KeyError, AssertionError):
    """A missing ``request.files`` key whose name was posted as a form field.

    That happens when an HTML form has file inputs but no
    ``enctype="multipart/form-data"``: the browser sends the file names only.
    """

    def __init__(self, request: Request, key: str) -> None:
        lines = [
            f"You tried to access the file {key!r} in request.files, but it is not there."
            f" The request's mimetype is {request.mimetype!r}, not"
            " 'multipart/form-data', so no file contents were transmitted."
            ' Add enctype="multipart/form-data" to the HTML form to send the files.'
        ]
        submitted = request.form.getlist(key)
        if submitted:
            names = ", ".join(repr(name) for name in submitted)
            lines.append(
                "The browser sent the file names as form fields instead."
                f" This was submitted: {names}"
            )
        self.msg = "\n\n".join(lines)
        super().__init__(self.msg)

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):
    """Raised in debug mode when routing would redirect a request that has a body.

    Browsers drop the body of a form submission when they follow a 301 or
    302 redirect, so the data would silently be lost.
    """

    def __init__(self, request: Request) -> None:
        exc = request.routing_exception
        assert isinstance(exc, RequestRedirect)
        message = (
            f"A request was sent to '{request.url}', but routing issued a redirect"
            f" to the canonical URL '{exc.new_url}'."
        )
        if exc.new_url.partition("?")[0] == f"{request.base_url}/":
            message += (
                " The rule for this URL ends with a slash, so a request without the"
                " trailing slash is redirected to the URL with it."
            )
        message += (
            " Send the form to the canonical URL, or have routing redirect with a 307"
            " or 308 code, which keep the request body. Otherwise the browser drops"
            " the form data.\n\nThis check only runs in debug mode."
        )
        super().__init__(message)


def attach_enctype_error_multidict(request: Request) -> None:
    """Make a missing ``request.files`` key that was posted as a form field
    raise :class:`DebugFilesKeyError` instead of a plain ``KeyError``.
    """
    files_class = request.files.__class__

    class ExplainingFiles(files_class):  # type: ignore[valid-type, misc]
        def __getitem__(self, key: str) -> t.Any:
            try:
                return super().__getitem__(key)
            except KeyError as e:
                if key not in request.form:
                    raise
                raise DebugFilesKeyError(request, key).with_traceback(e.__traceback__) from None

    ExplainingFiles.__name__ = files_class.__name__
    ExplainingFiles.__qualname__ = files_class.__qualname__
    ExplainingFiles.__module__ = files_class.__module__
    request.files.__class__ = ExplainingFiles


def _describe_loader(loader: BaseLoader) -> t.Iterator[str]:
    """Yield lines naming the loader's class and its simple public settings."""
    cls = type(loader)
    yield f"class: {cls.__module__}.{cls.__name__}"
    for key, value in sorted(vars(loader).items()):
        if key.startswith("_"):
            continue
        if isinstance(value, (tuple, list)):
            if all(isinstance(item, str) for item in value):
                yield f"{key}:"
                yield from (f"  - {item}" for item in value)
        elif isinstance(value, (str, int, float, bool)):
            yield f"{key}: {value!r}"


def _describe_source(source: t.Any) -> str:
    from .app import Flask
    from .blueprints import Blueprint

    if isinstance(source, Flask):
        return f"application {source.import_name!r}"
    if isinstance(source, Blueprint):
        return f"blueprint {source.name!r} ({source.import_name})"
    return repr(source)


def explain_template_loading_attempts(
    app: Flask,
    template: str,
    attempts: list[tuple[BaseLoader, t.Any, tuple[str, str | None, t.Any] | None]],
) -> None:
    """Log, at INFO on ``app.logger``, which loaders were asked for ``template``.

    ``attempts`` holds ``(loader, owner, result)`` for each loader tried, in
    order; ``owner`` is the app or blueprint the loader belongs to and
    ``result`` is what ``get_source`` returned, or ``None`` if it did not find
    the template.
    """
    lines = [f"Locating template {template!r}:"]
    found = 0
    for number, (loader, owner, result) in enumerate(attempts, start=1):
        lines.append(f"{number:5}: trying loader of {_describe_source(owner)}")
        lines.extend(f"       {line}" for line in _describe_loader(loader))
        if result is None:
            outcome = "no match"
        else:
            found += 1
            outcome = f"found ({result[1] or '<string>'!r})"
        lines.append(f"       -> {outcome}")

    if found == 0:
        lines.append("Error: the template could not be found.")
    elif found > 1:
        lines.append("Warning: multiple loaders returned a match for the template.")

    ctx = _cv_request.get(None)
    blueprint = ctx.request.blueprint if ctx is not None else None
    if blueprint is not None and found != 1:
        lines.append(
            "  The template was looked up from an endpoint that belongs to the"
            f" blueprint {blueprint!r}."
        )
        lines.append("  Maybe you did not place a template in the right folder?")
        lines.append("  See https://flask.palletsprojects.com/blueprints/#templates")

    app.logger.info("\n".join(lines))
