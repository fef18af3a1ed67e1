"""render_page: real renders of ``tests/apps/render_reads``, with the observer's evidence.

Lines are found by ``MARK`` markers in the fixture files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_build_support import line_of as marked_line

from sitec.compiler.render import render_page

APP = Path(__file__).resolve().parents[1] / "apps" / "render_reads"


def line_of(file: str, marker: str) -> int:
    return marked_line(APP / file, marker)


@pytest.fixture(scope="module")
def app():
    from conftest import load_app_from

    return load_app_from("render_reads")


def reads(app, url: str) -> set[tuple[str, str | None, int | None]]:
    page = render_page(app, url, project_root=APP)
    assert page.error is None, page.error
    return {(r.message, r.file, r.line) for r in page.reads}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/view/", [("reads request.args", "app.py", "view args")]),
        ("/headers/", [("reads request.headers", "app.py", "view headers")]),
        (
            "/hook/",
            [
                ("reads session['user']", "app.py", "hook session"),
                ("reads g.user, set from request state (reads session['user'])", "app.py", "g"),
            ],
        ),
        ("/processor/", [("reads request.cookies", "app.py", "helper cookies")]),
        ("/flashes/", [("reads flashed messages", "app.py", "view flashes")]),
        (
            "/template/",
            [
                ("reads request.args", "reads.html", "template args"),
                ("reads flashed messages", "reads.html", "template flashes"),
            ],
        ),
        ("/macro/", [("reads session['name']", "macros.html", "macro session")]),
    ],
)
def test_each_request_read_is_recorded_where_it_happens(app, url, expected) -> None:
    wanted = {(message, file, line_of(file if file == "app.py" else f"templates/{file}", marker))
              for message, file, marker in expected}  # fmt: skip
    assert reads(app, url) == wanted


def test_via_names_the_hook_view_or_macro(app) -> None:
    hook = render_page(app, "/hook/", project_root=APP).reads
    assert [r.via for r in hook] == ["before_request load_user", "view hook"]
    processor = render_page(app, "/processor/", project_root=APP).reads
    assert [r.via for r in processor] == ["context_processor inject_theme"]
    assert [r.via for r in render_page(app, "/view/", project_root=APP).reads] == ["view view"]
    assert [r.via for r in render_page(app, "/macro/", project_root=APP).reads] == [
        "macro greeting"
    ]


@pytest.mark.parametrize("url", ["/", "/url-only/hello/", "/moved/"])
def test_url_determined_reads_record_nothing(app, url) -> None:
    assert reads(app, url) == set()


def test_templates_through_extends_include_and_import_are_recorded(app) -> None:
    assert render_page(app, "/", project_root=APP).templates == [
        "clean.html",
        "base.html",
        "partial.html",
    ]
    assert render_page(app, "/macro/", project_root=APP).templates == [
        "uses_macro.html",
        "base.html",
        "macros.html",
    ]


def test_files_opened_by_the_app_are_recorded_but_not_templates(app) -> None:
    page = render_page(app, "/files/", project_root=APP)
    assert page.body == b"one \ntwo\n"
    assert page.files == ["data/one.txt", "data/two.txt"]
    download = render_page(app, "/download/", project_root=APP)
    assert download.body == b"one \n"
    assert download.files == ["data/one.txt"]
    assert render_page(app, "/", project_root=APP).files == []


def test_links_are_same_site_paths_from_the_body_and_url_for(app) -> None:
    page = render_page(app, "/", project_root=APP)
    assert page.status == 200
    assert page.endpoint == "index"
    assert page.header("Content-Type") == "text/html; charset=utf-8"
    assert page.links == ["/static/site.css", "/", "/view/", "/url-only/from-template/"]


def test_a_base_url_is_in_the_page_and_stripped_from_links(app) -> None:
    page = render_page(app, "/", base_url="/docs/", project_root=APP)
    assert b'href="/docs/static/site.css"' in page.body
    assert b'href="/docs/"' in page.body
    # "../view/" from the root page leaves the base URL: not a page of this site.
    assert page.links == ["/static/site.css", "/", "/url-only/from-template/"]
    moved = render_page(app, "/moved/", base_url="/docs/", project_root=APP)
    assert (moved.status, moved.header("Location")) == (302, "/docs/")
    assert moved.links == ["/"]


def test_an_exception_is_a_500_with_its_traceback(app) -> None:
    page = render_page(app, "/broken/", project_root=APP)
    assert page.status == 500
    assert page.endpoint == "broken"
    assert page.error.startswith(
        f"app.py:{line_of('app.py', 'broken')}: RuntimeError: this page is broken"
    )
    assert "app.py" in page.error
    assert app.config["PROPAGATE_EXCEPTIONS"] is None


def test_not_found_is_just_a_status(app) -> None:
    page = render_page(app, "/nowhere/", project_root=APP)
    assert (page.status, page.endpoint, page.error) == (404, None, None)


def test_the_synthetic_request_carries_nothing_but_the_url(app) -> None:
    page = render_page(app, "/url-only/caf%C3%A9/", project_root=APP)
    assert page.status == 200
    assert b'"path":"/url-only/caf\\u00e9/"' in page.body.replace(b" ", b"")
    assert b'"root":"http://localhost/"' in page.body.replace(b" ", b"")


def test_g_values_set_from_request_state_are_request_state(app) -> None:
    """A hook that read the session made g.visitor request state; g.site_name,
    set in the same hook, is conservatively request state as well."""
    page = render_page(app, "/g-user/", project_root=APP)
    message = "reads g.visitor, set from request state (reads session['visitor'])"
    where = (message, "app.py", line_of("app.py", "view g"))
    assert where in {(r.message, r.file, r.line) for r in page.reads}
    plain = render_page(app, "/g-plain/", project_root=APP)
    messages = {r.message for r in plain.reads}
    assert "reads g.site_name, set from request state (reads session['visitor'])" in messages


def test_sitec_imported_through_a_symlinked_folder_reads_nothing_of_its_own(
    tmp_path: Path,
) -> None:
    """The observer tells the runtime's frames from the user's by their real folders, also
    when sitec is imported through a symlink (a linked site-packages or checkout): its
    own reads of the environ are never the page's."""
    import os
    import subprocess
    import sys

    import sitec.runtime

    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "sitec").symlink_to(Path(sitec.runtime.__file__).resolve().parents[1])
    (tmp_path / "linked_site.py").write_text(
        "from flask import Flask\n"
        "app = Flask(__name__)\n"
        "@app.route('/')\n"
        "def index():\n"
        "    return 'home'\n"
    )
    script = (
        "import sitec.runtime\n"
        "sitec.runtime.install_flask_alias()\n"
        "from sitec.compiler.render import render_page\n"
        "from linked_site import app\n"
        f"page = render_page(app, '/', project_root={str(tmp_path)!r})\n"
        "print(sitec.runtime.__file__)\n"
        "print(page.status, [read.message for read in page.reads])\n"
    )
    environ = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{linked}"}
    ran = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    imported_from, outcome = ran.stdout.splitlines()
    assert imported_from.startswith(str(linked / "sitec"))  # really through the link
    assert outcome == "200 []"
