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
