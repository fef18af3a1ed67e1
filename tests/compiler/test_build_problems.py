"""``sitec build`` renders everything it can, then reports every problem at once, each
with its URL, endpoint and linking page; policies from ``[tool.sitec.problems]`` decide
which fail the build, and a failed build leaves the previous output byte for byte.

Fixture project: ``tests/apps/build_problems``, whose home page links to one page of each
problem: a missing post (404), a view that raises, HTML at ``/data.json``, ``/twice`` and
``/twice.html`` (one file), ``/entry`` (a text file) and ``/entry/one/`` (a folder of that
name), and a page that sets a cookie.
"""

from __future__ import annotations

import pytest
from test_build_support import assert_clean_failure
from test_build_support import assert_static_pages_do_not_change
from test_build_support import line_of
from test_build_support import manifest_of
from test_build_support import report_of
from test_build_support import route_of
from test_build_support import run_build
from test_build_support import run_sitec
from test_build_support import settings_for
from test_build_support import tree
from test_build_support import written_urls

from sitec.compiler.build import build

# kind -> (url, endpoint, how it was found when no page linked to it first); every one
# of them is linked from /.
EXPECTED = {
    "bad-status": ("/posts/missing/", "post", None),  # only by the link
    "render-error": ("/broken/", "broken", None),  # its rule, then the link
    "type-mismatch": ("/data.json", "data_json", None),
    "file-collision": ("/twice.html", "twice_html", None),
    "folder-collision": ("/entry/one/", "entry_page", "url_for at index.html:5"),
    "not-cacheable": ("/cookie/", "cookie", None),
}


def set_policies(project, policy: str) -> None:
    pyproject = project / "pyproject.toml"
    table = "".join(f'{kind} = "{policy}"\n' for kind in EXPECTED)
    pyproject.write_text(pyproject.read_text() + f"\n[tool.sitec.problems]\n{table}")


def test_every_problem_is_reported_at_once_with_url_endpoint_and_referrer(
    build_project,
) -> None:
    project = build_project("build_problems")
    result = run_build(project)
    assert not result.committed
    found = {p.kind: (p.url, p.endpoint) for p in result.problems}
    assert found == {kind: (url, endpoint) for kind, (url, endpoint, _) in EXPECTED.items()}
    assert {p.kind: p.referrer for p in result.problems} == {kind: "/" for kind in EXPECTED}
    assert {p.kind: p.found_by for p in result.problems} == {
        kind: found_by for kind, (_, _, found_by) in EXPECTED.items()
    }
    assert sorted(p.kind for p in result.failures()) == sorted(EXPECTED)
    assert not (project / "_site").exists()

    report = report_of(result)
    assert "build failed with 6 errors" in report
    for kind, (url, _, _) in EXPECTED.items():
        block = report[report.index(f"error [{kind}]") :].split("\nerror", 1)[0]
        assert url in block
        assert "\n    linked from /\n" in block + "\n"
    assert "found by url_for at index.html:5" in report


def test_the_messages_say_what_went_wrong(build_project) -> None:
    project = build_project("build_problems")
    problems = {p.kind: p.message for p in run_build(project).problems}
    assert problems["bad-status"] == "/posts/missing/ answered 404"
    assert "answers text/html but is written to data.json" in problems["type-mismatch"]
    assert problems["file-collision"] == "/twice and /twice.html both map to twice.html"
    assert "/entry/one/ needs a folder entry" in problems["folder-collision"]
    assert "/entry" in problems["folder-collision"]
    assert "sets a cookie (Set-Cookie: seen)" in problems["not-cacheable"]


def test_a_render_error_names_the_users_line_not_our_internals(build_project) -> None:
    """The design: "no bare traceback of our internals"; the place is the user's line."""
    project = build_project("build_problems")
    [problem] = [p for p in run_build(project).problems if p.kind == "render-error"]
    line = line_of(project / "problems_app.py", "render-exception")
    assert f"problems_app.py:{line}" in problem.message
    assert "ZeroDivisionError: division by zero" in problem.message
    assert "compiler/render.py" not in problem.message
    assert "runtime/app.py" not in problem.message

    process = run_sitec(["build"], project)
    assert_clean_failure(process, "error [render-error]", "/broken/", f"problems_app.py:{line}")


