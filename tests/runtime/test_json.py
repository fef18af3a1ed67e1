"""JSON: the default provider, replacing it, jsonify, the json module, request JSON, tojson."""

from __future__ import annotations

import dataclasses
import decimal
import io
import json as stdlib_json
import typing as t
import uuid
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from markupsafe import Markup

from sitec.runtime import Flask
from sitec.runtime import json
from sitec.runtime import jsonify
from sitec.runtime import render_template_string
from sitec.runtime import request
from sitec.runtime.json.provider import DefaultJSONProvider
from sitec.runtime.json.provider import JSONProvider


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.testing = True
    return app


@dataclasses.dataclass
class Point:
    x: int
    y: int
    label: str = "origin"


class Snippet:
    def __html__(self) -> str:
        return "<i>snippet</i>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2024, 2, 29), "Thu, 29 Feb 2024 00:00:00 GMT"),
        (datetime(2001, 9, 9, 1, 46, 40), "Sun, 09 Sep 2001 01:46:40 GMT"),
        (
            datetime(2001, 9, 9, 3, 46, 40, tzinfo=timezone(timedelta(hours=2))),
            "Sun, 09 Sep 2001 01:46:40 GMT",
        ),
        (uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
        (decimal.Decimal("12.340"), "12.340"),
        (Point(3, -4), {"x": 3, "y": -4, "label": "origin"}),
        (Markup("<b>bold</b>"), "<b>bold</b>"),
        (Snippet(), "<i>snippet</i>"),
    ],
    ids=[
        "date",
        "naive-datetime",
        "aware-datetime",
        "uuid",
        "decimal",
        "dataclass",
        "markup",
        "html",
    ],
)
def test_default_provider_extra_types(app: Flask, value: t.Any, expected: t.Any) -> None:
    assert stdlib_json.loads(app.json.dumps(value)) == expected
    assert stdlib_json.loads(app.json.dumps({"nested": [value]})) == {"nested": [expected]}


def test_unknown_types_are_a_type_error(app: Flask) -> None:
    with pytest.raises(TypeError, match="object"):
        app.json.dumps(object())
    with pytest.raises(TypeError):
        app.json.dumps({1, 2})
    with pytest.raises(TypeError):
        app.json.dumps(Point)  # the dataclass itself, not an instance


def test_default_can_be_extended_on_the_instance(app: Flask) -> None:
    def default(o: t.Any) -> t.Any:
        if isinstance(o, complex):
            return [o.real, o.imag]
        return DefaultJSONProvider.default(o)

    app.json.default = default
    assert app.json.dumps({"z": 1 + 2j, "d": date(2000, 1, 1)}) == (
        '{"d": "Sat, 01 Jan 2000 00:00:00 GMT", "z": [1.0, 2.0]}'
    )


def test_sort_keys(app: Flask) -> None:
    data = {"b": 1, "a": {"z": 0, "y": 1}}
    assert app.json.dumps(data) == '{"a": {"y": 1, "z": 0}, "b": 1}'
    app.json.sort_keys = False
    assert app.json.dumps(data) == '{"b": 1, "a": {"z": 0, "y": 1}}'
    assert app.json.dumps(data, sort_keys=True) == '{"a": {"y": 1, "z": 0}, "b": 1}'


def test_ensure_ascii(app: Flask) -> None:
    assert app.json.dumps("héllo ☃") == '"h\\u00e9llo \\u2603"'
    app.json.ensure_ascii = False
    assert app.json.dumps("héllo ☃") == '"héllo ☃"'
    with app.app_context():
        assert jsonify(snow="☃").get_data(as_text=True) == '{"snow":"☃"}\n'


def test_response_compact_unless_debug(app: Flask) -> None:
    with app.app_context():
        response = jsonify(b=[1, 2], a=None)
    assert response.get_data(as_text=True) == '{"a":null,"b":[1,2]}\n'

    app.debug = True
    with app.app_context():
        response = jsonify(b=[1, 2], a=None)
    assert response.get_data(as_text=True) == '{\n  "a": null,\n  "b": [\n    1,\n    2\n  ]\n}\n'


