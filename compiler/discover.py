"""Find the URLs of static endpoints, and tell where a crawled link leads.

Sources, in the order the build uses them: rules without arguments and rules
whose defaults fill every argument; literal ``url_for`` calls found by the
analysis; generators registered with :func:`sitec.compiler.hints.url_values`;
then links seen while rendering (:meth:`SiteMap.follow`), until nothing new
appears.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from pathlib import Path

from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.routing import BuildError
from werkzeug.routing import RequestRedirect
from werkzeug.routing import Rule

from sitec.runtime import Flask

from .analyse import AppAnalysis
from .hints import UrlValues
from .hints import registered_url_values
from .model import Evidence
from .model import Problem
from .model import RouteAnalysis
from .model import UrlCandidate
from .project import SiteAddress


def is_static_folder_endpoint(endpoint: str) -> bool:
    """The app's or a blueprint's static-files endpoint, served by copying the folder."""
    return endpoint == "static" or endpoint.endswith(".static")


@dataclass(frozen=True)
class Target:
    """Where an app-relative URL leads: its rule's analysis, or a redirect."""

    route: RouteAnalysis | None = None
    redirect_to: str | None = None


class SiteMap:
    """The app's URL map seen from the site address: builds URLs and matches paths."""

    def __init__(self, app: Flask, address: SiteAddress, analysis: AppAnalysis) -> None:
        self.app = app
        self.address = address
        self._routes = {(r.endpoint, r.rule): r for r in analysis.routes}
        self._adapter = app.url_map.bind(
            address.host,
            script_name=address.script_name or "/",
            url_scheme=address.scheme,
        )

    def route_of(self, rule: Rule) -> RouteAnalysis | None:
        return self._routes.get((rule.endpoint, rule.rule))

    def app_path(self, url: str) -> str | None:
        """``url`` without the site's prefix, or ``None`` when it is outside the site."""
        if not url.startswith("/") or url.startswith("//"):
            return None  # another host (a subdomain rule), or not a path at all
        prefix = self.address.script_name
        if not prefix:
            return url
        if url == prefix:
            return "/"
        if url.startswith(prefix + "/"):
            return url[len(prefix) :]
        return None

    def build(self, endpoint: str, values: dict[str, t.Any]) -> str | None:
        """The app-relative URL ``url_for(endpoint, **values)`` gives, or ``None``."""
        with self.app.test_request_context(
            "/", base_url=f"{self.address.scheme}://{self.address.host}{self.address.script_name}"
        ):
            try:
                url = self.app.url_for(endpoint, **values)
            except (BuildError, ValueError, TypeError):
                return None
        return self._strip_origin(url.split("#", 1)[0])

    def match(self, path: str) -> Target | None:
        """What a GET of the app-relative ``path`` reaches; ``None`` for no page at all."""
        try:
            rule, _ = self._adapter.match(path, method="GET", return_rule=True)
        except RequestRedirect as redirect:
            location = self._strip_origin(redirect.new_url)
            return Target(redirect_to=location)
        except MethodNotAllowed:
            return Target()
        except NotFound:
            return None
        return Target(route=self.route_of(rule))

    def _strip_origin(self, url: str) -> str | None:
        """The app path of ``url``, a path or a URL of the site's own origin; else ``None``."""
        origin = f"{self.address.scheme}://{self.address.host}"
        if url == origin or url.startswith((origin + "/", origin + "?")):
            url = url[len(origin) :] or "/"
        return self.app_path(url.split("?", 1)[0])


def rule_urls(site: SiteMap, routes: t.Iterable[RouteAnalysis]) -> list[UrlCandidate]:
    """URLs of static rules that need no values: no arguments, or defaults for all."""
    found = []
    for rule in site.app.url_map.iter_rules():
        route = site.route_of(rule)
        if route is None or not _renderable(route):
            continue
        defaults = rule.defaults or {}
        if not rule.arguments <= set(defaults):
            continue
        built = rule.build(dict(defaults), append_unknown=False)
        if built is None:
            continue
        source = "defaults" if rule.arguments else "rule"
        found.append(UrlCandidate(built[1], source, f"rule {rule.rule}"))
    return found


def literal_urls(site: SiteMap, analysis: AppAnalysis) -> list[UrlCandidate]:
    """URLs of literal ``url_for`` calls in the project's code and templates."""
    found = []
    for endpoint, values, evidence in analysis.url_for_calls:
        url = site.build(endpoint, dict(values))
        if url is not None:
            found.append(UrlCandidate(url, "url_for", evidence.where() or None))
    return found


def project_generators(app: Flask, project_root: Path) -> list[UrlValues]:
    """The registered generators that belong to this app: defined in its project,
    for one of its endpoints, each once (a module imported twice registers twice)."""
    chosen: dict[tuple[str, int, str], UrlValues] = {}
    for generator in registered_url_values():
        path = Path(generator.file).resolve()
        if path.is_relative_to(project_root) and generator.endpoint in app.view_functions:
            chosen[(generator.file, generator.line, generator.endpoint)] = generator
    return list(chosen.values())


def generated_urls(
    site: SiteMap, project_root: Path, problems: list[Problem]
) -> list[UrlCandidate]:
    """URLs from the project's :func:`~sitec.compiler.hints.url_values` generators."""
    found = []
    for generator in project_generators(site.app, project_root):
        where = Path(generator.file).resolve().relative_to(project_root).as_posix()
        origin = f"{where}:{generator.line}"
        evidence = Evidence(
            f"url_values generator {generator.function.__name__}", where, generator.line
        )
        try:
            with site.app.app_context():
                produced = list(generator.function())
        except Exception as e:  # the user's code: report it, keep building
            problems.append(
                Problem(
                    "render-error",
                    f"the url_values generator for {generator.endpoint!r} raised"
                    f" {type(e).__name__}: {e}",
                    endpoint=generator.endpoint,
                    evidence=evidence,
                )
            )
            continue
        for item in produced:
            if isinstance(item, str):
                url = item
            elif isinstance(item, dict):
                url = site.build(generator.endpoint, dict(item))
            else:
                url = None
            if url is None:
                problems.append(
                    Problem(
                        "no-urls",
                        f"the url_values generator for {generator.endpoint!r} yielded"
                        f" {item!r}, which builds no URL of that endpoint",
                        endpoint=generator.endpoint,
                        evidence=evidence,
                    )
                )
                continue
            found.append(UrlCandidate(url, "generator", origin))
    return found


def _renderable(route: RouteAnalysis) -> bool:
    return route.decision == "static" and not is_static_folder_endpoint(route.endpoint)


def seed_urls(
    site: SiteMap, analysis: AppAnalysis, project_root: Path, problems: list[Problem]
) -> list[UrlCandidate]:
    """Every URL known before rendering, first source first, without repeats."""
    seen: set[str] = set()
    seeds = []
    for candidate in (
        *rule_urls(site, analysis.routes),
        *literal_urls(site, analysis),
        *generated_urls(site, project_root, problems),
    ):
        if candidate.url not in seen:
            seen.add(candidate.url)
            seeds.append(candidate)
    return seeds
