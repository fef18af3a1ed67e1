"""Where each URL's response goes in the static tree, and which headers go with it.

The write stage asks this module for the file of every rendered URL; the emit stage
generates host configs that find the file again. The policy, for a URL path as the app
built it (percent-encoded, app-relative, no query):

==================================  ==========================  ==========================
URL                                 response                    file (under OUT/public/)
==================================  ==========================  ==========================
``/``, ``/a/``                      ``text/html``, or unknown   ``index.html``, ``a/index.html``
``/api/posts/``                     a type of the table         ``api/posts/index.json``
``/api/posts/``                     another type                ``api/posts/index``
``/a`` (no known extension)         ``text/html``               ``a.html``
``/feed.xml`` (a known extension)   any                         ``feed.xml``
``/api/posts`` (no known extension) not HTML, or unknown        ``api/posts``
==================================  ==========================  ==========================

The generated host configs (:mod:`sitec.compiler.emit`) name each URL's file; a host set
up by hand finds the HTML ones with nginx's ``try_files $uri $uri.html $uri/index.html``
(Caddy's ``try_files {path} {path}.html {path}/index.html``, Netlify's pretty URLs), and an
index file of another type (``index.json``, ``index``) only through the manifest, which maps
every URL to its file. A file whose name says nothing about its type is served with the
recorded ``Content-Type`` (:data:`RECORDED_HEADERS`). "Known extension" and "the table" mean
:data:`EXTENSION_TYPES`, fixed so the mapping does not change with the Python version or
``/etc/mime.types``: ``/v1.2`` answering HTML becomes ``v1.2.html``; an index of type
``application/*+xml`` or ``*+json`` not in it ends in ``.xml`` or ``.json``.

The path is percent-decoded (UTF-8) into the file name, as hosts decode the request path
before looking for the file. Anything that could escape the tree or mean different files on
different systems raises :class:`UnsafePath`. Windows device names (``CON``, ``NUL``,
``COM1``, ...) and drive-like segments (``C:``) are refused everywhere, so a tree built on
Linux still checks out and deploys from Windows; other characters Windows forbids
(``<>:"|?*``, a trailing dot or space) are legal on the POSIX hosts sites deploy to and are
kept.
"""

from __future__ import annotations

import re
import typing as t
import unicodedata
from urllib.parse import unquote

#: Longest file or folder name, in UTF-8 bytes (ext4, XFS, APFS and NTFS all stop near 255).
MAX_SEGMENT_BYTES = 255

#: Suffixes that name a file type, with the type a static host serves them as.
EXTENSION_TYPES: dict[str, str] = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".xsl": "application/xml",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".geojson": "application/geo+json",
    ".webmanifest": "application/manifest+json",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".map": "application/json",
    ".css": "text/css",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".ics": "text/calendar",
    ".vcf": "text/vcard",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".bmp": "image/bmp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".wasm": "application/wasm",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".epub": "application/epub+zip",
}

# The first suffix of each type in EXTENSION_TYPES: .html, .xml, .json, .js, .jpg...
_TYPE_EXTENSIONS: dict[str, str] = {}
for _suffix, _type in EXTENSION_TYPES.items():
    _TYPE_EXTENSIONS.setdefault(_type, _suffix)

#: Response headers a static host must send with a file to answer as the app does.
RECORDED_HEADERS: tuple[str, ...] = (
    "Content-Type",
    "Cache-Control",
    "Content-Language",
    "Content-Disposition",
    "Content-Security-Policy",
    "Content-Security-Policy-Report-Only",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Strict-Transport-Security",
    "Cross-Origin-Opener-Policy",
    "Cross-Origin-Embedder-Policy",
    "Cross-Origin-Resource-Policy",
    "Link",
    "X-Robots-Tag",
)

# Headers whose repeated values join into one comma-separated value without changing
# meaning (RFC 9110 5.3; CSP treats a comma list as several policies). For the others a
# repeat is a bug in the app and the last value wins, as the app's own response object would.
_LIST_HEADERS = frozenset(
    name.lower()
    for name in (
        "Cache-Control",
        "Content-Language",
        "Content-Security-Policy",
        "Content-Security-Policy-Report-Only",
        "Permissions-Policy",
        "Link",
        "X-Robots-Tag",
    )
)
_RECORDED = {name.lower(): name for name in RECORDED_HEADERS}

