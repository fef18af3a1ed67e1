"""``sitec serve --watch`` end to end: a real server process on a real socket, its event
stream read as a browser reads it, files edited on disk.

Fixture project: a copy of ``tests/apps/incremental_site`` (static pages, and a dynamic
``/search``). The steps run in order on one server, as a day's editing would: a
template edit is served and announced for its page only; a broken template, a view
that raises, a syntax error in the app's code and a deleted template each leave the
last good build served and are reported with ``file:line`` and the line of code, in
the terminal and on the stream, until the file is fixed; a Python change reaches the
dynamic half, and so does a file the app reads while it is created; rapid saves end
with the last one built.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import shutil
import sys
import threading
import time
import typing as t
from pathlib import Path

import pytest
from edits import edit
from servers import free_port
from servers import running

APPS = Path(__file__).resolve().parents[1] / "apps"
#: How long a rebuild may take on a busy machine before a test gives up on it.
REBUILD_SECONDS = 30


class EventStream:
    """The dev server's server-sent events, read on a thread into a queue."""

    def __init__(self, port: int) -> None:
        self.events: queue.Queue[dict[str, t.Any]] = queue.Queue()
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.connection.request("GET", "/__sitec__/events")
        response = self.connection.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type", "").startswith("text/event-stream")
        self._thread = threading.Thread(target=self._read, args=(response,), daemon=True)
        self._thread.start()

    def _read(self, response: http.client.HTTPResponse) -> None:
        try:
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("data: "):
                    self.events.put(json.loads(line[6:]))
        except (OSError, ValueError, http.client.HTTPException):
            pass  # the server stopped: a chunked stream cut short is IncompleteRead

    def next(self, kind: str | None = None) -> dict[str, t.Any]:
        """The next event (of ``kind``), skipping others."""
        deadline = time.monotonic() + REBUILD_SECONDS
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no {kind or 'event'} within {REBUILD_SECONDS}s")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if kind is None or event["type"] == kind:
                return event

    def close(self) -> None:
        self.connection.close()


