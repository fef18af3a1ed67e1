"""Class-based views: View and MethodView."""

from __future__ import annotations

import functools
import itertools
import typing as t

import pytest

from sitec.runtime import Flask
from sitec.runtime import make_response
from sitec.runtime import request
from sitec.runtime import url_for
from sitec.runtime.views import MethodView
from sitec.runtime.views import View


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.testing = True
    return app


def allowed(response) -> set[str]:
    return {m.strip() for m in response.headers["Allow"].split(",")}


def test_view_methods_and_405(app: Flask) -> None:
    class Echo(View):
        methods = ["GET", "POST"]

        def dispatch_request(self) -> str:
            return f"echo {request.method}"

    app.add_url_rule("/echo", view_func=Echo.as_view("echo"))
    client = app.test_client()
    assert client.get("/echo").text == "echo GET"
    assert client.post("/echo").text == "echo POST"
    response = client.put("/echo")
    assert response.status_code == 405
    assert allowed(response) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_view_without_methods_is_get_only(app: Flask) -> None:
    class Plain(View):
        def dispatch_request(self) -> str:
            return "plain"

    app.add_url_rule("/plain", view_func=Plain.as_view("plain"))
    client = app.test_client()
    assert client.get("/plain").text == "plain"
    assert client.post("/plain").status_code == 405
    assert allowed(client.options("/plain")) == {"GET", "HEAD", "OPTIONS"}


def test_view_base_class_is_abstract(app: Flask) -> None:
    app.add_url_rule("/abstract", view_func=View.as_view("abstract"))
    with pytest.raises(NotImplementedError):
        app.test_client().get("/abstract")


def test_as_view_attributes() -> None:
    class Report(View):
        """Shows the quarterly report."""

        methods = ["GET"]
        provide_automatic_options = False

        def dispatch_request(self) -> str:
            return ""

    view = Report.as_view("quarterly")
    assert view.__name__ == "quarterly"
    assert view.__doc__ == "Shows the quarterly report."
    assert view.__module__ == __name__
    assert view.view_class is Report
    assert view.methods == ["GET"]
    assert view.provide_automatic_options is False
    assert Report.as_view("other") is not view


def test_url_variables_and_constructor_arguments(app: Flask) -> None:
    class Greeter(View):
        def __init__(self, greeting: str, punctuation: str = ".") -> None:
            self.greeting = greeting
            self.punctuation = punctuation

        def dispatch_request(self, name: str) -> str:
            return f"{self.greeting}, {name}{self.punctuation}"

    app.add_url_rule("/hi/<name>", view_func=Greeter.as_view("hi", "Hi", punctuation="!"))
    app.add_url_rule("/hello/<name>", view_func=Greeter.as_view("hello", "Hello"))
    client = app.test_client()
    assert client.get("/hi/ada").text == "Hi, ada!"
    assert client.get("/hello/bob").text == "Hello, bob."


@pytest.mark.parametrize(("every", "counts"), [(True, ["1", "1", "1"]), (False, ["1", "2", "3"])])
def test_init_every_request(app: Flask, every: bool, counts: list[str]) -> None:
    created = itertools.count(1)
    instances: list[int] = []

    class Counter(View):
        init_every_request = every

        def __init__(self) -> None:
            instances.append(next(created))
            self.hits = 0

        def dispatch_request(self) -> str:
            self.hits += 1
            return str(self.hits)

    app.add_url_rule("/count", view_func=Counter.as_view("count"))
    client = app.test_client()
    assert [client.get("/count").text for _ in range(3)] == counts
    assert len(instances) == (3 if every else 1)


