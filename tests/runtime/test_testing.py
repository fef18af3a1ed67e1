"""Test helpers: ``FlaskClient`` (sessions, redirects, kept contexts,
environ_base, JSON, buffering), the app-aware ``EnvironBuilder``, and
``FlaskCliRunner``."""

from __future__ import annotations

import os
import typing as t

import click
import pytest
from werkzeug.test import ClientRedirectError
from werkzeug.test import EnvironBuilder as WerkzeugEnvironBuilder

from sitec.runtime import Blueprint
from sitec.runtime import Flask
from sitec.runtime import current_app
from sitec.runtime import g
from sitec.runtime import redirect
from sitec.runtime import request
from sitec.runtime import session
from sitec.runtime import url_for
from sitec.runtime.ctx import has_request_context
from sitec.runtime.testing import EnvironBuilder
from sitec.runtime.testing import FlaskClient
from sitec.runtime.testing import FlaskCliRunner


@pytest.fixture
def app() -> Flask:
    app = Flask("clientapp")
    app.testing = True
    app.secret_key = "testing-tests"

    @app.route("/cart")
    def cart() -> dict[str, t.Any]:
        return {"items": session.get("items", []), "owner": session.get("owner")}

    @app.route("/cart/add/<item>")
    def add(item: str) -> str:
        session["items"] = [*session.get("items", []), item]
        return "added"

    @app.route("/whoami")
    def whoami() -> dict[str, t.Any]:
        return {
            "addr": request.remote_addr,
            "agent": request.user_agent.string,
            "host": request.host,
            "scheme": request.scheme,
            "root": request.script_root,
            "path": request.path,
            "url": request.url,
        }

    return app


# -- session_transaction --------------------------------------------------------------


def test_session_transaction_sets_values_the_app_sees(app: Flask) -> None:
    client = app.test_client()
    with client.session_transaction() as sess:
        assert dict(sess) == {}
        sess["owner"] = "mo"
        sess["items"] = ["pen"]
    assert client.get("/cart").json == {"items": ["pen"], "owner": "mo"}


def test_session_transaction_reads_what_the_app_stored(app: Flask) -> None:
    client = app.test_client()
    client.get("/cart/add/ink")
    client.get("/cart/add/nib")
    with client.session_transaction() as sess:
        assert sess["items"] == ["ink", "nib"]
        sess["items"].append("cap")
        sess.modified = True
    assert client.get("/cart").json["items"] == ["ink", "nib", "cap"]


def test_session_transaction_uses_request_context_arguments(app: Flask) -> None:
    app.config["SESSION_COOKIE_PATH"] = "/shop"
    client = app.test_client()
    with client.session_transaction("/shop/x") as sess:
        sess["owner"] = "pat"
    # The cookie is scoped to /shop, so /cart does not receive it.
    assert client.get("/cart").json["owner"] is None
    cookie = client.get_cookie("session", path="/shop")
    assert cookie is not None


def test_session_transaction_needs_cookies_and_a_session(app: Flask) -> None:
    no_cookies = app.test_client(use_cookies=False)
    with pytest.raises(TypeError, match="[Cc]ookies"), no_cookies.session_transaction():
        pass

    app.secret_key = None
    with pytest.raises(RuntimeError, match="session"), app.test_client().session_transaction():
        pass


# -- redirects -----------------------------------------------------------------------


def test_follow_redirects_with_history(app: Flask) -> None:
    @app.route("/step1")
    def step1() -> t.Any:
        return redirect(url_for("step2", via="one"))

    @app.route("/step2")
    def step2() -> t.Any:
        return redirect("/step3", 301)

    @app.route("/step3")
    def step3() -> str:
        return "done"

    client = app.test_client()
    rv = client.get("/step1")
    assert rv.status_code == 302
    assert rv.history == ()

    rv = client.get("/step1", follow_redirects=True)
    assert (rv.status_code, rv.text) == (200, "done")
    assert rv.request.path == "/step3"
    assert [r.status_code for r in rv.history] == [302, 301]
    assert [r.request.path for r in rv.history] == ["/step1", "/step2"]
    assert rv.history[1].request.args["via"] == "one"


