"""The ``sitec`` command on the example site: ``routes``, ``run``, ``shell`` and the
site's own ``new-post`` command, each run as a real process in a clean copy."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from .conftest import LEFT_BEHIND
from .example_support import Build
from .example_support import PostFile
from .example_support import run_build


def run_sitec(
    sitec: Path, args: list[str], cwd: Path, env: dict[str, str], **kw
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(sitec), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, **kw
    )


def get(port: int, path: str) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    finally:
        conn.close()


def test_routes_lists_every_rule_the_build_decided(sitec_script, example_copy, clean_env, build):
    result = run_sitec(sitec_script, ["routes"], example_copy, clean_env)
    assert result.returncode == 0, result.stderr
    header, _, *rows = result.stdout.splitlines()
    assert header.split() == ["Endpoint", "Methods", "Rule"]
    listed = {tuple(re.split(r"\s{2,}", row)) for row in rows}
    expected = {
        (
            route["endpoint"],
            ", ".join(m for m in route["methods"] if m not in {"HEAD", "OPTIONS"}),
            route["rule"],
        )
        for route in build.manifest["routes"]
    }
    assert listed == expected


def test_run_serves_the_example(
    sitec_script, example_copy, clean_env, start_server, unused_port, published: list[PostFile]
):
    server = start_server(
        [str(sitec_script), "run", "--port", str(unused_port)],
        unused_port,
        cwd=example_copy,
        env=clean_env,
    )
    status, content_type, archive = get(unused_port, "/posts/")
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert "<h1>Archive</h1>" in archive
    newest = published[0]
    assert f'href="/posts/{newest.slug}/"' in archive

    status, _, page = get(unused_port, f"/posts/{newest.slug}/")
    assert status == 200
    assert f"<h1>{newest.title}</h1>" in page.replace("&#34;", '"').replace("&#39;", "'")

    status, _, page = get(unused_port, "/posts/no-such-post/")
    assert status == 404
    assert "There is no page here" in page

    status, _, stylesheet = get(unused_port, "/static/style.css")
    assert status == 200
    css = example_copy / "publication" / "static" / "style.css"
    assert stylesheet == css.read_text(encoding="utf-8")

    # Stopped the way Ctrl+C stops it, it ends cleanly.
    server.proc.send_signal(signal.SIGINT)
    server.proc.wait(15)
    server.stop()
    assert server.proc.returncode == 0, server.stderr
    assert "Serving Flask app 'publication:create_app()'" in server.stdout
    assert re.search(rf'"GET /posts/{newest.slug}/ HTTP/1.1" 200', server.stderr)


def test_shell_runs_in_the_example_app(sitec_script, example_copy, clean_env):
    source = "print(app.name)\nprint(app.url_map.bind('x').build('blog.post', {'slug': 'a'}))\n"
    result = run_sitec(sitec_script, ["shell"], example_copy, clean_env, input=source)
    assert result.returncode == 0, result.stderr
    # The prompts go to stdout too, since stdin is not a terminal.
    printed = [line.removeprefix(">>> ") for line in result.stdout.splitlines()]
    assert printed[:2] == ["publication", "/posts/a/"]


@pytest.fixture
def own_copy(example_copy: Path, tmp_path: Path) -> Path:
    """A copy of the example that a test may change."""
    project = tmp_path / "example_site"
    shutil.copytree(example_copy, project, ignore=LEFT_BEHIND)
    return project


def test_the_sites_own_command_is_a_sitec_command(sitec_script, own_copy, clean_env):
    result = run_sitec(sitec_script, ["--help"], own_copy, clean_env)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^\s+new-post\s+Start a draft post called TITLE", result.stdout, re.M)
    for builtin in ("build", "explain", "routes", "run", "shell"):
        assert re.search(rf"^\s+{builtin}\b", result.stdout, re.M)


def test_new_post_writes_a_draft_that_is_not_published(sitec_script, own_copy, clean_env, tmp_path):
    argv = ["new-post", 'Caching, "explained"!', "--tag", "hosting"]
    result = run_sitec(sitec_script, argv, own_copy, clean_env)
    assert result.returncode == 0, result.stderr
    draft = own_copy / "content" / "posts" / "caching-explained.md"
    assert f"Wrote {draft}" in result.stdout
    text = draft.read_text(encoding="utf-8")
    assert 'title = "Caching, \\"explained\\"!"' in text
    assert 'tags = ["hosting"]' in text and "draft = true" in text

    again = run_sitec(sitec_script, argv, own_copy, clean_env)
    assert again.returncode == 1
    assert "exists already" in again.stderr

    out = tmp_path / "site"
    assert run_build(own_copy, out).returncode == 0
    assert not (out / "public" / "posts" / "caching-explained").exists()
    assert (out / "public" / "posts").is_dir()


def test_build_from_the_folder_above_with_an_app_path(
    sitec_script, own_copy, clean_env, build: Build
):
    """``sitec build --app example_site/publication:create_app()`` builds the example's own
    project (its [tool.sitec], its output folder), as building inside it does."""
    app = f"{own_copy.name}/publication:create_app()"
    result = run_sitec(sitec_script, ["build", "--app", app], own_copy.parent, clean_env)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((own_copy / "_site" / "manifest.json").read_text(encoding="utf-8"))
    assert decisions(manifest) == decisions(build.manifest)


def decisions(manifest: dict) -> dict[tuple[str, str], str]:
    return {(r["endpoint"], r["rule"]): r["decision"] for r in manifest["routes"]}
