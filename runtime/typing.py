"""Type aliases for what views, hooks and template helpers accept and return.

Flask exports the same names from ``flask.typing``; apps and extensions use
them in their annotations, so the aliases must exist at runtime. They are
built from real classes (no string forward references) so that
``typing.get_type_hints`` resolves annotations that use them.
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t

from werkzeug.datastructures import Headers
from werkzeug.sansio.response import Response

#: A WSGI application, spelled out because ``_typeshed`` exists only for checkers.
WSGIApplication = t.Callable[[dict[str, t.Any], t.Callable[..., t.Any]], cabc.Iterable[bytes]]

#: A body a view may return: a response object, text, bytes, JSON-able data,
#: or a (sync or async) iterator of text or bytes for streaming.
ResponseValue = (
    Response
    | str
    | bytes
    | list[t.Any]
    | cabc.Mapping[str, t.Any]
    | cabc.Iterator[str]
    | cabc.Iterator[bytes]
    | cabc.AsyncIterable[str]
    | cabc.AsyncIterable[bytes]
)

StatusCode = int

#: One header's value: a string, or several strings for a repeated header.
HeaderValue = str | list[str] | tuple[str, ...]

HeadersValue = Headers | cabc.Mapping[str, HeaderValue] | cabc.Sequence[tuple[str, HeaderValue]]

#: Everything a view may return, including the ``(body, status, headers)``
#: tuple forms and a WSGI application.
ResponseReturnValue = (
    ResponseValue
    | tuple[ResponseValue, HeadersValue]
    | tuple[ResponseValue, StatusCode]
    | tuple[ResponseValue, StatusCode, HeadersValue]
    | WSGIApplication
)

ResponseClass = t.TypeVar("ResponseClass", bound=Response)

#: ``None`` for the application, a blueprint's dotted name otherwise.
AppOrBlueprintKey = str | None

AfterRequestCallable = (
    t.Callable[[ResponseClass], ResponseClass]
    | t.Callable[[ResponseClass], t.Awaitable[ResponseClass]]
)
BeforeRequestCallable = (
    t.Callable[[], ResponseReturnValue | None]
    | t.Callable[[], t.Awaitable[ResponseReturnValue | None]]
)
ShellContextProcessorCallable = t.Callable[[], dict[str, t.Any]]
TeardownCallable = (
    t.Callable[[BaseException | None], None] | t.Callable[[BaseException | None], t.Awaitable[None]]
)
TemplateContextProcessorCallable = (
    t.Callable[[], dict[str, t.Any]] | t.Callable[[], t.Awaitable[dict[str, t.Any]]]
)
TemplateFilterCallable = t.Callable[..., t.Any]
TemplateGlobalCallable = t.Callable[..., t.Any]
TemplateTestCallable = t.Callable[..., bool]
URLDefaultCallable = t.Callable[[str, dict[str, t.Any]], None]
URLValuePreprocessorCallable = t.Callable[[str | None, dict[str, t.Any] | None], None]

#: Error handlers take the exception; the parameter is ``Any`` so a handler
#: may annotate the precise exception class it is registered for.
ErrorHandlerCallable = (
    t.Callable[[t.Any], ResponseReturnValue] | t.Callable[[t.Any], t.Awaitable[ResponseReturnValue]]
)

RouteCallable = (
    t.Callable[..., ResponseReturnValue] | t.Callable[..., t.Awaitable[ResponseReturnValue]]
)
