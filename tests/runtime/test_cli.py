"""The ``flask`` command line of the runtime (``runtime/cli.py``), in process.

Every test runs in its own temporary directory, which holds the small apps it
imports; the fixture below restores ``sys.path``, ``sys.modules`` and the
environment afterwards, since app discovery and dotenv loading change all three.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sitec.runtime import FLASK_API_VERSION
from sitec.runtime import Blueprint
from sitec.runtime import Flask
from sitec.runtime import current_app
from sitec.runtime.cli import AppGroup
from sitec.runtime.cli import FlaskGroup
from sitec.runtime.cli import NoAppException
from sitec.runtime.cli import ScriptInfo
from sitec.runtime.cli import load_dotenv
from sitec.runtime.cli import locate_app
from sitec.runtime.cli import pass_script_info
from sitec.runtime.cli import prepare_import
from sitec.runtime.cli import routes_command
from sitec.runtime.cli import shell_command
from sitec.runtime.cli import with_appcontext
from sitec.runtime.testing import FlaskCliRunner

# --- fixtures


def _lives_under(module: object, root: str) -> bool:
    places = [getattr(module, "__file__", None) or "", *(getattr(module, "__path__", None) or [])]
    return any(os.path.realpath(str(place)).startswith(root) for place in places if place)


@pytest.fixture(autouse=True)
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run in ``tmp_path`` with no FLASK_* variables; undo every side effect of discovery."""
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("PYTHONSTARTUP", raising=False)
    monkeypatch.chdir(tmp_path)
    saved_env = dict(os.environ)
    saved_path = sys.path[:]
    yield tmp_path
    root = os.path.realpath(tmp_path)
    for name, module in list(sys.modules.items()):
        if _lives_under(module, root):
            del sys.modules[name]
    sys.path[:] = saved_path
    os.environ.clear()
    os.environ.update(saved_env)


@pytest.fixture
def write(tmp_path: Path):
    """``write("pkg/mod.py", source)``: create a file under ``tmp_path`` (dedented)."""

    def write(relative: str, source: str = "") -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        return path

    return write


def invoke(args: list[str], group: click.Command | None = None, **kwargs):
    """Run a fresh ``FlaskGroup`` (or ``group``) with click's runner."""
    return CliRunner().invoke(group if group is not None else FlaskGroup(), args, **kwargs)


# An app module whose commands report what the command line set up for them.
REPORTING_APP = textwrap.dedent("""
    import os

    import click
    from sitec.runtime import Flask, current_app

    app = Flask("reporting")

    @app.cli.command("whoami")
    def whoami():
        click.echo(f"app={current_app.name}")

    @app.cli.command("mode")
    def mode():
        click.echo(f"debug={current_app.debug} env={os.environ.get('FLASK_DEBUG')}")

    @app.cli.command("vars")
    @click.argument("names", nargs=-1)
    def show_vars(names):
        click.echo(" ".join(f"{n}={os.environ.get(n)}" for n in names))
""")


# --- discovery


def test_module_with_an_app_attribute(write):
    write("plainmod.py", "from sitec.runtime import Flask\napp = Flask('plain')\n")
    app = ScriptInfo(app_import_path="plainmod").load_app()
    assert app is sys.modules["plainmod"].app
    assert app.name == "plain"


def test_application_name_is_taken_before_looking_for_other_instances(write):
    write(
        "twoapps.py",
        """
        from sitec.runtime import Flask
        admin = Flask("admin")
        application = Flask("main")
        """,
    )
    assert ScriptInfo(app_import_path="twoapps").load_app().name == "main"


def test_single_instance_is_found_by_type_under_any_name(write):
    write(
        "oddname.py",
        """
        from sitec.runtime import Flask
        answer = 42
        the_site = Flask("by_type")
        """,
    )
    assert ScriptInfo(app_import_path="oddname").load_app().name == "by_type"


def test_several_unnamed_instances_are_ambiguous(write):
    write(
        "crowded.py",
        """
        from sitec.runtime import Flask
        left = Flask("left")
        right = Flask("right")
        """,
    )
    with pytest.raises(NoAppException, match="more than one Flask application in module 'crowded'"):
        ScriptInfo(app_import_path="crowded").load_app()
    # Naming one resolves it.
    assert ScriptInfo(app_import_path="crowded:right").load_app().name == "right"


@pytest.mark.parametrize("factory", ["create_app", "make_app"])
def test_factory_without_arguments_is_called(write, factory):
    write(
        "factorymod.py",
        f"""
        from sitec.runtime import Flask
        calls = []

        def {factory}():
            calls.append(1)
            return Flask("from_{factory}")
        """,
    )
    info = ScriptInfo(app_import_path="factorymod")
    app = info.load_app()
    assert app.name == f"from_{factory}"
    # Loaded once per ScriptInfo.
    assert info.load_app() is app
    assert sys.modules["factorymod"].calls == [1]


