"""Debug mode explains two silent data losses: a form posted without
``enctype="multipart/form-data"``, and a redirect that would drop a posted body."""

from __future__ import annotations

import pytest
from werkzeug.routing import RequestRedirect

from sitec.runtime import Flask
from sitec.runtime import request
from sitec.runtime.debughelpers import DebugFilesKeyError
from sitec.runtime.debughelpers import FormDataRoutingRedirect


def upload_app(debug: bool) -> Flask:
    app = Flask(__name__)
    app.debug = debug

    @app.post("/upload")
    def upload() -> str:
        return request.files["photo"].filename or ""

    return app


def test_a_file_posted_without_multipart_is_explained_in_debug_mode() -> None:
    client = upload_app(debug=True).test_client()
    with pytest.raises(DebugFilesKeyError) as caught:
        client.post("/upload", data={"photo": "holiday.jpg"})
    message = str(caught.value)
    assert "'photo'" in message
    assert "multipart/form-data" in message
    assert "holiday.jpg" in message  # what the browser sent instead of the file
    assert isinstance(caught.value, KeyError)


def test_a_file_posted_without_multipart_is_a_plain_400_outside_debug_mode() -> None:
    response = upload_app(debug=False).test_client().post("/upload", data={"photo": "a.jpg"})
    assert response.status_code == 400


def test_a_real_upload_works_in_debug_mode(tmp_path) -> None:
    photo = tmp_path / "holiday.jpg"
    photo.write_bytes(b"\xff\xd8 not really a jpeg")
    client = upload_app(debug=True).test_client()
    with photo.open("rb") as f:
        response = client.post("/upload", data={"photo": (f, "holiday.jpg")})
    assert response.data == b"holiday.jpg"


def test_a_missing_file_that_was_not_posted_as_a_field_stays_a_key_error() -> None:
    client = upload_app(debug=True).test_client()
    with pytest.raises(KeyError) as caught:
        client.post("/upload", data={"other": "x"})
    assert not isinstance(caught.value, DebugFilesKeyError)


def redirecting_app(debug: bool) -> Flask:
    app = Flask(__name__)
    app.debug = debug

    @app.route("/signup/", methods=["GET", "POST"])
    def signup() -> str:
        return request.form.get("email", "")

    return app


@pytest.fixture
def body_dropping_redirects(monkeypatch: pytest.MonkeyPatch) -> None:
    """werkzeug redirects with 308, which keeps the body; an app or proxy that
    answers 301 makes browsers resend the request as a GET without it."""
    monkeypatch.setattr(RequestRedirect, "code", 301)


def test_a_redirect_that_drops_a_posted_body_is_explained_in_debug_mode(
    body_dropping_redirects,
) -> None:
    client = redirecting_app(debug=True).test_client()
    with pytest.raises(FormDataRoutingRedirect) as caught:
        client.post("/signup", data={"email": "a@example.org"})
    message = str(caught.value)
    assert "http://localhost/signup/" in message  # the canonical URL
    assert "/signup/" in message


def test_the_same_redirect_outside_debug_mode_is_answered(body_dropping_redirects) -> None:
    response = redirecting_app(debug=False).test_client().post("/signup", data={"email": "a"})
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/signup/")


def test_get_requests_and_body_keeping_redirects_are_not_explained() -> None:
    client = redirecting_app(debug=True).test_client()
    assert client.get("/signup").status_code == 308
    response = client.post("/signup", data={"email": "a@example.org"}, follow_redirects=True)
    assert response.data == b"a@example.org"
