"""Sending files: ``send_file``, ``send_from_directory`` and the static route,
with real files; conditional and range requests, caching, downloads, file
objects, and refusing paths that leave the directory."""

from __future__ import annotations

import io
import os
import socket
import threading
import typing as t
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.http import http_date
from werkzeug.serving import make_server

from sitec.runtime import Blueprint
from sitec.runtime import Flask
from sitec.runtime import send_file
from sitec.runtime import send_from_directory
from sitec.runtime import url_for

NOTES = "0123456789abcdefghij"  # 20 bytes, easy to slice by eye


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An app root with downloadable files, a static folder and a secret
    file beside (outside) both."""
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "notes.txt").write_text(NOTES)
    (tmp_path / "files" / "sub").mkdir()
    (tmp_path / "files" / "sub" / "data.json").write_text('{"k": 1}')
    (tmp_path / "files" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\nfakebody")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("body { color: red }")
    (tmp_path / "static" / "app.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    return tmp_path


def make_app(root: Path, cls: type[Flask] = Flask, **kwargs: t.Any) -> Flask:
    app = cls("filesite", root_path=str(root), **kwargs)
    files = str(root / "files")

    @app.route("/send/<path:name>")
    def send(name: str) -> t.Any:
        return send_file(os.path.join(files, name))

    @app.route("/files/<path:name>")
    def from_dir(name: str) -> t.Any:
        return send_from_directory(files, name)

    return app


# -- send_file -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mimetype"),
    [
        ("notes.txt", "text/plain; charset=utf-8"),
        ("sub/data.json", "application/json"),
        ("logo.png", "image/png"),
    ],
)
def test_send_file_content_type_and_body(root: Path, name: str, mimetype: str) -> None:
    app = make_app(root)
    rv = app.test_client().get(f"/send/{name}")
    assert rv.status_code == 200
    assert rv.headers["Content-Type"] == mimetype
    assert rv.data == (root / "files" / name).read_bytes()
    assert rv.headers["Content-Length"] == str(len(rv.data))
    # The file's own name is offered, for display inline.
    assert rv.headers["Content-Disposition"] == f"inline; filename={os.path.basename(name)}"


def test_send_file_explicit_mimetype_wins(root: Path) -> None:
    app = make_app(root)
    with app.test_request_context():
        rv = send_file(root / "files" / "notes.txt", mimetype="text/csv")
        rv.direct_passthrough = False
        assert rv.mimetype == "text/csv"
        assert rv.get_data(as_text=True) == NOTES
        rv.close()


def test_send_file_relative_path_is_relative_to_root_path(root: Path) -> None:
    app = make_app(root)
    with app.test_request_context():
        rv = send_file("files/notes.txt")
        rv.direct_passthrough = False
        assert rv.get_data(as_text=True) == NOTES
        rv.close()


def test_send_file_missing_path_raises(root: Path) -> None:
    app = make_app(root)
    with app.test_request_context(), pytest.raises(FileNotFoundError):
        send_file(root / "files" / "nothing.txt")


def test_send_file_needs_a_request(root: Path) -> None:
    app = make_app(root)
    with app.app_context(), pytest.raises(RuntimeError, match="request context"):
        send_file(root / "files" / "notes.txt")


def test_etag_and_if_none_match_gives_304(root: Path) -> None:
    client = make_app(root).test_client()
    first = client.get("/send/notes.txt")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get("/send/notes.txt", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    other = client.get("/send/notes.txt", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.data == NOTES.encode()


def test_etag_changes_when_the_file_changes(root: Path) -> None:
    client = make_app(root).test_client()
    path = root / "files" / "notes.txt"
    etag = client.get("/send/notes.txt").headers["ETag"]
    path.write_text(NOTES + "more")
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))
    rv = client.get("/send/notes.txt", headers={"If-None-Match": etag})
    assert rv.status_code == 200
    assert rv.headers["ETag"] != etag


def test_if_modified_since(root: Path) -> None:
    client = make_app(root).test_client()
    path = root / "files" / "notes.txt"
    mtime = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    rv = client.get("/send/notes.txt")
    assert rv.headers["Last-Modified"] == http_date(mtime)

    later = http_date(mtime + timedelta(days=1))
    assert client.get("/send/notes.txt", headers={"If-Modified-Since": later}).status_code == 304
    same = http_date(mtime)
    assert client.get("/send/notes.txt", headers={"If-Modified-Since": same}).status_code == 304
    earlier = http_date(mtime - timedelta(days=1))
    rv = client.get("/send/notes.txt", headers={"If-Modified-Since": earlier})
    assert rv.status_code == 200
    assert rv.data == NOTES.encode()


def test_conditional_false_ignores_validators_and_ranges(root: Path) -> None:
    app = make_app(root)

    @app.route("/plain")
    def plain() -> t.Any:
        return send_file(root / "files" / "notes.txt", conditional=False, etag=False)

    rv = app.test_client().get("/plain", headers={"If-None-Match": "*", "Range": "bytes=0-1"})
    assert rv.status_code == 200
    assert rv.data == NOTES.encode()
    assert "ETag" not in rv.headers


def test_range_request_gives_206(root: Path) -> None:
    client = make_app(root).test_client()
    rv = client.get("/send/notes.txt", headers={"Range": "bytes=3-7"})
    assert rv.status_code == 206
    assert rv.data == NOTES[3:8].encode()
    assert rv.headers["Content-Range"] == f"bytes 3-7/{len(NOTES)}"
    assert rv.headers["Content-Length"] == "5"
    assert rv.headers["Accept-Ranges"] == "bytes"

    tail = client.get("/send/notes.txt", headers={"Range": "bytes=-4"})
    assert tail.status_code == 206
    assert tail.data == NOTES[-4:].encode()

    open_ended = client.get("/send/notes.txt", headers={"Range": "bytes=15-"})
    assert open_ended.status_code == 206
    assert open_ended.data == NOTES[15:].encode()


def test_unsatisfiable_range_gives_416(root: Path) -> None:
    client = make_app(root).test_client()
    rv = client.get("/send/notes.txt", headers={"Range": "bytes=100-200"})
    assert rv.status_code == 416
    assert rv.headers["Content-Range"] == f"bytes */{len(NOTES)}"


@pytest.mark.parametrize("value", ["lines=1-2", "bytes=abc", "bytes=9-3", "bytes="])
def test_malformed_range_is_416_not_a_server_error(root: Path, value: str) -> None:
    client = make_app(root).test_client()
    rv = client.get("/send/notes.txt", headers={"Range": value})
    assert rv.status_code == 416
    assert b"0123" not in rv.data


def test_if_range_with_a_stale_etag_sends_the_whole_file(root: Path) -> None:
    client = make_app(root).test_client()
    etag = client.get("/send/notes.txt").headers["ETag"]
    fresh = client.get("/send/notes.txt", headers={"Range": "bytes=0-1", "If-Range": etag})
    assert fresh.status_code == 206
    stale = client.get("/send/notes.txt", headers={"Range": "bytes=0-1", "If-Range": '"old"'})
    assert stale.status_code == 200
    assert stale.data == NOTES.encode()


# -- caching ---------------------------------------------------------------------


def test_default_max_age_is_no_cache(root: Path) -> None:
    rv = make_app(root).test_client().get("/send/notes.txt")
    assert rv.cache_control.no_cache
    assert rv.cache_control.max_age is None


@pytest.mark.parametrize(
    ("setting", "seconds"),
    [(90, 90), (timedelta(hours=2), 7200), (timedelta(minutes=1, seconds=30), 90)],
)
def test_send_file_max_age_default_int_and_timedelta(
    root: Path, setting: int | timedelta, seconds: int
) -> None:
    app = make_app(root)
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = setting
    with app.app_context():
        assert app.get_send_file_max_age("x.txt") == seconds
    client = app.test_client()
    for url in ("/send/notes.txt", "/files/notes.txt", "/static/site.css"):
        rv = client.get(url)
        assert rv.cache_control.max_age == seconds, url
        assert rv.cache_control.public
        assert rv.expires is not None


def test_explicit_max_age_beats_the_config(root: Path) -> None:
    app = make_app(root)
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 1000

    @app.route("/short")
    def short() -> t.Any:
        return send_file(root / "files" / "notes.txt", max_age=5)

    @app.route("/callable")
    def by_callable() -> t.Any:
        return send_from_directory(
            root / "files", "notes.txt", max_age=lambda name: len(os.path.basename(name))
        )

    client = app.test_client()
    assert client.get("/short").cache_control.max_age == 5
    assert client.get("/callable").cache_control.max_age == len("notes.txt")


def test_get_send_file_max_age_override(root: Path) -> None:
    class PerTypeCaching(Flask):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            if filename is not None and filename.endswith(".css"):
                return 600
            return 0

    app = make_app(root, cls=PerTypeCaching)
    client = app.test_client()
    css = client.get("/static/site.css")
    assert css.cache_control.max_age == 600
    js = client.get("/static/app.js")
    assert js.cache_control.max_age == 0
    # send_file asks the app too.
    assert client.get("/send/notes.txt").cache_control.max_age == 0


def test_blueprint_get_send_file_max_age_for_its_static_files(root: Path) -> None:
    class LongCacheBlueprint(Blueprint):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 31536000

    bp = LongCacheBlueprint("assets", "assets_mod", root_path=str(root), static_folder="static")
    app = make_app(root)
    app.register_blueprint(bp, url_prefix="/assets")
    client = app.test_client()
    rv = client.get("/assets/static/site.css")
    assert rv.data == b"body { color: red }"
    assert rv.cache_control.max_age == 31536000
    assert client.get("/static/site.css").cache_control.max_age is None


# -- downloads and file objects -----------------------------------------------------


def test_as_attachment_with_download_name(root: Path) -> None:
    app = make_app(root)

    @app.route("/dl")
    def download() -> t.Any:
        return send_file(
            root / "files" / "notes.txt", as_attachment=True, download_name="report.csv"
        )

    @app.route("/inline")
    def inline() -> t.Any:
        return send_file(root / "files" / "logo.png", download_name="pic.png")

    @app.route("/unicode")
    def unicode_name() -> t.Any:
        return send_file(
            root / "files" / "notes.txt", as_attachment=True, download_name="ñandú.txt"
        )

    client = app.test_client()
    rv = client.get("/dl")
    assert rv.headers["Content-Disposition"] == "attachment; filename=report.csv"
    assert rv.mimetype == "text/csv"  # guessed from the download name
    assert client.get("/inline").headers["Content-Disposition"] == "inline; filename=pic.png"
    disposition = client.get("/unicode").headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%C3%B1and%C3%BA.txt" in disposition
    disposition.encode("latin-1")  # header values stay latin-1 encodable


def test_as_attachment_uses_the_file_name_by_default(root: Path) -> None:
    app = make_app(root)

    @app.route("/dl")
    def download() -> t.Any:
        return send_from_directory(root / "files", "sub/data.json", as_attachment=True)

    rv = app.test_client().get("/dl")
    assert rv.headers["Content-Disposition"] == "attachment; filename=data.json"
    assert rv.json == {"k": 1}


def test_file_like_objects(root: Path) -> None:
    app = make_app(root)
    payload = b"line1\nline2\n"

    @app.route("/bytes")
    def from_bytes() -> t.Any:
        return send_file(io.BytesIO(payload), mimetype="text/plain")

    @app.route("/named")
    def named() -> t.Any:
        return send_file(io.BytesIO(payload), download_name="export.csv", as_attachment=True)

    @app.route("/opened")
    def opened() -> t.Any:
        return send_file(open(root / "files" / "logo.png", "rb"), mimetype="image/png")  # noqa: SIM115

    client = app.test_client()
    rv = client.get("/bytes")
    assert rv.status_code == 200
    assert rv.data == payload
    assert rv.mimetype == "text/plain"
    assert "ETag" not in rv.headers  # nothing to derive it from

    rv = client.get("/named")
    assert rv.mimetype == "text/csv"
    assert rv.headers["Content-Disposition"] == "attachment; filename=export.csv"

    rv = client.get("/opened")
    assert rv.data == (root / "files" / "logo.png").read_bytes()


def test_file_like_object_without_a_type_is_an_error(root: Path) -> None:
    app = make_app(root)
    with app.test_request_context(), pytest.raises(TypeError, match="MIME type"):
        send_file(io.BytesIO(b"?"))


def test_file_like_object_supports_ranges(root: Path) -> None:
    app = make_app(root)

    @app.route("/buf")
    def buf() -> t.Any:
        return send_file(io.BytesIO(NOTES.encode()), mimetype="text/plain")

    rv = app.test_client().get("/buf", headers={"Range": "bytes=0-2"})
    assert rv.status_code == 206
    assert rv.data == b"012"


def test_use_x_sendfile_sends_the_path_not_the_body(root: Path) -> None:
    app = make_app(root)
    app.config["USE_X_SENDFILE"] = True
    rv = app.test_client().get("/send/notes.txt")
    assert rv.headers["X-Sendfile"] == str(root / "files" / "notes.txt")
    assert rv.data == b""


# -- send_from_directory: staying inside the directory ---------------------------------


def test_send_from_directory_serves_nested_files(root: Path) -> None:
    client = make_app(root).test_client()
    rv = client.get("/files/sub/data.json")
    assert rv.status_code == 200
    assert rv.json == {"k": 1}


@pytest.mark.parametrize(
    "name",
    [
        "../secret.txt",
        "sub/../../secret.txt",
        "nope.txt",
        "sub",  # a directory, not a file
        "",
    ],
)
def test_send_from_directory_404s(root: Path, name: str) -> None:
    app = make_app(root)
    with app.test_request_context(), pytest.raises(NotFound):
        send_from_directory(root / "files", name)


def test_send_from_directory_refuses_absolute_paths(root: Path) -> None:
    app = make_app(root)
    absolute = str(root / "secret.txt")
    with app.test_request_context(), pytest.raises(NotFound):
        send_from_directory(root / "files", absolute)
    with app.test_request_context(), pytest.raises(NotFound):
        send_from_directory(root / "files", "/etc/passwd")


@pytest.mark.parametrize(
    "url",
    [
        "/files/../secret.txt",
        "/files/..%2fsecret.txt",
        "/files/%2e%2e/secret.txt",
        "/files/%2E%2E%2Fsecret.txt",
        "/files/sub/..%2F..%2Fsecret.txt",
        "/files/%2Fetc%2Fpasswd",
        "/files//etc/passwd",
        "/static/..%2fsecret.txt",
        "/static/%2e%2e/secret.txt",
        "/files/notes.txt%00.png",
        "/static/site.css%00",
    ],
)
def test_traversal_through_urls_is_404(root: Path, url: str) -> None:
    # Doubled slashes are first redirected to the merged URL; follow that too.
    rv = make_app(root).test_client().get(url, follow_redirects=True)
    assert rv.status_code == 404
    assert b"TOP SECRET" not in rv.data


def _raw_get(port: int, target: str) -> tuple[int, bytes]:
    """Send a GET with the request target exactly as given (no client-side
    normalisation of ``..``) and return the status and the whole reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
        )
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status = int(reply.split(b" ", 2)[1])
    return status, reply