def test_instance_wins_over_factory(write):
    write(
        "both.py",
        """
        from sitec.runtime import Flask
        app = Flask("instance")

        def create_app():
            raise AssertionError("the factory must not run")
        """,
    )
    assert ScriptInfo(app_import_path="both").load_app().name == "instance"


FACTORIES = textwrap.dedent("""
    from sitec.runtime import Flask

    not_an_app = {"a": 1}

    def create_app(flavour="plain", *, loud=False, sizes=()):
        app = Flask("factory_" + flavour)
        app.config.update(FLAVOUR=flavour, LOUD=loud, SIZES=sizes)
        return app

    def needs_name(name):
        return Flask(name)

    def gives_a_string():
        return "not an app"

    def broken_inside(level=1):
        return len(level, level)  # a TypeError raised inside the factory

    class Holder:
        @staticmethod
        def build():
            return Flask("held")

    holder = Holder()
""")


def test_module_colon_name(write):
    write("factories.py", FACTORIES + "\nsecond = Flask('second')\n")
    assert ScriptInfo(app_import_path="factories:second").load_app().name == "second"


def test_module_colon_factory_call(write):
    write("factories.py", FACTORIES)
    app = ScriptInfo(app_import_path="factories:create_app()").load_app()
    assert (app.name, app.config["FLAVOUR"], app.config["LOUD"]) == (
        "factory_plain",
        "plain",
        False,
    )


def test_factory_call_with_literal_arguments(write):
    write("factories.py", FACTORIES)
    app = ScriptInfo(
        app_import_path="factories:create_app('dev', loud=True, sizes=(1, 2.5, None))"
    ).load_app()
    assert app.name == "factory_dev"
    assert app.config["LOUD"] is True
    assert app.config["SIZES"] == (1, 2.5, None)


def test_factory_call_through_the_command_line(write):
    write("factories.py", FACTORIES)
    result = invoke(["--app", 'factories:needs_name("cli_named")', "routes"])
    assert result.exit_code == 0, result.output
    # Flask() adds the static route, so the table is not empty.
    assert "static" in result.output

    write(
        "namedcmd.py",
        """
        import click
        from sitec.runtime import Flask, current_app

        def build(label):
            app = Flask(label)

            @app.cli.command("label")
            def show_label():
                click.echo(current_app.name)

            return app
        """,
    )
    result = invoke(["-A", "namedcmd:build('given-label')", "label"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "given-label"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("factories:missing", "Module 'factories' has no attribute 'missing'"),
        ("factories:create_app(flavour)", "must be Python literals"),
        ("factories:create_app(loud=print(1))", "must be Python literals"),
        ("factories:holder.build()", "function to call must be a plain name"),
        ("factories:holder.build", "Cannot read 'holder.build'"),
        ("factories:create_app(", "Cannot read 'create_app('"),
        ("factories:1 +", "Cannot read '1 +'"),
        ("factories:not_an_app", "'factories:not_an_app' did not give a Flask application"),
        ("factories:gives_a_string()", "did not give a Flask application"),
        ("factories:needs_name()", "'needs_name()' in module 'factories' does not accept"),
        ("factories:create_app(1, 2, 3)", "does not accept the given arguments"),
        ("factories:create_app(colour='red')", "does not accept the given arguments"),
    ],
)
def test_bad_app_strings_are_reported(write, target, message):
    write("factories.py", FACTORIES)
    with pytest.raises(NoAppException) as info:
        ScriptInfo(app_import_path=target).load_app()
    assert message in str(info.value)


def test_type_error_inside_a_named_factory_is_not_hidden(write):
    write("factories.py", FACTORIES)
    with pytest.raises(TypeError, match="len"):
        ScriptInfo(app_import_path="factories:broken_inside(3)").load_app()


def test_factory_needing_arguments_is_reported(write):
    write(
        "argfactory.py",
        """
        from sitec.runtime import Flask

        def create_app(config_name):
            return Flask(config_name)
        """,
    )
    with pytest.raises(NoAppException) as info:
        ScriptInfo(app_import_path="argfactory").load_app()
    message = str(info.value)
    assert "'create_app'" in message and "cannot be called without arguments" in message
    # The way out works.
    assert ScriptInfo(app_import_path="argfactory:create_app('x')").load_app().name == "x"


def test_type_error_inside_a_discovered_factory_is_not_hidden(write):
    write(
        "typebug.py",
        """
        def create_app():
            raise TypeError("configuration value of the wrong type")
        """,
    )
    with pytest.raises(TypeError, match="configuration value of the wrong type"):
        ScriptInfo(app_import_path="typebug").load_app()


def test_factory_returning_something_else_is_no_app(write):
    write("notapp.py", "def make_app():\n    return object()\n")
    with pytest.raises(NoAppException, match="Found no Flask application or factory"):
        ScriptInfo(app_import_path="notapp").load_app()


def test_module_without_an_app(write):
    write("empty_mod.py", "VALUE = 1\n")
    with pytest.raises(NoAppException) as info:
        ScriptInfo(app_import_path="empty_mod").load_app()
    assert "Found no Flask application or factory in module 'empty_mod'" in str(info.value)
    assert "'empty_mod:name'" in str(info.value)


