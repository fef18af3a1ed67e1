"""The installed ``sitec`` console script, run as a real process, on apps of our own.

``tests/example/test_example_cli.py`` runs it on the example site (``routes``, ``run``,
``shell`` and the site's own command).
"""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

import pytest


def run_sitec(sitec: Path, args: list[str], cwd: Path, env: dict[str, str]):
    return subprocess.run(
        [str(sitec), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_app_commands_of_a_flask_app(sitec_script, clean_env, tmp_path):
    (tmp_path / "tasks_app.py").write_text(
        textwrap.dedent(
            """
            import click
            import flask
            from flask import Flask, current_app

            app = Flask(__name__)

            @app.cli.command("count-words")
            @click.argument("text")
            def count_words(text):
                \"\"\"Count the words of TEXT.\"\"\"
                click.echo(f"{current_app.name}: {len(text.split())} words")

            @app.cli.command("runtime")
            def runtime():
                \"\"\"Say which framework is running.\"\"\"
                click.echo(flask.Flask.__module__)
            """
        )
    )
    help_result = run_sitec(sitec_script, ["--app", "tasks_app", "--help"], tmp_path, clean_env)
    assert help_result.returncode == 0, help_result.stderr
    assert help_result.stdout.startswith("Usage: sitec")
    assert re.search(r"^\s+count-words\s+Count the words of TEXT\.", help_result.stdout, re.M)
    assert re.search(r"^\s+routes\b", help_result.stdout, re.M)

    argv = ["--app", "tasks_app", "count-words", "one two three"]
    result = run_sitec(sitec_script, argv, tmp_path, clean_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "tasks_app: 3 words\n"

    # `import flask` in the app got the sitec runtime through the alias.
    result = run_sitec(sitec_script, ["--app", "tasks_app", "runtime"], tmp_path, clean_env)
    assert result.stdout == "sitec.runtime.app\n"


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ("no_such_module_here", "Error: Could not import 'no_such_module_here'."),
        ("shop:nothing", "Error: Module 'shop' has no attribute 'nothing'."),
        ("shop:create_app(", "Error: Cannot read 'create_app(' as an attribute name"),
    ],
)
def test_bad_app_is_a_one_line_error(sitec_script, clean_env, tmp_path, app, message):
    (tmp_path / "shop.py").write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    result = run_sitec(sitec_script, ["--app", app, "routes"], tmp_path, clean_env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert errors[0].startswith(message)
    assert result.stdout == ""