def test_307_redirect_keeps_method_and_body(app: Flask) -> None:
    @app.post("/old-form")
    def old_form() -> t.Any:
        return redirect("/new-form", 307)

    @app.post("/new-form")
    def new_form() -> str:
        return f"{request.method} {request.form['name']}"

    rv = app.test_client().post("/old-form", data={"name": "kay"}, follow_redirects=True)
    assert rv.text == "POST kay"


def test_redirect_loop_is_detected(app: Flask) -> None:
    app.add_url_rule("/loop", "loop", lambda: redirect("/loop"))
    with pytest.raises(ClientRedirectError, match="loop"):
        app.test_client().get("/loop", follow_redirects=True)


# -- with client: keeping the contexts ---------------------------------------------------


def test_with_client_keeps_the_last_request_contexts(app: Flask) -> None:
    @app.route("/mark")
    def mark() -> str:
        g.mark = request.args["m"]
        session["seen"] = True
        return ""

    client = app.test_client()
    with client:
        client.get("/mark?m=first")
        assert request.args["m"] == "first"
        assert g.mark == "first"
        assert session["seen"] is True
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]

        client.get("/mark?m=second")
        assert request.args["m"] == "second"
        assert g.mark == "second"
    assert not has_request_context()
    assert not current_app


def test_without_with_the_contexts_are_gone(app: Flask) -> None:
    client = app.test_client()
    client.get("/cart")
    assert not has_request_context()


def test_with_client_cannot_be_nested(app: Flask) -> None:
    client = app.test_client()
    with client, pytest.raises(RuntimeError, match="nest"), client:
        pass
    # Still usable afterwards.
    with client:
        client.get("/cart")
        assert request.path == "/cart"


def test_with_client_tears_down_at_request_end_but_keeps_the_contexts(app: Flask) -> None:
    torn_down: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(request.path)

    client = app.test_client()
    with client:
        client.get("/cart")
        # Teardown ran as usual; the kept context is still readable.
        assert torn_down == ["/cart"]
        assert request.path == "/cart"
        client.get("/whoami")
        assert "/whoami" in torn_down
        assert request.path == "/whoami"
    assert not has_request_context()


# -- environ_base, json, buffered -----------------------------------------------------------


def test_environ_base_defaults_and_overrides(app: Flask) -> None:
    client = app.test_client()
    data = client.get("/whoami").json
    assert data["addr"] == "127.0.0.1"
    assert data["agent"].startswith("Werkzeug/")

    client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    client.environ_base["HTTP_USER_AGENT"] = "TestBot/2"
    data = client.get("/whoami").json
    assert (data["addr"], data["agent"]) == ("10.1.2.3", "TestBot/2")

    data = client.get("/whoami", environ_base={"REMOTE_ADDR": "192.0.2.9"}).json
    assert (data["addr"], data["agent"]) == ("192.0.2.9", "TestBot/2")
    # A per-request override does not stick.
    assert client.get("/whoami").json["addr"] == "10.1.2.3"


def test_json_argument_and_response_json(app: Flask) -> None:
    @app.post("/echo")
    def echo() -> dict[str, t.Any]:
        return {"got": request.get_json(), "type": request.content_type}

    rv = app.test_client().post("/echo", json={"n": [1, 2], "s": "é"})
    assert rv.json == {"got": {"n": [1, 2], "s": "é"}, "type": "application/json"}


def test_json_argument_uses_the_app_json_provider(app: Flask) -> None:
    class Point:
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

    default = app.json.default  # type: ignore[attr-defined]

    def encode(o: t.Any) -> t.Any:
        if isinstance(o, Point):
            return [o.x, o.y]
        return default(o)

    app.json.default = encode  # type: ignore[attr-defined]

    @app.post("/point")
    def point() -> dict[str, t.Any]:
        return {"body": request.get_data(as_text=True)}

    rv = app.test_client().post("/point", json={"p": Point(3, 4)})
    assert rv.json == {"body": '{"p": [3, 4]}'}


