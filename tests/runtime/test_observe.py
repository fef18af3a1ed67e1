"""The observer: installed on an app, it records request reads only while observing."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitec.runtime import Flask
from sitec.runtime import render_template_string
from sitec.runtime import request
from sitec.runtime import session
from sitec.runtime import url_for
from sitec.runtime.observe import Observer

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
