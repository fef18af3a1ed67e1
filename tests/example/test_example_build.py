"""``sitec build`` of a clean copy of ``example_site/``: what became files, what stayed
dynamic and why, and what the report tells a newcomer.

Expected URLs come from the content files (read here with ``tomllib``, not with the
site's code), so a new post or tag changes them without touching these tests.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from .example_support import SITE_URL
from .example_support import Build
from .example_support import PostFile
from .example_support import run_build

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

#: Each dynamic route, with what its reasons must say (every entry must appear).
DYNAMIC = {
    "pages.search": ["reads request.args"],
    "api.search": ["reads request.args"],
    "contact.form": ["reads request.form", "reads csrf_token (session)", "flashed messages"],
    "members.login": ["reads request.form", "reads session"],
    "members.desk": ["reads session"],
    "members.logout": ["accepts only POST"],
    # Looks static: the view reads nothing; an included template's global reads a cookie.
    "pages.start": ["reads request.cookies"],
    # Forced dynamic in code, with the reason given there.
    "pages.random_post": ["forced dynamic: picks a different post on every visit"],
}


def expected_static_urls(published: list[PostFile], per_page: int) -> dict[str, set[str]]:
    pages = math.ceil(len(published) / per_page)
    tags = {tag for post in published for tag in post.tags}
    return {
        "pages.home": {"/"},
        "pages.about": {"/about/"},
        "blog.archive": {"/posts/"} | {f"/posts/page/{n}/" for n in range(2, pages + 1)},
        "blog.post": {f"/posts/{post.slug}/" for post in published},
        "blog.tags": {"/tags/"},
        "blog.tag": {f"/tags/{tag}/" for tag in tags},
        "feeds.feed": {"/feed.xml"},
        "feeds.sitemap": {"/sitemap.xml"},
        "feeds.robots": {"/robots.txt"},
        "api.posts": {"/api/posts.json"},
    }


def test_the_build_succeeds_without_problems(build: Build):
    assert "error" not in build.stdout
    assert "warning" not in build.stdout
    assert re.search(r"^\d+ pages pre-rendered .* 8 dynamic routes", build.stdout, re.M)


def test_expected_pages_are_files(build: Build, published: list[PostFile], publication):
    per_page = publication.DEFAULTS["POSTS_PER_PAGE"]
    for endpoint, urls in expected_static_urls(published, per_page).items():
        assert {route["decision"] for route in build.routes(endpoint)} == {"static"}, endpoint
        assert build.urls(endpoint) == urls, endpoint
    for route in build.manifest["routes"]:
        for entry in route["urls"]:
            data = (build.public / entry["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]


def test_static_files_and_the_404_page_are_published(build: Build, example_copy: Path):
    static = example_copy / "publication" / "static"
    on_disk = {f"/static/{p.relative_to(static).as_posix()}" for p in static.rglob("*.*")}
    assert build.urls("static") == on_disk
    assert build.manifest["not_found"] == "404.html"
    assert "There is no page here" in (build.public / "404.html").read_text(encoding="utf-8")


def test_expected_routes_are_dynamic_for_their_reason(build: Build):
    dynamic = {r["endpoint"] for r in build.manifest["routes"] if r["decision"] == "dynamic"}
    assert dynamic == set(DYNAMIC)
    for endpoint, expected in DYNAMIC.items():
        (route,) = build.routes(endpoint)
        messages = [reason["message"] for reason in route["reasons"]]
        for words in expected:
            assert any(words in message for message in messages), (endpoint, words, messages)
        assert route["urls"] == []


def test_the_cookie_read_is_traced_through_the_included_template(build: Build):
    (route,) = build.routes("pages.start")
    (reason,) = route["reasons"]
    assert reason["file"] == "publication/visitors.py"
    assert reason["via"].startswith("template start.html -> partials/welcome_back.html")
    assert "returning_visitor" in reason["via"]


def test_the_report_says_why_in_words(build: Build):
    table = build.stdout.split("\n\n", 1)[0].splitlines()
    rows = {line.split()[0]: line for line in table[1:]}
    assert re.search(r"/start/\s+dynamic\s+-\s+-\s+reads request\.cookies", rows["pages.start"])
    assert "dynamic (forced)" in rows["pages.random_post"]
    assert re.search(r"/feed\.xml\s+static\s+1\s", rows["feeds.feed"])
    # --explain prints the whole path to the read, under its route.
    explained = build.stdout.split("pages.start  /start/  -> dynamic", 1)[1]
    assert (
        explained.splitlines()[1]
        .strip()
        .startswith("because reads request.cookies at publication/visitors.py:")
    )


def test_drafts_are_not_published(build: Build, drafts: list[PostFile]):
    every_url = {entry["url"] for r in build.manifest["routes"] for entry in r["urls"]}
    for draft in drafts:
        assert f"/posts/{draft.slug}/" not in every_url
        for path in build.public.rglob("*"):
            if path.is_file() and path.suffix in {".html", ".xml", ".json", ".txt"}:
                text = path.read_text(encoding="utf-8")
                assert draft.slug not in text and draft.title not in text, path


def test_feed_lists_the_newest_posts_with_absolute_links(build: Build, published):
    feed = ET.parse(build.public / "feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [p.title for p in published[:20]]
    assert feed.findtext(f"{ATOM}updated") == f"{published[0].date.isoformat()}T00:00:00Z"
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert ids == [f"{SITE_URL}/posts/{p.slug}/" for p in published[:20]]
    (entry,) = [e for e in build.manifest["routes"] if e["endpoint"] == "feeds.feed"]
    assert entry["urls"][0]["headers"]["Content-Type"].startswith("application/atom+xml")


def test_sitemap_lists_every_html_page(build: Build):
    sitemap = ET.parse(build.public / "sitemap.xml").getroot()
    listed = {loc.text for loc in sitemap.iter(f"{SITEMAP}loc")}
    html_pages = {
        SITE_URL + entry["url"]
        for route in build.manifest["routes"]
        for entry in route["urls"]
        if entry["headers"]["Content-Type"].startswith("text/html")
    }
    assert listed == html_pages
    robots = (build.public / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {SITE_URL}/sitemap.xml" in robots.splitlines()


def test_posts_json_lists_published_posts_newest_first(build: Build, published):
    data = json.loads((build.public / "api" / "posts.json").read_text(encoding="utf-8"))
    assert [post["slug"] for post in data["posts"]] == [post.slug for post in published]
    assert data["posts"][0]["date"] == published[0].date.isoformat()


def hashes(root: Path) -> dict[str, str]:
    """Every file under ``root``, by relative path, with its SHA-256."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


def test_two_builds_write_the_same_bytes(example_copy: Path, tmp_path: Path):
    # Into the same folder: the host configs name the folder they serve.
    out = tmp_path / "twice"
    assert run_build(example_copy, out).returncode == 0
    first = hashes(out)
    again = run_build(example_copy, out)
    assert again.returncode == 0, again.stderr
    # The manifest too: the same hashes, headers and reasons, in the same order.
    assert hashes(out) == first


def test_a_broken_post_keeps_the_last_good_build(example_copy: Path, tmp_path: Path, published):
    project = tmp_path / "example_site"
    shutil.copytree(example_copy, project, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "site"
    assert run_build(project, out).returncode == 0
    good = hashes(out)

    post = project / "content" / "posts" / f"{published[0].slug}.md"
    text = post.read_text(encoding="utf-8")
    post.write_text(re.sub(r"^date = .*$", 'date = "yesterday"', text, count=1, flags=re.M))
    broken = run_build(project, out)

    assert broken.returncode != 0
    assert f"{post}: front matter date = 'yesterday' should be like date = 2026-03-14" in (
        broken.stdout
    )
    assert f"{out} was left as it was" in broken.stdout
    assert hashes(out) == good
