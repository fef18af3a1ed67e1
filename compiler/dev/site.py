"""The WSGI app ``sitec serve`` answers with: the deployed shape of the site.

Files of the latest committed build are served by the deploy bundle's own piece,
:class:`~sitec.compiler.public_files.PublicFiles`, with the rules the generated host
configs use; everything else goes to the app process (:mod:`.proxy`); a site under a
path prefix is mounted there, as the generated WSGI entry mounts it. So ``sitec
serve`` answers as the bundle's single-server mode does (``SITEC_SERVE_PUBLIC=1``).

A rebuild replaces the output folder in one step; the next request sees the new
``manifest.json`` and serves from the new tree, and a request already answering from
a file keeps reading the file it opened.
"""

from __future__ import annotations

import os
import threading
import typing as t
from pathlib import Path

from markupsafe import escape
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from ..discover import is_static_folder_endpoint
from ..manifest import MANIFEST_NAME
from ..manifest import ManifestError
from ..manifest import load_manifest
from ..output import PUBLIC
from ..project import BuildSettings
from ..project import shown_path
from ..public_files import PublicFiles
from .errors import ErrorReport
from .livereload import SERVED_BY
from .proxy import AppProxy
from .proxy import AppUnavailable

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIApplication
    from _typeshed.wsgi import WSGIEnvironment


class LatestBuild:
    """``PublicFiles`` of the output's latest build, in front of ``fallback``; without a
    build yet, everything goes to ``fallback``. Its ``manifest.json`` is read again only
    when it is another file (10,000 pages take a tenth of a second to read)."""

    def __init__(self, out: Path, fallback: WSGIApplication) -> None:
        self.out = out
        self.fallback = fallback
        self._files: PublicFiles | None = None
        self._served: dict[str, str] = {}
        self._key: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        files = self.current()
        if files is None:
            return self.fallback(environ, start_response)
        return files(environ, start_response)

    def current(self) -> PublicFiles | None:
        """The ``PublicFiles`` of the manifest on disk now."""
        return self._read()[0]

    def served(self) -> dict[str, str]:
        """URL -> what the build on disk now serves there (see :func:`served_files`)."""
        return self._read()[1]

    def _read(self) -> tuple[PublicFiles | None, dict[str, str]]:
        try:
            info = os.stat(self.out / MANIFEST_NAME)
        except OSError:
            return None, {}
        key = (info.st_ino, info.st_mtime_ns, info.st_size)
        with self._lock:
            if key != self._key:
                try:
                    manifest = load_manifest(self.out / MANIFEST_NAME)
                    self._files = PublicFiles(self.out, fallback=self.fallback, manifest=manifest)
                    self._served = served_files(manifest, self.out)
                except ManifestError:
                    self._files, self._served = None, {}
                self._key = key
            return self._files, self._served


#: The key of the 404 page in :func:`served_files`.
NOT_FOUND_KEY = "\0not-found"


def served_files(manifest: t.Mapping[str, t.Any], out: Path) -> dict[str, str]:
    """URL -> the sha256 of every file the output serves, the status and location of
    every redirect, and the 404 page's inode: a rebuild touched the URLs where they
    differ."""
    files = {
        entry["url"]: entry["sha256"] for route in manifest["routes"] for entry in route["urls"]
    }
    for redirect in manifest.get("redirects", []):
        files[redirect["url"]] = f"{redirect['status']} {redirect['location']}"
    if manifest.get("not_found"):
        try:
            files[NOT_FOUND_KEY] = str(os.stat(out / PUBLIC / manifest["not_found"]).st_ino)
        except OSError:
            pass
    return files


class DevSite:
    """See the module docstring. ``app_error`` is why the app process is not running."""

    def __init__(self, settings: BuildSettings, proxy: AppProxy) -> None:
        self.proxy = proxy
        self.app_error: ErrorReport | None = None
        self.configure(settings)

    def configure(self, settings: BuildSettings) -> None:
        """Serve the output and the path prefix of ``settings`` from now on."""
        self.latest = LatestBuild(settings.output, self._dynamic)
        script = settings.address.script_name
        app: WSGIApplication = self.latest
        if script:
            app = DispatcherMiddleware(NotFound(), {script: self.latest})
        self._app = app

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        return self._app(environ, start_response)

    def _dynamic(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        environ[SERVED_BY] = "app"
        try:
            return self.proxy(environ, start_response)
        except AppUnavailable as e:
            report = self.app_error or ErrorReport(str(e))
            text = escape(report.terminal_text())
            body = f"<!doctype html><title>The app is not running</title><pre>{text}</pre>\n"
            response = Response(body, status=503, mimetype="text/html")
            return response(environ, start_response)


def split_summary(out: Path) -> str:
    """``35 pages and 12 static files from _site/public, 8 routes through the runtime``."""
    try:
        manifest = load_manifest(out / MANIFEST_NAME)
    except ManifestError:
        return "no build yet: every URL goes through the runtime"
    pages = files = dynamic = 0
    for route in manifest["routes"]:
        if route["decision"] == "dynamic":
            dynamic += 1
        elif is_static_folder_endpoint(route["endpoint"]):
            files += len(route["urls"])
        else:
            pages += len(route["urls"])
    return (
        f"{pages} pages and {files} static files from {shown_path(out / PUBLIC)},"
        f" {dynamic} route{'s' if dynamic != 1 else ''} through the runtime"
    )
