"""The dynamic half of the example, served by sitec's runtime on a real socket: search,
the search API, the contact form and its CSRF token, the members' login and logout,
the returning-visitor greeting and the random post.

Each test browses as one visitor: a cookie jar, and redirects not followed, so every
status and ``Location`` is seen.
"""

from __future__ import annotations

import datetime
import http.cookiejar
import json
import re
import typing as t
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pytest

from .example_support import PostFile

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Page:
    status: int
    headers: t.Any
    text: str

    def json(self) -> t.Any:
        return json.loads(self.text)

    @property
    def location(self) -> str:
        """The redirect's target without scheme and host."""
        parts = urllib.parse.urlsplit(self.headers["Location"])
        return parts._replace(scheme="", netloc="").geturl()

    def csrf_token(self) -> str:
        match = TOKEN.search(self.text)
        assert match, "the page has no form with a CSRF token"
        return match.group(1)


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: t.Any, **kwargs: t.Any) -> None:
        return None


class Visitor:
    """One browser: its own cookies, talking to the served app."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _KeepRedirects()
        )

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, form: dict[str, str]) -> Page:
        data = urllib.parse.urlencode(form).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))

    def set_cookie(self, name: str, value: str) -> None:
        host = urllib.parse.urlsplit(self.base).hostname or ""
        self.cookies.set_cookie(
            http.cookiejar.Cookie(
                0,
                name,
                value,
                None,
                False,
                host,
                False,
                False,
                "/",
                True,
                False,
                None,
                False,
                None,
                None,
                {},
            )  # fmt: skip
        )

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            response = self.opener.open(request, timeout=10)
        except urllib.error.HTTPError as error:  # 3xx (not followed) and 4xx land here
            response = error
        with response:
            return Page(response.status, response.headers, response.read().decode())


@pytest.fixture
def visitor(server: str) -> Visitor:
    return Visitor(server)


# -- search ---------------------------------------------------------------------------


def test_search_finds_a_post_by_a_word_of_its_title(visitor: Visitor, published: list[PostFile]):
    post = next(p for p in published if "Atom" in p.title)
    page = visitor.get("/search?q=atom")
    assert page.status == 200
    assert f'href="/posts/{post.slug}/"' in page.text
    assert 'value="atom"' in page.text
    assert "<mark>" in page.text


def test_search_without_a_match_says_so(visitor: Visitor):
    page = visitor.get("/search?q=zeppelin+quartz")
    assert page.status == 200
    assert "0 posts found" in page.text
    assert 'class="result"' not in page.text


def test_search_escapes_what_it_echoes(visitor: Visitor):
    page = visitor.get("/search?q=" + urllib.parse.quote("<script>alert(1)</script>"))
    assert page.status == 200
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)" in page.text


def test_search_api_answers_its_parameters(visitor: Visitor, published: list[PostFile]):
    data = visitor.get("/api/search?q=feed&limit=2").json()
    assert data["query"] == "feed" and data["tag"] is None
    assert data["total"] >= 3 and len(data["results"]) == 2
    assert [r["score"] for r in data["results"]] == sorted(
        (r["score"] for r in data["results"]), reverse=True
    )

    tagged = visitor.get("/api/search?tag=css").json()
    css = [post.slug for post in published if "css" in post.tags]
    assert [r["slug"] for r in tagged["results"]] == css

    both = visitor.get("/api/search?q=grid&tag=css").json()
    assert [r["slug"] for r in both["results"]] == ["a-stylesheet-for-phones-first"]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("q=feed&limit=0", "limit must be a whole number from 1 to 50"),
        ("q=feed&limit=51", "limit must be a whole number from 1 to 50"),
        ("q=feed&limit=many", "limit must be a whole number from 1 to 50"),
        ("", "give q (words to look for), tag, or both"),
    ],
)
def test_search_api_refuses_bad_parameters(visitor: Visitor, query: str, error: str):
    page = visitor.get(f"/api/search?{query}")
    assert page.status == 400
    assert page.headers["Content-Type"] == "application/json"
    assert page.json() == {"error": error}


# -- the contact form -------------------------------------------------------------------

GOOD_MESSAGE = {
    "name": "Ada",
    "email": "ada@example.org",
    "message": "Your post on feeds fixed my reader's duplicate entries. Thank you!",
}


def test_contact_form_refuses_a_post_without_a_token(visitor: Visitor):
    visitor.get("/contact/")  # the session now holds a token, but the post does not send it
    page = visitor.post("/contact/", GOOD_MESSAGE)
    assert page.status == 400
    assert "This form expired or did not come from this site" in page.text


def test_contact_form_refuses_a_wrong_token(visitor: Visitor):
    token = visitor.get("/contact/").csrf_token()
    page = visitor.post("/contact/", GOOD_MESSAGE | {"csrf_token": token[::-1]})
    assert page.status == 400


def test_contact_form_refuses_another_visitors_token(visitor: Visitor, server: str):
    token = Visitor(server).get("/contact/").csrf_token()
    visitor.get("/contact/")
    assert visitor.post("/contact/", GOOD_MESSAGE | {"csrf_token": token}).status == 400


def test_contact_form_shows_what_to_fix_and_keeps_the_text(visitor: Visitor):
    token = visitor.get("/contact/").csrf_token()
    form = {"name": "", "email": "ada at example", "message": "Hi <b>there</b>"}
    page = visitor.post("/contact/", form | {"csrf_token": token})
    assert page.status == 422
    assert "Your message was not sent yet" in page.text
    assert "Tell us your name" in page.text
    assert "We need an email address" in page.text
    assert "Write at least 20 characters" in page.text
    assert 'value="ada at example"' in page.text
    assert "Hi &lt;b&gt;there&lt;/b&gt;</textarea>" in page.text


def test_contact_form_accepts_a_good_message_once(visitor: Visitor):
    token = visitor.get("/contact/").csrf_token()
    page = visitor.post("/contact/", GOOD_MESSAGE | {"csrf_token": token})
    assert page.status == 302
    assert page.location == "/contact/"
    confirmation = "Thank you, Ada: your message reached us."
    assert confirmation in visitor.get("/contact/").text
    assert confirmation not in visitor.get("/contact/").text  # a flash is shown once


# -- members ---------------------------------------------------------------------------


def log_in(visitor: Visitor, password: str = "plain-pages", next: str = "") -> Page:
    query = f"?next={urllib.parse.quote(next)}" if next else ""
    token = visitor.get(f"/members/login{query}").csrf_token()
    form = {"username": "reader", "password": password, "csrf_token": token}
    return visitor.post(f"/members/login{query}", form)


def test_the_desk_sends_strangers_to_the_login_page(visitor: Visitor):
    page = visitor.get("/members/")
    assert page.status == 302
    assert page.location == "/members/login?next=/members/"


def test_a_wrong_password_is_refused(visitor: Visitor):
    page = log_in(visitor, password="hunter2")
    assert page.status == 422
    assert "That username and password do not match an account." in page.text
    assert visitor.get("/members/").status == 302


def test_login_sets_the_session_and_logout_clears_it(visitor: Visitor, drafts: list[PostFile]):
    page = log_in(visitor, next="/members/")
    assert page.status == 302 and page.location == "/members/"
    assert visitor.cookie("session")

    desk = visitor.get("/members/")
    assert desk.status == 200
    assert "Logged in as <strong>reader</strong>" in desk.text
    assert "Welcome, reader. You are logged in." in desk.text
    for draft in drafts:
        assert draft.title in desk.text

    # Logging out needs the form's token too.
    assert visitor.post("/members/logout", {}).status == 400
    assert visitor.get("/members/").status == 200

    page = visitor.post("/members/logout", {"csrf_token": desk.csrf_token()})
    assert page.status == 302 and page.location == "/members/login"
    assert "You are logged out." in visitor.get("/members/login").text
    assert visitor.get("/members/").status == 302


def test_login_makes_a_new_token(visitor: Visitor):
    before = visitor.get("/contact/").csrf_token()
    log_in(visitor)
    assert visitor.post("/members/logout", {"csrf_token": before}).status == 400


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_the_site(visitor: Visitor, target: str):
    page = log_in(visitor, next=target)
    assert page.status == 302
    assert page.headers["Location"].endswith("/members/")


# -- the pages that look static but are not ------------------------------------------------


def test_start_greets_only_a_returning_visitor(visitor: Visitor, published: list[PostFile]):
    first = visitor.get("/start/")
    assert first.status == 200
    assert "Welcome back" not in first.text
    assert visitor.cookie("last_visit") == datetime.date.today().isoformat()

    since = published[2].date  # two posts are newer than that
    visitor.set_cookie("last_visit", since.isoformat())
    page = visitor.get("/start/")
    assert "Welcome back!" in page.text
    assert "2 new posts appeared" in page.text
    greeting = page.text.split("Welcome back!", 1)[1].split("</aside>", 1)[0]
    assert re.findall(r'href="/posts/([^/]+)/"', greeting) == [p.slug for p in published[:2]]


def test_random_redirects_to_a_published_post(visitor: Visitor, published: list[PostFile]):
    slugs = {post.slug for post in published}
    for _ in range(5):
        page = visitor.get("/random/")
        assert page.status == 302
        assert page.location.removeprefix("/posts/").rstrip("/") in slugs


def test_a_draft_is_not_found_in_the_dynamic_half_either(visitor, drafts: list[PostFile]):
    page = visitor.get(f"/posts/{drafts[0].slug}/")
    assert page.status == 404
    assert "There is no page here" in page.text