def test_a_failed_build_leaves_the_previous_output_byte_for_byte(build_project) -> None:
    project = build_project("build_problems")
    pyproject = (project / "pyproject.toml").read_text()
    set_policies(project, "warn")
    assert run_build(project).committed
    before = tree(project / "_site")
    assert "public/index.html" in before

    (project / "pyproject.toml").write_text(pyproject)  # back to "fail" for all
    (project / "templates/index.html").write_text("<p>a new home page</p>\n")
    result = run_build(project)
    assert not result.committed
    assert tree(project / "_site") == before
    staging = [p.name for p in project.iterdir() if p.name.startswith("._site")]
    assert staging == []  # nothing left beside it either


def test_warn_commits_and_shows_the_problems(build_project) -> None:
    project = build_project("build_problems")
    set_policies(project, "warn")
    settings = settings_for(project)
    result = build(settings)
    assert result.committed
    assert result.failures() == []
    assert sorted(p.kind for p in result.warnings()) == sorted(EXPECTED)
    report = report_of(result)
    for kind in EXPECTED:
        assert f"warning [{kind}]" in report

    manifest = manifest_of(settings.output)
    urls = written_urls(manifest)
    assert urls["/"] == "index.html"
    assert urls["/posts/real/"] == "posts/real/index.html"
    assert "/posts/missing/" not in urls
    assert "/broken/" not in urls
    # One of two URLs got the file, never both; one of the file and the folder.
    assert ("/twice" in urls) != ("/twice.html" in urls)
    assert ("/entry" in urls) != ("/entry/one/" in urls)
    cookie = route_of(manifest, "cookie")
    assert cookie["decision"] == "dynamic"
    assert "sets a cookie" in cookie["reasons"][0]["message"]
    assert not (settings.output / "public/cookie").exists()
    # data.json is written with a mismatched type (warned); everything else is stable.
    assert assert_static_pages_do_not_change(settings) == len(urls)


def test_ignore_hides_the_problems(build_project) -> None:
    project = build_project("build_problems")
    set_policies(project, "ignore")
    result = run_build(project)
    assert result.committed
    assert result.failures() == result.warnings() == []
    report = report_of(result, explain=False)
    assert "[" not in report.split("\n\n", 1)[1]  # no problem lines after the table


@pytest.mark.parametrize("policy", ["fail", "warn"])
def test_the_cli_exit_code_follows_the_policies(build_project, policy: str) -> None:
    project = build_project("build_problems")
    if policy == "warn":
        set_policies(project, "warn")
    process = run_sitec(["build"], project)
    output = process.stdout + process.stderr
    mark = "error" if policy == "fail" else "warning"
    for kind, (url, _, _) in EXPECTED.items():
        if kind != "render-error":
            line = next(line for line in output.splitlines() if f"{mark} [{kind}]" in line)
            assert url in line
    if policy == "fail":
        assert process.returncode == 1
        assert "build failed with 6 errors" in output
        assert not (project / "_site").exists()
    else:
        assert process.returncode == 0, output
        assert (project / "_site/manifest.json").is_file()


def test_the_report_names_the_endpoint_and_the_linking_page(build_project) -> None:
    project = build_project("build_problems")
    process = run_sitec(["build"], project)
    output = process.stdout
    assert process.returncode == 1
    problem_block = output[output.index("error [bad-status]") :].split("\n")[:4]
    text = "\n".join(problem_block)
    assert "linked from /" in text
    assert "post" in text.replace("/posts/missing/", "")  # the endpoint, not just the URL


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_first_url_in_order_gets_a_contested_path_whatever_the_timing(
    build_project, jobs: int
) -> None:
    """Pages are written as they finish rendering; the later URL of each pair in
    ``build_contested`` is rendered first, yet the path goes to the first URL in URL
    order, as it does when pages are written in URL order."""
    project = build_project("build_contested")
    settings = settings_for(project, jobs=jobs)
    result = build(settings)
    assert result.committed
    assert written_urls(manifest_of(settings.output)) == {
        "/": "index.html",
        "/page": "page.html",
        "/notes": "notes",
    }
    assert tree(settings.output / "public") == {
        "index.html": (settings.output / "public/index.html").read_bytes(),
        "page.html": b"<p>page</p>",
        "notes": b"notes, as text",
    }
    lost = {p.kind: p.url for p in result.problems}
    assert lost == {"file-collision": "/page.html", "folder-collision": "/notes/one/"}
