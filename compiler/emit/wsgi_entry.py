"""The server target: ``server/wsgi.py``, the dynamic half's WSGI entry module.

It finds the project relative to the bundle when the output folder is inside the
project (the default ``_site``), so copying the project with its bundle keeps it working;
otherwise it records the absolute path. Both can be overridden at run time.
"""

from __future__ import annotations

import os
from pathlib import Path

from .render import render_template


def project_from_bundle(out: Path, project_root: Path) -> tuple[str, bool]:
    """The project folder as the entry module names it, and whether that is relative."""
    if out == project_root or project_root in out.parents:
        return Path(os.path.relpath(project_root, out)).as_posix(), True
    return project_root.as_posix(), False


def render_wsgi(
    *, out: Path, project_root: Path, app_spec: str, base_url: str, upstream: str
) -> str:
    project, relative = project_from_bundle(out, project_root)
    return render_template(
        "wsgi.py.j2",
        {"pyrepr": repr},
        app_spec=app_spec,
        base_url=base_url,
        upstream=upstream,
        project_default=project,
        project_is_relative=relative,
    )
