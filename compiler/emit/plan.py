"""The deploy plan: what a host must answer for each URL, read from ``manifest.json``.

Every target (nginx, Caddy, Netlify, the WSGI server's file serving) renders the same
plan, so they answer alike:

1. a request other than GET or HEAD goes to the app (it answers 405, or the form post);
   a site needs the app when a rule is dynamic or takes methods a file cannot answer
   (the manifest's ``dynamic_methods``);
2. a file URL gets its file, with the headers the build recorded for it;
3. a redirect URL gets its redirect: those the build recorded, and the trailing-slash
   redirects the runtime makes (``/a`` -> ``/a/``), checked against the app's URL map;
4. a path some dynamic rule could match goes to the app (:mod:`.patterns`);
5. anything else gets the 404 page, unless a rule has no pattern or there is no 404 page:
   then the app answers it, so no URL gets a wrong answer from a file.

A rule of a subdomain answers on another host, which these configs do not serve: its
paths are not the site's, so they neither go to the app nor turn off the 404 page; the
build reports it (``host-config``).

Paths in the plan are decoded request paths with the site prefix (``/docs/café/``), as
hosts match them.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import unquote
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter
from werkzeug.routing import Map
from werkzeug.routing import RequestRedirect
from werkzeug.routing import Rule

from .patterns import Inexpressible
from .patterns import PathPattern
from .patterns import rule_pattern

#: The type of a 404 page whose headers an older manifest did not record.
DEFAULT_NOT_FOUND_HEADERS = {"Content-Type": "text/html; charset=utf-8"}

_CONVERTER_NAME = re.compile(r"<(?:([A-Za-z_]\w*)(?:\(.*?\))?:)?[A-Za-z_]\w*>")


@dataclass(slots=True)  # one per page: not frozen, which costs more to make
class ServedFile:
    """A URL answered from a file of ``public/``."""

    path: str
    #: Relative to ``public/``, ``/`` separators.
    file: str
    headers: dict[str, str]
    endpoint: str


@dataclass(frozen=True)
class HostRedirect:
    """A URL the host answers with a redirect."""

    path: str
    #: As the runtime sends it (percent-encoded).
    location: str
    status: int
    why: str


@dataclass(frozen=True)
class AppRoute:
    """A dynamic rule: the paths the host sends to the WSGI server."""

    endpoint: str
    rule: str
    methods: tuple[str, ...]
    #: ``None`` when no path pattern can stand for the rule; ``problem`` says why.
    pattern: PathPattern | None
    problem: str | None = None
    #: The rule answers on another host (a subdomain): none of the site's paths are its.
    other_host: bool = False


@dataclass
class DeployPlan:
    """What the host answers for every URL of the site; see the module docstring."""

    prefix: str
    files: list[ServedFile] = field(default_factory=list)
    redirects: list[HostRedirect] = field(default_factory=list)
    app_routes: list[AppRoute] = field(default_factory=list)
    not_found: ServedFile | None = None
    #: Some rule accepts methods a file cannot answer (a static GET page with a POST).
    other_methods: bool = False

    @property
    def needs_app(self) -> bool:
        """Whether any URL of the site's host needs the WSGI server; if not, the static
        half is the site."""
        return any(not r.other_host for r in self.app_routes) or self.other_methods

    @property
    def fallback_to_app(self) -> bool:
        """Whether paths no file or pattern claims go to the app instead of the 404 page:
        when there is no 404 page, or a rule of the site's host has no pattern."""
        if not self.needs_app:
            return False
        unrouted = any(r.pattern is None and not r.other_host for r in self.app_routes)
        return self.not_found is None or unrouted

    def problems(self) -> list[str]:
        """Rules the host configs cannot route, each with what to do."""
        return [_problem(route) for route in self.app_routes if route.problem is not None]


def _problem(route: AppRoute) -> str:
    if route.other_host:
        return (
            f"{route.endpoint} ({route.rule}): {route.problem}, which the host configs"
            " do not serve (they serve the site's own host). Send that host name to the"
            " WSGI server, which answers it as the runtime does."
        )
    return (
        f"{route.endpoint} ({route.rule}) cannot be routed by the host configs:"
        f" {route.problem}. Every URL no file or other rule claims is sent to the WSGI"
        " server, which answers it."
    )


