"""RenderPool: worker processes give the same pages as rendering in-process, and survive crashes."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from sitec.compiler.render import RenderPool

APP = Path(__file__).resolve().parents[1] / "apps" / "render_reads"
URLS = ["/", "/view/", "/template/", "/files/", "/moved/", "/broken/", "/nowhere/"] + [
    f"/url-only/page-{i}/" for i in range(40)
]


@pytest.fixture(scope="module")
def app():
    from conftest import load_app_from

    return load_app_from("render_reads")


def summary(pages) -> dict:
    return {
        p.url: (p.status, p.endpoint, p.body, p.reads, p.templates, p.files, p.links, bool(p.error))
        for p in pages
    }


def test_two_workers_give_the_same_pages_as_one(app) -> None:
    with RenderPool(app, jobs=1, project_root=APP) as pool:
        alone = summary(pool.render(URLS))
    with RenderPool(app, jobs=2, project_root=APP) as pool:
        together = summary(pool.render(URLS))
        again = summary(pool.render(iter(URLS[:5])))
    assert len(alone) == len(URLS)
    assert together == alone
    assert again == {url: alone[url] for url in URLS[:5]}


@pytest.mark.parametrize("found", [False, True], ids=["queued", "found-on-a-page"])
def test_a_crashing_worker_is_reported_not_hung(app, found: bool) -> None:
    # A URL found alone on a page (as the crawl finds links) goes to the lane worker.
    urls = ["/"] + [f"/url-only/after-{i}/" for i in range(30)]
    queue = collections.deque(urls if found else ["/", "/crash/", *urls[1:]])
    with RenderPool(app, jobs=2, project_root=APP) as pool:
        pages = {}
        for page in pool.render(queue):
            pages[page.url] = page
            if found and page.url == "/":
                queue.append("/crash/")
        urls.append("/crash/")
        assert set(pages) == set(urls)
        crashed = pages["/crash/"]
        assert crashed.status == 500
        assert "exit code 7" in crashed.error
        assert all(p.status == 200 for url, p in pages.items() if url != "/crash/")
        # The pool still works with its replacement worker.
        assert [p.status for p in pool.render(["/"])] == [200]
        processes = [worker.process for worker in pool._workers]
    assert all(not process.is_alive() for process in processes)


def test_stopping_early_leaves_the_pool_usable(app) -> None:
    with RenderPool(app, jobs=2, project_root=APP) as pool:
        for _ in pool.render(URLS):
            break
        assert summary(pool.render(["/"]))["/"][0] == 200


def crawl(pool: RenderPool, others: int, chain: int) -> list[str]:
    """Render ``others`` pages queued at once and a chain of ``chain`` pages, each found
    on the one before (a pagination's next links), as the build's crawl feeds the pool;
    the URLs in the order their pages came back."""
    queue = collections.deque(["/url-only/chain-0/"])
    queue.extend(f"/url-only/o-{i}/" for i in range(others))
    order = []
    for page in pool.render(queue):
        order.append(page.url)
        number = page.url.removeprefix("/url-only/chain-").rstrip("/")
        if number.isdigit() and int(number) + 1 < chain:
            queue.append(f"/url-only/chain-{int(number) + 1}/")
    return order


def test_a_chain_of_links_goes_on_while_the_queue_is_long(app) -> None:
    with RenderPool(app, jobs=2, project_root=APP) as pool:
        order = crawl(pool, others=2000, chain=20)
    chained = [f"/url-only/chain-{i}/" for i in range(20)]
    assert sorted(order) == sorted(chained + [f"/url-only/o-{i}/" for i in range(2000)])
    # Each next page is queued behind the pages queued before it; the lane worker
    # follows the chain at once, long before those are done.
    assert order.index(chained[-1]) < len(order) // 2
    with RenderPool(app, jobs=1, project_root=APP) as pool:
        alone = crawl(pool, others=50, chain=20)
    assert alone[-1] == chained[-1]  # in one process, the chain comes last


def test_templates_compiled_before_the_fork_render_the_same(tmp_path: Path) -> None:
    from sitec.runtime import Flask
    from sitec.runtime import render_template

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "good.html").write_text("<p>{{ request.path }}</p>")
    (tmp_path / "templates" / "broken.html").write_text("{% if %}\n")
    app = Flask("precompiled", root_path=str(tmp_path))
    app.add_url_rule("/good/", "good", lambda: render_template("good.html"))
    app.add_url_rule("/broken/", "broken", lambda: render_template("broken.html"))
    names = ["good.html", "broken.html", "missing.html"]
    with RenderPool(app, jobs=2, project_root=tmp_path, templates=names) as pool:
        # Compiled here, once, for every worker; what failed to compile is not kept.
        assert [key[1] for key in app.jinja_env.cache] == ["good.html"]
        pages = {page.url: page for page in pool.render(["/good/", "/broken/"])}
    good, broken = pages["/good/"], pages["/broken/"]
    assert (good.status, good.body, good.templates) == (200, b"<p>/good/</p>", ["good.html"])
    assert broken.status == 500
    assert broken.error.startswith("templates/broken.html:1: jinja2.exceptions.TemplateSyntaxError")
