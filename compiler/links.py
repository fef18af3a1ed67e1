"""Links in rendered pages, and which of them are pages of the same site.

The render stage feeds every link it finds to URL discovery (the crawl), so a
page reachable only by following links is still built. ``extract_links``
returns the raw URL strings of an HTML or CSS response; ``same_site_path``
turns one into the app-relative path the pipeline uses, or ``None`` for
anything that is not a page of this app.
"""

from __future__ import annotations

import re
import typing as t
from html import unescape
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urljoin
from urllib.parse import urlsplit

# The attributes of a start tag (or a comment, giving nothing). Quotes only
# count right after "=", as in HTML: "alt=don't" is fine and "title='a > b'"
# does not end the tag.
_TAG_BODY = r"""((?:[^>=]+|=\s*"[^"]*"|=\s*'[^']*'|=)*+)>"""
# A tag without attributes (most of them: <p>, <li>, <em>) is left out.
_TAG = re.compile(r"<(?:!--.*?(?:-->|\Z)|[a-zA-Z][^\s/>]*(?=[\s/])" + _TAG_BODY + ")", re.S)
_SPECIAL_TAG = re.compile(r"<(base|meta)(?=[\s/>])" + _TAG_BODY, re.I)
_VALUE = r"""(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>][^\s>]*)))?"""
_LINK_NAME = r"(?i:href|src|srcset|poster|style)(?=[\s=/>]|$)"
_ANY_VALUE = r"""(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>][^\s>]*))?"""  # _VALUE, not captured
# Attributes one after the other, so quoted values are skipped whole. Each match
# passes over other attributes (and what separates them) up to the next link
# attribute, giving its name and value, or up to the end, giving an empty name:
# the regex engine walks past the many attributes that are no links, not Python.
_LINK_ATTRIBUTE = re.compile(
    rf"""(?:[\s"'>/=]+|(?!{_LINK_NAME})[^\s"'>/=]+{_ANY_VALUE})*+(?:({_LINK_NAME}){_VALUE}|\Z)"""
)
_ANY_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)""" + _VALUE)
_RAW_TEXT = re.compile(r"(?i:<(script|style)\b)(.*?>)(.*?)(?:</(?i:script|style)\s*>|\Z)", re.S)
_CSS_URL = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""",
    re.IGNORECASE,
)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_REFRESH_URL = re.compile(
    r"""^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?(['"]?)(.*?)\1\s*$""", re.I | re.S
)
#: What ``url_for`` leaves unquoted in a path (werkzeug's rule builder).
_PATH_SAFE = "!$&'()*+,/:;=@"
_WHITESPACE_IN_URL = re.compile(r"[\t\n\r]")
# A path of characters url_for leaves as they are, without "." segments.
_SEGMENT = r"[\w\-!$&'()*+,;=@~]++(?:\.[\w\-!$&'()*+,;=@~]++)*+"
_PLAIN_SEGMENT = rf"(?:{_SEGMENT}|\.\.?)"
_PLAIN_PATH = re.compile(
    rf"(?!//)/?{_PLAIN_SEGMENT}(?:/{_PLAIN_SEGMENT})*+/?\Z|/\Z", re.ASCII
).match
# Whether a page has script or style elements, a base, a meta refresh: searches
# for the ASCII letters in any case cost less than lowering the page (and
# lowering turns no other character into one of these letters).
_SCRIPT_OR_STYLE = r"[sS](?:[cC][rR][iI][pP][tT]|[tT][yY][lL][eE])"
_BASE = r"[bB][aA][sS][eE]"
_START_OF_SPECIAL = re.compile(rf"<(?:{_SCRIPT_OR_STYLE}|{_BASE})")
_START_OF_RAW_TEXT = re.compile(rf"<{_SCRIPT_OR_STYLE}")
_START_OF_BASE = re.compile(rf"<{_BASE}")
# From the "-": a search for a fixed first character is the quick one.
_HTTP_EQUIV = re.compile(r"-(?<=[hH][tT][tT][pP]-)[eE][qQ][uU][iI][vV]")
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def extract_links(body: bytes, content_type: str | None) -> list[str]:
    """The raw URLs an HTML or CSS response refers to; nothing for other types."""
    if not content_type:
        return []
    mimetype, _, params = content_type.partition(";")
    mimetype = mimetype.strip().lower()
    if mimetype in _HTML_TYPES:
        return html_links(_decode(body, params))
    if mimetype == "text/css":
        return css_links(_decode(body, params))
    return []