_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ENCODED_SEPARATOR = re.compile(r"%(2[Ff]|5[Cc])")
_DRIVE = re.compile(r"^[A-Za-z]:")
_DEVICE_NAMES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{port}{n}" for port in ("com", "lpt") for n in range(10)]
)
# Segments of letters, digits, "_", "-", "~" and dots not in front, 255 characters in
# all: safe by every test of check_file, but a device name's.
_PLAIN_FILE = re.compile(r"(?=.{1,255}\Z)[\w~-][\w.~-]*(?:/[\w~-][\w.~-]*)*\Z", re.ASCII).match
_DEVICE_SEGMENT = re.compile(
    r"(?:^|/)(?:con|prn|aux|nul|com\d|lpt\d)(?:[./]|\Z)", re.ASCII | re.IGNORECASE
).search

# Types that mean the same thing to a client, keyed to one spelling.
_TYPE_ALIASES = {
    "text/xml": "application/xml",
    "application/javascript": "text/javascript",
    "application/x-javascript": "text/javascript",
    "application/ecmascript": "text/javascript",
    "image/x-icon": "image/vnd.microsoft.icon",
    "audio/x-wav": "audio/wav",
    "application/x-gzip": "application/gzip",
}

Headers = t.Mapping[str, str] | t.Iterable[tuple[str, str]]