def test_bad_json_body_is_400(app: Flask) -> None:
    @app.post("/needs-json")
    def needs_json() -> dict[str, t.Any]:
        return {"got": request.get_json()}

    rv = app.test_client().post("/needs-json", data="{not json", content_type="application/json")
    assert rv.status_code == 400


def test_buffered_reads_and_closes_the_body_at_once(app: Flask) -> None:
    events: list[str] = []

    class Body:
        def __iter__(self) -> t.Iterator[bytes]:
            events.append("iterated")
            yield b"chunk"

        def close(self) -> None:
            events.append("closed")

    @app.route("/stream")
    def stream() -> t.Any:
        return app.response_class(Body())

    client = app.test_client()
    rv = client.get("/stream", buffered=True)
    assert events == ["iterated", "closed"]
    assert rv.data == b"chunk"

    events.clear()
    rv = client.get("/stream")
    assert "closed" not in events  # still open: the test reads it lazily
    assert rv.data == b"chunk"
    rv.close()
    assert events == ["iterated", "closed"]


def test_client_open_accepts_builders_and_environs(app: Flask) -> None:
    client = app.test_client()
    builder = EnvironBuilder(app, "/whoami", environ_base={"REMOTE_ADDR": "203.0.113.4"})
    try:
        assert client.open(builder).json["addr"] == "203.0.113.4"
    finally:
        builder.close()

    environ = WerkzeugEnvironBuilder("/whoami", base_url="http://other.test/").get_environ()
    data = client.open(environ).json
    assert data["host"] == "other.test"
    assert data["agent"].startswith("Werkzeug/")  # environ_base still applied


