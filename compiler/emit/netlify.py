"""The Netlify target: ``deploy/netlify/_redirects`` and ``deploy/netlify/_headers``.

Copy both into the publish folder (``OUT/public``). Netlify serves a file before any rule
that is not forced, matches paths percent-encoded and case-sensitively, reads ``:name``
as a segment placeholder and ``*`` as a splat, and ignores trailing slashes when it
matches a rule; it adds the slash to folder URLs itself (with a 301, where the runtime
sends 308). Dynamic rules become proxy rules to ``app-origin``, the URL where the WSGI
server can be reached; without it there is nothing to proxy to, and no Netlify files are
written for a site with a dynamic half.
"""

from __future__ import annotations

from ..project import DeploySettings
from .patterns import netlify_quote
from .patterns import to_netlify
from .plan import DeployPlan
from .render import UnsafeValue
from .render import refuse_control_characters
from .render import render_template


def netlify_path(path: str) -> str:
    """A decoded request path as a Netlify rule path."""
    return netlify_quote(refuse_control_characters(path, "Netlify path"))


def header_value(value: str) -> str:
    return refuse_control_characters(value, "Netlify header value")


def location(value: str) -> str:
    """A redirect target: one whitespace-free token, as the runtime sent it."""
    refuse_control_characters(value, "Netlify redirect target")
    if any(char.isspace() for char in value):
        raise UnsafeValue(f"{value!r}: a redirect target cannot hold white space")
    return value


def proxy_target(origin: str, from_path: str) -> str:
    """Where a proxy rule sends ``from_path``: the same path at the app's origin."""
    target = from_path[:-1] + ":splat" if from_path.endswith("*") else from_path
    return origin.rstrip("/") + target


def render_netlify(plan: DeployPlan, settings: DeploySettings) -> dict[str, str]:
    """``{file name: text}`` of the two Netlify files."""
    origin = settings.app_origin or ""
    proxies = []
    for route in plan.app_routes:
        if route.pattern is not None:
            from_path = to_netlify(route.pattern, plan.prefix)
            proxies.append((route, from_path, proxy_target(origin, from_path)))
    filters = {"path": netlify_path, "value": header_value, "location": location}
    context = {"plan": plan, "proxies": proxies, "origin": origin.rstrip("/")}
    return {
        "_redirects": render_template("netlify_redirects.j2", filters, **context),
        "_headers": render_template("netlify_headers.j2", filters, **context),
    }


def netlify_problems(plan: DeployPlan, settings: DeploySettings) -> list[str]:
    if plan.needs_app and not settings.app_origin:
        return [
            "Netlify files were not written: the site has a dynamic half and Netlify needs"
            " its address for the proxy rules. Set app-origin in [tool.sitec.deploy] (the"
            " https:// URL of the WSGI server), or choose other targets with --target."
        ]
    return []