def _decode(body: bytes, params: str) -> str:
    charset = "utf-8"
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    try:
        return body.decode(charset, "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


def html_links(html: str) -> list[str]:
    """URLs in ``href``, ``src``, ``srcset`` and ``poster`` attributes, meta
    refreshes, and CSS in ``<style>`` and ``style=""``.

    With a ``<base href>``, relative URLs come back resolved against it.
    Regular expressions rather than ``html.parser``: this runs for every page
    of a build, and the tag-by-tag parser costs more than rendering the page.
    """
    links: list[str] = []
    # One search finds the first script, style or base; the others start there.
    first = _START_OF_SPECIAL.search(html)
    at = len(html) if first is None else first.start()
    base_or_refresh = _START_OF_BASE.search(html, at) or _HTTP_EQUIV.search(html)
    if _START_OF_RAW_TEXT.search(html, at):
        html = _without_raw_text(html, html.lower(), links)
    known = _LINKS_BY_ATTRIBUTES
    if len(known) > _MEMO_ENTRIES:
        known.clear()
    for attributes in _TAG.findall(html):
        found = known.get(attributes)
        if found is None:
            found = _attribute_links(attributes)
            if len(attributes) <= _MEMO_LONGEST:
                known[attributes] = found
        if found:
            links += found
    base = None
    if base_or_refresh:
        for name, body in _SPECIAL_TAG.findall(html):
            found = {
                key.lower(): double or single or bare
                for key, double, single, bare in _ANY_ATTRIBUTE.findall(body)
            }
            if name.lower() == "base":
                if base is None and found.get("href"):
                    base = unescape(found["href"]).strip()
            elif found.get("http-equiv", "").strip().lower() == "refresh":
                match = _REFRESH_URL.match(unescape(found.get("content", "")))
                if match and match.group(2).strip():
                    links.append(match.group(2).strip())
    if base is None:
        return links
    return [urljoin(base, link) for link in links]


#: The links in a start tag's attributes, by the attributes' text: the pages of a
#: site repeat most of their tags (navigation, stylesheets, tag lists). Long texts
#: (an inline ``data:`` image, a long ``style``) are rarely repeated and not kept: at
#: most ``_MEMO_ENTRIES`` texts of ``_MEMO_LONGEST`` characters, a few megabytes.
_LINKS_BY_ATTRIBUTES: dict[str, tuple[str, ...]] = {}
_MEMO_ENTRIES = 20_000
_MEMO_LONGEST = 256


def _attribute_links(attributes: str) -> tuple[str, ...]:
    """The URLs in one start tag's attributes, in order."""
    links: list[str] = []
    for name, double, single, bare in _LINK_ATTRIBUTE.findall(attributes):
        if not name:
            continue
        value = double or single or bare
        if "&" in value:
            value = unescape(value)
        name = name.lower()
        if name == "srcset":
            links.extend(srcset_urls(value))
        elif name == "style":
            links.extend(css_links(value))
        else:
            links.append(value)
    return tuple(links)


def _without_raw_text(html: str, lowered: str, links: list[str]) -> str:
    """``html`` without the contents of ``<script>`` and ``<style>`` elements,
    which are not markup; URLs in the style sheets go to ``links``."""
    if len(lowered) != len(html):  # lower() changed some lengths: use a regex
        return _RAW_TEXT.sub(lambda m: _keep_start_tag(m, links), html)
    pieces = []
    position = 0
    while True:
        script = lowered.find("<script", position)
        style = lowered.find("<style", position)
        start = min(i for i in (script, style, len(html)) if i >= 0)
        if start == len(html):
            break
        name = "script" if start == script else "style"
        content = lowered.find(">", start) + 1
        if not content:
            break
        close = lowered.find("</" + name, content)
        if close < 0:
            close = len(html)
        if name == "style":
            links.extend(css_links(html[content:close]))
        pieces.append(html[position:content])
        position = close
    pieces.append(html[position:])
    return "".join(pieces)


def _keep_start_tag(match: re.Match[str], links: list[str]) -> str:
    if match.group(1).lower() == "style":
        links.extend(css_links(match.group(3)))
    return "<" + match.group(1) + match.group(2)


def srcset_urls(srcset: str) -> list[str]:
    """The URLs of a ``srcset`` (HTML's parsing rules: descriptors dropped)."""
    urls = []
    position, end = 0, len(srcset)
    while True:
        while position < end and (srcset[position] in ", \t\n\r\f"):
            position += 1
        if position >= end:
            return urls
        start = position
        while position < end and srcset[position] not in " \t\n\r\f":
            position += 1
        url = srcset[start:position]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            # Skip the descriptors, up to the comma that ends the candidate.
            depth = 0
            while position < end:
                char = srcset[position]
                if char == "(":
                    depth += 1
                elif char == ")":
                    depth = max(0, depth - 1)
                elif char == "," and not depth:
                    break
                position += 1
        if url:
            urls.append(url)


def css_links(css: str) -> list[str]:
    """URLs in ``url(...)`` and ``@import "..."`` of a stylesheet."""
    if "url(" not in css.lower() and "@import" not in css.lower():
        return []
    css = _CSS_COMMENT.sub("", css)
    return [next(group for group in match.groups() if group is not None)
            for match in _CSS_URL.finditer(css)]  # fmt: skip


def same_site_path(
    raw: str,
    page_url: str,
    base_url: str = "/",
    *,
    hosts: t.Collection[str] = ("localhost",),
) -> str | None:
    """The app-relative path ``raw`` points to, as seen from ``page_url``.

    ``page_url`` is the app-relative URL of the page the link is on; the site
    is served under ``base_url`` on ``hosts``. The result has the base URL and
    the fragment stripped and a canonical quoting (that of ``url_for``);
    ``None`` for other hosts and schemes (``mailto:``, ``javascript:``,
    ``data:``), URLs with a query string, fragment-only links, and paths
    outside the base URL.
    """
    raw = _WHITESPACE_IN_URL.sub("", raw.strip())
    if not raw or raw.startswith("#"):
        return None
    base = _base_path(base_url)
    if _PLAIN_PATH(raw):
        # The common case, without URL parsing: a path of plain characters.
        if raw[0] != "/":
            raw = (base[:-1] + page_url)[: len(base) + page_url.rfind("/")] + raw
        if "/." in raw:
            raw = _remove_dot_segments(raw)
        if base == "/":
            return raw
        if raw.startswith(base):
            return raw[len(base) - 1 :]
        return "/" if raw == base[:-1] else None
    page = "http://localhost" + base[:-1] + quote(page_url, safe=_PATH_SAFE + "%")
    try:
        parts = urlsplit(urljoin(page, raw))
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.query:
        return None
    if parts.hostname not in hosts or port not in (None, 80, 443):
        return None
    path = parts.path or "/"
    if base != "/":
        if path == base[:-1]:
            path = "/"
        elif path.startswith(base):
            path = path[len(base) - 1 :]
        else:
            return None
    path = unquote(path, errors="surrogateescape")
    return quote(path, safe=_PATH_SAFE, errors="surrogateescape")


def _remove_dot_segments(path: str) -> str:
    """Resolve ``.`` and ``..`` in an absolute path, as a browser does."""
    segments: list[str] = []
    parts = path.split("/")[1:]
    for part in parts:
        if part == "..":
            if segments:
                segments.pop()
        elif part != ".":
            segments.append(part)
    if parts[-1] in (".", ".."):
        segments.append("")
    return "/" + "/".join(segments)


def _base_path(base_url: str) -> str:
    """``base_url`` as a path that starts and ends with ``/``."""
    path = "/" + base_url.strip("/")
    return path if path == "/" else path + "/"