def test_import_error_inside_the_module_keeps_its_traceback(write):
    write(
        "brokenimport.py",
        """
        from sitec.runtime import Flask
        import sitec_cli_tests_not_a_real_dependency

        app = Flask("never")
        """,
    )
    with pytest.raises(NoAppException) as info:
        ScriptInfo(app_import_path="brokenimport").load_app()
    message = str(info.value)
    assert message.startswith("Importing 'brokenimport' raised an ImportError")
    assert "Traceback (most recent call last)" in message
    assert "brokenimport.py" in message
    assert "sitec_cli_tests_not_a_real_dependency" in message

    # The command line shows it too, as a usage error rather than a crash.
    result = invoke(["--app", "brokenimport", "routes"])
    assert result.exit_code == 2
    assert "sitec_cli_tests_not_a_real_dependency" in result.output
    assert "brokenimport.py" in result.output


def test_module_that_does_not_exist(write):
    with pytest.raises(NoAppException, match="Could not import 'no_such_module_for_cli'"):
        ScriptInfo(app_import_path="no_such_module_for_cli").load_app()
    assert locate_app("no_such_module_for_cli", None, raise_if_not_found=False) is None


def test_missing_submodule_of_an_existing_package(write):
    write("realpkg/__init__.py")
    with pytest.raises(NoAppException, match="Could not import 'realpkg.absent'"):
        locate_app("realpkg.absent", None)
    assert locate_app("realpkg.absent", None, raise_if_not_found=False) is None


def test_other_errors_while_importing_propagate(write):
    write("explodes.py", "raise RuntimeError('boom at import')\n")
    with pytest.raises(RuntimeError, match="boom at import"):
        ScriptInfo(app_import_path="explodes").load_app()


@pytest.mark.parametrize("filename", ["wsgi.py", "app.py"])
def test_fallback_files_in_the_working_directory(write, filename):
    write(filename, f"from sitec.runtime import Flask\nserved = Flask('{filename[:-3]}_file')\n")
    assert ScriptInfo().load_app().name == f"{filename[:-3]}_file"


def test_wsgi_py_is_preferred_to_app_py(write):
    write("wsgi.py", "from sitec.runtime import Flask\napp = Flask('from_wsgi')\n")
    write("app.py", "from sitec.runtime import Flask\napp = Flask('from_app')\n")
    assert ScriptInfo().load_app().name == "from_wsgi"


def test_no_app_anywhere():
    with pytest.raises(NoAppException) as info:
        ScriptInfo().load_app()
    message = str(info.value)
    assert "Could not locate a Flask application" in message
    assert "--app" in message and "FLASK_APP" in message


def test_create_app_callback_wins_over_the_import_path(write):
    write("plainmod.py", "from sitec.runtime import Flask\napp = Flask('imported')\n")
    made = Flask("made")
    info = ScriptInfo(app_import_path="plainmod", create_app=lambda: made)
    assert info.load_app() is made
    assert "plainmod" not in sys.modules


def test_load_app_sets_debug_from_the_environment(monkeypatch):
    made = Flask("debuggable")
    made.debug = False
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert ScriptInfo(create_app=lambda: made).load_app().debug is True

    other = Flask("left_alone")
    other.debug = False
    info = ScriptInfo(create_app=lambda: other, set_debug_flag=False)
    assert info.load_app().debug is False


def test_app_given_as_a_file_path(write, tmp_path):
    write("project/mysite/__init__.py")
    write("project/mysite/helpers.py", "TITLE = 'relative import works'\n")
    write(
        "project/mysite/webapp.py",
        """
        from sitec.runtime import Flask
        from .helpers import TITLE

        app = Flask(__name__)
        app.config["TITLE"] = TITLE
        """,
    )
    app = ScriptInfo(app_import_path=str(tmp_path / "project/mysite/webapp.py")).load_app()
    assert app.name == "mysite.webapp"
    assert app.config["TITLE"] == "relative import works"


def test_file_path_with_an_app_name(write):
    write(
        "pathpick.py",
        "from sitec.runtime import Flask\none = Flask('one')\ntwo = Flask('two')\n",
    )
    assert ScriptInfo(app_import_path="pathpick.py:two").load_app().name == "two"


# --- prepare_import


@pytest.mark.parametrize(
    ("given", "dotted", "root"),
    [
        ("loose.py", "loose", ""),
        ("loose", "loose", ""),
        ("outer/inner/leaf.py", "outer.inner.leaf", ""),
        ("outer/inner/leaf", "outer.inner.leaf", ""),
        ("outer/inner", "outer.inner", ""),
        ("outer/inner/__init__.py", "outer.inner", ""),
        ("outer", "outer", ""),
        ("namespace/pkg/mod.py", "pkg.mod", "namespace"),
        ("namespace/loose2.py", "loose2", "namespace"),
    ],
)
def test_prepare_import(write, tmp_path, given, dotted, root):
    write("loose.py")
    write("outer/__init__.py")
    write("outer/inner/__init__.py")
    write("outer/inner/leaf.py")
    write("namespace/pkg/__init__.py")
    write("namespace/pkg/mod.py")
    write("namespace/loose2.py")

    assert prepare_import(given) == dotted
    expected_root = os.path.realpath(tmp_path / root)
    assert sys.path[0] == expected_root
    # Absolute paths give the same answer, and the root is not added twice.
    before = len(sys.path)
    assert prepare_import(tmp_path / given) == dotted
    assert len(sys.path) == before