class UnsafePath(ValueError):
    """A URL or file name that cannot become a file inside the output folder."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path!r}: {reason}")
        self.path = path
        self.reason = reason


def file_for_url(url: str, content_type: str | None) -> str:
    """The file, relative to the static root with ``/`` separators, that answers ``url``.

    ``url`` is an app-relative path as the app built it (``/posts/caf%C3%A9/``);
    ``content_type`` is the response's ``Content-Type``, or ``None`` when unknown (then an
    extensionless URL keeps its name). Raises :class:`UnsafePath`.
    """
    if not url.startswith("/"):
        raise UnsafePath(url, "a URL path must start with '/'")
    if "?" in url or "#" in url:
        raise UnsafePath(url, "a URL with a query string or fragment cannot be a file")
    if _PERCENT_ESCAPE.search(url):
        raise UnsafePath(url, "'%' not followed by two hex digits is not valid percent-encoding")
    if _ENCODED_SEPARATOR.search(url):
        raise UnsafePath(
            url,
            "an encoded '/' or '\\' (%2F, %5C) inside a segment: hosts disagree on whether it"
            " separates folders",
        )
    try:
        path = unquote(url, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise UnsafePath(url, "its percent-encoded bytes are not UTF-8") from None

    if path.endswith("/"):
        file = path[1:] + "index" + _index_extension(content_type)
    elif _extension(path) is None and _mimetype(content_type) == "text/html":
        file = path[1:] + ".html"
    else:
        file = path[1:]
    check_file(file, shown=url)
    return file


def check_file(file: str, *, shown: str | None = None) -> None:
    """Raise :class:`UnsafePath` unless ``file`` is a plain relative path inside the tree.

    ``file`` is decoded, with ``/`` separators. ``shown`` is what the error names (the URL
    the file came from), by default the file itself.
    """
    if _PLAIN_FILE(file) and not _DEVICE_SEGMENT(file):
        return  # the common case, at C speed: every check below passes
    shown = file if shown is None else shown
    if not file:
        raise UnsafePath(shown, "an empty file name")
    if file.startswith("/"):
        raise UnsafePath(shown, "an absolute path (after percent-decoding)")
    if "\\" in file:
        raise UnsafePath(shown, "a backslash, which Windows reads as a folder separator")
    for segment in file.split("/"):
        _check_segment(segment, shown)


def _check_segment(segment: str, shown: str) -> None:
    if segment == "":
        raise UnsafePath(shown, "an empty segment ('//'), which hosts merge away")
    if segment in {".", ".."}:
        raise UnsafePath(shown, f"a {segment!r} segment, which would leave its folder")
    # Printable ASCII has none of those characters: the common case, checked at C speed.
    if not (segment.isascii() and segment.isprintable()):
        for char in segment:
            if unicodedata.category(char) in {"Cc", "Zl", "Zp"}:
                raise UnsafePath(shown, f"a control character {char!r}")
    if _DRIVE.match(segment):
        raise UnsafePath(shown, f"{segment!r} reads as a drive letter on Windows")
    if segment.split(".", 1)[0].rstrip(" ").lower() in _DEVICE_NAMES:
        raise UnsafePath(shown, f"{segment!r} is a reserved device name on Windows")
    try:
        size = len(segment.encode("utf-8"))
    except UnicodeEncodeError:  # a file name read from disk that is not UTF-8
        raise UnsafePath(shown, "a name that is not valid UTF-8") from None
    if size > MAX_SEGMENT_BYTES:
        raise UnsafePath(
            shown, f"a name longer than {MAX_SEGMENT_BYTES} bytes, the file system limit"
        )


def type_mismatch(url: str, file: str, content_type: str | None) -> str | None:
    """Why ``file``'s name would make a host serve another type than ``content_type``.

    ``None`` when they agree, or when the name says nothing (no known extension: the
    recorded ``Content-Type`` is replayed instead).
    """
    expected = _extension(file)
    actual = _mimetype(content_type)
    if expected is None or actual is None or _same_type(expected, actual):
        return None
    return (
        f"{url} answers {actual} but is written to {file}, a name static hosts serve as"
        f" {expected}, so clients would get another type than the app sends. Make the view"
        f" respond with {expected}, or change the URL's extension."
    )


def recorded_headers(headers: Headers) -> dict[str, str]:
    """The headers of :data:`RECORDED_HEADERS` in ``headers``, under their usual spelling."""
    found: dict[str, str] = {}
    for key, value in _pairs(headers):
        name = _RECORDED.get(key.lower())
        if name is None:
            continue
        if name in found and key.lower() in _LIST_HEADERS:
            found[name] = f"{found[name]}, {value}"
        else:
            found[name] = value
    return {name: found[name] for name in RECORDED_HEADERS if name in found}


def not_cacheable_reason(headers: Headers) -> str | None:
    """Why a response must not be served from a file, or ``None``.

    A response that sets a cookie, or varies on a request header other than
    ``Accept-Encoding``, differs per client; a file would give every client the same one.
    """
    cookies: list[str] = []
    varies: list[str] = []
    for key, value in _pairs(headers):
        lowered = key.lower()
        if lowered == "set-cookie":
            cookies.append(value.split("=", 1)[0].strip())
        elif lowered == "vary":
            varies.extend(
                part.strip()
                for part in value.split(",")
                if part.strip() and part.strip().lower() != "accept-encoding"
            )
    if cookies:
        return f"it sets a cookie (Set-Cookie: {', '.join(cookies)})"
    if varies:
        return f"it varies on request headers (Vary: {', '.join(varies)})"
    return None


def _pairs(headers: Headers) -> t.Iterable[tuple[str, str]]:
    # dict.items() gives one value per name; werkzeug's Headers.items() gives every pair.
    items = getattr(headers, "items", None)
    if callable(items):
        return t.cast(t.Iterable[tuple[str, str]], items())
    return t.cast(t.Iterable[tuple[str, str]], headers)


def _extension(path: str) -> str | None:
    """The type named by the last segment's suffix, if :data:`EXTENSION_TYPES` knows it."""
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    if dot <= 0:
        return None
    return EXTENSION_TYPES.get(name[dot:].lower())


def _index_extension(content_type: str | None) -> str:
    """The suffix of a folder URL's index file: the response type's, see the table above."""
    mimetype = _mimetype(content_type)
    if mimetype is None or mimetype == "text/html":
        return ".html"
    suffix = _TYPE_EXTENSIONS.get(mimetype)
    if suffix is None:
        for family in ("xml", "json"):
            if mimetype.endswith(f"+{family}"):
                return f".{family}"
        return ""
    return suffix


def _mimetype(content_type: str | None) -> str | None:
    if not content_type:
        return None
    essence = content_type.split(";", 1)[0].strip().lower()
    return _TYPE_ALIASES.get(essence, essence) or None


def _same_type(expected: str, actual: str) -> bool:
    if expected == actual:
        return True
    # A .xml or .json file fits any type built on it: application/rss+xml, feed+json, ...
    for family in ("xml", "json"):
        if expected == f"application/{family}" and actual.endswith(f"+{family}"):
            return True
    return False
