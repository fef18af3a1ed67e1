"""The dev server's pieces on their own: the live-reload channel and script injection,
error reports, the watcher on a real folder, and the app a session keeps."""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
import threading
import time
import typing as t
from pathlib import Path

from werkzeug.test import Client
from werkzeug.wrappers import Response

from sitec.compiler.dev.errors import report_of
from sitec.compiler.dev.livereload import LiveReload
from sitec.compiler.dev.livereload import ReloadChannel
from sitec.compiler.dev.watch import OVERFLOW
from sitec.compiler.dev.watch import ProjectWatcher
from sitec.compiler.dev.watch import is_noise
from sitec.compiler.forked import ForkedCall
from sitec.compiler.graph import stamps
from sitec.compiler.graph.code import CodeIndex
from sitec.compiler.graph.code import project_sources
from sitec.compiler.graph.memory import BuildMemory
from sitec.compiler.graph.memory import LoadedApp
from sitec.compiler.graph.record import TEMPLATES
from sitec.compiler.graph.record import RecordReader
from sitec.compiler.graph.stamps import Stamp
from sitec.compiler.project import load_settings


def _site(body: bytes, mimetype: str, status: int = 200) -> LiveReload:
    channel = ReloadChannel()
    return LiveReload(Response(body, status=status, mimetype=mimetype), channel)


def test_the_script_goes_before_the_last_body_end_of_html_only() -> None:
    page = b"<html><body><p>a</p><!-- </body> --></BODY ></html>"
    response = Client(_site(page, "text/html")).get("/")
    body = response.get_data()
    assert body == (
        b'<html><body><p>a</p><!-- </body> --><script id="sitec-live-reload"'
        b' src="/__sitec__/live-reload.js" data-generation="0" data-kind="file"></script>\n'
        b"</BODY ></html>"
    )
    assert response.headers["Content-Length"] == str(len(body))

    assert Client(_site(b"<p>no body", "text/html")).get("/").get_data().endswith(b"</script>\n")
    for mimetype in ("text/css", "application/json", "text/plain"):
        assert Client(_site(b"</body>", mimetype)).get("/").get_data() == b"</body>"
    assert Client(_site(b"", "text/html", 304)).get("/").get_data() == b""
    assert Client(_site(b"<p>x</p>", "text/html")).head("/").get_data() == b""


def test_the_page_gets_the_404_kind() -> None:
    body = Client(_site(b"<p>gone</p>", "text/html", 404)).get("/x").get_data()
    assert b'data-kind="not-found"' in body


def test_the_script_is_served_beside_the_events() -> None:
    response = Client(_site(b"", "text/html")).get("/__sitec__/live-reload.js")
    assert response.mimetype == "text/javascript"
    assert b'new EventSource(config.events + "?since="' in response.get_data()
    assert b'"/__sitec__/events"' in response.get_data()


def test_a_stream_replays_what_the_page_missed_then_follows() -> None:
    channel = ReloadChannel(history=3, heartbeat=0.05)
    channel.publish({"type": "built", "touched": ["/a/"]})
    channel.publish({"type": "error", "errors": []})
    stream = channel.stream(1)
    assert next(stream) == b"retry: 1000\n\n"
    assert b'"type":"error"' in next(stream)
    threading.Timer(0.1, channel.publish, [{"type": "built", "touched": ["/b/"]}]).start()
    frames = []
    while not frames or b"/b/" not in frames[-1]:
        frames.append(next(stream))
    assert frames[-1].startswith(b"id: 3\n")
    channel.close()
    assert list(stream) == []


def test_a_page_served_while_broken_gets_the_error_at_once() -> None:
    channel = ReloadChannel()
    channel.publish({"type": "error", "errors": [{"message": "x"}]})
    stream = channel.stream(channel.generation)
    next(stream)
    assert b'"type":"error"' in next(stream)


def test_a_page_older_than_the_history_reloads() -> None:
    channel = ReloadChannel(history=2)
    for number in range(5):
        channel.publish({"type": "built", "touched": [f"/{number}/"]})
    stream = channel.stream(0)
    next(stream)
    assert b'"everything":true' in next(stream)


