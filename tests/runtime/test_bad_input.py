"""Bad and hostile input over a real socket, served by werkzeug's development server.

Every malformed or oversized request must get a 4xx answer (never a 500), and
the server must keep answering normal requests afterwards.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading

import pytest
from werkzeug.serving import make_server

from sitec.runtime import Flask
from sitec.runtime import request

MAX_BODY = 1024


def build_app(root_path):
    app = Flask("bad_input_app", root_path=str(root_path), static_folder=None)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY, MAX_FORM_PARTS=5)
    # A 500 would be the test's failure signal; make sure nothing propagates instead.
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/")
    def index():
        return "alive"

    @app.route("/echo", methods=["POST"])
    def echo():
        return request.get_data()

    @app.route("/json", methods=["POST"])
    def json_view():
        return {"got": request.get_json()}

    @app.route("/form", methods=["POST"])
    def form():
        return {"fields": len(request.form), "files": len(request.files)}

    @app.route("/only-get")
    def only_get():
        return "get"

    @app.route("/headers")
    def headers():
        return {"x": request.headers.get("X-Thing", "")}

    return app


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp("bad_input"))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


@pytest.fixture
def port(server):
    yield server.server_port
    # Whatever the test sent, the server must still serve a plain request.
    assert get_status(server.server_port, "/") == (200, b"alive")


def get_status(port, path, method="GET", body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def raw_exchange(port, payload):
    """Send raw bytes and return the status code and the raw response."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            chunks.append(data)
    raw = b"".join(chunks)
    return parse_status(raw), raw


def parse_status(raw):
    if raw.startswith(b"HTTP/1."):
        return int(raw.split(b"\r\n", 1)[0].split()[1])
    # A request line the server cannot parse gets an HTTP/0.9-style answer: the
    # error page alone, without a status line.
    match = re.search(rb"<p>Error code: (\d{3})</p>", raw)
    assert match, raw[:300]
    return int(match.group(1))


def assert_client_error(status):
    assert 400 <= status < 500, status


# -- the HTTP layer ------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b"THIS IS NOT HTTP\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        b"GET / XTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    ],
    ids=["garbage", "no-path", "extra-word", "bad-protocol", "tls-hello"],
)
def test_malformed_request_line_is_4xx(port, payload):
    status, _ = raw_exchange(port, payload)
    assert_client_error(status)


def test_unsupported_http_version_is_505(port):
    # Well-formed but unsupported: "HTTP Version Not Supported" is the right answer.
    status, _ = raw_exchange(port, b"GET / HTTP/9.9\r\nHost: x\r\n\r\n")
    assert status == 505


def test_overlong_request_line_is_414(port):
    status, _ = raw_exchange(port, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 414


def test_too_many_headers_is_431(port):
    lines = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
    status, _ = raw_exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n" + lines + b"\r\n")
    assert status == 431


def test_overlong_header_line_is_4xx(port):
    payload = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n"
    status, _ = raw_exchange(port, payload)
    assert_client_error(status)


@pytest.mark.parametrize(
    "header_block",
    [
        b"Host: x\r\nNoColonHere\r\n",
        b"Host: x\r\n: no-name\r\n",
        b"Host: x\r\nX-Thing: \xff\xfe binary\r\n",
        b"Host: \xff\r\n",
        b"Host: a b c\r\n",
    ],
    ids=["no-colon", "empty-name", "binary-value", "binary-host", "spaces-in-host"],
)
def test_odd_headers_never_500(port, header_block):
    payload = b"GET /headers HTTP/1.1\r\n" + header_block + b"Connection: close\r\n\r\n"
    status, _ = raw_exchange(port, payload)
    assert status < 500


@pytest.mark.parametrize("length", [b"abc", b"-5", b"1e3", b"", b"12 34"])
def test_invalid_content_length_is_ignored_not_trusted(port, length):
    payload = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: "
        + length
        + b"\r\nConnection: close\r\n\r\nbody"
    )
    status, raw = raw_exchange(port, payload)
    # Without a usable length the body is not read at all (werkzeug's safe fallback).
    assert status == 200
    assert raw.endswith(b"\r\n\r\n")


def test_huge_content_length_is_413(port):
    payload = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999"
        b"\r\nConnection: close\r\n\r\nbody"
    )
    status, _ = raw_exchange(port, payload)
    assert status == 413


def test_content_length_shorter_than_body_reads_only_declared_bytes(port):
    payload = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabcdef"
    )
    status, raw = raw_exchange(port, payload)
    assert status == 200
    assert raw.endswith(b"\r\n\r\nabc")


def test_body_shorter_than_content_length_is_4xx(port):
    # The client promises 100 bytes, sends 4, then stops sending.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabcd")
        sock.shutdown(socket.SHUT_WR)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    assert_client_error(parse_status(raw))


# -- limits --------------------------------------------------------------------


def test_body_within_limit_is_accepted(port):
    assert get_status(port, "/echo", "POST", b"x" * MAX_BODY) == (200, b"x" * MAX_BODY)


def test_body_over_max_content_length_is_413(port):
    status, _ = get_status(port, "/echo", "POST", b"x" * (MAX_BODY + 1))
    assert status == 413


def test_declared_length_over_limit_is_413_without_sending_body(port):
    payload = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\nConnection: close\r\n\r\n"
    )
    status, _ = raw_exchange(port, payload)
    assert status == 413


def chunked_request(path, body, content_type="application/octet-stream", chunk_size=600):
    chunks = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
    encoded = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    return (
        b"POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" % path.encode()
        + b"Content-Type: %s\r\nConnection: close\r\n\r\n" % content_type.encode()
        + encoded
    )


