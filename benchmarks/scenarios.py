"""The benchmark's small apps, each written once against the Flask API.

Every ``make_*`` function takes the framework module as its parameter (real
``flask`` or ``sitec.runtime``) and returns a fresh app, so both frameworks run
the very same code side by side in one process. A :class:`Scenario` pairs an app
factory with the one request the benchmark sends it and, where it is easy, a
bare-werkzeug app (see ``werkzeug_apps``) doing the equivalent as a floor.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from types import ModuleType

import werkzeug_apps

#: The links the template scenario renders: enough to make ``url_for`` count.
ITEMS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta")
SECRET_KEY = "runtime-bench-secret"


def make_hello(flask: ModuleType) -> t.Any:
    app = flask.Flask(__name__)

    @app.route("/")
    def hello() -> str:
        return "Hello, World!"

    return app


def make_json(flask: ModuleType) -> t.Any:
    app = flask.Flask(__name__)

    @app.route("/user/<int:id>")
    def user(id: int) -> dict[str, t.Any]:
        return {"id": id, "name": f"user{id}", "active": True, "roles": ["admin", "editor"]}

    return app


def make_template(flask: ModuleType) -> t.Any:
    # template_folder is relative to this module's folder: benchmarks/templates.
    app = flask.Flask(__name__)

    @app.route("/")
    def index() -> str:
        return "index"

    @app.route("/page/<name>")
    def page(name: str) -> str:
        return flask.render_template("page.html", title=name, items=ITEMS)

    return app


def make_hooks(flask: ModuleType) -> t.Any:
    app = flask.Flask(__name__)
    bp = flask.Blueprint("api", __name__, url_prefix="/api")

    @bp.before_request
    def load_user() -> None:
        flask.g.user = "alice"

    @bp.after_request
    def stamp(response: t.Any) -> t.Any:
        response.headers["X-Served-For"] = flask.g.user
        return response

    @bp.route("/items")
    def items() -> tuple[str, int, dict[str, str]]:
        return f"created for {flask.g.user}", 201, {"X-A": "b"}

    app.register_blueprint(bp)
    return app


def make_session(flask: ModuleType) -> t.Any:
    app = flask.Flask(__name__)
    app.config["SECRET_KEY"] = SECRET_KEY

    @app.route("/login")
    def login() -> str:
        flask.session["user"] = "alice"
        flask.session["visits"] = 1
        return "logged in"

    @app.route("/visit")
    def visit() -> str:
        session = flask.session
        session["visits"] = session.get("visits", 0) + 1
        return f"{session['user']} visit {session['visits']}"

    return app


def make_not_found(flask: ModuleType) -> t.Any:
    app = flask.Flask(__name__)

    @app.route("/")
    def index() -> str:
        return "index"

    @app.errorhandler(404)
    def not_found(error: t.Any) -> tuple[str, int]:
        return f"no page at {flask.request.path}", 404

    return app


def make_form(flask: ModuleType) -> t.Any:
    app = flask.Flask(__name__)

    @app.route("/form", methods=["POST"])
    def form() -> str:
        data = flask.request.form
        return f"{data['name']} ({data['age']}) from {data.get('city', '?')}"

    return app


@dataclass(frozen=True)
class Scenario:
    """One app and the one request that is timed against it."""

    name: str
    description: str
    make_app: t.Callable[[ModuleType], t.Any]
    path: str
    method: str = "GET"
    #: The status Flask answers with; anything else means the scenario itself is broken.
    status: int = 200
    body: bytes | None = None
    content_type: str | None = None
    #: A path whose response sets the session cookie the timed request carries;
    #: it is requested once per framework, before any checking or timing.
    cookie_from: str | None = None
    make_werkzeug: t.Callable[[], t.Any] | None = None


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("hello", "GET / returning text", make_hello, "/", make_werkzeug=werkzeug_apps.hello),
    Scenario(
        "json",
        "GET /user/<int:id> returning a dict",
        make_json,
        "/user/42",
        make_werkzeug=werkzeug_apps.json_user,
    ),
    Scenario(
        "template",
        "render_template with {% extends %} and url_for",
        make_template,
        "/page/welcome",
        make_werkzeug=lambda: werkzeug_apps.template(ITEMS),
    ),
    Scenario(
        "hooks",
        "blueprint before/after_request, view returns (body, 201, headers)",
        make_hooks,
        "/api/items",
        status=201,
        make_werkzeug=werkzeug_apps.hooks,
    ),
    Scenario(
        "session",
        "read and write the signed cookie session",
        make_session,
        "/visit",
        cookie_from="/login",
    ),
    Scenario(
        "not_found",
        "404 answered by a custom errorhandler",
        make_not_found,
        "/missing/page",
        status=404,
        make_werkzeug=werkzeug_apps.not_found,
    ),
    Scenario(
        "form",
        "POST urlencoded body read through request.form",
        make_form,
        "/form",
        method="POST",
        body=b"name=alice&age=30&city=paris&note=hello+world",
        content_type="application/x-www-form-urlencoded",
        make_werkzeug=werkzeug_apps.form,
    ),
)