def add_header(name: str, value: str) -> t.Callable[[t.Callable[..., t.Any]], t.Any]:
    def decorator(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        @functools.wraps(f)
        def wrapper(**kwargs: t.Any) -> t.Any:
            response = make_response(f(**kwargs))
            previous = response.headers.get("X-Order", "")
            response.headers["X-Order"] = f"{previous}{value}"
            response.headers[name] = value
            return response

        return wrapper

    return decorator


def test_decorators_apply_first_innermost(app: Flask) -> None:
    class Decorated(View):
        decorators = [add_header("X-Inner", "i"), add_header("X-Outer", "o")]

        def dispatch_request(self) -> str:
            return "decorated"

    view = Decorated.as_view("decorated")
    assert view.__name__ == "decorated"
    assert view.view_class is Decorated
    app.add_url_rule("/d", view_func=view)
    response = app.test_client().get("/d")
    assert response.text == "decorated"
    assert response.headers["X-Order"] == "io"
    assert response.headers["X-Inner"] == "i" and response.headers["X-Outer"] == "o"


def test_decorator_can_refuse(app: Flask) -> None:
    def members_only(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        @functools.wraps(f)
        def wrapper(**kwargs: t.Any) -> t.Any:
            if request.headers.get("X-Member") != "yes":
                return "members only", 403
            return f(**kwargs)

        return wrapper

    class Lounge(MethodView):
        decorators = [members_only]

        def get(self) -> str:
            return "welcome"

    app.add_url_rule("/lounge", view_func=Lounge.as_view("lounge"))
    client = app.test_client()
    assert client.get("/lounge").status_code == 403
    assert client.get("/lounge", headers={"X-Member": "yes"}).text == "welcome"


def test_swapping_view_class_changes_later_requests(app: Flask) -> None:
    class First(View):
        def dispatch_request(self) -> str:
            return "first"

    class Second(View):
        def dispatch_request(self) -> str:
            return "second"

    view = First.as_view("swap")
    app.add_url_rule("/swap", view_func=view)
    client = app.test_client()
    assert client.get("/swap").text == "first"
    view.view_class = Second
    assert client.get("/swap").text == "second"


def test_provide_automatic_options_false(app: Flask) -> None:
    class NoOptions(View):
        provide_automatic_options = False

        def dispatch_request(self) -> str:
            return "ok"

    class OwnOptions(View):
        methods = ["GET", "OPTIONS"]
        provide_automatic_options = False

        def dispatch_request(self) -> t.Any:
            if request.method == "OPTIONS":
                return "", 204, {"Allow": "GET, OPTIONS", "X-Own": "1"}
            return "ok"

    app.add_url_rule("/none", view_func=NoOptions.as_view("none"))
    app.add_url_rule("/own", view_func=OwnOptions.as_view("own"))
    client = app.test_client()
    assert client.options("/none").status_code == 405
    response = client.options("/own")
    assert response.status_code == 204
    assert response.headers["X-Own"] == "1"


class Resource(MethodView):
    def get(self, item_id: int | None = None) -> str:
        return f"get {item_id}"

    def post(self) -> tuple[str, int]:
        return "created", 201


class Editable(Resource):
    def put(self, item_id: int) -> str:
        return f"put {item_id}"

    def delete(self, item_id: int) -> tuple[str, int]:
        return "", 204


class ArchiveMixin:
    def patch(self, item_id: int) -> str:
        return f"archived {item_id}"


class Archivable(ArchiveMixin, Editable):
    pass


class ReadOnly(Editable):
    methods = ["GET"]


def test_method_view_collects_methods() -> None:
    assert Resource.methods == {"GET", "POST"}
    assert Editable.methods == {"GET", "POST", "PUT", "DELETE"}
    assert Archivable.methods == {"GET", "POST", "PUT", "DELETE", "PATCH"}
    assert ReadOnly.methods == ["GET"]
    assert MethodView.methods is None


def test_method_view_dispatch(app: Flask) -> None:
    view = Archivable.as_view("items")
    app.add_url_rule("/items", view_func=view, methods=["GET", "POST"])
    app.add_url_rule("/items/<int:item_id>", view_func=view, methods=["GET", "PUT", "DELETE"])
    app.add_url_rule("/items/<int:item_id>/archive", view_func=view, methods=["PATCH"])
    client = app.test_client()

    assert client.get("/items").text == "get None"
    response = client.post("/items")
    assert (response.status_code, response.text) == (201, "created")
    assert client.get("/items/4").text == "get 4"
    assert client.put("/items/4").text == "put 4"
    assert client.delete("/items/4").status_code == 204
    assert client.patch("/items/4/archive").text == "archived 4"
    assert client.post("/items/4").status_code == 405
    assert client.get("/items/x").status_code == 404


def test_method_view_methods_drive_routing(app: Flask) -> None:
    app.add_url_rule("/ro/<int:item_id>", view_func=ReadOnly.as_view("ro"))
    app.add_url_rule("/ed/<int:item_id>", view_func=Editable.as_view("ed"))
    client = app.test_client()
    assert client.put("/ro/1").status_code == 405
    assert client.put("/ed/1").text == "put 1"
    assert allowed(client.options("/ed/1")) == {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"}


def test_head_falls_back_to_get(app: Flask) -> None:
    calls: list[str] = []

    class Page(MethodView):
        def get(self) -> tuple[str, dict[str, str]]:
            calls.append(request.method)
            return "a page body", {"X-From": "get"}

    class CustomHead(MethodView):
        def get(self) -> str:
            return "full body"

        def head(self) -> tuple[str, dict[str, str]]:
            return "", {"X-From": "head"}

    app.add_url_rule("/page", view_func=Page.as_view("page"))
    app.add_url_rule("/custom", view_func=CustomHead.as_view("custom"))
    client = app.test_client()

    response = client.head("/page")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["X-From"] == "get"
    assert response.content_length == len("a page body")
    assert calls == ["HEAD"]

    assert client.head("/custom").headers["X-From"] == "head"
    assert client.get("/custom").text == "full body"


def test_method_listed_but_not_implemented(app: Flask) -> None:
    class Partial(MethodView):
        methods = ["GET", "POST"]

        def get(self) -> str:
            return "ok"

    app.add_url_rule("/partial", view_func=Partial.as_view("partial"))
    client = app.test_client()
    assert client.get("/partial").text == "ok"
    with pytest.raises(AssertionError, match="POST"):
        client.post("/partial")
    app.testing = False
    assert client.post("/partial").status_code == 500


def test_method_view_through_route_registration_and_url_for(app: Flask) -> None:
    class Profile(MethodView):
        def get(self, user: str) -> str:
            return url_for("profile", user=user.upper())

    app.add_url_rule("/u/<user>", view_func=Profile.as_view("profile"))
    assert app.view_functions["profile"].view_class is Profile
    assert app.test_client().get("/u/ada").text == "/u/ADA"