def fetch(port: int, path: str) -> tuple[int, str]:
    """Status and body, as the dev server sends them."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def get(port: int, path: str) -> tuple[int, str]:
    """Status and body, without the live-reload script the dev server adds to HTML."""
    status, body = fetch(port, path)
    return status, body.split('<script id="sitec-live-reload"')[0]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[Path, int, t.Any]]:
    project = tmp_path_factory.mktemp("serve") / "site"
    shutil.copytree(
        APPS / "incremental_site", project, ignore=shutil.ignore_patterns("__pycache__")
    )
    port = free_port()
    log = project.parent / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-c", "from sitec.compiler.cli import main; main()"]
    command += ["serve", "--watch", "--port", str(port)]
    with running(command, port, env=env, cwd=project, log=log):
        yield project, port, log


@pytest.fixture
def stream(served: tuple[Path, int, t.Any]) -> t.Iterator[EventStream]:
    events = EventStream(served[1])
    yield events
    events.close()


def test_the_site_is_served_with_the_live_reload_script(served: tuple[Path, int, Path]) -> None:
    project, port, log = served
    page = fetch(port, "/about/")[1]
    assert "built again only where it changed" in page
    assert 'data-kind="file"' in page
    assert page.index('<script id="sitec-live-reload"') < page.index("</body>")
    assert get(port, "/search?q=tea") == (200, "results for tea")
    assert not (project / "_site/public/about/index.html").read_text().count("sitec-live-reload")
    text = log.read_text()
    assert "serving at http://127.0.0.1:" in text
    assert "5 pages and 2 static files from _site/public, 1 route through the runtime" in text


def test_a_template_edit_is_served_and_announced(
    served: tuple[Path, int, Path], stream: EventStream
) -> None:
    project, port, _ = served
    edit(project / "site_app/templates/about.html", "<h1>About</h1>", "<h1>About us</h1>")
    event = stream.next("built")
    assert event["touched"] == ["/about/"]
    assert "<h1>About us</h1>" in get(port, "/about/")[1]


@contextlib.contextmanager
def broken(
    stream: EventStream, port: int, path: Path, text: str | None
) -> t.Iterator[list[dict[str, t.Any]]]:
    """Save ``text`` into ``path`` (``None`` deletes it) and yield the errors the server
    reports, after checking the last good build is still served; then put the file
    back and wait for the rebuild that clears them."""
    good = path.read_text()
    served = get(port, "/about/")
    if text is None:
        path.unlink()
    else:
        path.write_text(text)
    errors = stream.next("error")["errors"]
    assert get(port, "/about/") == served
    yield errors
    path.write_text(good)
    stream.next("built")  # the overlay clears


def test_a_broken_template_keeps_the_last_good_build(
    served: tuple[Path, int, Path], stream: EventStream
) -> None:
    project, port, log = served
    template = project / "site_app/templates/about.html"
    with broken(stream, port, template, template.read_text() + "{% if %}\n") as errors:
        (error,) = errors
        assert (error["file"], error["line"], error["code"]) == (
            "site_app/templates/about.html",
            3,
            "{% if %}",
        )
        assert "TemplateSyntaxError" in error["message"]
        assert "site_app/templates/about.html:3: {% if %}" in log.read_text()


def test_a_view_that_raises_keeps_the_last_good_build(
    served: tuple[Path, int, Path], stream: EventStream
) -> None:
    project, port, _ = served
    views = project / "site_app/views.py"
    text = views.read_text().replace(
        'return render_template("about.html", text=about_text())', 'raise LookupError("no about")'
    )
    with broken(stream, port, views, text) as errors:
        (error,) = errors
        assert error["file"] == "site_app/views.py"
        assert error["code"] == 'raise LookupError("no about")'
        assert "LookupError: no about" in error["message"]


def test_python_changes_reach_the_dynamic_half(
    served: tuple[Path, int, Path], stream: EventStream
) -> None:
    project, port, _ = served
    edit(project / "site_app/views.py", 'f"results for ', 'f"found for ')
    event = stream.next("built")
    assert event["dynamic"] and event["touched"] == []
    assert get(port, "/search?q=tea") == (200, "found for tea")


def test_a_file_read_while_the_app_is_created_rebuilds_every_page(
    served: tuple[Path, int, Path], stream: EventStream
) -> None:
    """The app is created again from the saved file, by the standby session (started
    ahead of the save), and every page that shows the title is rewritten."""
    project, port, _ = served
    edit(project / "settings.toml", "The Incremental Site", "The Watched Site")
    event = stream.next("built")
    assert {"/", "/about/"} <= set(event["touched"])
    assert "The Watched Site" in get(port, "/")[1]
    assert "The Watched Site" in get(port, "/about/")[1]
    edit(project / "settings.toml", "The Watched Site", "The Incremental Site")
    stream.next("built")
    assert "The Incremental Site" in get(port, "/")[1]


def test_an_app_that_does_not_load_keeps_both_halves_up(
    served: tuple[Path, int, Path], stream: EventStream
) -> None:
    project, port, _ = served
    helpers = project / "site_app/helpers.py"
    with broken(stream, port, helpers, helpers.read_text() + "\ndef broken(:\n") as errors:
        assert {(e["file"], e["code"]) for e in errors} == {("site_app/helpers.py", "def broken(:")}
        assert "SyntaxError" in errors[0]["message"]
        assert get(port, "/search?q=tea") == (200, "found for tea")  # the last good app
    assert get(port, "/search?q=tea") == (200, "found for tea")


def test_a_deleted_template_is_an_error_until_it_is_back(
    served: tuple[Path, int, Path], stream: EventStream
) -> None:
    project, port, _ = served
    with broken(stream, port, project / "site_app/templates/about.html", None) as errors:
        (error,) = errors
        assert "TemplateNotFound" in error["message"] and "about.html" in error["message"]


def test_rapid_saves_end_with_the_last_one_built(
    served: tuple[Path, int, Path], stream: EventStream
) -> None:
    project, port, _ = served
    template = project / "site_app/templates/about.html"
    good = template.read_text()
    for number in range(20):
        template.write_text(good.replace("About us", f"About, save {number}"))
        time.sleep(0.01)
    builds = 0
    while True:
        builds += stream.next("built")["touched"] == ["/about/"]
        if "About, save 19" in get(port, "/about/")[1]:
            break
    assert builds < 20
    time.sleep(1)
    assert "About, save 19" in get(port, "/about/")[1]


def test_pyproject_settings_are_followed(
    served: tuple[Path, int, Path], stream: EventStream
) -> None:
    project, port, _ = served
    pyproject = project / "pyproject.toml"
    with broken(stream, port, pyproject, pyproject.read_text() + "[tool.sitec\n") as errors:
        (error,) = errors
        assert "pyproject.toml" in error["message"]

    pyproject.write_text(
        pyproject.read_text() + '\n[tool.sitec.routes]\n"site.about" = "dynamic"\n'
    )
    assert "/about/" in stream.next("built")["touched"]
    assert not (project / "_site/public/about/index.html").exists()
    page = fetch(port, "/about/")[1]
    assert "<h1>About, save 19</h1>" in page and 'data-kind="app"' in page
