from __future__ import annotations

import pytest
from werkzeug.datastructures import Headers

from sitec.compiler.paths import RECORDED_HEADERS
from sitec.compiler.paths import UnsafePath
from sitec.compiler.paths import check_file
from sitec.compiler.paths import file_for_url
from sitec.compiler.paths import not_cacheable_reason
from sitec.compiler.paths import recorded_headers
from sitec.compiler.paths import type_mismatch

HTML = "text/html; charset=utf-8"
JSON = "application/json"


@pytest.mark.parametrize(
    ("url", "content_type", "file"),
    [
        ("/", HTML, "index.html"),
        ("/", None, "index.html"),
        ("/a/", HTML, "a/index.html"),
        # A folder URL that is not HTML: its index file is named by its type.
        ("/", JSON, "index.json"),
        ("/api/posts/", "application/json; charset=utf-8", "api/posts/index.json"),
        ("/feed/", "application/rss+xml", "feed/index.rss"),
        ("/feed/", "text/xml", "feed/index.xml"),
        ("/feed/", "application/feed+json", "feed/index.json"),
        ("/robots/", "text/plain", "robots/index.txt"),
        ("/logo/", "image/jpeg", "logo/index.jpg"),
        ("/blob/", "application/octet-stream", "blob/index"),
        ("/a/b/", HTML, "a/b/index.html"),
        ("/a", HTML, "a.html"),
        ("/a", "TEXT/HTML", "a.html"),
        ("/posts/hello", HTML, "posts/hello.html"),
        ("/feed.xml", "application/rss+xml", "feed.xml"),
        ("/feed.xml", HTML, "feed.xml"),
        ("/robots.txt", "text/plain", "robots.txt"),
        ("/page.HTML", HTML, "page.HTML"),
        ("/api/posts", JSON, "api/posts"),
        ("/CNAME", "text/plain", "CNAME"),
        ("/api/posts", None, "api/posts"),
        # A suffix that names no file type is part of the name.
        ("/v1.2", HTML, "v1.2.html"),
        ("/v1.2", JSON, "v1.2"),
        ("/.well-known/security.txt", "text/plain", ".well-known/security.txt"),
        # Percent-decoded as hosts decode the request path.
        ("/caf%C3%A9/", HTML, "café/index.html"),
        ("/a%20b", HTML, "a b.html"),
        ("/%252e%252e/", HTML, "%2e%2e/index.html"),
        ("/wiki/Help:Contents", HTML, "wiki/Help:Contents.html"),
        ("/tags/c++/", HTML, "tags/c++/index.html"),
    ],
)
def test_mapping(url: str, content_type: str | None, file: str) -> None:
    assert file_for_url(url, content_type) == file


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/../etc/passwd", "'..'"),
        ("/a/../../x", "'..'"),
        ("/%2e%2e/x", "'..'"),
        ("/%2E%2E/x", "'..'"),
        ("/.%2e/x", "'..'"),
        ("/a/./b", "'.'"),
        ("/a%2Fb", "%2F"),
        ("/a%2fb/", "%2F"),
        ("/%2Fetc/passwd", "%2F"),
        ("/a%5Cb", "%5C"),
        ("/a\\b", "backslash"),
        ("/..\\x", "backslash"),
        ("/a%00b", "control character"),
        ("/a\x00b", "control character"),
        ("/a%0Ab", "control character"),
        ("/a%7F", "control character"),
        ("/a%C2%85", "control character"),
        ("//etc/passwd", "absolute"),
        ("/a//b", "empty segment"),
        ("/C:/Windows/", "drive"),
        ("/c:", "drive"),
        ("/docs/C%3A/x", "drive"),
        ("/con", "device name"),
        ("/files/NUL.txt", "device name"),
        ("/lpt1/", "device name"),
        ("/" + "x" * 256, "255 bytes"),
        ("/" + "x" * 252, "255 bytes"),  # becomes 257 bytes with .html
        ("/" + "%C3%A9" * 128, "255 bytes"),
        ("relative", "start with '/'"),
        ("", "start with '/'"),
        ("/search?q=x", "query"),
        ("/a#top", "fragment"),
        ("/a%zz", "percent-encoding"),
        ("/a%", "percent-encoding"),
        ("/%FF", "UTF-8"),
    ],
)
def test_unsafe(url: str, reason: str) -> None:
    with pytest.raises(UnsafePath) as info:
        file_for_url(url, HTML)
    assert reason in info.value.reason
    assert info.value.path == url
    assert repr(url) in str(info.value)


