"""The observer: installed on an app, it records request reads only while observing."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.test import run_wsgi_app
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from sitec.runtime import Flask
from sitec.runtime import g
from sitec.runtime import render_template_string
from sitec.runtime import request
from sitec.runtime import session
from sitec.runtime import url_for
from sitec.runtime.observe import Observer
from sitec.runtime.observe import RecordingEnviron

HERE = Path(__file__).resolve().parent
THIS_FILE = "test_observe.py"


def line_with(marker: str) -> int:
    for number, text in enumerate(Path(__file__).read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return number
    raise AssertionError(marker)


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "observe"

    @app.get("/args")
    def args() -> str:
        return request.args.get("q", "")  # args read

    @app.get("/session")
    def uses_session() -> str:
        return str("user" in session)  # session read

    @app.get("/url")
    def url_only() -> str:
        return f"{request.path} {request.endpoint} {request.view_args} {url_for('url_only')}"

    @app.get("/inline")
    def inline() -> str:
        return render_template_string("{{ request.cookies }}")

    @app.get("/file")
    def file() -> str:
        with open(HERE / "test_observe.py") as source, open(__file__ + "x", "a"):
            pass
        with open(__file__ + "x") as data:
            return source.name + data.read()

    @app.get("/listing")
    def listing() -> str:
        return " ".join(sorted(p.name for p in HERE.glob("test_observe*")))

    return app


def test_reads_are_recorded_only_while_observing(app: Flask) -> None:
    observer = Observer(app, HERE)
    client = app.test_client()
    with observer.observe() as seen:
        assert client.get("/args?q=1").text == "1"
    assert [(r.message, r.file, r.line, r.via) for r in seen.reads] == [
        ("reads request.args", THIS_FILE, line_with("args read"), "view args")
    ]
    assert seen.endpoint == "args"
    client.get("/args?q=2")
    assert len(seen.reads) == 1


def test_session_use_is_recorded(app: Flask) -> None:
    observer = Observer(app, HERE)
    with observer.observe() as seen:
        app.test_client().get("/session")
    assert [(r.message, r.line) for r in seen.reads] == [
        ("reads session['user']", line_with("session read"))
    ]


def test_url_determined_reads_and_url_for(app: Flask) -> None:
    observer = Observer(app, HERE)
    with observer.observe() as seen:
        app.test_client().get("/url")
    assert seen.reads == []
    assert seen.urls == ["/url"]


def test_a_template_string_read_points_at_the_python_caller(app: Flask) -> None:
    observer = Observer(app, HERE)
    with observer.observe() as seen:
        app.test_client().get("/inline")
    assert [(r.message, r.file) for r in seen.reads] == [("reads request.cookies", THIS_FILE)]


def test_files_under_the_root_are_recorded(app: Flask, tmp_path: Path) -> None:
    observer = Observer(app, tmp_path)
    with observer.observe() as seen:
        app.test_client().get("/file")
    assert seen.files == []  # outside the project root
    observer.uninstall()
    observer = Observer(app, HERE)
    with observer.observe() as seen:
        app.test_client().get("/file")
    Path(__file__ + "x").unlink()
    # .py sources are code, not data; a file written to is not what the page depends on.
    assert seen.files == ["test_observe.pyx"]


def test_a_file_only_written_is_not_recorded(app: Flask, tmp_path: Path) -> None:
    written = tmp_path / "log.txt"

    @app.get("/log")
    def log() -> str:
        with open(written, "a") as f:
            f.write("seen\n")
        return "ok"

    observer = Observer(app, tmp_path)
    with observer.observe() as seen:
        app.test_client().get("/log")
    assert written.read_text() == "seen\n"
    assert seen.files == []


def test_folders_listed_under_the_root_are_recorded(app: Flask, tmp_path: Path) -> None:
    observer = Observer(app, tmp_path)
    with observer.observe() as seen:
        app.test_client().get("/listing")
    assert seen.folders == []  # outside the project root
    observer.uninstall()
    observer = Observer(app, HERE.parent)
    with observer.observe() as seen:
        assert app.test_client().get("/listing").text == "test_observe.py"
    assert seen.folders == ["runtime"]


def test_uninstall_restores_the_app(app: Flask) -> None:
    request_class = app.request_class
    url_for_global = app.jinja_env.globals["url_for"]
    observer = Observer(app, HERE)
    assert app.request_class is not request_class
    with pytest.raises(RuntimeError):
        Observer(app, HERE)
    observer.uninstall()
    assert app.request_class is request_class
    assert app.jinja_env.globals["url_for"] == url_for_global
    assert "url_for" not in vars(app)
    assert "sitec.observer" not in app.extensions


def _call(app: Flask, path: str, **builder: t.Any) -> bytes:
    """Call the app as the compiler's renderer does: with a recording environ."""
    environ = RecordingEnviron(EnvironBuilder(path, **builder).get_environ())
    return b"".join(run_wsgi_app(app, environ)[0])


