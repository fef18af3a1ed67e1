"""What the last ``sitec build`` found, for ``sitec explain``.

``sitec explain`` decides from the analysis alone; a build also renders every static
page and makes it dynamic when the render reads the request (code the analysis cannot
see, a vendored helper, WSGI middleware). When ``OUT/manifest.json`` is newer than the
project's code and templates, its decisions are the better answer, and explain shows
them beside the analysis' ones; an older manifest is named but not used.
"""

from __future__ import annotations

import datetime
import typing as t
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from .analyse.pysource import ProjectFiles
from .analyse.pysource import loaded_modules_in
from .manifest import MANIFEST_NAME
from .manifest import ManifestError
from .manifest import load_manifest
from .project import BuildSettings

if t.TYPE_CHECKING:
    from sitec.runtime import Flask


@dataclass
class LastBuild:
    """The manifest of the last build, and whether it is newer than the code."""

    path: Path
    built: datetime.datetime
    #: Newer than every module, template and setting of the project it was built from.
    fresh: bool
    #: ``(endpoint, rule)`` -> the manifest's route entry.
    routes: dict[tuple[str, str], dict[str, t.Any]] = field(default_factory=dict)

    def describe(self) -> str:
        when = self.built.strftime("%Y-%m-%d %H:%M")
        return f"the last build ({self.path}, {when})"


def last_build(settings: BuildSettings, app: Flask) -> LastBuild | None:
    """The last build's manifest in the output folder, if there is a readable one."""
    path = settings.output / MANIFEST_NAME
    try:
        manifest = load_manifest(path)
        built = path.stat().st_mtime
    except (ManifestError, OSError):
        return None
    newest = max((_mtime(source) for source in _sources(settings, app)), default=0.0)
    return LastBuild(
        path,
        datetime.datetime.fromtimestamp(built),
        fresh=built >= newest,
        routes={(route["endpoint"], route["rule"]): route for route in manifest["routes"]},
    )


def _sources(settings: BuildSettings, app: Flask) -> t.Iterator[Path]:
    """What a build's decisions come from: the project's modules, its templates and
    its settings."""
    if settings.source is not None:
        yield settings.source
    for module in loaded_modules_in(ProjectFiles(settings.project_root)):
        yield Path(module.__file__ or "")
    for owner in (app, *app.blueprints.values()):
        if owner.template_folder is None:
            continue
        folder = Path(owner.root_path, owner.template_folder)
        if folder.is_dir() and folder.resolve().is_relative_to(settings.project_root):
            yield from (path for path in folder.rglob("*") if path.is_file())


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