def test_prepare_import_result_is_importable(write, tmp_path):
    write("deep/__init__.py")
    write("deep/er/__init__.py")
    write("deep/er/still.py", "MARK = 'found it'\n")
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != str(tmp_path.resolve())]
    name = prepare_import(tmp_path / "deep/er/still.py")
    assert importlib.import_module(name).MARK == "found it"


# --- with_appcontext, AppGroup


def test_pass_script_info_hands_a_command_the_group_script_info(write):
    """A command that needs the app's location, not a loaded app, takes the ScriptInfo."""
    write("located.py", "from sitec.runtime import Flask\napp = Flask('located')\n")

    @click.command("where")
    @pass_script_info
    def where(info: ScriptInfo) -> None:
        click.echo(f"path={info.app_import_path} app={info.load_app().name}")

    group = FlaskGroup()
    group.add_command(where)
    result = invoke(["--app", "located", "where"], group)
    assert result.exit_code == 0, result.output
    assert result.output == "path=located app=located\n"


def test_pass_script_info_makes_one_when_no_group_did():
    @click.command()
    @pass_script_info
    def bare(info: ScriptInfo) -> None:
        click.echo(f"{type(info).__name__} path={info.app_import_path}")

    result = CliRunner().invoke(bare, [])
    assert result.exit_code == 0, result.output
    assert result.output == "ScriptInfo path=None\n"


def test_with_appcontext_loads_the_app_for_a_plain_click_command():
    app = Flask("ctx_app")

    @click.command()
    @with_appcontext
    def report():
        click.echo(f"inside {current_app.name}")

    result = CliRunner().invoke(report, obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    assert result.output == "inside ctx_app\n"
    # The context is popped again afterwards.
    assert not current_app


def test_with_appcontext_reuses_an_active_context():
    active = Flask("already_active")

    def must_not_load():
        raise AssertionError("the app must not be loaded again")

    @click.command()
    @with_appcontext
    def report():
        click.echo(current_app.name)

    with active.app_context():
        result = CliRunner().invoke(report, obj=ScriptInfo(create_app=must_not_load))
    assert result.exit_code == 0, result.output
    assert result.output == "already_active\n"


def test_with_appcontext_without_an_app_is_a_usage_error():
    @click.command()
    @with_appcontext
    def report():
        click.echo("unreachable")

    result = CliRunner().invoke(report)
    assert result.exit_code == 2
    assert "Could not locate a Flask application" in result.output
    assert "unreachable" not in result.output


def test_app_group_commands_get_the_app_context_by_default():
    app = Flask("grouped")
    group = AppGroup("tools")
    loads = []

    def load():
        loads.append(1)
        return app

    @group.command("with-ctx")
    def with_ctx():
        click.echo(f"ctx={current_app.name}")

    @group.command("no-ctx", with_appcontext=False)
    def no_ctx():
        click.echo(f"ctx={bool(current_app)}")

    @group.command
    def bare():
        click.echo(f"bare={current_app.name}")

    @group.group("nested")
    def sub():
        pass

    @sub.command("deep")
    def deep():
        click.echo(f"deep={current_app.name}")

    assert isinstance(sub, AppGroup)
    assert sorted(group.commands) == ["bare", "nested", "no-ctx", "with-ctx"]

    runner = CliRunner()
    assert runner.invoke(group, ["with-ctx"], obj=ScriptInfo(create_app=load)).output == (
        "ctx=grouped\n"
    )
    assert runner.invoke(group, ["bare"], obj=ScriptInfo(create_app=load)).output == (
        "bare=grouped\n"
    )
    assert runner.invoke(group, ["nested", "deep"], obj=ScriptInfo(create_app=load)).output == (
        "deep=grouped\n"
    )
    assert len(loads) == 3
    result = runner.invoke(group, ["no-ctx"], obj=ScriptInfo(create_app=load))
    assert result.output == "ctx=False\n"
    assert len(loads) == 3


def test_app_group_group_accepts_another_class():
    group = AppGroup("top")

    @group.group(cls=click.Group)
    def plain():
        pass

    @group.group
    def default():
        pass

    assert type(plain) is click.Group
    assert type(default) is AppGroup
    assert default.name == "default"


# --- FlaskGroup options


def test_app_option_long_and_short_and_environment(write, monkeypatch):
    write("reporting.py", REPORTING_APP)
    for args in (["--app", "reporting", "whoami"], ["-A", "reporting", "whoami"]):
        result = invoke(args)
        assert result.exit_code == 0, result.output
        assert result.output == "app=reporting\n"

    monkeypatch.setenv("FLASK_APP", "reporting")
    result = invoke(["whoami"])
    assert result.exit_code == 0, result.output
    assert result.output == "app=reporting\n"


def test_help_lists_the_app_commands(write):
    write("reporting.py", REPORTING_APP)
    result = invoke(["--app", "reporting", "--help"])
    assert result.exit_code == 0, result.output
    for name in ("whoami", "mode", "vars", "routes", "run", "shell"):
        assert re.search(rf"^\s+{name}\b", result.output, re.M), name
    for option in ("--app", "--env-file", "--debug / --no-debug", "--version"):
        assert option in result.output


def test_help_with_a_broken_app_still_lists_the_builtins(write):
    write("explodes.py", "raise RuntimeError('boom at import')\n")
    result = invoke(["--app", "explodes", "--help"])
    assert result.exit_code == 0
    assert "Traceback" in result.output and "boom at import" in result.output
    assert re.search(r"^\s+routes\b", result.output, re.M)

    result = invoke(["--app", "no_such_module_for_cli", "--help"])
    assert result.exit_code == 0
    assert "Error: Could not import 'no_such_module_for_cli'" in result.output
    assert "Traceback" not in result.output
    assert re.search(r"^\s+shell\b", result.output, re.M)


def test_unknown_command_reports_why_the_app_did_not_load():
    result = invoke(["frobnicate"])
    assert result.exit_code == 2
    assert "Could not locate a Flask application" in result.output
    assert "No such command 'frobnicate'" in result.output


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--debug", "mode"], None, "debug=True env=1"),
        (["--no-debug", "mode"], "1", "debug=False env=0"),
        (["mode"], "1", "debug=True env=1"),
        # FLASK_DEBUG is the flag's envvar: click reads it and the CLI writes it back as 0/1.
        (["mode"], "false", "debug=False env=0"),
        (["mode"], None, "debug=False env=None"),
    ],
)
def test_debug_flag(write, monkeypatch, args, env, expected):
    write("reporting.py", REPORTING_APP)
    if env is not None:
        monkeypatch.setenv("FLASK_DEBUG", env)
    result = invoke(["--app", "reporting", *args])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == expected


