"""Flask's request and response classes: werkzeug's, plus routing and app-config awareness."""

from __future__ import annotations

import typing as t
from http import HTTPStatus
from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" codec error handler
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import HTTPException
from werkzeug.utils import cached_property
from werkzeug.wrappers import Request as RequestBase
from werkzeug.wrappers import Response as ResponseBase

from . import json
from .globals import _cv_app
from .globals import current_app
from .helpers import _split_blueprint_path

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.routing import Rule


class Request(RequestBase):
    """The request object of the runtime.

    Besides werkzeug's request it knows the URL rule that matched and the view
    arguments, and its size limits default to the current app's config.
    """

    json_module: t.Any = json

    #: The rule that matched the request, set by URL matching.
    url_rule: Rule | None = None
    #: The arguments the matched rule extracted from the URL.
    view_args: dict[str, t.Any] | None = None
    #: Set when matching failed; raised when the request is dispatched.
    routing_exception: HTTPException | None = None

    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None

    def _app_limit(self, own: int | None, key: str, fallback: int | None) -> int | None:
        if own is not None:
            return own
        app_ctx = _cv_app.get(None)
        if app_ctx is None:
            return fallback
        return app_ctx.app.config[key]  # type: ignore[no-any-return]

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        """The largest body accepted, in bytes; ``MAX_CONTENT_LENGTH`` by default."""
        return self._app_limit(
            self._max_content_length, "MAX_CONTENT_LENGTH", super().max_content_length
        )

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:  # type: ignore[override]
        """The largest non-file form field, in bytes; ``MAX_FORM_MEMORY_SIZE`` by default."""
        return self._app_limit(
            self._max_form_memory_size, "MAX_FORM_MEMORY_SIZE", super().max_form_memory_size
        )

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property
    def max_form_parts(self) -> int | None:  # type: ignore[override]
        """The most multipart parts parsed; ``MAX_FORM_PARTS`` by default."""
        return self._app_limit(self._max_form_parts, "MAX_FORM_PARTS", super().max_form_parts)

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule, or ``None`` before or without a match."""
        if self.url_rule is None:
            return None
        return self.url_rule.endpoint

    @property
    def blueprint(self) -> str | None:
        """The dotted name of the blueprint the matched endpoint belongs to."""
        endpoint = self.endpoint
        if endpoint is None or "." not in endpoint:
            return None
        return endpoint.rpartition(".")[0]

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and its parents, innermost first."""
        name = self.blueprint
        if name is None:
            return []
        return _split_blueprint_path(name)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        # In debug mode, explain a missing file upload instead of a bare KeyError.
        app_ctx = _cv_app.get(None)
        if (
            app_ctx is not None
            and app_ctx.app.debug
            and self.mimetype != "multipart/form-data"
            and not self.files
        ):
            from .debughelpers import attach_enctype_error_multidict

            attach_enctype_error_multidict(self)

    # A query string reaches WSGI as raw bytes. werkzeug keeps a percent-escape that is
    # not UTF-8 (``?q=%FF``) as the escape, but raises UnicodeDecodeError (a 500) for the
    # same byte sent unescaped; these two read it the way they read the escape.

    @cached_property
    def args(self) -> MultiDict[str, str]:
        """The parsed query string; bytes that are not UTF-8 stay percent-escaped."""
        return self.parameter_storage_class(
            parse_qsl(_query_text(self.query_string), keep_blank_values=True, errors=_QUOTE)
        )

    @property
    def full_path(self) -> str:
        """The path and the query string; bytes that are not UTF-8 stay percent-escaped."""
        return f"{self.path}?{_query_text(self.query_string)}"

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> t.Any:
        """werkzeug's, and a body nested deeper than the parser can follow is
        bad input too (400), not a server error: the parser raises
        ``RecursionError`` for it, which werkzeug does not catch."""
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            return self.on_json_loading_failed(ValueError("the JSON body is nested too deeply"))

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        try:
            return super().on_json_loading_failed(e)
        except BadRequest as error:
            if current_app and current_app.debug:
                raise
            # Outside debug mode, hide the parser's message from the client.
            raise BadRequest() from error


_QUOTE = "werkzeug.url_quote"


def _query_text(query: bytes) -> str:
    return query.decode("utf-8", _QUOTE)


def _no_content_type(headers: t.Any) -> bool:
    """Whether ``headers`` (a response's constructor argument) surely has no Content-Type."""
    if not headers:
        return True
    return type(headers) is dict and not any(name.lower() == "content-type" for name in headers)


class Response(ResponseBase):
    """The response object of the runtime: HTML by default, JSON-aware."""

    default_mimetype: str | None = "text/html"
    json_module = json
    autocorrect_location_header = False

    def __init__(
        self,
        response: t.Iterable[bytes] | bytes | t.Iterable[str] | str | None = None,
        status: int | str | HTTPStatus | None = None,
        headers: t.Mapping[str, str | t.Iterable[str]] | t.Iterable[tuple[str, str]] | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        if mimetype is None and content_type is None and _no_content_type(headers):
            # werkzeug picks the default mimetype when the headers have no
            # Content-Type; a miss in werkzeug's Headers costs as much as the
            # rest of this call (it raises and catches a KeyError), so the
            # common cases, no headers or a dict, are checked here first.
            mimetype = self.default_mimetype
        super().__init__(response, status, headers, mimetype, content_type, direct_passthrough)

    @property
    def max_cookie_size(self) -> int:  # type: ignore[override]
        """``MAX_COOKIE_SIZE`` of the current app, werkzeug's default outside one."""
        app_ctx = _cv_app.get(None)
        if app_ctx is not None:
            return app_ctx.app.config["MAX_COOKIE_SIZE"]  # type: ignore[no-any-return]
        return super().max_cookie_size
