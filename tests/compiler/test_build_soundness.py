"""A static page never differs from what the runtime answers, however the request hides.

Fixture project: ``tests/apps/build_soundness``. Each dynamic route there depends on the
request in a way a file-and-line view of reads misses: the template calls the very
session loader a hook uses to fill ``g`` (only the read the hook makes for ``g`` is
harmless), a ``g`` value whose computation can ``abort()``, WSGI middleware and a WSGI
app returned by a view that read the environ, and ``g.__dict__``. Every test here also
requests each page the build declared static as two different visitors (cookies, signed
session, query string, headers) and checks it does not change.
"""

from __future__ import annotations

import pytest
from test_build_support import assert_static_pages_do_not_change
from test_build_support import build_committed
from test_build_support import line_of
from test_build_support import manifest_of
from test_build_support import route_of
from test_build_support import written_urls

APP_FILE = "soundness_app.py"

# endpoint -> (reason message, MARK of its line in soundness_app.py, via)
DYNAMIC = {
    "signed_in": (
        "reads session['uid'] while rendering /signed-in/",
        "accounts-session",
        "view signed_in",
    ),
    "g_dict": ("uses g.account, set from session", "g-dict", "template string"),
    "members.lobby": (
        "reads session",
        "member-session",
        "before_request load_member -> current_member",
    ),
    "tracked.tracked_page": (
        "reads request.cookies",
        "tracked-hook",
        "before_request refuse_trackers",
    ),
    "intl": (
        "reads HTTP_ACCEPT_LANGUAGE from the WSGI environ while rendering /intl/",
        "middleware-read",
        "LanguageMiddleware.__call__",
    ),
    "legacy": (
        "reads the whole WSGI environ while rendering /legacy/",
        "legacy-cookies",
        "legacy_app",
    ),
}


@pytest.fixture
def soundness(build_project):
    project = build_project("build_soundness")
    settings, result = build_committed(project)
    assert assert_static_pages_do_not_change(settings) == 3
    return project, settings, result


@pytest.mark.parametrize("endpoint", sorted(DYNAMIC))
def test_each_hidden_dependence_makes_its_page_dynamic(soundness, endpoint: str) -> None:
    project, settings, _ = soundness
    message, mark, via = DYNAMIC[endpoint]
    route = route_of(manifest_of(settings.output), endpoint)
    assert route["decision"] == "dynamic"
    assert route["urls"] == []
    [reason] = [r for r in route["reasons"] if r["message"].startswith(message)]
    assert (reason["file"], reason["line"]) == (APP_FILE, line_of(project / APP_FILE, mark))
    assert reason["via"] == via


def test_only_the_pages_that_cannot_change_are_written(soundness) -> None:
    _, settings, _ = soundness
    manifest = manifest_of(settings.output)
    assert written_urls(manifest) == {
        "/": "index.html",
        "/about/": "about/index.html",
        "/intl/fr/": "intl/fr/index.html",
    }
    # The hook's session read only filled g.account, which / does not use: no Vary: Cookie.
    [index] = route_of(manifest, "index")["urls"]
    assert index["headers"] == {"Content-Type": "text/html; charset=utf-8"}


def test_a_hook_read_for_g_does_not_excuse_the_same_line_run_by_a_template(soundness) -> None:
    """/signed-in/ and the hook call one loader; only the hook's call just fills g."""
    _, _, result = soundness
    [problem] = [p for p in result.problems if p.endpoint == "signed_in"]
    assert problem.kind == "request-read"
    assert problem.evidence is not None and problem.evidence.via == "view signed_in"


def test_replacing_app_wsgi_app_is_noted_on_every_route(soundness) -> None:
    project, _, result = soundness
    line = line_of(project / APP_FILE, "middleware-call")
    for route in result.routes:
        [note] = [n for n in route.notes if n.message.startswith("app.wsgi_app is wrapped")]
        assert "LanguageMiddleware" in note.message
        assert (note.file, note.line) == (APP_FILE, line)
