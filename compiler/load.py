"""Load the user's app the way ``flask --app`` does, on the sitec runtime."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from sitec.runtime import Flask
from sitec.runtime import install_flask_alias
from sitec.runtime.cli import NoAppException
from sitec.runtime.cli import ScriptInfo

from .project import BuildSettings


class AppLoadError(Exception):
    """The app could not be imported or created; the message says where and why."""


def load_app(settings: BuildSettings) -> Flask:
    """Import the app named by ``settings.app`` from the project root.

    The ``flask`` alias goes in first, so the app's ``import flask`` is this
    runtime. Errors raised by the user's code are reported at the innermost
    place in the project that raised them.
    """
    install_flask_alias()
    root = str(settings.project_root)
    if root not in sys.path:
        sys.path.insert(0, root)
    previous_cwd = os.getcwd()
    os.chdir(root)
    try:
        info = ScriptInfo(app_import_path=settings.app, set_debug_flag=False)
        return info.load_app()
    except NoAppException as e:
        failed = e.__context__
        if isinstance(failed, ImportError) and _raised_inside_the_app(failed):
            raise AppLoadError(_describe_import_error(failed, settings.project_root)) from None
        raise AppLoadError(f"{e.format_message()}\nSet 'app' in [tool.sitec] or pass --app.")
    except Exception as e:
        raise AppLoadError(_describe_user_error(e, settings.project_root)) from e
    finally:
        os.chdir(previous_cwd)


def _describe_user_error(error: BaseException, project_root: Path) -> str:
    """``file:line: ExcType: message``, at the last frame inside the project."""
    place = ""
    frames = traceback.extract_tb(error.__traceback__)
    if isinstance(error, SyntaxError) and error.filename:
        frames.append(traceback.FrameSummary(error.filename, error.lineno or 0, "<module>"))
    for frame in reversed(frames):
        path = Path(frame.filename)
        inside = path.is_absolute() and path.is_relative_to(project_root)
        if inside and "site-packages" not in path.parts:
            place = f"{path.relative_to(project_root).as_posix()}:{frame.lineno}: "
            break
    summary = traceback.format_exception_only(error)[-1].strip()
    return f"{place}the app failed to load: {summary}"


def _raised_inside_the_app(error: ImportError) -> bool:
    """Whether the app's module was found and its own code raised ``error``: the import
    machinery hides its frames, so a traceback deeper than the importing frame means so."""
    return error.__traceback__ is not None and error.__traceback__.tb_next is not None


def _describe_import_error(error: ImportError, project_root: Path) -> str:
    """A failed import inside the app, with what to do when a package is missing."""
    message = _describe_user_error(error, project_root)
    missing = error.name if isinstance(error, ModuleNotFoundError) else None
    if missing is None or _is_in_project(missing, project_root):
        return message
    return (
        f"{message}. The app imports {missing!r}, which is not installed where sitec runs"
        f" ({sys.executable}): install the package that provides it there."
    )


def _is_in_project(module: str, project_root: Path) -> bool:
    top = project_root / module.partition(".")[0]
    return top.is_dir() or top.with_suffix(".py").is_file()