@pytest.fixture
def wrapped_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "observe"

    class Language:
        def __init__(self, wsgi_app: t.Any) -> None:
            self.wsgi_app = wsgi_app

        def __call__(self, environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
            language = environ.get("HTTP_ACCEPT_LANGUAGE")  # language read
            if environ["PATH_INFO"] == "/hello" and language == "fr":
                environ["PATH_INFO"] = "/bonjour"
            return self.wsgi_app(environ, start_response)

    app.wsgi_app = Language(app.wsgi_app)  # type: ignore[method-assign]

    @app.get("/hello")
    def hello() -> str:
        return "hello"

    @app.get("/bonjour")
    def bonjour() -> str:
        return "bonjour"

    return app


def test_middleware_reads_of_the_environ_are_recorded(wrapped_app: Flask) -> None:
    observer = Observer(wrapped_app, HERE)
    with observer.observe() as seen:
        assert _call(wrapped_app, "/hello", headers={"Accept-Language": "fr"}) == b"bonjour"
    assert [(r.message, r.line, r.via) for r in seen.reads] == [
        (
            "reads HTTP_ACCEPT_LANGUAGE from the WSGI environ",
            line_with("language read"),
            "wrapped_app.<locals>.Language.__call__",
        )
    ]


def test_the_runtime_reading_the_environ_for_the_app_is_not_a_read() -> None:
    """Matching the URL and opening the session read cookies and headers: not the page's."""
    app = Flask(__name__)
    app.secret_key = "observe"

    @app.get("/header")
    def header() -> str:
        return str(request.headers.get("X-Test"))  # header read

    @app.get("/plain")
    def plain() -> str:
        return str(session.get("nothing") is None and "plain")

    observer = Observer(app, HERE)
    with observer.observe() as seen:
        _call(app, "/plain", headers={"Cookie": "session=x", "Accept-Language": "fr"})
    assert [r.message for r in seen.reads] == ["reads session['nothing']"]
    with observer.observe() as seen:
        assert _call(app, "/header", headers={"X-Test": "one"}) == b"one"
    # request.headers says it; the environ read under it adds nothing.
    assert [(r.message, r.line) for r in seen.reads] == [
        ("reads request.headers", line_with("header read"))
    ]


def test_a_request_class_of_the_users_is_observed_while_it_is_built() -> None:
    """The runtime's own request classes are built quietly; a subclass's constructor is
    user code, and what it reads counts."""
    from sitec.runtime.wrappers import Request as RuntimeRequest

    class LanguageRequest(RuntimeRequest):
        def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
            super().__init__(*args, **kwargs)
            self.language = self.headers.get("Accept-Language")  # constructor read

    app = Flask(__name__)
    app.request_class = LanguageRequest

    @app.get("/")
    def index() -> str:
        return "index"

    observer = Observer(app, HERE)
    with observer.observe() as seen:
        assert _call(app, "/", headers={"Accept-Language": "fr"}) == b"index"
    assert ("reads request.headers", line_with("constructor read")) in [
        (r.message, r.line) for r in seen.reads
    ]


def test_a_wsgi_app_returned_by_a_view_is_observed() -> None:
    app = Flask(__name__)

    @Request.application
    def legacy(legacy_request: Request) -> Response:
        return Response(legacy_request.cookies.get("name", "stranger"))  # legacy read

    app.add_url_rule("/legacy", "legacy", lambda: legacy)
    observer = Observer(app, HERE)
    with observer.observe() as seen:
        assert _call(app, "/legacy", headers={"Cookie": "name=alice"}) == b"alice"
    assert [(r.message, r.line) for r in seen.reads] == [
        ("reads the whole WSGI environ", line_with("legacy read"))
    ]


@pytest.fixture
def g_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "observe"

    @app.before_request
    def load_user() -> None:
        g.user = session.get("user")  # g feeding read

    @app.get("/vars")
    def read_vars() -> str:
        return str(vars(g).get("user"))  # vars read

    @app.get("/in")
    def membership() -> str:
        return str("user" in g)  # in read

    @app.get("/iter")
    def iterate() -> str:
        return ",".join(g)  # iter read

    @app.get("/pop")
    def pop() -> str:
        return str(g.pop("user", None))  # pop read

    @app.get("/loader")
    def loader() -> str:
        load_user()  # the hook's line, run by the view
        return "loaded"

    @app.get("/quiet")
    def quiet() -> str:
        return "quiet"

    return app


@pytest.mark.parametrize(
    ("path", "message", "marker"),
    [
        ("/vars", "reads g.__dict__, which holds g.user", "vars read"),
        ("/in", "reads g.user", "in read"),
        ("/iter", "reads g.__dict__, which holds g.user", "iter read"),
        ("/pop", "reads g.user", "pop read"),
    ],
)
def test_g_values_from_the_session_are_read_however_g_is_asked(
    g_app: Flask, path: str, message: str, marker: str
) -> None:
    observer = Observer(g_app, HERE)
    with observer.observe() as seen:
        g_app.test_client().get(path)
    found = [(r.message, r.line) for r in seen.reads if r.message.startswith(message)]
    assert [line for _, line in found] == [line_with(marker)], seen.reads


def test_a_g_feeding_read_counts_only_inside_the_function_it_feeds_g_in(g_app: Flask) -> None:
    hook = g_app.before_request_funcs[None][0]
    place = (THIS_FILE, line_with("g feeding read"))
    observer = Observer(g_app, HERE, g_feeding={place: {hook.__code__}})
    client = g_app.test_client()
    with observer.observe() as seen:
        client.get("/quiet")
    assert seen.reads == []
    assert [(r.message, r.line, r.via) for r in seen.g_feeding_reads] == [
        ("reads session['user']", place[1], "before_request load_user")
    ]
    with observer.observe() as seen:
        client.get("/loader")
    assert [(r.message, r.line) for r in seen.reads] == [("reads session['user']", place[1])]
    assert [r.line for r in seen.g_feeding_reads] == [place[1]]  # the hook's own run


def test_the_runtime_saving_a_written_session_is_not_the_pages_read() -> None:
    """After the view, the runtime reads the session to save it; what called the app
    (this test) is no user frame of the request."""
    app = Flask(__name__)
    app.secret_key = "observe"

    @app.get("/write")
    def write() -> str:
        session["seen"] = True  # session write
        return "written"

    observer = Observer(app, HERE)
    with observer.observe() as seen:
        app.test_client().get("/write")
    assert [(r.message, r.line) for r in seen.reads] == [
        ("writes session['seen']", line_with("session write"))
    ]
