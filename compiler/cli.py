"""The ``sitec`` command line.

It is the runtime's ``FlaskGroup`` under another name, so ``sitec run``,
``sitec shell``, ``sitec routes`` and the app's own commands work as they do
under ``flask``; the compiler's commands join it as they land.
"""

from __future__ import annotations

from sitec.runtime import install_flask_alias
from sitec.runtime.cli import FlaskGroup


def make_cli() -> FlaskGroup:
    """The ``sitec`` click group."""
    return FlaskGroup(
        name="sitec",
        help=(
            "Compile a Flask app into static files plus a dynamic WSGI half.\n\n"
            "Find the app with --app (module, module:name or module:factory()),"
            " the FLASK_APP variable, or a wsgi.py / app.py in the current folder."
        ),
    )


def main() -> None:
    """Entry point of the ``sitec`` console script."""
    # The alias goes in before any user code is imported, so the app's
    # ``import flask`` gets this runtime.
    install_flask_alias()
    make_cli().main()
