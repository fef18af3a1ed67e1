"""Live reload in a real browser: headless Chromium, driven by playwright, against
``sitec serve --watch`` on a copy of the example site.

The browser opens a post. Editing the post template on disk shows the new text in the
open page, with no reload by hand; editing a template of a page that is not open
leaves the open page alone; breaking the template shows the error over the page
(file, line and the line itself) until it is fixed, when the overlay goes by itself.

It needs Debian's ``chromium`` (``apt-get install chromium``; ``.ci/run`` installs
it) and the ``playwright`` package (the test extra); playwright's own browsers are
never downloaded. Locally a missing one skips these tests with the reason; under
``CI=true`` it fails them.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import typing as t
import urllib.request
from pathlib import Path

import pytest
from edits import edit
from servers import free_port
from servers import running

from .conftest import EXAMPLE_ROOT
from .conftest import LEFT_BEHIND

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: How long a rebuild may take on a busy machine, in milliseconds.
WAIT_MS = 30_000
EDITED = "Edited on disk by the live reload test"


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must provide it")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> t.Iterator[t.Any]:
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is not installed (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[Path, str]]:
    """A copy of the example served by ``sitec serve --watch``: (its folder, its URL)."""
    project = tmp_path_factory.mktemp("live") / "example_site"
    shutil.copytree(EXAMPLE_ROOT, project, ignore=LEFT_BEHIND)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PUBLICATION_"))}
    command = [sys.executable, "-c", "from sitec.compiler.cli import main; main()"]
    with running(
        [*command, "serve", "--watch", "--port", str(port)],
        port,
        cwd=project,
        env=env,
        log=project.parent / "serve.log",
        deadline=60,
    ):
        yield project, f"http://127.0.0.1:{port}"


def _first_post(project: Path) -> str:
    public = project / "_site" / "public" / "posts"
    return f"/posts/{sorted(p.name for p in public.iterdir())[0]}/"


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def _wait_until(check: t.Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_MS / 1000
    while not check():
        assert time.monotonic() < deadline, "the rebuild did not happen"
        time.sleep(0.1)


def test_an_edited_template_shows_in_the_open_page(browser: t.Any, site: tuple[Path, str]) -> None:
    project, url = site
    page = browser.new_page()
    loads: list[str] = []
    page.on("load", lambda _: loads.append("load"))
    page.goto(url + _first_post(project))
    page.evaluate("window.sitecTestMark = 'before the edit'")
    assert EDITED not in page.content()

    edit(project / "publication/templates/post.html", "<article class=\"post\">",
          f'<article class="post"><p class="edited">{EDITED}</p>')  # fmt: skip
    page.wait_for_selector("p.edited", timeout=WAIT_MS)
    assert EDITED in page.inner_text("p.edited")
    # The browser reloaded the page by itself: the mark of the old page is gone.
    assert page.evaluate("window.sitecTestMark") is None
    assert len(loads) == 2
    page.close()


def test_an_edited_post_shows_in_the_open_page(browser: t.Any, site: tuple[Path, str]) -> None:
    """What a writer does all day: the post's Markdown file changes, its open page follows."""
    project, url = site
    path = _first_post(project)
    page = browser.new_page()
    page.goto(url + path)
    page.evaluate("window.sitecTestMark = 'before the edit'")
    post = project / "content" / "posts" / f"{path.strip('/').rsplit('/', 1)[-1]}.md"
    text = post.read_text(encoding="utf-8")
    post.write_text(text + f"\nA paragraph written {EDITED}.\n", encoding="utf-8")
    page.wait_for_selector(f"text=A paragraph written {EDITED}.", timeout=WAIT_MS)
    assert page.evaluate("window.sitecTestMark") is None
    page.close()


def test_an_edit_to_another_page_does_not_reload_the_open_one(
    browser: t.Any, site: tuple[Path, str]
) -> None:
    project, url = site
    page = browser.new_page()
    loads: list[str] = []
    page.on("load", lambda _: loads.append("load"))
    page.goto(url + _first_post(project))
    page.wait_for_load_state("load")
    page.evaluate("window.sitecTestMark = 'still here'")

    edit(project / "publication/templates/tags.html", "{% block content %}",
          "{% block content %}<p>Tags, edited.</p>")  # fmt: skip
    _wait_until(lambda: "Tags, edited." in _fetch(url + "/tags/"))
    page.wait_for_timeout(1500)  # time for an event to arrive, if one were sent
    assert page.evaluate("window.sitecTestMark") == "still here"
    assert loads == ["load"]
    page.close()


def test_a_broken_template_shows_over_the_page_until_fixed(
    browser: t.Any, site: tuple[Path, str]
) -> None:
    project, url = site
    page = browser.new_page()
    page.goto(url + _first_post(project))
    template = project / "publication/templates/post.html"
    good = template.read_text(encoding="utf-8")
    template.write_text(good.replace("{% endblock %}", "{% endblock %}{% if %}", 1))
    overlay = page.wait_for_selector("#sitec-error-overlay", timeout=WAIT_MS)
    text = overlay.evaluate("element => element.shadowRoot.textContent")
    assert "publication/templates/post.html:" in text
    assert "{% if %}" in text and "TemplateSyntaxError" in text
    assert EDITED in page.inner_text("p.edited")  # the last good page stays under it

    template.write_text(good, encoding="utf-8")
    page.wait_for_selector("#sitec-error-overlay", state="detached", timeout=WAIT_MS)
    page.close()
