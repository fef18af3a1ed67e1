"""Flask-WTF's CSRF tokens make a page dynamic: in a template (``csrf_token()``), through
a ``FlaskForm`` and through ``generate_csrf``.

Fixture project: ``tests/apps/build_csrf``. Flask-WTF itself cannot be installed here
(it requires real Flask), so ``tests/apps/build_csrf/vendor/flask_wtf`` stands in for it
outside the project, with the same names and the same session-kept tokens; the analysis
knows the names, the render-time proof sees the session reads.
"""

from __future__ import annotations

import pytest
from test_build_support import VISITORS
from test_build_support import assert_static_pages_do_not_change
from test_build_support import build_committed
from test_build_support import get_as
from test_build_support import line_of
from test_build_support import manifest_of
from test_build_support import route_of
from test_build_support import written_urls

from sitec.compiler.load import load_app

# endpoint -> (reason, file, MARK)
READERS = {
    "contact": ("reads csrf_token (session)", "contact.html", "template-csrf"),
    "signup": (
        "reads the form and the session, in a Flask-WTF FlaskForm",
        "csrf_app.py",
        "flask-form",
    ),
    "token": ("reads the session, in Flask-WTF's generate_csrf", "csrf_app.py", "generate-csrf"),
}


@pytest.fixture
def project(build_project):
    return build_project("build_csrf", "project")


@pytest.mark.parametrize("endpoint", sorted(READERS))
def test_each_csrf_reader_makes_its_page_dynamic(project, endpoint: str) -> None:
    settings, _ = build_committed(project)
    message, file, mark = READERS[endpoint]
    route = route_of(manifest_of(settings.output), endpoint)
    assert route["decision"] == "dynamic"
    [reason] = route["reasons"]
    source = project / ("templates/" + file if file.endswith(".html") else file)
    assert (reason["message"], reason["file"], reason["line"]) == (
        message,
        file,
        line_of(source, mark),
    )
    assert written_urls(manifest_of(settings.output)) == {"/": "index.html"}
    assert assert_static_pages_do_not_change(settings) == 1
    # And rightly so: two visitors get two tokens from the runtime.
    app = load_app(settings)
    url = route["rule"]
    bodies = {get_as(app, url, visitor, "http://localhost").get_data() for visitor in VISITORS}
    assert len(bodies) == 2


def test_forced_static_the_render_still_sees_every_token(project) -> None:
    """Forcing them static writes the pages; each warning names the session read the
    render saw inside Flask-WTF, at the project's line that called it."""
    pyproject = project / "pyproject.toml"
    table = "".join(f'{endpoint} = "static"\n' for endpoint in READERS)
    pyproject.write_text(pyproject.read_text() + f"\n[tool.sitec.routes]\n{table}")
    _, result = build_committed(project)
    seen = {
        (p.endpoint, p.evidence.file, p.evidence.line)
        for p in result.warnings()
        if p.evidence is not None and "session['csrf_token']" in p.message
    }
    assert seen == {
        ("contact", "contact.html", line_of(project / "templates/contact.html", "template-csrf")),
        ("signup", "csrf_app.py", line_of(project / "csrf_app.py", "flask-form")),
        ("token", "csrf_app.py", line_of(project / "csrf_app.py", "generate-csrf")),
    }
