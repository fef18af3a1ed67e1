"""Requests remember the routes they matched (``sitec.runtime.routememo``): never a stale one.

Each test requests a URL once, so that its match is remembered, then changes
one thing the match depends on and checks the next request sees the change.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import BaseConverter
from werkzeug.routing import Map
from werkzeug.routing import Rule
from werkzeug.routing import ValidationError

from sitec.runtime import Flask
from sitec.runtime import g
from sitec.runtime import request
from sitec.runtime import routememo


@pytest.fixture
def app(tmp_path):
    app = Flask("route_memo_app", root_path=str(tmp_path), static_folder=None)

    @app.route("/item/<name>")
    def item(name):
        return f"item {name}"

    @app.route("/page/<int:number>")
    def page(number):
        return f"page {number + 1}"

    return app


def texts(client, *paths, **kwargs):
    return [client.get(path, **kwargs).text for path in paths]


def test_repeated_requests_get_the_same_answers(app):
    client = app.test_client()
    paths = ("/item/a", "/page/7", "/item/a", "/item/b", "/page/7", "/item/a%20b")
    assert texts(client, *paths) == [
        "item a",
        "page 8",
        "item a",
        "item b",
        "page 8",
        "item a b",
    ]


def test_each_request_gets_view_args_of_its_own(app):
    @app.url_value_preprocessor
    def pull_lang(endpoint, values):
        g.lang = values.pop("lang", None)

    @app.route("/<lang>/about")
    def about():
        return f"about in {g.lang}, view args {request.view_args}"

    client = app.test_client()
    assert texts(client, *["/en/about"] * 3) == ["about in en, view args {}"] * 3


def test_a_rule_added_later_is_matched(app):
    client = app.test_client()
    assert client.get("/item/special").text == "item special"
    assert client.get("/new").status_code == 404
    # Static parts win over converters, so the new rule takes /item/special.
    app.url_map.add(Rule("/item/special", endpoint="special"))
    app.url_map.add(Rule("/new", endpoint="new"))
    app.view_functions.update(special=lambda: "special", new=lambda: "new")
    assert texts(client, "/item/special", "/new", "/item/other") == [
        "special",
        "new",
        "item other",
    ]


def test_the_method_picks_the_rule(app):
    app.add_url_rule("/form", "show", lambda: "show", methods=["GET"])
    app.add_url_rule("/form", "save", lambda: "save", methods=["POST"])
    client = app.test_client()
    for _ in range(2):
        assert client.get("/form").text == "show"
        assert client.post("/form").text == "save"
        refused = client.put("/form")
        assert refused.status_code == 405
        assert sorted(refused.allow) == ["GET", "HEAD", "OPTIONS", "POST"]


def test_a_websocket_upgrade_picks_the_rule(app):
    app.add_url_rule("/live", "plain", lambda: "plain")
    app.add_url_rule("/live", "socket", lambda: "socket", websocket=True)
    app.add_url_rule("/socket-only", "socket_only", lambda: "socket", websocket=True)
    client = app.test_client()
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade"}
    for _ in range(2):
        assert client.get("/live").text == "plain"
        assert client.get("/live", headers=upgrade).text == "socket"
    for _ in range(2):
        assert client.get("/socket-only").status_code == 400


def test_the_host_picks_the_rule(tmp_path):
    app = Flask("hosts_app", root_path=str(tmp_path), static_folder=None, host_matching=True)
    app.add_url_rule("/", "a", lambda: "site a", host="a.test")
    app.add_url_rule("/", "b", lambda: "site b", host="b.test")
    client = app.test_client()
    for _ in range(2):
        assert client.get("/", base_url="http://a.test").text == "site a"
        assert client.get("/", base_url="http://b.test").text == "site b"
        assert client.get("/", base_url="http://c.test").status_code == 404


def test_the_subdomain_picks_the_rule(tmp_path):
    app = Flask("subs_app", root_path=str(tmp_path), static_folder=None, subdomain_matching=True)
    app.config["SERVER_NAME"] = "site.test"
    app.add_url_rule("/", "main", lambda: "main")
    app.add_url_rule("/", "api", lambda: "api", subdomain="api")
    client = app.test_client()
    for _ in range(2):
        assert client.get("/", base_url="http://site.test").text == "main"
        assert client.get("/", base_url="http://api.site.test").text == "api"


def test_redirects_and_errors_are_answered_every_time(app):
    app.add_url_rule("/dir/", "dir", lambda: "dir")
    client = app.test_client()
    for _ in range(2):
        response = client.get("/dir")
        assert (response.status_code, response.location) == (308, "http://localhost/dir/")
        assert client.get("/page/x").status_code == 404


def test_a_custom_converter_runs_on_every_request(app):
    class Counted(BaseConverter):
        calls = 0

        def to_python(self, value):
            Counted.calls += 1
            return f"{value}#{Counted.calls}"

    app.url_map.converters["counted"] = Counted
    app.add_url_rule("/c/<counted:value>", "counted", lambda value: value)
    assert texts(app.test_client(), "/c/x", "/c/x") == ["x#1", "x#2"]


def test_a_custom_converter_makes_every_miss_ask_again(app):
    known = set()

    class Known(BaseConverter):
        def to_python(self, value):
            if value not in known:
                raise ValidationError()
            return value

    app.url_map.converters["known"] = Known
    app.add_url_rule("/k/<known:name>", "known", lambda name: f"known {name}")
    client = app.test_client()
    assert client.get("/k/x").status_code == 404
    known.add("x")
    assert client.get("/k/x").text == "known x"


def test_each_unmatched_request_gets_an_error_of_its_own(app):
    errors = []

    @app.errorhandler(404)
    def not_found(error):
        errors.append(error)
        answer = f"{error.description!r} {error.__traceback__ is None}"
        error.description = "changed by the handler"
        return answer, 404

    client = app.test_client()
    answers = texts(client, "/missing", "/missing")
    assert answers[0] == answers[1]
    assert errors[0] is not errors[1]


def test_a_plain_werkzeug_map_still_matches(tmp_path):
    class App(Flask):
        url_map_class = Map

    app = App("plain_map_app", root_path=str(tmp_path), static_folder=None)
    app.add_url_rule("/p/<int:n>", "p", lambda n: str(n * 2))
    assert texts(app.test_client(), "/p/2", "/p/2", "/p/3") == ["4", "4", "6"]


def test_memory_stays_bounded(app, monkeypatch):
    monkeypatch.setattr(routememo, "MAX_ANSWERS", 10)
    client = app.test_client()
    assert texts(client, *(f"/page/{n}" for n in range(35))) == [f"page {n + 1}" for n in range(35)]
    assert len(app._matched_routes._routes) <= 10
