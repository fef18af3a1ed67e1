"""Forward a WSGI request to the app process over HTTP, and stream its answer back.

The request goes out as the client sent it (method, path, query, headers, body), with
the client's address and the site's path prefix in ``X-Forwarded-For`` and
``X-Forwarded-Prefix`` for the app process's ``ProxyFix``; hop-by-hop headers stay on
their hop. (werkzeug's ``ProxyMiddleware`` re-encodes non-ASCII paths and drops the
prefix, so it does not fit here.)
"""

from __future__ import annotations

import http.client
import typing as t
from urllib.parse import quote

from werkzeug.http import is_hop_by_hop_header
from werkzeug.wsgi import get_input_stream

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIEnvironment

#: Characters a request path keeps unquoted (RFC 3986 pchar, and the separators).
_PATH_SAFE = "/!$&'()*+,;=:@-._~%"
_CHUNK = 64 * 1024
#: Request headers the proxy writes itself.
_SET_HERE = frozenset({"Content-Length", "Content-Type", "X-Forwarded-For", "X-Forwarded-Prefix"})


class AppUnavailable(Exception):
    """No app process answers: it failed to load, or it ended."""


class AppProxy:
    """A WSGI app forwarding to ``127.0.0.1:port``; ``port`` changes when the app
    process is replaced (requests in flight finish with the old one)."""

    def __init__(self, port: int | None = None, *, timeout: float = 300.0) -> None:
        self.port = port
        self.timeout = timeout

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        port = self.port
        if port is None:
            raise AppUnavailable("the app is not running")
        body = get_input_stream(environ).read()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout)
        try:
            connection.putrequest(
                environ["REQUEST_METHOD"],
                _target(environ),
                skip_host=True,
                skip_accept_encoding=True,
            )
            for name, value in _request_headers(environ, len(body)):
                connection.putheader(name, value)
            connection.endheaders(body or None)
            response = connection.getresponse()
        except OSError as e:
            connection.close()
            raise AppUnavailable(f"the app did not answer: {e}") from None
        headers = [
            (name, value) for name, value in response.getheaders() if not is_hop_by_hop_header(name)
        ]
        start_response(f"{response.status} {response.reason}", headers)
        return _stream(response, connection)


def _target(environ: WSGIEnvironment) -> str:
    path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe=_PATH_SAFE) or "/"
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path


def _request_headers(environ: WSGIEnvironment, length: int) -> t.Iterator[tuple[str, str]]:
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
            if not is_hop_by_hop_header(name) and name not in _SET_HERE:
                yield name, value
    if environ.get("CONTENT_TYPE"):
        yield "Content-Type", environ["CONTENT_TYPE"]
    if length or environ.get("REQUEST_METHOD") in ("POST", "PUT", "PATCH"):
        yield "Content-Length", str(length)
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    client = environ.get("REMOTE_ADDR", "127.0.0.1")
    yield "X-Forwarded-For", f"{forwarded}, {client}" if forwarded else client
    yield "X-Forwarded-Prefix", environ.get("SCRIPT_NAME", "")
    yield "Connection", "close"


def _stream(
    response: http.client.HTTPResponse, connection: http.client.HTTPConnection
) -> t.Iterator[bytes]:
    try:
        while chunk := response.read1(_CHUNK):
            yield chunk
    finally:
        connection.close()
