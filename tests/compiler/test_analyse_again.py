"""Analysing one app again (the dev server's session does, before every build): what
was parsed is kept on the app, and a template or module edited since is read again."""

from __future__ import annotations

import importlib
import os
import sys
import typing as t
from pathlib import Path

import pytest

from sitec.compiler.analyse import analyse_app

APP = """
from flask import Flask, render_template, request

from cached_helpers import title

app = Flask(__name__)


@app.get("/")
def page():
    return render_template("page.html", title=title())
"""


HELPERS = """
from flask import request


def title():
    return "Hello"


def loud(text):
    return text + request.headers.get("X-Loud", "")
"""


@pytest.fixture
def project(tmp_path: Path) -> t.Iterator[Path]:
    (tmp_path / "templates").mkdir()
    (tmp_path / "cached_app.py").write_text(APP)
    (tmp_path / "cached_helpers.py").write_text(HELPERS)
    (tmp_path / "templates" / "page.html").write_text("<h1>{{ title }}</h1>\n")
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in ("cached_app", "cached_helpers"):
        sys.modules.pop(name, None)


def decision(app: t.Any, root: Path) -> tuple[str, list[str]]:
    (route,) = analyse_app(app, root).routes[1:]
    return route.decision, [reason.message for reason in route.reasons]


def test_edits_between_two_analyses_of_one_app_are_seen(project: Path) -> None:
    app = importlib.import_module("cached_app").app
    assert decision(app, project) == ("static", [])

    page = project / "templates" / "page.html"
    page.write_text("<h1>{{ title }} {{ request.args.q }}</h1>\n")
    state, reasons = decision(app, project)
    assert state == "dynamic" and any("request.args" in reason for reason in reasons)

    page.write_text("<h1>{{ title }}</h1>\n")
    assert decision(app, project) == ("static", [])

    # A module the app runs, changed on disk: its new text is what is analysed.
    helpers = project / "cached_helpers.py"
    helpers.write_text(HELPERS.replace('return "Hello"', 'return request.cookies["t"]'))
    os.utime(helpers, ns=(1, 1))  # another modification time, whatever the clock's tick
    state, reasons = decision(app, project)
    assert state == "dynamic" and any("request.cookies" in reason for reason in reasons), reasons


def test_a_template_name_the_app_gains_is_analysed(project: Path) -> None:
    app = importlib.import_module("cached_app").app
    page = project / "templates" / "page.html"
    page.write_text("<h1>{{ title|loud }}</h1>\n")
    assert decision(app, project) == ("static", [])

    app.add_template_filter(importlib.import_module("cached_helpers").loud)
    state, reasons = decision(app, project)
    assert state == "dynamic" and any("request.headers" in reason for reason in reasons)
