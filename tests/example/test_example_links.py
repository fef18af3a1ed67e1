"""A link checker over the built site: every ``href``, ``src`` and form ``action`` of every
HTML and XML file leads to a file of the static tree or to a dynamic route of the manifest.

It reads the output with the standard library's HTML and XML parsers, independently of
the compiler's own link extraction, and resolves each link as a browser would from the
page's URL (or the ``xml:base`` of a feed entry). Links to other hosts are counted, not
fetched: the checker never leaves this machine.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from dataclasses import field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote
from urllib.parse import urljoin
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.routing import Rule

from .example_support import SITE_URL
from .example_support import Build

SITE_HOST = urlsplit(SITE_URL).netloc
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
LINK_ATTRIBUTES = {"href", "src", "action", "poster"}


@dataclass(frozen=True)
class Link:
    page: str
    url: str
    method: str = "GET"


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if values.get("id"):
            self.ids.add(values["id"])
        method = values.get("method", "get").upper() if tag == "form" else "GET"
        for name, value in values.items():
            if name in LINK_ATTRIBUTES and value:
                self.links.append((value, method))
            elif name == "srcset":
                self.links.extend((part.split()[0], "GET") for part in value.split(",") if part)


def html_links(html: str, base: str) -> tuple[list[tuple[str, str]], set[str]]:
    """``(absolute URL, method)`` of each link, and the ids of the page."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return [(urljoin(base, url), method) for url, method in parser.links], parser.ids


def xml_links(xml: str, base: str) -> list[tuple[str, str]]:
    """Links of an Atom feed or a sitemap: ``href``s, ``<loc>``s, and the links inside
    each entry's HTML content, resolved against the entry's ``xml:base``."""
    links = []

    def walk(element: ET.Element, base: str) -> None:
        base = urljoin(base, element.get(XML_BASE, ""))
        if element.get("href"):
            links.append((urljoin(base, element.get("href", "")), "GET"))
        if element.tag.endswith("}loc") and element.text:
            links.append((urljoin(base, element.text.strip()), "GET"))
        if element.tag.endswith("}content") and element.get("type") == "html":
            links.extend(html_links(element.text or "", base)[0])
        for child in element:
            walk(child, base)

    walk(ET.fromstring(xml), base)
    return links


@dataclass
class LinkReport:
    checked: list[Link] = field(default_factory=list)
    broken: list[tuple[Link, str]] = field(default_factory=list)
    external: list[Link] = field(default_factory=list)
    #: How each checked link resolved: "file" or "dynamic".
    kinds: dict[str, int] = field(default_factory=dict)


class SiteLinks:
    """The URLs a deployment of one build answers: its files and its dynamic routes."""

    def __init__(self, manifest: dict, public: Path) -> None:
        self.public = public
        self.files = {
            entry["url"]: entry["file"] for route in manifest["routes"] for entry in route["urls"]
        }
        if manifest.get("not_found"):
            self.files["/" + manifest["not_found"]] = manifest["not_found"]
        rules = [
            Rule(route["rule"], endpoint=route["endpoint"], methods=route["methods"])
            for route in manifest["routes"]
            if route["decision"] == "dynamic"
        ]
        self.dynamic = Map(rules).bind(SITE_HOST)

    def pages(self) -> list[tuple[str, Path]]:
        """``(URL, file)`` of every HTML and XML file of the tree."""
        return sorted(
            (url, self.public / file)
            for url, file in self.files.items()
            if file.endswith((".html", ".xml"))
        )

    def check(self) -> LinkReport:
        report = LinkReport()
        for url, path in self.pages():
            base = SITE_URL + url
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".xml":
                links, ids = xml_links(text, base), set()
            else:
                links, ids = html_links(text, base)
            for target, method in links:
                self._check(Link(url, target, method), base, ids, report)
        return report

    def _check(self, link: Link, base: str, ids: set[str], report: LinkReport) -> None:
        parts = urlsplit(link.url)
        if parts.scheme not in {"http", "https"} or parts.netloc != SITE_HOST:
            report.external.append(link)
            return
        report.checked.append(link)
        same_page = link.url.split("#", 1)[0] == base.split("#", 1)[0]
        if parts.fragment and same_page and parts.fragment not in ids:
            report.broken.append((link, f"no element with id {parts.fragment!r}"))
            return
        path = parts.path or "/"
        if path in self.files and link.method == "GET":
            if (self.public / unquote(self.files[path])).is_file():
                report.kinds["file"] = report.kinds.get("file", 0) + 1
            else:
                report.broken.append((link, f"the manifest's file {self.files[path]} is missing"))
            return
        try:
            self.dynamic.match(path, method=link.method)
        except HTTPException as e:
            report.broken.append((link, f"no file and no dynamic route ({e.code})"))
            return
        report.kinds["dynamic"] = report.kinds.get("dynamic", 0) + 1


def test_every_link_of_the_built_site_resolves(build: Build):
    report = SiteLinks(build.manifest, build.public).check()
    assert report.broken == []
    # It really looked: every page's links, to files and to the dynamic half alike.
    assert len(report.checked) > 500
    assert report.kinds["file"] > 400 and report.kinds["dynamic"] > 30
    pages = {link.page for link in report.checked}
    assert {"/", "/feed.xml", "/sitemap.xml", "/404.html"} <= pages
    # Forms post to dynamic routes, and links inside posts in the feed are checked too.
    assert any(link.url.endswith("/search") for link in report.checked)
    assert any(
        link.page == "/feed.xml" and link.url == f"{SITE_URL}/about/" for link in report.checked
    )


def test_the_checker_finds_broken_links(tmp_path: Path):
    public = tmp_path / "public"
    (public / "a").mkdir(parents=True)
    (public / "a" / "index.html").write_text(
        '<a href="#top">top</a><a href="../b/">b</a><a href="../missing/">x</a>'
        '<img src="/static/gone.png"><form method="post" action="/contact/"></form>'
        '<a href="/search?q=x">search</a><a href="https://elsewhere.example/">out</a>'
        '<form action="/contact/"></form>'
    )
    manifest = {
        "routes": [
            {"endpoint": "a", "rule": "/a/", "methods": ["GET"], "decision": "static",
             "urls": [{"url": "/a/", "file": "a/index.html"}]},
            {"endpoint": "img", "rule": "/static/<path:f>", "methods": ["GET"],
             "decision": "static",
             "urls": [{"url": "/static/gone.png", "file": "static/gone.png"}]},
            {"endpoint": "search", "rule": "/search", "methods": ["GET"], "decision": "dynamic",
             "urls": []},
            {"endpoint": "contact", "rule": "/contact/", "methods": ["POST"],
             "decision": "dynamic", "urls": []},
        ]
    }  # fmt: skip
    report = SiteLinks(manifest, public).check()
    broken = sorted((urlsplit(link.url).path, urlsplit(link.url).fragment, link.method)
                    for link, _ in report.broken)  # fmt: skip
    assert broken == [
        ("/a/", "top", "GET"),  # no id="top" on the page
        ("/b/", "", "GET"),  # neither a file nor a route
        ("/contact/", "", "GET"),  # the route takes POST only
        ("/missing/", "", "GET"),
        ("/static/gone.png", "", "GET"),  # in the manifest, but no file
    ]
    assert [link.url for link in report.external] == ["https://elsewhere.example/"]
    assert report.kinds == {"dynamic": 2}