def test_a_page_of_an_earlier_dev_server_reloads() -> None:
    channel = ReloadChannel()
    channel.publish({"type": "built", "touched": []})
    stream = channel.stream(7)  # the event id a page kept across a restart of the server
    next(stream)
    assert b'"everything":true' in next(stream)


def test_an_error_report_finds_its_place_and_line(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text("def a():\n    raise KeyError('x')\n")
    report = report_of("/a/ raised while rendering: views.py:2: KeyError: 'x'", tmp_path)
    assert (report.file, report.line, report.code) == ("views.py", 2, "raise KeyError('x')")
    assert report_of("no place: missing.py:3: here", tmp_path).file is None


def test_noise_is_not_a_change() -> None:
    for path in (
        "a/.post.md.swp",
        "a/post.md~",
        "a/4913",
        "._site.staging-ab12",
        "a/__pycache__/x",
    ):
        assert is_noise(path), path
    for path in ("a/post.md", "templates/base.html", ".env", "pyproject.toml"):
        assert not is_noise(path), path


def test_the_watcher_settles_saves_into_one_batch(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "_site").mkdir()
    watcher = ProjectWatcher(tmp_path, [tmp_path / "_site"], quiet=0.2, complete=0.2)
    watcher.start()
    try:
        for number in range(5):
            (tmp_path / "content" / "post.md").write_text(f"save {number}")
            (tmp_path / "content" / ".post.md.swp").write_text("editor")
            (tmp_path / "_site" / "index.html").write_text("built")
            time.sleep(0.02)
        (tmp_path / "notes").mkdir()  # a new folder at the top is watched too
        time.sleep(0.3)
        (tmp_path / "notes" / "a.txt").write_text("a")
        batches = [watcher.next_batch()]
        while str(tmp_path / "notes" / "a.txt") not in batches[-1]:
            batches.append(watcher.next_batch())
    finally:
        watcher.stop()
    seen = {path for batch in batches for path in batch}
    assert str(tmp_path / "content" / "post.md") in seen
    assert not {path for path in seen if "_site" in path or path.endswith(".swp")}
    assert len(batches) <= 3
    assert watcher.next_batch() is None


def test_a_complete_save_settles_sooner(tmp_path: Path) -> None:
    """A file still open for writing may get more bytes: its batch waits the quiet
    period. Once it is closed the save is complete, and the batch comes at once."""
    watcher = ProjectWatcher(tmp_path, [], quiet=1.0, complete=0.01)
    watcher.start()
    post = tmp_path / "post.md"
    try:
        with post.open("w") as f:
            f.write("first half")
            f.flush()
            opened = time.monotonic()
            time.sleep(0.2)
            f.write(", second half")
        batch = watcher.next_batch()
        waited = time.monotonic() - opened
    finally:
        watcher.stop()
    assert batch == [str(post)]
    assert 0.2 <= waited < 1.0


def test_an_overflowed_event_queue_still_makes_a_batch(tmp_path: Path) -> None:
    """watchdog says so only in its log (then drops the events it lost): that is a
    batch of its own, so the rebuild compares every input with the disk."""
    watcher = ProjectWatcher(tmp_path, [])
    watcher.start()
    try:
        logging.getLogger("watchdog.observers.inotify_c").warning(
            "Inotify queue overflowed; filesystem events were lost"
        )
        assert watcher.next_batch() == [OVERFLOW]
    finally:
        watcher.stop()


def test_an_app_loaded_just_after_a_save_it_knows_of_is_not_stale(
    tmp_path: Path, build_project: t.Callable[..., Path]
) -> None:
    """A file saved just before the app is created again cannot be told by its date from
    one saved while the app read it, so such a copy counts as stale at once. A session
    started for that save stamps the file before the load too: the same after it, it
    was read as it is; changed while the app was created, the copy is stale."""
    (tmp_path / "pyproject.toml").write_text('[tool.sitec]\napp = "settling:create_app()"\n')
    (tmp_path / "settling.py").write_text(
        "from pathlib import Path\n"
        "from flask import Flask\n"
        "def create_app():\n"
        "    app = Flask(__name__)\n"
        "    post = Path(__file__).parent / 'post.txt'\n"
        "    app.config['POST'] = post.read_text()\n"
        "    if app.config['POST'] == 'saved while read':\n"
        "        post.write_text('saved after it was read')\n"
        "    return app\n"
    )
    an_hour_ago = time.time() - 3600
    for path in tmp_path.iterdir():
        os.utime(path, (an_hour_ago, an_hour_ago))  # only the post is saved just now
    post = tmp_path / "post.txt"
    saved = [os.path.realpath(post)]
    settings = load_settings(tmp_path)
    post.write_text("saved")
    loaded = LoadedApp(settings, saved=saved)
    assert loaded.app.config["POST"] == "saved"
    assert loaded.changed() == []

    post.write_text("saved while read")
    assert LoadedApp(settings, saved=saved).changed() == saved


def test_a_stamp_taken_after_the_load_is_kept_only_for_what_the_app_read(
    tmp_path: Path, build_project: t.Callable[..., Path]
) -> None:
    """A build of a loaded app may stamp an input of the app's creation after the load
    (what changed is looked for meanwhile): such a stamp is marked when the file may
    have changed after the app read it, as the app's own stamps are; a file saved just
    before the load and the same after it, or a path the creation did not read, keeps
    its stamp."""
    _reading_project(tmp_path, then="(here / 'b.txt').write_text('saved after it was read')")
    a, b, other = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "notes.md"
    for path in (a, b, other):
        path.write_text("first")
    loaded = LoadedApp(load_settings(tmp_path), saved=[os.path.realpath(a)])
    for path, read_as_it_is in ((a, True), (b, False), (other, True)):
        taken = stamps.take(path)
        assert loaded.as_read(os.path.realpath(path), taken) == (
            taken if read_as_it_is else stamps.during_build(taken, loaded._started_ns)
        )
    assert stamps.check(os.path.realpath(b), loaded.as_read(os.path.realpath(b), stamps.take(b)))


def test_a_code_index_made_before_the_load_stands_while_its_sources_are_unchanged(
    tmp_path: Path, build_project: t.Callable[..., Path]
) -> None:
    """The standby session indexes the project's code before it loads the app: the
    index is the app's only while no source changed since, nor within a tick of the
    file system's clock before it was read."""
    (tmp_path / "pyproject.toml").write_text('[tool.sitec]\napp = "indexed:create_app()"\n')
    source = tmp_path / "indexed.py"
    source.write_text("from flask import Flask\ndef create_app():\n    return Flask(__name__)\n")
    an_hour_ago = time.time() - 3600
    os.utime(source, (an_hour_ago, an_hour_ago))
    settings = load_settings(tmp_path)
    sources = project_sources(tmp_path)

    index = CodeIndex(tmp_path, sources)
    assert index.unchanged()
    assert LoadedApp(settings, index=index).code_index() is index

    source.write_text(source.read_text() + "def helper():\n    return 1\n")
    assert not index.unchanged()
    own = LoadedApp(settings, index=index).code_index()
    assert own is not index and own.named("helper")
    assert not CodeIndex(tmp_path, sources).unchanged()  # read in the tick it was saved


def test_a_stale_check_looks_at_the_files_just_saved_first(
    tmp_path: Path, build_project: t.Callable[..., Path]
) -> None:
    _reading_project(tmp_path)
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("a")
    b.write_text("b")
    an_hour_ago = time.time() - 3600
    for path in tmp_path.iterdir():
        os.utime(path, (an_hour_ago, an_hour_ago))
    loaded = LoadedApp(load_settings(tmp_path))
    assert loaded.changed() == []

    a.write_text("new a")
    b.write_text("new b")
    real_a, real_b = os.path.realpath(a), os.path.realpath(b)
    assert loaded.changed([str(a)]) == [real_a]  # enough to tell the app stale
    assert loaded.changed([str(tmp_path / "notes.md")]) == [real_a, real_b]
    assert loaded.changed() == [real_a, real_b]


def test_the_standby_parses_the_templates_the_last_build_loaded(
    build_project: t.Callable[..., Path],
) -> None:
    """The record lists the template files the pages loaded; the standby parses them
    before it loads the app, and the analysis of the app it loads takes those trees."""
    from sitec.compiler.analyse import analyse_app
    from sitec.compiler.analyse import templates

    project = build_project("incremental_site")
    _sitec_build(project)
    settings = load_settings(project)
    record = RecordReader(settings.output).read()
    assert record is not None
    folder = os.path.realpath(project / "site_app" / "templates")
    names = ["_macros.html", "_nav.html", "about.html", "base.html", "index.html", "post.html"]
    assert sorted(record.groups[TEMPLATES]) == [os.path.join(folder, name) for name in names]

    templates.parse_templates_ahead(record.groups[TEMPLATES])
    assert len(templates._AHEAD) == len(names)
    loaded = LoadedApp(settings)
    analyse_app(loaded.app, settings.project_root)
    assert templates._AHEAD == {}  # every tree taken by the app's environment


def test_the_session_looks_for_changes_while_the_build_analyses(
    build_project: t.Callable[..., Path],
) -> None:
    """Once a file just saved is known changed, the session forks the build at once and
    looks for the rest of what changed meanwhile; the build takes what the session
    sends, or looks itself when the session found nothing or is gone."""
    from sitec.compiler.dev.session import _ChangesFromSession
    from sitec.compiler.dev.session import _saved_changed

    project = build_project("incremental_site")
    _sitec_build(project)
    settings = load_settings(project)
    records = RecordReader(settings.output)
    record = records.read()
    assert record is not None
    template = project / "site_app" / "templates" / "about.html"
    assert not _saved_changed(record, [str(template)])
    template.write_text(template.read_text() + "<p>more</p>\n")
    assert _saved_changed(record, [str(project / "notes.md"), str(template)])
    changed = [os.path.realpath(template)]

    # Only the session's copy of the record says settings.toml changed: the build sees
    # it only through the session.
    settings_file = os.path.realpath(project / "settings.toml")
    sessions_stamps = {**record.stamps, settings_file: Stamp("f", 1, 1, "not it")}
    sessions_record = dataclasses.replace(record, stamps=sessions_stamps)
    for sent, expected in ((sessions_record, sorted([*changed, settings_file])), (None, changed)):
        from_session = _ChangesFromSession()
        memory = BuildMemory(settings, records=records, changes=from_session.receive)
        with ForkedCall(_changed_paths, memory) as building:
            from_session.find(sent)
            assert building.result() == expected

    from_session = _ChangesFromSession()
    memory = BuildMemory(settings, records=records, changes=from_session.receive)
    with ForkedCall(_changed_paths, memory) as building:
        from_session.close()  # what the session's end does when it dies
        assert building.result() == changed


def _changed_paths(memory: BuildMemory) -> list[str]:
    return sorted(memory.changes.paths)


def _sitec_build(project: Path) -> None:
    """``sitec build`` in ``project``, in a process of its own, as a user runs it."""
    built = subprocess.run(
        [sys.executable, "-c", "from sitec.compiler.cli import main; main()", "build"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr


def _reading_project(root: Path, then: str = "") -> None:
    """A project whose app factory reads ``a.txt`` and ``b.txt``, then runs ``then``."""
    (root / "pyproject.toml").write_text('[tool.sitec]\napp = "reading:create_app()"\n')
    (root / "reading.py").write_text(
        "from pathlib import Path\n"
        "from flask import Flask\n"
        "def create_app():\n"
        "    app = Flask(__name__)\n"
        "    here = Path(__file__).parent\n"
        "    app.config['POSTS'] = [(here / name).read_text() for name in ('a.txt', 'b.txt')]\n"
        f"    {then}\n"
        "    return app\n"
    )