def test_traversal_over_a_real_socket_is_404(root: Path) -> None:
    app = make_app(root)
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_port
        ok_status, ok_reply = _raw_get(port, "/static/site.css")
        assert ok_status == 200 and ok_reply.endswith(b"body { color: red }")
        for target in (
            "/static/../secret.txt",
            "/files/../secret.txt",
            "/files/%2e%2e/secret.txt",
            "/files/..%2Fsecret.txt",
            "/files/%2e%2e%2f%2e%2e%2fsecret.txt",
        ):
            status, reply = _raw_get(port, target)
            assert status == 404, target
            assert b"TOP SECRET" not in reply
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- the static route ------------------------------------------------------------------


def test_static_route_serves_the_static_folder(root: Path) -> None:
    app = make_app(root)
    client = app.test_client()
    rv = client.get("/static/site.css")
    assert rv.status_code == 200
    assert rv.mimetype == "text/css"
    assert rv.data == b"body { color: red }"
    assert client.get("/static/missing.css").status_code == 404
    assert client.post("/static/site.css").status_code == 405
    with app.test_request_context():
        assert url_for("static", filename="site.css") == "/static/site.css"


def test_head_request_sends_headers_without_a_body(root: Path) -> None:
    rv = make_app(root).test_client().head("/static/site.css")
    assert rv.status_code == 200
    assert rv.headers["Content-Length"] == str(len("body { color: red }"))
    assert rv.data == b""


def test_static_route_is_conditional(root: Path) -> None:
    client = make_app(root).test_client()
    etag = client.get("/static/app.js").headers["ETag"]
    assert client.get("/static/app.js", headers={"If-None-Match": etag}).status_code == 304
    rv = client.get("/static/app.js", headers={"Range": "bytes=0-6"})
    assert rv.status_code == 206
    assert rv.data == b"console"


def test_static_url_path_and_folder_can_be_changed(root: Path) -> None:
    app = make_app(root, static_url_path="/assets", static_folder="files")
    client = app.test_client()
    assert client.get("/assets/notes.txt").data == NOTES.encode()
    assert client.get("/static/site.css").status_code == 404
    with app.test_request_context():
        assert url_for("static", filename="sub/data.json") == "/assets/sub/data.json"


def test_no_static_folder_means_no_static_route(root: Path) -> None:
    app = make_app(root, static_folder=None)
    assert "static" not in app.view_functions
    assert app.test_client().get("/static/site.css").status_code == 404
    with app.test_request_context(), pytest.raises(RuntimeError, match="static_folder"):
        app.send_static_file("site.css")
