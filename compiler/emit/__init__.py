"""Stage emit: the deploy bundle, generated from ``templates/``.

Beside ``public/`` and ``manifest.json`` a build writes::

    server/wsgi.py        the dynamic half's WSGI entry (it can serve public/ too)
    server/routes.json    the dynamic rules and the host patterns sent to the app
    deploy/nginx.conf     an nginx server block          (target "nginx")
    deploy/Caddyfile      a Caddy site                   (target "caddy")
    deploy/netlify/       Netlify _redirects and _headers (target "netlify")

Everything is derived from the manifest and the app's URL map through one
:class:`~.plan.DeployPlan`, so every target answers each URL alike. What a target cannot
express becomes a ``host-config`` problem that says what to do; the URLs concerned go
to the WSGI server rather than to a wrong file.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

from werkzeug.routing import Map

from ..manifest import dumps
from ..model import Problem
from ..project import TARGETS
from ..project import BuildSettings
from .caddy import CaddyAnswers
from .caddy import caddy_problems
from .caddy import render_caddy
from .caddy import sort_answers
from .netlify import netlify_problems
from .netlify import render_netlify
from .nginx import render_nginx
from .patterns import to_netlify
from .patterns import to_regex
from .plan import DeployPlan
from .plan import plan_deploy
from .render import UnsafeValue
from .wsgi_entry import render_wsgi

#: The folders of the output the bundle is written to, beside ``public/``.
BUNDLE_FOLDERS = ("server", "deploy")


def emit_bundle(
    root: Path,
    manifest: t.Mapping[str, t.Any],
    url_map: Map | None,
    settings: BuildSettings,
    *,
    max_body: int | None = None,
) -> list[Problem]:
    """Write ``server/`` and ``deploy/`` under ``root`` (the staged OUT); the problems.

    ``max_body`` is the app's ``MAX_CONTENT_LENGTH``, which nginx must not undercut.
    """
    plan = plan_deploy(manifest, url_map)
    deploy = settings.deploy
    public_root = deploy.public_root or (settings.output / "public").as_posix()
    problems = [Problem("host-config", message) for message in plan.problems()]
    targets = deploy.targets or TARGETS
    # Which files Caddy can serve: its problems and its config both need it.
    answers = sort_answers(plan) if "caddy" in targets else None
    files: dict[str, str] = {
        "server/wsgi.py": render_wsgi(
            out=settings.output,
            project_root=settings.project_root,
            app_spec=settings.app or "",
            base_url=plan.prefix,
            upstream=deploy.upstream,
        ),
        "server/routes.json": dumps(routes_document(plan)).decode("utf-8"),
    }
    writers: dict[str, t.Callable[[], dict[str, str]]] = {
        "nginx": lambda: {"deploy/nginx.conf": render_nginx(plan, deploy, public_root, max_body)},
        "caddy": lambda: {"deploy/Caddyfile": render_caddy(plan, deploy, public_root, answers)},
        "netlify": lambda: {
            f"deploy/netlify/{name}": text for name, text in render_netlify(plan, deploy).items()
        },
    }
    for target in targets:
        messages = _target_problems(target, plan, settings, answers)
        if target == "netlify" and messages and deploy.targets is None:
            continue  # not asked for by name, and it cannot be written: leave it out
        problems.extend(Problem("host-config", message) for message in messages)
        if target == "netlify" and messages:
            continue
        try:
            files.update(writers[target]())
        except UnsafeValue as e:
            problems.append(Problem("host-config", f"{target} config not written: {e}"))
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return problems


def _target_problems(
    target: str, plan: DeployPlan, settings: BuildSettings, answers: CaddyAnswers | None
) -> list[str]:
    if target == "caddy" and answers is not None:
        return caddy_problems(answers)
    if target == "netlify":
        return netlify_problems(plan, settings.deploy)
    return []


def routes_document(plan: DeployPlan) -> dict[str, t.Any]:
    """``server/routes.json``: the dynamic rules and how the host configs match them."""
    return {
        "version": 1,
        "base_url": plan.prefix,
        "fallback_to_app": plan.fallback_to_app,
        "dynamic": [
            {
                "endpoint": route.endpoint,
                "rule": route.rule,
                "methods": list(route.methods),
                "path_regex": to_regex(route.pattern, plan.prefix) if route.pattern else None,
                "netlify": to_netlify(route.pattern, plan.prefix) if route.pattern else None,
                "problem": route.problem,
            }
            for route in plan.app_routes
        ],
    }
