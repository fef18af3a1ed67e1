"""The URL adapter of a request is the one werkzeug's ``Map.bind_to_environ`` makes.

``Flask.create_url_adapter`` binds plain HTTP requests itself, remembering
each host's adapter name; these tests hold it to werkzeug's own binding for
the hosts, ports, schemes and paths requests really come with.
"""

from __future__ import annotations

import pytest
from werkzeug.exceptions import BadHost
from werkzeug.test import EnvironBuilder

from sitec.runtime import Flask

ADAPTER_FIELDS = (
    "server_name",
    "script_name",
    "subdomain",
    "url_scheme",
    "path_info",
    "default_method",
    "query_args",
)


def environ_for(**overrides):
    builder = EnvironBuilder(path="/")
    environ = builder.get_environ()
    builder.close()
    for key, value in overrides.items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    return environ


def adapter_fields(adapter):
    return {name: getattr(adapter, name) for name in ADAPTER_FIELDS}


def ours_and_werkzeugs(app, environ):
    ours = app.create_url_adapter(app.request_class(environ))
    server_name = app.config["SERVER_NAME"]
    theirs = app.url_map.bind_to_environ(
        environ, server_name=server_name, subdomain=app.url_map.default_subdomain or ""
    )
    return adapter_fields(ours), adapter_fields(theirs)


REQUESTS = [
    {"HTTP_HOST": "example.test"},
    {"HTTP_HOST": "Example.TEST"},
    {"HTTP_HOST": "example.test:80"},
    {"HTTP_HOST": "example.test:8080"},
    {"HTTP_HOST": "example.test:443", "wsgi.url_scheme": "https"},
    {"HTTP_HOST": "example.test:80", "wsgi.url_scheme": "https"},
    {"HTTP_HOST": "[::1]:5000"},
    {"HTTP_HOST": None, "SERVER_NAME": "backend.internal", "SERVER_PORT": "8000"},
    {"HTTP_HOST": None, "SERVER_NAME": "backend.internal", "SERVER_PORT": "80"},
    {"HTTP_HOST": None, "SERVER_NAME": "::1", "SERVER_PORT": "8000"},
    {"HTTP_HOST": None, "SERVER_NAME": "/run/app.sock", "SERVER_PORT": ""},
    {"HTTP_HOST": "bad host!"},
    {"SCRIPT_NAME": "/shop", "PATH_INFO": "/caf\xc3\xa9/", "QUERY_STRING": "q=caf%C3%A9"},
    {"PATH_INFO": "/\xff\xfe", "REQUEST_METHOD": "POST"},
    {"PATH_INFO": None, "SCRIPT_NAME": None, "QUERY_STRING": None},
]


@pytest.mark.parametrize("overrides", REQUESTS)
@pytest.mark.parametrize("server_name", [None, "example.test", "Example.test:80", "x.test:443"])
def test_adapter_matches_werkzeugs_binding(tmp_path, overrides, server_name):
    app = Flask("adapter_app", root_path=str(tmp_path))
    app.config["SERVER_NAME"] = server_name
    for _ in range(2):  # a second time, from what was remembered of the first
        ours, theirs = ours_and_werkzeugs(app, environ_for(**overrides))
        assert ours == theirs


def test_undecodable_host_is_a_bad_host_every_time(tmp_path):
    app = Flask("adapter_app", root_path=str(tmp_path))
    app.config["SERVER_NAME"] = "a" * 64 + ".test"  # a label too long for IDNA
    for _ in range(2):
        with pytest.raises(BadHost):
            app.create_url_adapter(app.request_class(environ_for()))
        with pytest.raises(BadHost):
            app.url_map.bind_to_environ(
                environ_for(), server_name=app.config["SERVER_NAME"], subdomain=""
            )


def test_an_environ_that_is_a_mapping_but_not_a_dict_is_served() -> None:
    """WSGI asks for a dict, Flask serves any mapping: the runtime reads a dict with
    dict's own methods and another mapping with its own."""
    from collections import UserDict

    app = Flask(__name__)
    app.add_url_rule("/<name>", "hello", lambda name: f"hello {name}")
    app.config["SECRET_KEY"] = "k"
    environ = UserDict(environ_for(PATH_INFO="/you", HTTP_COOKIE="session=x"))
    status: list[str] = []
    body = b"".join(app(environ, lambda code, headers, exc_info=None: status.append(code)))
    assert (status, body) == (["200 OK"], b"hello you")