def test_test_client_class_override(app: Flask) -> None:
    class TokenClient(FlaskClient):
        def __init__(self, *args: t.Any, token: str = "none", **kwargs: t.Any) -> None:
            super().__init__(*args, **kwargs)
            self.token = token

        def open(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
            headers = kwargs.setdefault("headers", {})
            headers["X-Token"] = self.token
            return super().open(*args, **kwargs)

    @app.route("/token")
    def token() -> str:
        return request.headers.get("X-Token", "missing")

    assert app.test_client().get("/token").text == "missing"
    app.test_client_class = TokenClient
    client = app.test_client(token="s3cret")
    assert isinstance(client, TokenClient)
    assert client.get("/token").text == "s3cret"


# -- EnvironBuilder ----------------------------------------------------------------------


def test_environ_builder_defaults(app: Flask) -> None:
    builder = EnvironBuilder(app, "/x")
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    assert environ["HTTP_HOST"] == "localhost"
    assert environ["SCRIPT_NAME"] == ""
    assert environ["PATH_INFO"] == "/x"
    assert environ["wsgi.url_scheme"] == "http"


def test_environ_builder_uses_server_name_root_and_scheme(app: Flask) -> None:
    app.config.update(
        SERVER_NAME="shop.example.test:8443",
        APPLICATION_ROOT="/store",
        PREFERRED_URL_SCHEME="https",
    )
    builder = EnvironBuilder(app, "/items?page=2")
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    assert environ["HTTP_HOST"] == "shop.example.test:8443"
    assert environ["SERVER_PORT"] == "8443"
    assert environ["SCRIPT_NAME"] == "/store"
    assert environ["PATH_INFO"] == "/items"
    assert environ["QUERY_STRING"] == "page=2"
    assert environ["wsgi.url_scheme"] == "https"

    with app.test_request_context("/whoami"):
        assert request.url == "https://shop.example.test:8443/store/whoami"
        assert url_for("whoami") == "/store/whoami"


def test_environ_builder_subdomain_and_url_scheme(app: Flask) -> None:
    app.config["SERVER_NAME"] = "example.test"
    builder = EnvironBuilder(app, "/", subdomain="api", url_scheme="https")
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    assert environ["HTTP_HOST"] == "api.example.test"
    assert environ["wsgi.url_scheme"] == "https"

    # The same through the client, with a subdomain-matched blueprint.
    app.subdomain_matching = True
    api = Blueprint("api", __name__, subdomain="api")
    api.add_url_rule("/ping", "ping", lambda: f"pong from {request.host}")
    app.register_blueprint(api)
    client = app.test_client()
    assert client.get("/ping", subdomain="api").text == "pong from api.example.test"
    assert client.get("/ping").status_code == 404


def test_environ_builder_full_url_wins(app: Flask) -> None:
    app.config["SERVER_NAME"] = "default.test"
    data = app.test_client().get("https://given.test/whoami?x=1").json
    assert data["host"] == "given.test"
    assert data["scheme"] == "https"
    assert data["url"] == "https://given.test/whoami?x=1"


def test_environ_builder_base_url_excludes_subdomain_and_scheme(app: Flask) -> None:
    with pytest.raises(ValueError):
        EnvironBuilder(app, "/", base_url="http://a.test/", subdomain="b")
    with pytest.raises(ValueError):
        EnvironBuilder(app, "/", base_url="http://a.test/", url_scheme="https")
    builder = EnvironBuilder(app, "/p", base_url="http://a.test/mount/")
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    assert (environ["HTTP_HOST"], environ["SCRIPT_NAME"]) == ("a.test", "/mount")


def test_environ_builder_json_dumps_uses_the_app(app: Flask) -> None:
    app.json.sort_keys = True  # type: ignore[attr-defined]
    builder = EnvironBuilder(app, "/", json={"b": 1, "a": 2})
    try:
        assert builder.get_request().get_data(as_text=True) == '{"a": 2, "b": 1}'
        assert builder.json_dumps({"z": 0, "y": 1}) == '{"y": 1, "z": 0}'
    finally:
        builder.close()


# -- FlaskCliRunner -------------------------------------------------------------------------


def test_cli_runner_invokes_an_app_command(app: Flask) -> None:
    app.config["GREETING"] = "Howdy"

    @app.cli.command("greet")
    @click.option("--name", default="world")
    @click.argument("times", type=int, default=1)
    def greet(name: str, times: int) -> None:
        for _ in range(times):
            click.echo(f"{current_app.config['GREETING']}, {name}!")

    runner = app.test_cli_runner()
    assert isinstance(runner, FlaskCliRunner)
    result = runner.invoke(args=["greet", "--name", "Ola", "2"])
    assert result.exit_code == 0, result.output
    assert result.output == "Howdy, Ola!\nHowdy, Ola!\n"

    # The command object itself can be invoked too.
    result = runner.invoke(greet, ["--name", "Zed"])
    assert result.output == "Howdy, Zed!\n"


def test_cli_runner_reports_failures(app: Flask) -> None:
    @app.cli.command("explode")
    def explode() -> None:
        raise click.ClickException("it went bang")

    runner = app.test_cli_runner()
    result = runner.invoke(args=["explode"])
    assert result.exit_code == 1
    assert "it went bang" in result.output

    result = runner.invoke(args=["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_cli_runner_blueprint_command(app: Flask) -> None:
    bp = Blueprint("inventory", __name__, cli_group="inv")

    @bp.cli.command("count")
    def count() -> None:
        click.echo(f"{current_app.name}: 3 items")

    app.register_blueprint(bp)
    result = app.test_cli_runner().invoke(args=["inv", "count"])
    assert result.exit_code == 0, result.output
    assert result.output == "clientapp: 3 items\n"


def test_test_cli_runner_class_override(app: Flask) -> None:
    class LoudRunner(FlaskCliRunner):
        def invoke(self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any) -> t.Any:
            result = super().invoke(cli, args, **kwargs)
            result.loud = result.output.upper()  # type: ignore[attr-defined]
            return result

    @app.cli.command("hi")
    def hi() -> None:
        click.echo("hello there" + os.environ.get("HI_SUFFIX", ""))

    app.test_cli_runner_class = LoudRunner
    runner = app.test_cli_runner(env={"HI_SUFFIX": "!"})
    assert isinstance(runner, LoudRunner)
    assert runner.app is app
    assert runner.env == {"HI_SUFFIX": "!"}  # keyword arguments reach click's runner
    result = runner.invoke(args=["hi"])
    assert result.loud == "HELLO THERE!\n"  # type: ignore[attr-defined]
