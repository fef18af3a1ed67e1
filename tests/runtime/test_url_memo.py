"""url_for remembers the URLs it built (``sitec.runtime.routememo``): never a stale one.

Each test builds a URL once, so that it is remembered, then changes one thing
the URL depends on and checks the next build sees the change.
"""

from __future__ import annotations

import uuid

import pytest
from werkzeug.routing import BaseConverter
from werkzeug.routing import Rule

from sitec.runtime import Flask
from sitec.runtime import g
from sitec.runtime import routememo
from sitec.runtime import url_for


@pytest.fixture
def app(tmp_path):
    app = Flask("url_cache_app", root_path=str(tmp_path), static_folder=None)

    @app.route("/item/<ident>")
    def item(ident):
        return ident

    return app


def urls_per_language(app, endpoint, **values):
    """The URL built with ``g.lang`` set to "en", then to "de", in one request."""
    urls = []
    with app.test_request_context():
        for lang in ("en", "de"):
            g.lang = lang
            urls.append(url_for(endpoint, **values))
    return urls


def test_repeated_builds_give_the_same_url(app):
    with app.test_request_context():
        first = [url_for("item", ident=v) for v in ("a", "b", "a", 7, "a b")]
        again = [url_for("item", ident=v) for v in ("a", "b", "a", 7, "a b")]
    assert first == again == ["/item/a", "/item/b", "/item/a", "/item/7", "/item/a%20b"]


def test_equal_values_of_other_types_build_their_own_urls(app):
    # True == 1 and 1.0 == 1, but each is written differently in a URL.
    with app.test_request_context():
        assert url_for("item", ident=1) == "/item/1"
        assert url_for("item", ident=True) == "/item/True"
        assert url_for("item", ident=1.0) == "/item/1.0"
        assert url_for("item", ident=0.0) == "/item/0.0"
        assert url_for("item", ident=-0.0) == "/item/-0.0"
        ident = uuid.UUID(int=5)
        assert url_for("item", ident=ident) == f"/item/{ident}"
        assert url_for("item", ident=str(ident)) == f"/item/{ident}"


def test_query_string_follows_value_order_and_map_sorting(app):
    with app.test_request_context():
        assert url_for("item", ident="a", z=1, b=2) == "/item/a?z=1&b=2"
        assert url_for("item", ident="a", b=2, z=1) == "/item/a?b=2&z=1"
        app.url_map.sort_parameters = True
        assert url_for("item", ident="a", z=1, b=2) == "/item/a?b=2&z=1"


def test_a_rule_added_later_is_used(app):
    with app.test_request_context():
        assert url_for("item", ident="a", page=2) == "/item/a?page=2"
        # A rule with more arguments is preferred for building once it exists.
        app.url_map.add(Rule("/item/<ident>/page/<int:page>", endpoint="item"))
        assert url_for("item", ident="a", page=2) == "/item/a/page/2"


def test_host_scheme_and_script_root_of_each_request(app):
    urls = []
    # Each base differs from the one before it in one part only.
    for base in ("http://a.test", "http://b.test", "https://b.test", "https://b.test/shop"):
        with app.test_request_context(base_url=base):
            urls.append(url_for("item", ident="x"))
            urls.append(url_for("item", ident="x", _external=True))
    assert urls == [
        "/item/x",
        "http://a.test/item/x",
        "/item/x",
        "http://b.test/item/x",
        "/item/x",
        "https://b.test/item/x",
        "/shop/item/x",
        "https://b.test/shop/item/x",
    ]


def test_subdomain_of_each_request(tmp_path):
    app = Flask("sub_app", root_path=str(tmp_path), static_folder=None, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"
    app.add_url_rule("/item/<ident>", endpoint="item")
    urls = []
    for base in ("http://example.test", "http://api.example.test", "http://example.test"):
        with app.test_request_context(base_url=base):
            urls.append(url_for("item", ident="x"))
    # From another subdomain, a link to the main domain must name the host.
    assert urls == ["/item/x", "http://example.test/item/x", "/item/x"]


def test_config_changes_outside_requests(app):
    app.config.update(SERVER_NAME="one.test", PREFERRED_URL_SCHEME="https")
    with app.app_context():
        assert url_for("item", ident="x") == "https://one.test/item/x"
    app.config.update(SERVER_NAME="two.test", APPLICATION_ROOT="/root")
    with app.app_context():
        assert url_for("item", ident="x") == "https://two.test/root/item/x"


def test_scheme_anchor_and_method_options(app):
    app.add_url_rule("/edit/<ident>", endpoint="edit", methods=["POST"])
    app.add_url_rule("/show/<ident>", endpoint="edit", methods=["GET"])
    with app.test_request_context(base_url="http://h.test"):
        assert url_for("item", ident="x", _scheme="https", _external=True) == (
            "https://h.test/item/x"
        )
        assert url_for("item", ident="x", _external=True) == "http://h.test/item/x"
        assert url_for("item", ident="x", _anchor="top") == "/item/x#top"
        assert url_for("item", ident="x") == "/item/x"
        assert url_for("edit", ident="x", _method="POST") == "/edit/x"
        assert url_for("edit", ident="x", _method="GET") == "/show/x"
    # Without _method, the rule for the request's own method is preferred.
    with app.test_request_context(method="POST"):
        assert url_for("edit", ident="x") == "/edit/x"
    with app.test_request_context(method="GET"):
        assert url_for("edit", ident="x") == "/show/x"


def test_url_defaults_run_on_every_call(app):
    @app.url_defaults
    def language(endpoint, values):
        values.setdefault("lang", g.lang)

    assert urls_per_language(app, "item", ident="x") == ["/item/x?lang=en", "/item/x?lang=de"]


def test_a_custom_converter_is_asked_every_time(app):
    class Translated(BaseConverter):
        def to_url(self, value):
            return f"{g.lang}-{value}"

    app.url_map.converters["translated"] = Translated
    app.add_url_rule("/page/<translated:name>", endpoint="page")
    assert urls_per_language(app, "page", name="home") == ["/page/en-home", "/page/de-home"]


def test_objects_are_converted_every_time(app):
    class Slug:
        def __init__(self, text):
            self.text = text

        def __str__(self):
            return self.text

    slug = Slug("first")
    with app.test_request_context():
        assert url_for("item", ident=slug) == "/item/first"
        slug.text = "second"
        assert url_for("item", ident=slug) == "/item/second"


def test_a_rule_subclass_is_built_by_its_own_code(tmp_path):
    class Localized(Rule):
        def build(self, values, append_unknown=True):
            domain, path = super().build(values, append_unknown)
            return domain, f"/{g.lang}{path}"

    class App(Flask):
        url_rule_class = Localized

    app = App("localized_app", root_path=str(tmp_path), static_folder=None)
    app.add_url_rule("/a/<x>", endpoint="a")
    assert urls_per_language(app, "a", x="b") == ["/en/a/b", "/de/a/b"]


def test_build_errors_are_not_remembered(app):
    with app.test_request_context():
        with pytest.raises(Exception, match="item"):
            url_for("item")
        app.add_url_rule("/item", endpoint="item")
        assert url_for("item") == "/item"


def test_memory_stays_bounded(app, monkeypatch):
    monkeypatch.setattr(routememo, "MAX_ANSWERS", 10)
    with app.test_request_context():
        for n in range(35):
            assert url_for("item", ident=n) == f"/item/{n}"
        assert len(app._built_urls._urls) <= 10
        assert url_for("item", ident=3) == "/item/3"