def test_debug_flag_is_not_applied_when_set_debug_flag_is_false():
    def factory():
        app = Flask("fixed_debug")
        app.debug = False

        @app.cli.command("mode")
        def mode():
            click.echo(f"debug={current_app.debug}")

        return app

    assert invoke(["--debug", "mode"], FlaskGroup(create_app=factory)).output == "debug=True\n"
    result = invoke(["--debug", "mode"], FlaskGroup(create_app=factory, set_debug_flag=False))
    assert result.output == "debug=False\n"


def test_version_option():
    result = invoke(["--version"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("Python ")
    assert any(line.startswith("Werkzeug ") for line in lines)
    assert f"Flask {FLASK_API_VERSION} (the API of sitec.runtime, sitec " in result.output
    assert "--version" not in invoke(["--help"], FlaskGroup(add_version_option=False)).output


def test_default_commands_can_be_left_out():
    group = FlaskGroup(add_default_commands=False, create_app=lambda: Flask("bare"))
    result = invoke(["--help"], group)
    assert result.exit_code == 0
    for name in ("run", "shell", "routes"):
        assert not re.search(rf"^\s+{name}\b", result.output, re.M)
    assert invoke(["routes"], group).exit_code == 2


def test_flask_group_nested_in_another_group():
    app = Flask("nested_app")

    @app.cli.command("hello")
    def hello():
        click.echo(f"hello from {current_app.name}")

    @click.group()
    def outer():
        pass

    outer.add_command(FlaskGroup(create_app=lambda: app), "web")
    result = CliRunner().invoke(outer, ["web", "hello"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello from nested_app\n"


# --- dotenv


def test_load_dotenv_precedence(write, tmp_path, monkeypatch):
    write(".flaskenv", "SHARED=flaskenv\nONLY_FLASKENV=yes\nPRESET=flaskenv\n")
    write(".env", "SHARED=dotenv\nONLY_DOTENV=yes\n# a comment\nQUOTED='a b'\n")
    monkeypatch.setenv("PRESET", "outside")

    assert load_dotenv() is True
    assert os.environ["SHARED"] == "dotenv"
    assert os.environ["ONLY_FLASKENV"] == "yes"
    assert os.environ["ONLY_DOTENV"] == "yes"
    assert os.environ["QUOTED"] == "a b"
    assert os.environ["PRESET"] == "outside"


def test_load_dotenv_explicit_path_wins_over_defaults(write, monkeypatch):
    write(".env", "SHARED=dotenv\n")
    extra = write("conf/extra.env", "SHARED=extra\nEXTRA=1\n")
    assert load_dotenv(extra) is True
    assert os.environ["SHARED"] == "extra"
    assert os.environ["EXTRA"] == "1"


def test_load_dotenv_without_defaults_reads_only_the_path(write):
    write(".env", "FROM_DEFAULT=1\n")
    extra = write("only.env", "FROM_PATH=1\n")
    assert load_dotenv(extra, load_defaults=False) is True
    assert os.environ["FROM_PATH"] == "1"
    assert "FROM_DEFAULT" not in os.environ


def test_load_dotenv_finds_files_in_parent_directories(write, monkeypatch, tmp_path):
    write(".env", "FOUND_UPWARD=parent\n")
    child = tmp_path / "a" / "b"
    child.mkdir(parents=True)
    monkeypatch.chdir(child)
    assert load_dotenv() is True
    assert os.environ["FOUND_UPWARD"] == "parent"


def test_load_dotenv_with_nothing_to_load(tmp_path):
    assert load_dotenv() is False
    assert load_dotenv(tmp_path / "missing.env") is False


def test_flask_group_loads_dotenv_files(write, monkeypatch):
    write("reporting.py", REPORTING_APP)
    write(".flaskenv", "FLASK_APP=reporting\nCOLOR=flaskenv\nSHAPE=flaskenv\n")
    write(".env", "COLOR=dotenv\n")
    monkeypatch.setenv("SHAPE", "outside")
    result = invoke(["vars", "COLOR", "SHAPE"])
    assert result.exit_code == 0, result.output
    assert result.output == "COLOR=dotenv SHAPE=outside\n"


@pytest.mark.parametrize("flag", ["-e", "--env-file"])
def test_env_file_option(write, flag):
    write("reporting.py", REPORTING_APP)
    write(".env", "COLOR=dotenv\nSIZE=dotenv\n")
    write("settings.env", "FLASK_APP=reporting\nCOLOR=envfile\n")
    result = invoke([flag, "settings.env", "vars", "COLOR", "SIZE"])
    assert result.exit_code == 0, result.output
    assert result.output == "COLOR=envfile SIZE=dotenv\n"


def test_env_file_must_exist():
    result = invoke(["--env-file", "nowhere.env", "routes"])
    assert result.exit_code == 2
    assert "nowhere.env" in result.output and "does not exist" in result.output


@pytest.mark.parametrize(("skip", "loaded"), [("1", False), ("true", False), ("0", True)])
def test_flask_skip_dotenv(write, monkeypatch, skip, loaded):
    write("reporting.py", REPORTING_APP)
    write(".env", "COLOR=dotenv\n")
    monkeypatch.setenv("FLASK_SKIP_DOTENV", skip)
    assert ScriptInfo().load_dotenv_defaults is loaded
    result = invoke(["--app", "reporting", "vars", "COLOR"])
    assert result.exit_code == 0, result.output
    assert result.output == f"COLOR={'dotenv' if loaded else None}\n"


def test_flask_group_without_dotenv_still_reads_an_env_file(write):
    write("reporting.py", REPORTING_APP)
    write(".env", "COLOR=dotenv\n")
    write("given.env", "SIZE=given\n")
    group = FlaskGroup(load_dotenv=False)
    result = invoke(["-e", "given.env", "--app", "reporting", "vars", "COLOR", "SIZE"], group)
    assert result.exit_code == 0, result.output
    assert result.output == "COLOR=None SIZE=given\n"


# --- routes


def _routes_table(output: str) -> tuple[list[str], list[list[str]]]:
    """Split the ``routes`` table into its header and rows, by the dash line's columns."""
    lines = output.splitlines()
    spans = [m.span() for m in re.finditer(r"-+", lines[1])]

    def cells(line: str) -> list[str]:
        return [
            line[start:end].strip() if i < len(spans) - 1 else line[start:].strip()
            for i, (start, end) in enumerate(spans)
        ]

    return cells(lines[0]), [cells(line) for line in lines[2:]]


@pytest.fixture
def routes_app() -> Flask:
    app = Flask("routes_demo", static_folder=None)

    @app.route("/zebra", methods=["GET", "POST"])
    def alpha():
        return ""

    @app.delete("/apple")
    def zulu():
        return ""

    @app.put("/mango/<int:n>")
    def mid(n):
        return ""

    return app


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ([], ["alpha", "mid", "zulu"]),
        (["--sort", "endpoint"], ["alpha", "mid", "zulu"]),
        (["-s", "rule"], ["zulu", "mid", "alpha"]),
        (["--sort", "match"], ["alpha", "zulu", "mid"]),
        (["--sort", "methods"], ["zulu", "alpha", "mid"]),
    ],
)
def test_routes_sorting(routes_app, sort, order):
    result = FlaskCliRunner(routes_app).invoke(routes_command, sort)
    assert result.exit_code == 0, result.output
    header, rows = _routes_table(result.output)
    assert header == ["Endpoint", "Methods", "Rule"]
    assert [row[0] for row in rows] == order
    assert {row[0]: row[1:] for row in rows} == {
        "alpha": ["GET, POST", "/zebra"],
        "zulu": ["DELETE", "/apple"],
        "mid": ["PUT", "/mango/<int:n>"],
    }


def test_routes_all_methods(routes_app):
    runner = FlaskCliRunner(routes_app)
    _, rows = _routes_table(runner.invoke(routes_command, ["--all-methods"]).output)
    assert {row[0]: row[1] for row in rows} == {
        "alpha": "GET, HEAD, OPTIONS, POST",
        "zulu": "DELETE, OPTIONS",
        "mid": "OPTIONS, PUT",
    }


def test_routes_rejects_an_unknown_sort(routes_app):
    result = FlaskCliRunner(routes_app).invoke(routes_command, ["--sort", "size"])
    assert result.exit_code == 2
    assert "'size' is not one of" in result.output


def test_routes_with_no_routes():
    result = FlaskCliRunner(Flask("empty", static_folder=None)).invoke(routes_command)
    assert result.exit_code == 0
    assert result.output == "No routes were registered.\n"


def test_routes_subdomain_column():
    app = Flask("subs", static_folder=None)
    app.config["SERVER_NAME"] = "example.test"

    @app.get("/status", subdomain="api")
    def api_status():
        return ""

    @app.get("/")
    def front():
        return ""

    runner = FlaskCliRunner(app)
    header, rows = _routes_table(runner.invoke(routes_command).output)
    assert header == ["Endpoint", "Methods", "Subdomain", "Rule"]
    assert rows == [["api_status", "GET", "api", "/status"], ["front", "GET", "", "/"]]

    _, rows = _routes_table(runner.invoke(routes_command, ["--sort", "domain"]).output)
    assert [row[0] for row in rows] == ["front", "api_status"]


def test_routes_host_column():
    app = Flask("hosts", static_folder=None, host_matching=True)

    @app.get("/", host="shop.test")
    def shop():
        return ""

    @app.get("/", host="blog.test")
    def blog():
        return ""

    header, rows = _routes_table(FlaskCliRunner(app).invoke(routes_command).output)
    assert header == ["Endpoint", "Methods", "Host", "Rule"]
    assert rows == [["blog", "GET", "blog.test", "/"], ["shop", "GET", "shop.test", "/"]]


def test_routes_without_subdomains_has_no_domain_column(routes_app):
    header, _ = _routes_table(FlaskCliRunner(routes_app).invoke(routes_command).output)
    assert "Subdomain" not in header and "Host" not in header


def test_routes_through_flask_group(write):
    write(
        "withbp.py",
        """
        from sitec.runtime import Blueprint, Flask

        app = Flask(__name__)
        shop = Blueprint("shop", __name__, url_prefix="/shop")

        @shop.get("/items/<slug>")
        def item(slug):
            return slug

        app.register_blueprint(shop)
        """,
    )
    result = invoke(["--app", "withbp", "routes"])
    assert result.exit_code == 0, result.output
    _, rows = _routes_table(result.output)
    assert ["shop.item", "GET", "/shop/items/<slug>"] in rows
    assert ["static", "GET", "/static/<path:filename>"] in rows


# --- shell


@pytest.fixture
def shell_app() -> Flask:
    app = Flask("shell_demo")

    @app.shell_context_processor
    def extras():
        return {"answer": 42, "started": "from processor"}

    return app


@pytest.fixture
def no_interactive_hook(monkeypatch):
    # site.py's hook would set up readline history for this pytest process.
    monkeypatch.delattr(sys, "__interactivehook__", raising=False)


def test_shell_namespace(shell_app, no_interactive_hook):
    source = "print(app.name, answer)\nprint(sorted(k for k in dir() if not k.startswith('_')))\n"
    result = FlaskCliRunner(shell_app).invoke(shell_command, input=source)
    assert result.exit_code == 0, result.output
    assert "shell_demo 42" in result.stdout
    assert "['answer', 'app', 'g', 'started']" in result.stdout
    assert "App: shell_demo" in result.output


def test_shell_runs_in_the_app_context(shell_app, no_interactive_hook):
    source = (
        "from sitec.runtime import current_app\n"
        "g.note = 'kept'\n"
        "print(current_app._get_current_object() is app, g.note)\n"
    )
    result = FlaskCliRunner(shell_app).invoke(shell_command, input=source)
    assert result.exit_code == 0, result.output
    assert "True kept" in result.stdout


def test_shell_runs_pythonstartup_first(shell_app, no_interactive_hook, write, monkeypatch):
    startup = write("startup.py", "started = 'from startup'\nfrom_startup = 7\n")
    monkeypatch.setenv("PYTHONSTARTUP", str(startup))
    result = FlaskCliRunner(shell_app).invoke(shell_command, input="print(from_startup, started)\n")
    assert result.exit_code == 0, result.output
    # The shell context is applied after the startup file, so it wins.
    assert "7 from processor" in result.stdout


def test_shell_errors_do_not_end_the_session(shell_app, no_interactive_hook):
    source = "1 / 0\nprint('still', answer)\n"
    result = FlaskCliRunner(shell_app).invoke(shell_command, input=source)
    assert result.exit_code == 0, result.output
    assert "ZeroDivisionError" in result.output
    assert "still 42" in result.stdout


def test_shell_calls_the_interactive_hook_and_completes_shell_names(shell_app, monkeypatch):
    readline = pytest.importorskip("readline")
    calls = []
    monkeypatch.setattr(sys, "__interactivehook__", lambda: calls.append(1), raising=False)
    previous = readline.get_completer()
    try:
        result = FlaskCliRunner(shell_app).invoke(shell_command, input="")
        completer = readline.get_completer()
    finally:
        readline.set_completer(previous)
    assert result.exit_code == 0, result.output
    assert calls == [1]
    assert completer("answ", 0) == "answer"


def test_shell_through_flask_group(write, no_interactive_hook):
    write("reporting.py", REPORTING_APP)
    result = invoke(["--app", "reporting", "shell"], input="print('name:', app.name)\n")
    assert result.exit_code == 0, result.output
    assert "name: reporting" in result.stdout


# --- app.cli, blueprint cli


def test_app_cli_through_the_test_runner():
    app = Flask("runner_app")

    @app.cli.command("greet")
    @click.option("--name", default="world")
    def greet(name):
        click.echo(f"hello {name} from {current_app.name}")

    runner = app.test_cli_runner()
    assert isinstance(runner, FlaskCliRunner)
    assert runner.invoke(args=["greet"]).output == "hello world from runner_app\n"
    assert runner.invoke(args=["greet", "--name", "ada"]).output == "hello ada from runner_app\n"
    assert app.cli.name == "runner_app"


def test_blueprint_cli_groups():
    app = Flask("bp_cli")

    def named_command(bp: Blueprint, name: str):
        @bp.cli.command(name)
        def command():
            click.echo(f"{bp.name}:{name} in {current_app.name}")

    default = Blueprint("reports", __name__)
    named_command(default, "count")
    custom = Blueprint("admin_tools", __name__, cli_group="admin")
    named_command(custom, "purge")
    flat = Blueprint("flat", __name__, cli_group=None)
    named_command(flat, "toplevel")
    quiet = Blueprint("quiet", __name__)
    overridden = Blueprint("ops_bp", __name__)
    named_command(overridden, "deploy")

    app.register_blueprint(default)
    app.register_blueprint(custom)
    app.register_blueprint(flat)
    app.register_blueprint(quiet)
    app.register_blueprint(overridden, cli_group="ops")

    assert sorted(app.cli.commands) == ["admin", "ops", "reports", "toplevel"]

    runner = app.test_cli_runner()
    cases = {
        ("reports", "count"): "reports:count in bp_cli\n",
        ("admin", "purge"): "admin_tools:purge in bp_cli\n",
        ("toplevel",): "flat:toplevel in bp_cli\n",
        ("ops", "deploy"): "ops_bp:deploy in bp_cli\n",
    }
    for args, expected in cases.items():
        result = runner.invoke(args=list(args))
        assert result.exit_code == 0, (args, result.output)
        assert result.output == expected

    assert runner.invoke(args=["admin_tools", "purge"]).exit_code == 2
    assert runner.invoke(args=["quiet"]).exit_code == 2


def test_blueprint_cli_through_flask_group(write):
    write(
        "bpcli.py",
        """
        import click
        from sitec.runtime import Blueprint, Flask

        bp = Blueprint("data", __name__)

        @bp.cli.command("load")
        @click.argument("count", type=int)
        def load(count):
            click.echo(f"loaded {count * 2}")

        app = Flask(__name__)
        app.register_blueprint(bp)
        """,
    )
    result = invoke(["--app", "bpcli", "data", "load", "21"])
    assert result.exit_code == 0, result.output
    assert result.output == "loaded 42\n"
    help_text = invoke(["--app", "bpcli", "--help"]).output
    assert re.search(r"^\s+data\b", help_text, re.M)


def test_command_errors_come_out_as_click_errors():
    app = Flask("erring")

    @app.cli.command("fail")
    def fail():
        raise click.ClickException("nothing to do")

    result = app.test_cli_runner().invoke(args=["fail"])
    assert result.exit_code == 1
    assert "Error: nothing to do" in result.output


# --- python -m sitec.runtime


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}


def test_python_m_sitec_runtime_help(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sitec.runtime", "--help"],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage:")
    for name in ("run", "shell", "routes"):
        assert re.search(rf"^\s+{name}\b", result.stdout, re.M)


def test_python_m_sitec_runtime_runs_an_app_importing_flask(write, tmp_path):
    write(
        "aliased.py",
        """
        import click
        import flask

        app = flask.Flask(__name__)

        @app.cli.command("which")
        def which():
            click.echo(flask.Flask.__module__)
        """,
    )
    result = subprocess.run(
        [sys.executable, "-m", "sitec.runtime", "--app", "aliased", "which"],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "sitec.runtime.app\n"
