"""The cookie session end to end: signing, rotation, cookie attributes, expiry, laziness."""

from __future__ import annotations

import hashlib
import time
import typing as t
import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from itsdangerous import BadSignature
from itsdangerous import TimestampSigner
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup
from werkzeug.http import parse_date

from sitec.runtime import Flask
from sitec.runtime import current_app
from sitec.runtime import session
from sitec.runtime.json.tag import TaggedJSONSerializer
from sitec.runtime.sessions import NullSession
from sitec.runtime.sessions import SecureCookieSession
from sitec.runtime.sessions import SessionInterface
from sitec.runtime.sessions import SessionMixin

KEY = "correct horse battery staple"


def independent_serializer(key: str | list[str], signer: type = TimestampSigner):
    """A serializer built here from itsdangerous alone, with Flask's cookie settings."""
    return URLSafeTimedSerializer(
        key,
        salt="cookie-session",
        serializer=TaggedJSONSerializer(),
        signer=signer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


def set_cookies(response) -> dict[str, tuple[str, dict[str, str | None]]]:
    """Parse every Set-Cookie header into name -> (value, {lowercased attribute: value})."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *rest = (part.strip() for part in header.split(";"))
        name, _, value = first.partition("=")
        attrs: dict[str, str | None] = {}
        for part in rest:
            attr, eq, attr_value = part.partition("=")
            attrs[attr.lower()] = attr_value if eq else None
        cookies[name] = (value, attrs)
    return cookies


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY=KEY)

    @app.post("/put/<key>/<value>")
    def put(key: str, value: str) -> str:
        session[key] = value
        return "stored"

    @app.get("/read/<key>")
    def read(key: str) -> str:
        return repr(session.get(key))

    @app.get("/untouched")
    def untouched() -> str:
        return "no session here"

    @app.post("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    @app.post("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["who"] = "perm"
        return "permanent"

    return app


def test_values_round_trip_through_the_client(app: Flask) -> None:
    stamp = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")

    @app.post("/rich")
    def rich() -> str:
        session["pair"] = (1, "two")
        session["raw"] = b"\x00\xff"
        session["when"] = stamp
        session["id"] = ident
        session["html"] = Markup("<b>x</b>")
        session["nested"] = {"list": [1, (2, 3)], " t": "looks like a tag"}
        return ""

    @app.get("/rich")
    def rich_read() -> dict[str, t.Any]:
        return {
            "pair": session["pair"] == (1, "two"),
            "raw": session["raw"] == b"\x00\xff",
            "when": session["when"] == stamp,
            "id": session["id"] == ident,
            "html": isinstance(session["html"], Markup) and session["html"] == "<b>x</b>",
            "nested": session["nested"] == {"list": [1, (2, 3)], " t": "looks like a tag"},
        }

    client = app.test_client()
    client.post("/rich")
    assert client.get("/rich").get_json() == dict.fromkeys(
        ["pair", "raw", "when", "id", "html", "nested"], True
    )


def test_cookie_is_signed_with_the_secret_key(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/put/colour/teal")
    value, _ = set_cookies(response)["session"]

    assert independent_serializer(KEY).loads(value) == {"colour": "teal"}
    with pytest.raises(BadSignature):
        independent_serializer("some other key").loads(value)
    assert client.get("/read/colour").text == "'teal'"


def test_a_cookie_signed_elsewhere_with_the_same_key_is_accepted(app: Flask) -> None:
    client = app.test_client()
    client.set_cookie("session", independent_serializer(KEY).dumps({"colour": "plum"}))
    assert client.get("/read/colour").text == "'plum'"


def alter_signature(value: str) -> str:
    payload, _, signature = value.rpartition(".")
    replacement = "A" if signature[0] != "A" else "Q"
    return f"{payload}.{replacement}{signature[1:]}"


@pytest.mark.parametrize(
    "forge",
    [
        # The signature's first character carries six real bits (the last one has
        # padding bits that may not change the decoded signature at all).
        alter_signature,
        lambda v: "x" + v,  # payload altered
        lambda v: "garbage-without-any-dots",
        lambda v: independent_serializer("attacker key").dumps({"colour": "evil"}),
    ],
    ids=["signature", "payload", "garbage", "wrong-key"],
)
def test_tampered_cookie_gives_a_fresh_session(app: Flask, forge) -> None:
    client = app.test_client()
    value, _ = set_cookies(client.post("/put/colour/teal"))["session"]
    client.set_cookie("session", forge(value))

    response = client.get("/read/colour")
    assert response.status_code == 200
    assert response.text == "None"
    # A fresh session can be written again.
    client.post("/put/colour/green")
    assert client.get("/read/colour").text == "'green'"


def test_secret_key_rotation_with_fallbacks(app: Flask) -> None:
    client = app.test_client()
    client.post("/put/user/ada")
    old_cookie, _ = set_cookies(client.post("/put/role/admin"))["session"]

    app.config.update(SECRET_KEY="the new key", SECRET_KEY_FALLBACKS=[KEY])
    # The cookie signed with the old key still loads.
    assert client.get("/read/user").text == "'ada'"
    assert client.get("/read/role").text == "'admin'"

    # New cookies are signed with the new key only.
    new_cookie, _ = set_cookies(client.post("/put/user/grace"))["session"]
    assert independent_serializer("the new key").loads(new_cookie) == {
        "user": "grace",
        "role": "admin",
    }
    with pytest.raises(BadSignature):
        independent_serializer(KEY).loads(new_cookie)

    # Without the fallback the old cookie is worthless.
    app.config["SECRET_KEY_FALLBACKS"] = None
    other = app.test_client()
    other.set_cookie("session", old_cookie)
    assert other.get("/read/user").text == "None"


def test_several_fallbacks_are_all_tried(app: Flask) -> None:
    app.config.update(SECRET_KEY="k3", SECRET_KEY_FALLBACKS=["k1", "k2"])
    for key in ("k1", "k2", "k3"):
        client = app.test_client()
        client.set_cookie("session", independent_serializer(key).dumps({"signed": key}))
        assert client.get("/read/signed").text == repr(key)


def test_apps_with_different_keys_do_not_accept_each_others_cookies() -> None:
    apps = []
    for key in ("alpha key", "beta key"):
        app = Flask(key.split()[0])
        app.secret_key = key

        @app.post("/mine")
        def mine() -> str:
            session["owner"] = current_app.name
            return ""

        @app.get("/owner")
        def owner() -> str:
            return repr(session.get("owner"))

        apps.append(app)

    alpha, beta = apps
    cookies = {}
    for app in (alpha, beta, alpha, beta):
        cookies[app.name], _ = set_cookies(app.test_client().post("/mine"))["session"]
    for app in (alpha, beta, alpha):
        for name, cookie in cookies.items():
            client = app.test_client()
            client.set_cookie("session", cookie)
            expected = repr(name) if name == app.name else "None"
            assert client.get("/owner").text == expected


def test_default_cookie_attributes(app: Flask) -> None:
    _, attrs = set_cookies(app.test_client().post("/put/a/b"))["session"]
    assert attrs["path"] == "/"
    assert "httponly" in attrs
    assert "secure" not in attrs
    assert "samesite" not in attrs
    assert "domain" not in attrs
    assert "partitioned" not in attrs
    assert "expires" not in attrs  # not permanent: a browser-session cookie


@pytest.mark.parametrize(
    ("config", "check"),
    [
        ({"SESSION_COOKIE_DOMAIN": "example.test"}, lambda a: a["domain"] == "example.test"),
        ({"SESSION_COOKIE_PATH": "/shop"}, lambda a: a["path"] == "/shop"),
        ({"APPLICATION_ROOT": "/mounted"}, lambda a: a["path"] == "/mounted"),
        (
            {"APPLICATION_ROOT": "/mounted", "SESSION_COOKIE_PATH": "/own"},
            lambda a: a["path"] == "/own",
        ),
        ({"SESSION_COOKIE_HTTPONLY": False}, lambda a: "httponly" not in a),
        ({"SESSION_COOKIE_SECURE": True}, lambda a: "secure" in a),
        ({"SESSION_COOKIE_SAMESITE": "Lax"}, lambda a: a["samesite"] == "Lax"),
        ({"SESSION_COOKIE_SAMESITE": "Strict"}, lambda a: a["samesite"] == "Strict"),
        ({"SESSION_COOKIE_PARTITIONED": True}, lambda a: "partitioned" in a and "secure" in a),
    ],
)
def test_cookie_config_keys(app: Flask, config: dict[str, t.Any], check) -> None:
    app.config.update(config)
    # The test client puts APPLICATION_ROOT in front of the path by itself.
    response = app.test_client().post("/put/a/b")
    assert response.status_code == 200
    _, attrs = set_cookies(response)["session"]
    assert check(attrs), attrs


def test_cookie_name(app: Flask) -> None:
    app.config["SESSION_COOKIE_NAME"] = "sitec_sid"
    client = app.test_client()
    response = client.post("/put/k/v")
    assert set(set_cookies(response)) == {"sitec_sid"}
    assert client.get_cookie("sitec_sid") is not None
    assert client.get("/read/k").text == "'v'"

    # A cookie under the default name is not the session any more.
    other = app.test_client()
    other.set_cookie("session", independent_serializer(KEY).dumps({"k": "stale"}))
    assert other.get("/read/k").text == "None"


def test_emptied_session_deletes_the_cookie_with_the_same_attributes(app: Flask) -> None:
    app.config.update(
        SESSION_COOKIE_DOMAIN="example.test", SESSION_COOKIE_PATH="/p", SESSION_COOKIE_SECURE=True
    )
    client = app.test_client()
    client.set_cookie("session", independent_serializer(KEY).dumps({"k": "v"}), path="/")
    response = client.post("/clear")

    value, attrs = set_cookies(response)["session"]
    assert value == ""
    assert attrs["max-age"] == "0"
    assert parse_date(attrs["expires"]) < datetime.now(UTC)
    assert attrs["domain"] == "example.test"
    assert attrs["path"] == "/p"
    assert "secure" in attrs
    assert "cookie" in vary(response)


def test_emptied_session_is_forgotten_by_the_client(app: Flask) -> None:
    client = app.test_client()
    client.post("/put/k/v")
    assert client.get_cookie("session") is not None
    client.post("/clear")
    assert client.get_cookie("session") is None
    assert client.get("/read/k").text == "None"


def test_permanent_session_gets_an_expiry(app: Flask) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=5)
    before = datetime.now(UTC).replace(microsecond=0)
    _, attrs = set_cookies(app.test_client().post("/permanent"))["session"]
    expires = parse_date(attrs["expires"])
    assert before + timedelta(hours=5) <= expires <= before + timedelta(hours=5, seconds=5)


def test_lifetime_in_seconds_is_a_timedelta(app: Flask) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = 90
    assert app.permanent_session_lifetime == timedelta(seconds=90)
    before = datetime.now(UTC).replace(microsecond=0)
    _, attrs = set_cookies(app.test_client().post("/permanent"))["session"]
    expires = parse_date(attrs["expires"])
    assert before + timedelta(seconds=90) <= expires <= before + timedelta(seconds=95)


class HourOldSigner(TimestampSigner):
    """Signs as if the cookie had been made an hour ago."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 3600


@pytest.mark.parametrize(
    ("lifetime", "loaded"), [(timedelta(minutes=30), False), (timedelta(hours=2), True)]
)
def test_cookie_older_than_the_lifetime_is_rejected(
    app: Flask, lifetime: timedelta, loaded: bool
) -> None:
    app.permanent_session_lifetime = lifetime
    client = app.test_client()
    cookie = independent_serializer(KEY, signer=HourOldSigner).dumps({"who": "old"})
    client.set_cookie("session", cookie)
    assert client.get("/read/who").text == ("'old'" if loaded else "None")


@pytest.mark.parametrize("refresh", [True, False])
def test_refresh_each_request_for_permanent_sessions(app: Flask, refresh: bool) -> None:
    app.config["SESSION_REFRESH_EACH_REQUEST"] = refresh
    client = app.test_client()
    client.post("/permanent")
    response = client.get("/read/who")
    assert response.text == "'perm'"
    assert ("session" in set_cookies(response)) is refresh
    assert "cookie" in vary(response)


@pytest.mark.parametrize("refresh", [True, False])
def test_non_permanent_session_is_not_resent_when_only_read(app: Flask, refresh: bool) -> None:
    app.config["SESSION_REFRESH_EACH_REQUEST"] = refresh
    client = app.test_client()
    client.post("/put/k/v")
    response = client.get("/read/k")
    assert response.text == "'v'"
    assert "Set-Cookie" not in response.headers


def test_vary_cookie_only_when_the_session_was_accessed(app: Flask) -> None:
    @app.get("/contains")
    def contains() -> str:
        return str("k" in session)

    client = app.test_client()
    assert "cookie" in vary(client.get("/read/k"))
    assert "cookie" in vary(client.get("/contains"))
    client.post("/put/k/v")
    assert "cookie" in vary(client.get("/read/k"))
    assert "cookie" not in vary(client.get("/untouched"))


def test_untouched_session_sets_no_cookie_and_no_vary(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/untouched")
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers

    # Also when the client sends a (valid or broken) session cookie.
    client.post("/put/k/v")
    response = client.get("/untouched")
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers
    client.set_cookie("session", "broken")
    response = client.get("/untouched")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_untouched_permanent_session_is_still_refreshed(app: Flask) -> None:
    client = app.test_client()
    client.post("/permanent")
    response = client.get("/untouched")
    value, attrs = set_cookies(response)["session"]
    assert independent_serializer(KEY).loads(value)["who"] == "perm"
    assert "expires" in attrs


def test_mutating_a_stored_value_needs_modified(app: Flask) -> None:
    @app.post("/append/<item>")
    def append(item: str) -> str:
        session.setdefault("items", []).append(item)
        if item.startswith("!"):
            session.modified = True
        return ""

    @app.get("/items")
    def items() -> list[str]:
        return session.get("items", [])

    client = app.test_client()
    client.post("/append/!first")
    client.post("/append/lost")  # an in-place change the session cannot see
    client.post("/append/!kept")
    assert client.get("/items").get_json() == ["!first", "!kept"]


def test_session_transaction_sets_up_state(app: Flask) -> None:
    client = app.test_client()
    with client.session_transaction() as sess:
        assert isinstance(sess, SecureCookieSession)
        sess["prepared"] = "yes"
    assert client.get("/read/prepared").text == "'yes'"
    with client.session_transaction() as sess:
        assert sess["prepared"] == "yes"


def test_without_secret_key_the_session_is_a_readonly_null_session() -> None:
    app = Flask(__name__)
    app.testing = True

    @app.get("/read")
    def read() -> str:
        return f"{type(session._get_current_object()).__name__} {dict(session)}"

    @app.get("/write")
    def write() -> str:
        session["k"] = "v"
        return "unreachable"

    client = app.test_client()
    response = client.get("/read")
    assert response.text == "NullSession {}"
    assert "Set-Cookie" not in response.headers
    with pytest.raises(RuntimeError, match="secret key") as info:
        client.get("/write")
    assert "SECRET_KEY" in str(info.value)

    null = NullSession()
    for attempt in (
        lambda: null.update(a=1),
        lambda: null.setdefault("a", 1),
        lambda: null.pop("a"),
        null.clear,
    ):
        with pytest.raises(RuntimeError, match="secret key"):
            attempt()

    with pytest.raises(RuntimeError, match="did not open a session"), client.session_transaction():
        pass


def test_writing_without_secret_key_is_a_500_outside_testing() -> None:
    app = Flask(__name__)

    @app.get("/write")
    def write() -> str:
        session["k"] = "v"
        return "unreachable"

    assert app.test_client().get("/write").status_code == 500


class MemorySession(dict, SessionMixin):
    def __init__(self, sid: str, data: dict[str, t.Any] | None = None) -> None:
        super().__init__(data or {})
        self.sid = sid


class MemorySessionInterface(SessionInterface):
    """Server-side sessions: the cookie only carries an id."""

    def __init__(self) -> None:
        self.store: dict[str, dict[str, t.Any]] = {}
        self.opened: list[str] = []
        self.saved: list[str] = []

    def open_session(self, app: Flask, request) -> MemorySession:
        sid = request.cookies.get(self.get_cookie_name(app)) or uuid.uuid4().hex
        self.opened.append(request.path)
        return MemorySession(sid, self.store.get(sid))

    def save_session(self, app: Flask, session: SessionMixin, response) -> None:
        self.saved.append(t.cast(MemorySession, session).sid)
        self.store[session.sid] = dict(session)
        response.set_cookie(
            self.get_cookie_name(app), session.sid, httponly=self.get_cookie_httponly(app)
        )


def test_custom_session_interface(app: Flask) -> None:
    interface = MemorySessionInterface()
    app.session_interface = interface
    app.secret_key = None  # a server-side backend needs no signing
    client = app.test_client()

    client.post("/put/cart/3")
    (sid,) = interface.store
    assert interface.store[sid] == {"cart": "3"}
    assert client.get_cookie("session").value == sid
    assert client.get("/read/cart").text == "'3'"

    # A custom backend is opened and saved for every request, used or not.
    client.get("/untouched")
    assert interface.opened[-1] == "/untouched"
    assert interface.saved == [sid, sid, sid]
    assert type(app.session_interface).__name__ == "MemorySessionInterface"


def test_session_interface_returning_none_means_null_session(app: Flask) -> None:
    class Refusing(SessionInterface):
        def open_session(self, app: Flask, request) -> None:
            return None

        def save_session(self, app: Flask, session: SessionMixin, response) -> None:
            raise AssertionError("a null session is never saved")

    app.session_interface = Refusing()
    response = app.test_client().get("/read/k")
    assert response.status_code == 200
    assert response.text == "None"