@pytest.mark.parametrize("debug", [True, False])
def test_explicit_compact_wins_over_debug(app: Flask, debug: bool) -> None:
    app.debug = debug
    with app.app_context():
        app.json.compact = True
        assert jsonify([1, 2]).get_data(as_text=True) == "[1,2]\n"
        app.json.compact = False
        assert jsonify([1, 2]).get_data(as_text=True) == "[\n  1,\n  2\n]\n"


def test_mimetype(app: Flask) -> None:
    @app.get("/data")
    def data() -> dict[str, int]:
        return {"n": 1}

    client = app.test_client()
    response = client.get("/data")
    assert response.mimetype == "application/json"
    assert response.is_json
    app.json.mimetype = "application/vnd.sitec+json"
    response = client.get("/data")
    assert response.mimetype == "application/vnd.sitec+json"
    assert response.get_json() == {"n": 1}


class ReversingProvider(JSONProvider):
    """A provider with its own wire format: string values are reversed on the wire."""

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        return stdlib_json.dumps(self._flip(obj), **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        return self._flip(stdlib_json.loads(s, **kwargs))

    def _flip(self, obj: t.Any) -> t.Any:
        if isinstance(obj, str):
            return obj[::-1]
        if isinstance(obj, dict):
            return {k: self._flip(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self._flip(v) for v in obj]
        return obj


def test_custom_provider_class_is_used_everywhere() -> None:
    class App(Flask):
        json_provider_class = ReversingProvider

    app = App(__name__)

    @app.post("/echo")
    def echo() -> t.Any:
        return {"got": request.get_json()["word"], "via": "view"}

    @app.get("/jsonify")
    def via_jsonify() -> t.Any:
        return jsonify("abc", "de")

    assert isinstance(app.json, ReversingProvider)
    client = app.test_client()
    # The client serializes json= with app.json too, so the request carries "olleh".
    response = client.post("/echo", json={"word": "hello"})
    assert response.mimetype == "application/json"
    assert stdlib_json.loads(response.data) == {"got": "olleh", "via": "weiv"}
    assert response.get_json() == {"got": "hello", "via": "view"}
    assert stdlib_json.loads(client.get("/jsonify").data) == ["cba", "ed"]

    with app.app_context():
        assert json.dumps("xyz") == '"zyx"'
        assert json.loads('"zyx"') == "xyz"
        buffer = io.StringIO()
        json.dump(["ab"], buffer)
        assert buffer.getvalue() == '["ba"]'
        assert json.load(io.StringIO('["ba"]')) == ["ab"]


def test_app_json_can_be_replaced_on_an_instance(app: Flask) -> None:
    class Upper(DefaultJSONProvider):
        def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
            return super().dumps(obj, **kwargs).upper()

    app.json = Upper(app)

    @app.get("/")
    def index() -> dict[str, str]:
        return {"k": "v"}

    assert app.test_client().get("/").data == b'{"K":"V"}\n'


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((), {}, None),
        ((5,), {}, 5),
        (("only",), {}, "only"),
        (([1, 2],), {}, [1, 2]),
        ((1, "two", None), {}, [1, "two", None]),
        ((), {"a": 1, "b": [2]}, {"a": 1, "b": [2]}),
        (({"x": {"y": 1}},), {}, {"x": {"y": 1}}),
    ],
)
def test_jsonify_arguments(app: Flask, args: tuple, kwargs: dict, expected: t.Any) -> None:
    with app.app_context():
        response = jsonify(*args, **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert stdlib_json.loads(response.data) == expected


def test_jsonify_rejects_args_and_kwargs_together(app: Flask) -> None:
    with app.app_context(), pytest.raises(TypeError):
        jsonify(1, a=2)


def test_jsonify_needs_an_app() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        jsonify(a=1)


def test_jsonify_with_status_from_a_view(app: Flask) -> None:
    @app.post("/items")
    def create() -> t.Any:
        return jsonify(id=7), 201, {"Location": "/items/7"}

    response = app.test_client().post("/items")
    assert response.status_code == 201
    assert response.headers["Location"] == "/items/7"
    assert response.get_json() == {"id": 7}


def test_list_returned_from_a_view_is_json(app: Flask) -> None:
    @app.get("/list")
    def as_list() -> list[t.Any]:
        return [uuid.UUID(int=1), decimal.Decimal("0.5")]

    response = app.test_client().get("/list")
    assert response.get_json() == ["00000000-0000-0000-0000-000000000001", "0.5"]


def test_json_module_outside_an_app_context() -> None:
    assert json.dumps({"when": date(1999, 12, 31)}) == '{"when": "Fri, 31 Dec 1999 00:00:00 GMT"}'
    # Outside an app the stdlib defaults apply: keys keep their order.
    assert json.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'
    assert json.dumps([decimal.Decimal("1.10")], indent=1) == '[\n "1.10"\n]'
    assert json.loads(b'{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}
    buffer = io.StringIO()
    json.dump({"id": uuid.UUID(int=2)}, buffer)
    assert json.load(io.StringIO(buffer.getvalue())) == {
        "id": "00000000-0000-0000-0000-000000000002"
    }
    with pytest.raises(stdlib_json.JSONDecodeError):
        json.loads("{not json")


def test_json_module_inside_an_app_context_follows_the_app(app: Flask) -> None:
    with app.app_context():
        assert json.dumps({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
        app.json.sort_keys = False
        assert json.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'
        app.json.ensure_ascii = False
        buffer = io.StringIO()
        json.dump({"é": "ü"}, buffer)
        assert buffer.getvalue() == '{"é": "ü"}'
        assert json.load(io.StringIO(buffer.getvalue())) == {"é": "ü"}


def test_request_get_json(app: Flask) -> None:
    @app.post("/sum")
    def total() -> t.Any:
        return {"total": sum(request.get_json()["numbers"])}

    client = app.test_client()
    assert client.post("/sum", json={"numbers": [1, 2, 3.5]}).get_json() == {"total": 6.5}


@pytest.mark.parametrize(
    "body",
    [b"{bad json", b"", b'{"numbers": [1, 2', "\udcff".encode("utf-8", "surrogatepass")],
    ids=["syntax", "empty", "truncated", "undecodable"],
)
@pytest.mark.parametrize("debug", [False, True])
def test_malformed_json_body_is_400(app: Flask, body: bytes, debug: bool) -> None:
    app.debug = debug

    @app.post("/sum")
    def total() -> t.Any:
        return {"total": sum(request.get_json()["numbers"])}

    response = app.test_client().post("/sum", data=body, content_type="application/json")
    assert response.status_code == 400
    # Only debug mode tells the client what the parser said.
    assert (b"Failed to decode JSON" in response.data) is debug


def test_json_of_the_wrong_content_type(app: Flask) -> None:
    @app.post("/strict")
    def strict() -> t.Any:
        return {"got": request.get_json()}

    @app.post("/lenient")
    def lenient() -> t.Any:
        return {
            "silent": request.get_json(silent=True),
            "forced": request.get_json(force=True, silent=True),
        }

    client = app.test_client()
    response = client.post("/strict", data='{"a": 1}', content_type="text/plain")
    assert response.status_code == 415
    response = client.post("/lenient", data='{"a": 1}', content_type="text/plain")
    assert response.get_json() == {"silent": None, "forced": {"a": 1}}
    response = client.post("/lenient", data="{oops", content_type="application/json")
    assert response.get_json() == {"silent": None, "forced": None}


def test_tojson_filter_escapes_for_html(app: Flask) -> None:
    payload = {"html": "</script><script>alert('x')</script>", "amp": "a & b"}
    with app.app_context():
        rendered = render_template_string(
            "<script>const data = {{ data|tojson }};</script>"
            "<div data-x='{{ data|tojson }}'></div>",
            data=payload,
        )
    script = rendered[len("<script>const data = ") : rendered.index(";</script>")]
    assert "<" not in script and ">" not in script and "&" not in script and "'" not in script
    assert "\\u003c/script\\u003e" in script
    assert stdlib_json.loads(script) == payload
    # The filter's output is safe: not escaped a second time by autoescaping.
    assert "&#34;" not in rendered and "&quot;" not in rendered
    assert rendered.count("\\u0027x\\u0027") == 2


def test_tojson_uses_the_app_provider(app: Flask) -> None:
    with app.app_context():
        assert render_template_string("{{ v|tojson }}", v={"b": date(2020, 5, 17), "a": 1}) == (
            '{"a": 1, "b": "Sun, 17 May 2020 00:00:00 GMT"}'
        )
        app.json.default = lambda o: sorted(o) if isinstance(o, frozenset) else str(o)
        assert render_template_string("{{ v|tojson }}", v=frozenset("cab")) == '["a", "b", "c"]'
