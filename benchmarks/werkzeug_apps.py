"""Bare-werkzeug apps that answer like the Flask scenarios: the benchmark's floor.

Each is a ``Map`` dispatcher over ``werkzeug.wrappers`` ``Request``/``Response``
with no contexts, hooks machinery or globals: roughly the least work a Python
WSGI framework built on werkzeug can do for the same answer. The benchmark
checks their answers against Flask's like it checks the runtime's.
"""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

from jinja2 import Environment
from jinja2 import FileSystemLoader
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map
from werkzeug.routing import MapAdapter
from werkzeug.routing import Rule
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

View = t.Callable[..., Response]
TEMPLATES = Path(__file__).resolve().parent / "templates"


class Dispatcher:
    """Match the URL, call the view, turn a ``NotFound`` into the 404 handler's answer."""

    def __init__(
        self,
        routes: dict[str, tuple[str, View]],
        not_found: t.Callable[[Request], Response] | None = None,
        methods: dict[str, list[str]] | None = None,
    ) -> None:
        methods = methods or {}
        self.url_map = Map(
            [
                Rule(rule, endpoint=name, methods=methods.get(name))
                for name, (rule, _) in routes.items()
            ]
        )
        self.views = {name: view for name, (_, view) in routes.items()}
        self.not_found = not_found

    def __call__(self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]) -> t.Any:
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            response: t.Any = self.views[endpoint](request, adapter, **args)
        except NotFound as error:
            response = self.not_found(request) if self.not_found else error
        except HTTPException as error:
            response = error
        return response(environ, start_response)


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status, headers, mimetype="text/html")


def hello() -> Dispatcher:
    return Dispatcher({"hello": ("/", lambda request, adapter: html("Hello, World!"))})


def json_user() -> Dispatcher:
    def user(request: Request, adapter: MapAdapter, id: int) -> Response:
        data = {"id": id, "name": f"user{id}", "active": True, "roles": ["admin", "editor"]}
        body = json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n"
        return Response(body, mimetype="application/json")

    return Dispatcher({"user": ("/user/<int:id>", user)})


def template(items: t.Sequence[str]) -> Dispatcher:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)

    def page(request: Request, adapter: MapAdapter, name: str) -> Response:
        def url_for(endpoint: str, **values: t.Any) -> str:
            return adapter.build(endpoint, values)

        body = env.get_template("page.html").render(title=name, items=items, url_for=url_for)
        return html(body)

    return Dispatcher(
        {
            "index": ("/", lambda request, adapter: html("index")),
            "page": ("/page/<name>", page),
        }
    )


def hooks() -> Dispatcher:
    def items(request: Request, adapter: MapAdapter) -> Response:
        user = "alice"  # what the blueprint's before_request puts on g
        response = html(f"created for {user}", 201, {"X-A": "b"})
        response.headers["X-Served-For"] = user  # the after_request hook
        return response

    return Dispatcher({"items": ("/api/items", items)})


def not_found() -> Dispatcher:
    return Dispatcher(
        {"index": ("/", lambda request, adapter: html("index"))},
        not_found=lambda request: html(f"no page at {request.path}", 404),
    )


def form() -> Dispatcher:
    def view(request: Request, adapter: MapAdapter) -> Response:
        data = request.form
        return html(f"{data['name']} ({data['age']}) from {data.get('city', '?')}")

    return Dispatcher({"form": ("/form", view)}, methods={"form": ["POST"]})
