"""Serve a build's ``public/`` over WSGI exactly as the generated host configs do.

:class:`PublicFiles` is a WSGI application. It reads ``OUT/manifest.json``, builds the
same deploy plan the nginx, Caddy and Netlify configs are generated from
(:mod:`sitec.compiler.emit.plan`), and answers from it: each pre-rendered URL with its file
and recorded headers (types, caching, conditional requests and ranges through werkzeug),
the recorded and trailing-slash redirects, and everything else from ``fallback``, the
app; without one, the 404 page. Only files the manifest lists are ever opened, and only
inside ``public/``.

The generated ``OUT/server/wsgi.py`` puts it in front of the app for single-server
deploys (``SITEC_SERVE_PUBLIC=1``); ``sitec serve`` can do the same::

    application = PublicFiles("_site", fallback=app, url_map=app.url_map)
"""

from __future__ import annotations

import os
import typing as t
from pathlib import Path

from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map
from werkzeug.utils import redirect
from werkzeug.utils import send_file
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from .emit.plan import DeployPlan
from .emit.plan import ServedFile
from .emit.plan import plan_deploy
from .manifest import FILE_METHODS
from .manifest import MANIFEST_NAME
from .manifest import load_manifest
from .output import PUBLIC

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIApplication
    from _typeshed.wsgi import WSGIEnvironment


class PublicFiles:
    """A WSGI app serving ``out/public`` by the plan of ``out/manifest.json``.

    ``fallback`` answers every request the files and redirects do not (the app); without
    it those get ``404.html`` with status 404. ``url_map`` (the app's) lets the
    trailing-slash redirects be checked against the real rules, as the build does.
    Paths are matched whole, with the site prefix: mount it where the site lives.
    """

    def __init__(
        self,
        out: str | os.PathLike[str],
        fallback: WSGIApplication | None = None,
        *,
        url_map: Map | None = None,
        manifest: t.Mapping[str, t.Any] | None = None,
    ) -> None:
        self.public = (Path(out) / PUBLIC).resolve()
        if manifest is None:
            manifest = load_manifest(Path(out) / MANIFEST_NAME)
        self.plan: DeployPlan = plan_deploy(manifest, url_map)
        self.fallback = fallback
        self._files = {served.path: served for served in self.plan.files}
        self._redirects = {item.path: item for item in self.plan.redirects}

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        request = Request(environ)
        path = request.script_root + request.path
        if request.method in FILE_METHODS:
            served = self._files.get(path)
            if served is not None:
                return self._send(served, 200, request)(environ, start_response)
            target = self._redirects.get(path)
            if target is not None:
                location = target.location
                if request.query_string and target.why != "recorded":
                    location += "?" + request.query_string.decode("latin-1")
                return redirect(location, target.status)(environ, start_response)
        if self.fallback is not None:
            return self.fallback(environ, start_response)
        if path in self._files:
            error: Response = MethodNotAllowed(valid_methods=sorted(FILE_METHODS)).get_response()
        elif self.plan.not_found is not None:
            error = self._send(self.plan.not_found, 404, request)
        else:
            error = NotFound().get_response()
        return error(environ, start_response)

    def _send(self, served: ServedFile, status: int, request: Request) -> Response:
        path = (self.public / served.file).resolve()
        if not path.is_relative_to(self.public) or not path.is_file():
            return NotFound().get_response()
        response = send_file(
            path,
            request.environ,
            mimetype=served.headers.get("Content-Type"),
            conditional=status == 200,
            etag=True,
        )
        # send_file's default caching is no-cache; a host sends what the build recorded.
        del response.headers["Cache-Control"]
        del response.headers["Expires"]
        response.headers.update(served.headers)
        if status != 200:
            response.status_code = status
        return response
