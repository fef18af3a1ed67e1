"""Make ``import flask`` resolve to this runtime.

After :func:`install_flask_alias`, ``import flask`` and ``import flask.X`` give
the very module objects of ``sitec.runtime`` and ``sitec.runtime.X``, so an
unmodified Flask app, extension or test suite runs on the runtime. Real Flask is
never imported, even when it is installed, and ``importlib.metadata`` answers
for the ``flask`` distribution with the runtime's (see ``distribution``).
:func:`uninstall_flask_alias` undoes all of it.
"""

from __future__ import annotations

import importlib
import sys

from . import distribution

#: The submodules that ``flask.X`` maps to, as Flask 3.1 lays them out.
SUBMODULES = (
    "app",
    "blueprints",
    "cli",
    "config",
    "ctx",
    "debughelpers",
    "globals",
    "helpers",
    "json",
    "json.provider",
    "json.tag",
    "logging",
    "sansio",
    "sansio.app",
    "sansio.blueprints",
    "sansio.scaffold",
    "sessions",
    "signals",
    "templating",
    "testing",
    "typing",
    "views",
    "wrappers",
)


def install_flask_alias() -> None:
    """Register ``sitec.runtime`` and its submodules as ``flask`` in ``sys.modules``.

    Safe to call more than once. It raises ``RuntimeError`` when real Flask was
    imported earlier in this process, because two frameworks would then share
    one program and requests would see the wrong globals.
    """
    runtime = importlib.import_module("sitec.runtime")
    existing = sys.modules.get("flask")
    if existing is runtime:
        distribution.install()
        return
    if existing is not None:
        raise RuntimeError(
            "Flask was imported before sitec could alias it. Install the alias first:"
            " call sitec.runtime.install_flask_alias() before importing the app."
        )
    sys.modules["flask"] = runtime
    for name in SUBMODULES:
        sys.modules[f"flask.{name}"] = importlib.import_module(f"sitec.runtime.{name}")
    distribution.install()


def uninstall_flask_alias() -> None:
    """Undo :func:`install_flask_alias`: ``flask`` and the ``flask`` distribution are
    found as if the alias had never been installed.

    Modules that already hold the runtime's objects (``from flask import Flask``)
    keep them. Safe to call when the alias is not installed.
    """
    distribution.uninstall()
    for name in ("flask", *(f"flask.{sub}" for sub in SUBMODULES)):
        module = sys.modules.get(name)
        if module is not None and module.__name__ == f"sitec.runtime{name[len('flask') :]}":
            del sys.modules[name]
