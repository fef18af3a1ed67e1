"""The ``flask`` distribution that the drop-in alias answers for.

Apps and extensions read Flask's version from the installed distribution, often
at import time (``importlib.metadata.version("flask")``). Under the alias
``import flask`` is this runtime and no ``flask`` distribution need exist, so
while the alias is installed a finder first in ``sys.meta_path`` answers for
``flask`` with :class:`RuntimeFlaskDistribution`: metadata only, named Flask,
versioned as the Flask API this runtime implements, and saying in its summary
that it is ``sitec.runtime``.

It answers even when a real Flask distribution is installed: the metadata then
describes what ``import flask`` runs in this process (the runtime; the alias
never lets real Flask be imported beside it), so version checks take the code
path for the API they actually get. A search of explicitly given folders
(``distributions(path=[...])``) sees only what is in them. Without the alias
nothing changes: the finder exists only between :func:`install` and
:func:`uninstall`, which ``install_flask_alias`` and ``uninstall_flask_alias``
call.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import typing as t
from pathlib import Path

#: The Flask release whose API this runtime implements.
FLASK_API_VERSION = "3.1.3"


def sitec_version() -> str | None:
    """The installed ``sitec`` distribution's version, or ``None`` when sitec runs
    from a source folder without being installed."""
    try:
        return importlib.metadata.version("sitec")
    except importlib.metadata.PackageNotFoundError:
        return None


class RuntimeFlaskDistribution(importlib.metadata.Distribution):
    """A metadata-only ``Flask`` distribution standing for ``sitec.runtime``."""

    def read_text(self, filename: str) -> str | None:
        if filename == "METADATA":
            return self._metadata_text()
        if filename == "top_level.txt":
            return "flask\n"
        return None

    def locate_file(self, path: str | importlib.metadata.PackagePath) -> Path:
        return Path(__file__).parent / path

    @staticmethod
    def _metadata_text() -> str:
        sitec = sitec_version()
        provider = "sitec.runtime" if sitec is None else f"sitec.runtime (sitec {sitec})"
        lines = [
            "Metadata-Version: 2.1",
            "Name: Flask",
            f"Version: {FLASK_API_VERSION}",
            f"Summary: The Flask {FLASK_API_VERSION} API as implemented by {provider},"
            " answering for 'flask' through its drop-in alias; not the Flask project's"
            " distribution.",
        ]
        if sitec is not None:
            lines.append(f"Requires-Dist: sitec=={sitec}")
        return "\n".join(lines) + "\n"


def _is_flask(name: str) -> bool:
    # Distribution names compare normalized (PEP 503): "Flask", "flask", "FLASK".
    return re.sub(r"[-_.]+", "-", name).lower() == "flask"


#: A search for every distribution on ``sys.path``, what callers ask by default.
_ALL = importlib.metadata.DistributionFinder.Context()


class FlaskDistributionFinder(importlib.metadata.DistributionFinder):
    """Finds :class:`RuntimeFlaskDistribution` for ``flask``; imports nothing."""

    def find_spec(self, fullname: str, path: t.Any = None, target: t.Any = None) -> None:
        return None

    def find_distributions(
        self, context: importlib.metadata.DistributionFinder.Context = _ALL
    ) -> t.Iterable[importlib.metadata.Distribution]:
        if "path" in vars(context):
            return ()
        if context.name is not None and not _is_flask(context.name):
            return ()
        return (RuntimeFlaskDistribution(),)


_FINDER = FlaskDistributionFinder()


def install() -> None:
    """Answer for the ``flask`` distribution in this process, ahead of any installed one."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    """Stop answering; installed distributions are found as before."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