def test_chunked_form_over_limit_is_413(port):
    body, headers = multipart(2)
    body = body.replace(b"v0", b"v" * (2 * MAX_BODY))
    status, _ = raw_exchange(port, chunked_request("/form", body, headers["Content-Type"]))
    assert status == 413


def test_chunked_body_over_limit_is_never_read_past_the_limit(port):
    # Without a Content-Length the limit is enforced while reading: werkzeug's
    # get_data() stops at the limit (a further read would raise 413).
    status, raw = raw_exchange(port, chunked_request("/echo", b"y" * (3 * MAX_BODY)))
    assert status in (200, 413)
    if status == 200:
        assert raw.split(b"\r\n\r\n", 1)[1] == b"y" * MAX_BODY


def test_chunked_body_within_limit_is_read(port):
    status, raw = raw_exchange(port, chunked_request("/echo", b"hello world", chunk_size=5))
    assert status == 200
    assert raw.endswith(b"hello world")


def test_malformed_chunked_body_never_500(port):
    payload = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\nzz\r\nnot hex\r\n0\r\n\r\n"
    )
    status, _ = raw_exchange(port, payload)
    assert status < 500


def multipart(n_fields, boundary="sitecboundary"):
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nv{i}\r\n'
        for i in range(n_fields)
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_form_parts_within_limit(port):
    body, headers = multipart(4)
    status, data = get_status(port, "/form", "POST", body, headers)
    assert status == 200
    assert json.loads(data) == {"fields": 4, "files": 0}


def test_too_many_form_parts_is_413(port):
    body, headers = multipart(12)
    assert len(body) < MAX_BODY
    status, _ = get_status(port, "/form", "POST", body, headers)
    assert status == 413


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
        (b"anything", "multipart/form-data"),
        (b"a=1&b=%zz&&=", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00", "application/x-www-form-urlencoded; charset=utf-8"),
    ],
    ids=["truncated-multipart", "no-boundary", "bad-percent", "binary-urlencoded"],
)
def test_malformed_form_bodies_never_500(port, body, content_type):
    status, _ = get_status(port, "/form", "POST", body, {"Content-Type": content_type})
    assert status < 500


# -- routing and JSON ----------------------------------------------------------


def test_wrong_method_is_405_with_allow(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("DELETE", "/only-get")
        response = conn.getresponse()
        response.read()
        assert response.status == 405
        allowed = {m.strip() for m in response.getheader("Allow").split(",")}
        assert allowed == {"GET", "HEAD", "OPTIONS"}
    finally:
        conn.close()


def test_unknown_method_is_405(port):
    status, raw = raw_exchange(
        port, b"BREW /only-get HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == 405
    assert b"Allow: " in raw


def test_unknown_url_is_404(port):
    assert get_status(port, "/definitely/not/here")[0] == 404


@pytest.mark.parametrize(
    "path",
    ["/%ff%fe", "/%", "/..%2f..%2fetc/passwd", "/a\x00b".replace("\x00", "%00"), "//double"],
)
def test_odd_paths_never_500(port, path):
    status, _ = get_status(port, path)
    assert status < 500


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[1, 2",
        b"\xff\xfe",
        b'{"a": NaN',
        b"[" * 1_000,  # deeper than the parser can follow: RecursionError
    ],
    ids=lambda body: repr(body[:12]),
)
def test_invalid_json_is_400(port, body):
    status, _ = get_status(port, "/json", "POST", body, {"Content-Type": "application/json"})
    assert status == 400


def test_valid_json_round_trips(port):
    body = json.dumps({"k": ["v", 1]}).encode()
    status, data = get_status(port, "/json", "POST", body, {"Content-Type": "application/json"})
    assert status == 200
    assert json.loads(data) == {"got": {"k": ["v", 1]}}


def test_json_with_wrong_content_type_is_415(port):
    status, _ = get_status(port, "/json", "POST", b"{}", {"Content-Type": "text/plain"})
    assert status == 415


def test_keep_alive_connection_survives_an_error(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/missing")
        first = conn.getresponse()
        first.read()
        conn.request("GET", "/")
        second = conn.getresponse()
        assert (first.status, second.status, second.read()) == (404, 200, b"alive")
    finally:
        conn.close()


def test_many_bad_requests_in_a_row(port):
    for _ in range(20):
        raw_exchange(port, b"NONSENSE\r\n\r\n")
        get_status(port, "/json", "POST", b"{", {"Content-Type": "application/json"})
    assert get_status(port, "/")[0] == 200


@pytest.mark.parametrize(
    ("query", "args", "full_path"),
    [
        # What gunicorn and other servers hand over for raw bytes on the request line:
        # the bytes as latin-1 text, whatever they are.
        ("q=\xff\xfe&n=1", {"q": ["%FF%FE"], "n": ["1"]}, "/args?q=%FF%FE&n=1"),
        ("q=%ff", {"q": ["%FF"]}, "/args?q=%ff"),  # the same byte percent-escaped
        ("q=caf\xc3\xa9", {"q": ["café"]}, "/args?q=café"),  # UTF-8 as raw bytes
    ],
    ids=["raw-not-utf8", "escaped-not-utf8", "raw-utf8"],
)
def test_query_bytes_that_are_not_utf8_are_kept_escaped(tmp_path, query, args, full_path):
    app = build_app(tmp_path)

    @app.route("/args")
    def show_args():
        return {"args": request.args.to_dict(flat=False), "full_path": request.full_path}

    response = app.test_client().get("/args", environ_overrides={"QUERY_STRING": query})
    assert response.status_code == 200
    assert response.json == {"args": args, "full_path": full_path}
