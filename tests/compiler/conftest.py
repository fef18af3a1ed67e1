"""Compiler tests load apps that ``import flask``: alias it to the runtime first."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import typing as t
from pathlib import Path

import pytest

from sitec.runtime import install_flask_alias

install_flask_alias()

APPS = Path(__file__).resolve().parents[1] / "apps"


def _forget_fixture_apps() -> None:
    apps = os.path.join(str(APPS), "")
    for module_name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and os.path.realpath(file).startswith(apps):
            del sys.modules[module_name]
    sys.path[:] = [p for p in sys.path if not os.path.realpath(p or ".").startswith(apps)]


@pytest.fixture(autouse=True, scope="module")
def _unload_fixture_apps_after_module() -> t.Iterator[None]:
    """Leave no fixture app importable for later tests (Flask's CLI tests look
    for an ``app`` module, in this process and in the conformance subprocess)."""
    yield
    _forget_fixture_apps()


def load_app_from(name: str) -> t.Any:
    """Import ``tests/apps/<name>/app.py`` as the module ``app``; return its ``app``.

    Modules imported from another fixture folder are forgotten first, so the
    fixture apps can reuse module names (``app``, ``lib``, ...).
    """
    _forget_fixture_apps()
    sys.path.insert(0, str(APPS / name))
    importlib.invalidate_caches()
    return importlib.import_module("app").app


# -- end-to-end builds (tests/compiler/test_build*.py) -----------------------------------


@pytest.fixture
def build_project(tmp_path: Path) -> t.Iterator[t.Callable[..., Path]]:
    """Copy a fixture project of ``tests/apps/`` into ``tmp_path`` and return its folder.

    ``build_project("build_output")`` copies ``tests/apps/build_output``;
    ``build_project("build_outside", "project")`` copies the whole folder and returns its
    ``project`` subfolder. Builds import the user's app into this process: afterwards
    ``sys.path``, the modules imported from the copies and the ``url_values`` registry
    are put back as they were, so the next build starts clean.
    """
    from sitec.compiler import hints

    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    saved_generators = list(hints._registry)
    saved_cwd = os.getcwd()

    def copy(name: str, subfolder: str = "") -> Path:
        target = tmp_path / name
        if not target.exists():
            shutil.copytree(APPS / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        return target / subfolder if subfolder else target

    yield copy

    os.chdir(saved_cwd)
    sys.path[:] = saved_path
    _forget_modules_under(tmp_path, APPS, keep=saved_modules)
    hints._registry[:] = saved_generators
    importlib.invalidate_caches()


def _forget_modules_under(*folders: Path, keep: set[str]) -> None:
    """Drop modules imported from ``folders`` since ``keep`` was taken."""
    roots = [os.path.join(os.path.realpath(folder), "") for folder in folders]
    for name in set(sys.modules) - keep:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and os.path.realpath(file).startswith(tuple(roots)):
            del sys.modules[name]