def plan_deploy(manifest: t.Mapping[str, t.Any], url_map: Map | None = None) -> DeployPlan:
    """The plan of a build from its manifest and, when given, the app's URL map.

    Without ``url_map`` the rules are rebuilt from the manifest, with every converter it
    does not know read as "anything" (the app then decides).
    """
    prefix = manifest.get("base_url", "/")
    script = prefix.rstrip("/")
    if url_map is None:
        url_map = map_from_manifest(manifest)
    rules = {(rule.endpoint, rule.rule): rule for rule in url_map.iter_rules()}

    plan = DeployPlan(prefix)
    for route in manifest["routes"]:
        for entry in route["urls"]:
            plan.files.append(
                ServedFile(
                    script + unquote(entry["url"]),
                    entry["file"],
                    dict(entry["headers"]),
                    route["endpoint"],
                )
            )
        if route["decision"] == "static" and set(route["dynamic_methods"]) - {"OPTIONS"}:
            plan.other_methods = True
        if route["decision"] == "dynamic":
            plan.app_routes.append(_app_route(route, rules.get((route["endpoint"], route["rule"]))))
    for item in manifest.get("redirects", []):
        plan.redirects.append(
            HostRedirect(
                script + unquote(item["url"]), item["location"], item["status"], "recorded"
            )
        )
    plan.redirects.extend(_slash_redirects(plan, url_map))
    if manifest.get("not_found"):
        headers = manifest.get("not_found_headers") or DEFAULT_NOT_FOUND_HEADERS
        plan.not_found = ServedFile("", manifest["not_found"], dict(headers), "")
    plan.files.sort(key=lambda f: f.path)
    plan.redirects.sort(key=lambda r: r.path)
    return plan


def _app_route(route: t.Mapping[str, t.Any], rule: Rule | None) -> AppRoute:
    if rule is None:
        pattern: PathPattern | Inexpressible = Inexpressible("the app has no such rule now")
    else:
        pattern = rule_pattern(rule)
    methods = tuple(route["methods"])
    if isinstance(pattern, Inexpressible):
        return AppRoute(
            route["endpoint"], route["rule"], methods, None, pattern.reason, pattern.other_host
        )
    return AppRoute(route["endpoint"], route["rule"], methods, pattern)


def _slash_redirects(plan: DeployPlan, url_map: Map) -> list[HostRedirect]:
    """``/a`` -> ``/a/`` for every file or redirect URL ``/a/``, where the runtime does it."""
    script = plan.prefix.rstrip("/")
    adapter = url_map.bind("localhost", script_name=script or "/")
    origin = "http://localhost"  # of every redirect to a path of this adapter
    taken = {f.path for f in plan.files} | {r.path for r in plan.redirects}
    found = []
    if script and script not in taken:
        found.append(HostRedirect(script, plan.prefix, 308, "the site lives under its prefix"))
    for path in sorted(taken):
        variant = path[:-1]
        if not path.endswith("/") or len(path) <= len(script) + 1 or variant in taken:
            continue
        try:
            adapter.match(variant[len(script) :], method="GET")
        except RequestRedirect as redirect:
            url = redirect.new_url
            if url.startswith(origin + "/") and "?" not in url and "#" not in url:
                location = url[len(origin) :]
            else:
                location = urlsplit(url).path
            if unquote(location) == path:
                found.append(
                    HostRedirect(variant, location, redirect.code, "the runtime adds the slash")
                )
        except HTTPException:
            pass
    return found


class _AnyPath(BaseConverter):
    """Stands for a converter the manifest names but this process does not know."""

    regex = ".*"
    part_isolating = False

    def __init__(self, map: Map, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(map)


def map_from_manifest(manifest: t.Mapping[str, t.Any]) -> Map:
    """A URL map with the manifest's rules, for planning without the app."""
    known = set(Map.default_converters)
    converters = {}
    for route in manifest["routes"]:
        for name in _CONVERTER_NAME.findall(route["rule"]):
            if name and name not in known:
                converters[name] = _AnyPath
    url_map = Map(converters=converters)
    for route in manifest["routes"]:
        url_map.add(Rule(route["rule"], endpoint=route["endpoint"], methods=route["methods"]))
    return url_map
