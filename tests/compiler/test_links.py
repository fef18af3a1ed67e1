"""Link extraction from HTML and CSS, and normalisation to app-relative paths."""

from __future__ import annotations

import pytest

from sitec.compiler.links import css_links
from sitec.compiler.links import extract_links
from sitec.compiler.links import html_links
from sitec.compiler.links import same_site_path
from sitec.compiler.links import srcset_urls


def test_html_attributes_that_hold_urls() -> None:
    html = """<!doctype html><html><head>
    <link rel="stylesheet" href="/s.css"><script src='/app.js'></script>
    <meta http-equiv="refresh" content="5; url=/next/">
    <meta name="viewport" content="width=device-width">
    </head><body><a href=/a/>a</a><IMG SRC="/i.png" srcset="/i2.png 2x, /i3.png 3x">
    <video poster="/p.jpg"></video><div style="background: url('/bg.png')"></div>
    <style>body { background: url(/body.png) }</style><a title="x > y" href="/after-quote/">q</a>
    <a href="/q?a=1&amp;b=2">amp</a></body></html>"""
    assert html_links(html) == [
        "/body.png",
        "/s.css",
        "/app.js",
        "/a/",
        "/i.png",
        "/i2.png",
        "/i3.png",
        "/p.jpg",
        "/bg.png",
        "/after-quote/",
        "/q?a=1&b=2",
        "/next/",
    ]


def test_comments_scripts_and_text_are_not_links() -> None:
    html = """<!-- <a href="/commented/"> --><script>var s = '<a href="/in-script/">';</script>
    <p>write href="/in-text/" to link</p><code>&lt;a href=&quot;/escaped/&quot;&gt;</code>
    <a data-src="/data/" hrefx="/x/" href="/real/">r</a>"""
    assert html_links(html) == ["/real/"]


def test_markup_in_any_case_and_link_text_in_other_values() -> None:
    html = """<A TITLE='href="/in-title/"' data-x=src=/bare/ Href="/one/">
    <SCRIPT>x = "<a href=/in-script/>"</SCRIPT><p title="İ">
    <META HTTP-EQUIV="Refresh" CONTENT="0; URL=/moved/"><BASE HREF="/b/">
    <img SrcSet="two.png 2x">"""
    assert html_links(html) == ["/one/", "/b/", "/b/two.png", "/moved/"]


def test_an_empty_unquoted_value_ends_with_its_tag() -> None:
    # "href=" right before ">" is empty; the next tag's attributes are not its value.
    assert html_links('<a href=>x</a><a class=y href="/b/">b</a>') == ["", "/b/"]


def test_tags_seen_on_an_earlier_page_give_the_same_links() -> None:
    page = '<link rel="stylesheet" href="/s.css"><a class="nav" href="a/">a</a>'
    first = html_links(page)
    first.append("/changed/")
    assert html_links(page) == ["/s.css", "a/"]
    assert html_links('<base href="/b/">' + page) == ["/b/", "/s.css", "/b/a/"]


def test_base_href_resolves_relative_links() -> None:
    assert html_links('<base href="/docs/"><a href="guide/">g</a>') == ["/docs/", "/docs/guide/"]


def test_srcset_and_css() -> None:
    assert srcset_urls("a.png 1x,b.png 2x , c.png") == ["a.png", "b.png", "c.png"]
    assert srcset_urls("a.png,b.png") == ["a.png,b.png"]
    css = '@import "base.css"; /* url(/no.png) */ a { background: url( "x.png" ) }'
    css += " b { src: url(y.woff) }"
    assert css_links(css) == ["base.css", "x.png", "y.woff"]


def test_extract_links_by_content_type() -> None:
    assert extract_links(b'<a href="/a/">', "text/html; charset=utf-8") == ["/a/"]
    assert extract_links(b"a{b:url(/c.png)}", "text/css") == ["/c.png"]
    assert extract_links(b'{"href": "/a/"}', "application/json") == []
    latin = '<a href="/caf\xe9/">'.encode("latin-1")
    assert extract_links(latin, "text/html; charset=ISO-8859-1") == ["/caf\xe9/"]


@pytest.mark.parametrize(
    ("raw", "page", "expected"),
    [
        ("/a/", "/x/", "/a/"),
        ("b/", "/x/y/", "/x/y/b/"),
        ("b", "/x/y", "/x/b"),
        ("../c/", "/x/y/", "/x/c/"),
        ("../../../c/", "/x/", "/c/"),
        ("./", "/x/y/", "/x/y/"),
        ("/a/#part", "/", "/a/"),
        ("#top", "/x/", None),
        ("/a/?page=2", "/", None),
        ("mailto:me@example.com", "/", None),
        ("javascript:void(0)", "/", None),
        ("data:image/png;base64,AAAA", "/", None),
        ("tel:+123", "/", None),
        ("https://example.com/a/", "/", None),
        ("//cdn.example.com/a.js", "/", None),
        ("http://localhost/a/", "/", "/a/"),
        ("http://localhost:8000/a/", "/", None),
        ("/tag/c%2B%2B/", "/", "/tag/c++/"),
        ("/caf\xe9/", "/", "/caf%C3%A9/"),
        ("/a%20b/", "/", "/a%20b/"),
        ("  /spaced/\n", "/", "/spaced/"),
        ("", "/", None),
    ],
)
def test_same_site_path_at_the_root(raw, page, expected) -> None:
    assert same_site_path(raw, page, "/") == expected


@pytest.mark.parametrize(
    ("raw", "page", "expected"),
    [
        ("/docs/a/", "/", "/a/"),
        ("/docs/", "/x/", "/"),
        ("/docs", "/x/", "/"),
        ("/a/", "/", None),
        ("../b/", "/x/", "/b/"),
        ("../../b/", "/x/", None),
        ("http://localhost/docs/c/", "/", "/c/"),
        ("http://example.org/docs/c/", "/", "/c/"),
    ],
)
def test_same_site_path_under_a_base_url(raw, page, expected) -> None:
    assert same_site_path(raw, page, "/docs/", hosts={"localhost", "example.org"}) == expected


def test_a_long_attribute_text_is_read_each_time_but_not_kept() -> None:
    """The memo of links by attribute text keeps only short texts: an inline image on
    every page would otherwise stay in every render worker."""
    from sitec.compiler import links

    image = "data:image/png;base64," + "A" * 10_000
    html = f'<img alt="x" src="{image}"><a href="/a/">a</a>'
    assert html_links(html) == [image, "/a/"]
    assert html_links(html) == [image, "/a/"]
    assert all(len(text) <= links._MEMO_LONGEST for text in links._LINKS_BY_ATTRIBUTES)