def test_long_but_fitting_names_are_kept() -> None:
    assert file_for_url("/" + "x" * 250, HTML) == "x" * 250 + ".html"
    assert file_for_url("/" + "x" * 255, JSON) == "x" * 255


def test_device_names_only_match_whole_names() -> None:
    assert file_for_url("/console/", HTML) == "console/index.html"
    assert file_for_url("/auxiliary", HTML) == "auxiliary.html"


@pytest.mark.parametrize(
    "file", ["", "/abs", "a//b", "a/../b", "a\\b", "a/\x01", "a/", "caf\udce9.css"]
)
def test_check_file_refuses(file: str) -> None:
    with pytest.raises(UnsafePath):
        check_file(file)


def test_check_file_accepts_plain_paths() -> None:
    check_file("static/css/site.css")
    check_file(".well-known/x")


@pytest.mark.parametrize(
    ("url", "file", "content_type"),
    [
        ("/a", "a.html", HTML),
        ("/feed.xml", "feed.xml", "application/rss+xml; charset=utf-8"),
        ("/feed.xml", "feed.xml", "application/atom+xml"),
        ("/feed.xml", "feed.xml", "text/xml"),
        ("/app.js", "app.js", "application/javascript"),
        ("/data.json", "data.json", "application/feed+json"),
        ("/favicon.ico", "favicon.ico", "image/x-icon"),
        ("/api/posts", "api/posts", JSON),
        ("/notes.php", "notes.php", HTML),
        ("/feed.xml", "feed.xml", None),
    ],
)
def test_no_type_mismatch(url: str, file: str, content_type: str | None) -> None:
    assert type_mismatch(url, file, content_type) is None


def test_type_mismatch_explains() -> None:
    message = type_mismatch("/feed.xml", "feed.xml", HTML)
    assert message is not None
    assert "/feed.xml answers text/html" in message
    assert "application/xml" in message

    assert type_mismatch("/report.pdf", "report.pdf", HTML) is not None


def test_recorded_headers_from_pairs_and_mappings() -> None:
    pairs = [
        ("content-type", HTML),
        ("Set-Cookie", "a=b"),
        ("Link", "</a.css>; rel=preload"),
        ("link", "</b.js>; rel=preload"),
        ("X-Frame-Options", "DENY"),
        ("Server", "x"),
        ("Content-Length", "12"),
    ]
    expected = {
        "Content-Type": HTML,
        "X-Frame-Options": "DENY",
        "Link": "</a.css>; rel=preload, </b.js>; rel=preload",
    }
    assert recorded_headers(pairs) == expected
    assert list(recorded_headers(pairs)) == ["Content-Type", "X-Frame-Options", "Link"]
    assert recorded_headers(Headers(pairs)) == expected
    assert recorded_headers({"cache-control": "max-age=60"}) == {"Cache-Control": "max-age=60"}


def test_every_recorded_header_is_kept() -> None:
    headers = [(name.upper(), f"value {i}") for i, name in enumerate(RECORDED_HEADERS)]
    recorded = recorded_headers(headers)
    assert list(recorded) == list(RECORDED_HEADERS)
    assert "Strict-Transport-Security" in recorded
    assert "Cross-Origin-Resource-Policy" in recorded


def test_a_repeated_single_value_header_keeps_the_last() -> None:
    pairs = [("Content-Type", "text/plain"), ("Content-Type", HTML)]
    assert recorded_headers(pairs) == {"Content-Type": HTML}


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([("Set-Cookie", "session=abc; HttpOnly")], "Set-Cookie: session"),
        ([("Vary", "Cookie")], "Vary: Cookie"),
        ([("Vary", "Accept-Encoding, Accept-Language")], "Vary: Accept-Language"),
        ([("vary", "*")], "Vary: *"),
        ({"Vary": "Cookie"}, "Vary: Cookie"),
    ],
)
def test_not_cacheable(headers: list[tuple[str, str]], reason: str) -> None:
    found = not_cacheable_reason(headers)
    assert found is not None and reason in found


@pytest.mark.parametrize(
    "headers",
    [[], [("Vary", "Accept-Encoding")], [("vary", " accept-encoding ")], [("Content-Type", HTML)]],
)
def test_cacheable(headers: list[tuple[str, str]]) -> None:
    assert not_cacheable_reason(headers) is None
