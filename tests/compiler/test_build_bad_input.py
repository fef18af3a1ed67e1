"""Bad input to ``sitec build``: each is one clear line saying what and where, a non-zero
exit, and the previous output left byte for byte.

Fixture project: ``tests/apps/build_bad_input``, one app per mistake (picked with
``--app``) and ``intact_app``, whose build is the previous output.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_build_support import assert_clean_failure
from test_build_support import line_of
from test_build_support import run_build
from test_build_support import run_sitec
from test_build_support import settings_for
from test_build_support import tree

from sitec.compiler.load import AppLoadError
from sitec.compiler.output import OutputError
from sitec.compiler.output import StagedOutput
from sitec.compiler.project import SettingsError


@pytest.fixture
def project(build_project) -> Path:
    """The project, with a good build in ``_site`` that no bad build may touch."""
    folder = build_project("build_bad_input")
    assert run_build(folder, app="intact_app:app").committed
    return folder


def intact(project: Path) -> dict[str, bytes | None]:
    out = tree(project / "_site")
    assert out["public/index.html"] == b"<p>the previous build</p>"
    return out


def no_file_escaped(root: Path) -> None:
    assert not [p for p in root.rglob("escaped*")]


# -- an app that fails to import ------------------------------------------------------------


def test_an_import_error_names_the_users_line(project: Path) -> None:
    before = intact(project)
    line = line_of(project / "bad_import_app.py", "import-error")
    with pytest.raises(AppLoadError) as error:
        run_build(project, app="bad_import_app:app")
    message = str(error.value)
    assert message.startswith(f"bad_import_app.py:{line}: ")
    assert "NameError: name 'load_settings' is not defined" in message
    assert "\n" not in message
    assert tree(project / "_site") == before

    process = run_sitec(["build", "--app", "bad_import_app:app"], project)
    error_line = assert_clean_failure(process, f"bad_import_app.py:{line}", "NameError")
    assert error_line.startswith("Error: ")
    assert process.stdout == ""  # no route table for an app that never loaded
    assert tree(project / "_site") == before


def test_a_missing_app_says_how_to_name_it(project: Path) -> None:
    before = intact(project)
    process = run_sitec(["build", "--app", "no_such_module:app"], project)
    assert_clean_failure(process, "no_such_module")
    assert tree(project / "_site") == before


# -- a template syntax error in a static page -----------------------------------------------


def test_a_template_syntax_error_in_a_static_page(project: Path) -> None:
    before = intact(project)
    result = run_build(project, app="bad_template_app:app")
    assert not result.committed
    [problem] = result.failures()
    assert (problem.kind, problem.url, problem.endpoint) == ("render-error", "/broken/", "broken")
    assert "TemplateSyntaxError" in problem.message
    assert "broken.html" in problem.message
    assert tree(project / "_site") == before

    process = run_sitec(["build", "--app", "bad_template_app:app"], project)
    line = assert_clean_failure(process, "/broken/", "broken.html", "TemplateSyntaxError")
    assert "Unexpected end of template" in line
    assert tree(project / "_site") == before


# -- URL values that would write outside the output folder ---------------------------------


def test_a_path_value_with_dot_dot_is_refused(project: Path) -> None:
    before = intact(project)
    result = run_build(project, app="unsafe_app:app")
    assert not result.committed
    [problem] = result.failures()
    assert problem.kind == "unsafe-path"
    assert problem.url == "/files/../../escaped.html"
    assert problem.endpoint == "files"
    assert "'..'" in problem.message
    generator = line_of(project / "unsafe_app.py", "unsafe-generator")
    assert problem.found_by == f"the url_values generator at unsafe_app.py:{generator}"
    assert tree(project / "_site") == before
    no_file_escaped(project.parent)

    process = run_sitec(["build", "--app", "unsafe_app:app"], project)
    assert_clean_failure(process, "error [unsafe-path]", "/files/../../escaped.html")
    assert tree(project / "_site") == before
    no_file_escaped(project.parent)


def test_a_nul_in_a_url_value_is_refused(project: Path) -> None:
    before = intact(project)
    result = run_build(project, app="nul_app:app")
    assert not result.committed
    [problem] = result.failures()
    assert problem.kind == "unsafe-path"
    assert problem.url == "/names/nul%00byte/"
    assert "control character" in problem.message
    assert tree(project / "_site") == before

    process = run_sitec(["build", "--app", "nul_app:app"], project)
    assert_clean_failure(process, "error [unsafe-path]", "nul%00byte", "control character")
    assert tree(project / "_site") == before


# -- an output folder that cannot be written -----------------------------------------------


def test_an_output_folder_under_a_regular_file(project: Path) -> None:
    before = intact(project)
    blocker = project / "blocker.txt"
    blocker.write_text("a file, not a folder")
    target = blocker / "site"
    with pytest.raises(OutputError) as error:
        run_build(project, app="intact_app:app", output=str(target))
    assert str(target) in str(error.value)
    assert "is a file" in str(error.value)

    process = run_sitec(["build", "--app", "intact_app:app", "-o", str(target)], project)
    assert_clean_failure(process, "Error: output folder", str(target), "is a file")
    assert blocker.read_text() == "a file, not a folder"
    assert tree(project / "_site") == before


def test_an_output_that_is_a_regular_file(project: Path) -> None:
    blocker = project / "blocker.txt"
    blocker.write_text("keep me")
    process = run_sitec(["build", "--app", "intact_app:app", "-o", str(blocker)], project)
    assert_clean_failure(process, "Error: output folder", "it is a file, not a folder")
    assert blocker.read_text() == "keep me"


# -- bad settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        ("outptu = 'site'\n", ("unknown key(s) outptu", "pyproject.toml")),
        ("\n[tool.sitec.problems]\nno-url = 'warn'\n", ("unknown problem kind 'no-url'",)),
        ("\n[tool.sitec.problems]\nno-urls = 'loud'\n", ("problems.no-urls must be",)),
        ("\n[tool.sitec.routes]\nindex = 'cached'\n", ("routes.'index' must be",)),
    ],
)
def test_a_bad_tool_sitec_table(project: Path, extra: str, needles: tuple[str, ...]) -> None:
    before = intact(project)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    if extra.startswith("\n["):
        pyproject.write_text(text + extra)
    else:  # a key of [tool.sitec] itself
        pyproject.write_text(text.replace("[tool.sitec]\n", "[tool.sitec]\n" + extra))
    with pytest.raises(SettingsError) as error:
        settings_for(project)
    for needle in needles:
        assert needle in str(error.value)

    process = run_sitec(["build"], project)
    line = assert_clean_failure(process, *needles)
    assert line.startswith("Error: ")
    assert tree(project / "_site") == before


def test_a_route_override_naming_no_endpoint(project: Path) -> None:
    """A typo in [tool.sitec.routes] would leave the route decided by analysis alone."""
    before = intact(project)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.sitec.routes]\n"indx" = "dynamic"\n')
    with pytest.raises(SettingsError) as error:
        run_build(project, app="intact_app:app")
    assert str(error.value) == (
        f"[tool.sitec.routes] in {pyproject}: the app has no endpoint 'indx'"
        " (did you mean 'index'?); see the endpoints with 'sitec routes'."
    )
    for command in ("build", "explain"):
        process = run_sitec([command, "--app", "intact_app:app"], project)
        assert_clean_failure(process, "Error: ", "no endpoint 'indx'", "did you mean 'index'")
    assert tree(project / "_site") == before


def test_a_folder_a_build_did_not_make_is_refused_before_anything_runs(project: Path) -> None:
    """The default app of the fixture fails to import: the folder check comes first."""
    foreign = project / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("mine")
    with pytest.raises(OutputError, match="not made by a build"):
        run_build(project, output=str(foreign))
    process = run_sitec(["build", "-o", str(foreign)], project)
    line = assert_clean_failure(process, "Error: output folder", str(foreign), "not made by a")
    assert "choose another output folder (-o), or delete this one" in line
    assert "--force" not in process.stdout + process.stderr
    assert (foreign / "todo.txt").read_text() == "mine"


def test_a_base_url_that_is_not_a_path(project: Path) -> None:
    before = intact(project)
    process = run_sitec(["build", "--app", "intact_app:app", "--base-url", "docs/../x"], project)
    assert_clean_failure(process, "Error: ", "base-url")
    assert tree(project / "_site") == before


# -- interrupted builds -----------------------------------------------------------------


def test_an_interrupted_render_leaves_the_previous_output(project: Path) -> None:
    before = intact(project)
    with pytest.raises(KeyboardInterrupt):
        run_build(project, app="interrupt_app:app")
    assert tree(project / "_site") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith("._site")) == []


def test_an_interruption_while_writing_leaves_the_previous_output(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = intact(project)
    written = []

    def interrupted(self, relative, obj):
        written.append(relative)
        raise KeyboardInterrupt

    monkeypatch.setattr(StagedOutput, "write_json", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_build(project, app="intact_app:app")
    assert written == ["manifest.json"]
    assert tree(project / "_site") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith("._site")) == []


def test_a_good_build_replaces_the_previous_one(project: Path) -> None:
    intact(project)
    (project / "intact_app.py").write_text(
        (project / "intact_app.py").read_text().replace("the previous build", "the next build")
    )
    process = run_sitec(["build", "--app", "intact_app:app"], project)
    assert process.returncode == 0, process.stdout + process.stderr
    assert (project / "_site/public/index.html").read_bytes() == b"<p>the next build</p>"
