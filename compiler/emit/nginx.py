"""The nginx target: ``deploy/nginx.conf``, a ``server`` block to include in ``http { }``.

nginx quoted strings take ``\\"`` and ``\\\\``; a ``$`` starts a variable in most
directives and has no escape, so it is written as ``${sitec_dollar}``, a variable the
file defines to hold ``$`` (the usual nginx idiom). Location arguments are not expanded,
so there ``$`` stays itself.
"""

from __future__ import annotations

from ..project import DeploySettings
from .patterns import to_regex
from .plan import DeployPlan
from .render import refuse_control_characters
from .render import render_template


def quoted(value: str) -> str:
    """A quoted nginx string for a directive that expands variables."""
    return literal(value).replace("$", "${sitec_dollar}")


def literal(value: str) -> str:
    """A quoted nginx string for a directive that does not expand variables."""
    refuse_control_characters(value, "nginx string")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def upstream_url(upstream: str) -> str:
    """``proxy_pass``'s URL for ``host:port`` or ``unix:/path``."""
    if upstream.startswith("unix:"):
        return f"http://{upstream}:"
    return f"http://{upstream}"


def render_nginx(
    plan: DeployPlan, settings: DeploySettings, public_root: str, max_body: int | None
) -> str:
    expanded = [public_root, *(f.file for f in plan.files)]
    expanded += [r.location for r in plan.redirects]
    for served in [*plan.files, *([plan.not_found] if plan.not_found else [])]:
        expanded += served.headers.values()
    return render_template(
        "nginx.conf.j2",
        {"q": quoted, "literal": literal, "regex": lambda p: literal(to_regex(p, plan.prefix))},
        plan=plan,
        settings=settings,
        public_root=public_root,
        upstream=upstream_url(settings.upstream),
        max_body=max_body or 0,
        defines_dollar=any("$" in value for value in expanded),
    )
