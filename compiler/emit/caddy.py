"""The Caddy target: ``deploy/Caddyfile``, a whole Caddy configuration for this site.

In a Caddyfile string ``\\"`` is a quote and ``\\{`` ``\\}`` are braces that start no
placeholder; other backslashes stay as they are. Two things cannot be written at all:
``{$`` (Caddy replaces ``{$NAME}`` with an environment variable before it reads the
file) and a backslash that ends a string. A file whose URL, name or headers need them is
left to the app, which answers it as the runtime does, and the build says so. So is a
file whose name holds ``?`` or ``#``, which ``rewrite`` would read as a query or fragment.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from ..project import DeploySettings
from .patterns import to_regex
from .plan import DeployPlan
from .plan import HostRedirect
from .plan import ServedFile
from .render import UnsafeValue
from .render import refuse_control_characters
from .render import render_template


def quoted(value: str) -> str:
    """A quoted Caddyfile string in which placeholders are not expanded."""
    text = _checked(value)
    return '"' + text.replace('"', '\\"').replace("{", "\\{").replace("}", "\\}") + '"'


def quoted_regex(value: str) -> str:
    """A quoted Caddyfile string holding a regex (its ``\\{`` stay regex escapes)."""
    return '"' + _checked(value).replace('"', '\\"') + '"'


def _checked(value: str) -> str:
    refuse_control_characters(value, "Caddyfile string")
    if "{$" in value:
        raise UnsafeValue(f"{value!r}: Caddy reads '{{$' as an environment variable")
    if value.endswith("\\") or '\\"' in value:
        raise UnsafeValue(f"{value!r}: a backslash before a quote cannot be written")
    return value


def upstream_address(upstream: str) -> str:
    """``reverse_proxy``'s address for ``host:port`` or ``unix:/path``."""
    if upstream.startswith("unix:"):
        return "unix/" + upstream[len("unix:") :]
    return upstream


@dataclass
class CaddyAnswers:
    """The files and redirects Caddy answers, and the paths it leaves to the app, with why."""

    files: list[ServedFile] = field(default_factory=list)
    redirects: list[HostRedirect] = field(default_factory=list)
    left_to_app: list[tuple[str, str]] = field(default_factory=list)


def sort_answers(plan: DeployPlan) -> CaddyAnswers:
    answers = CaddyAnswers()
    # Most header values repeat from file to file: each is checked once.
    unsafe: dict[str, str | None] = {}

    def why_unsafe(value: str) -> str | None:
        if value not in unsafe:
            try:
                _checked(value)
                unsafe[value] = None
            except UnsafeValue as e:
                unsafe[value] = str(e)
        return unsafe[value]

    for served in plan.files:
        if "?" in served.file or "#" in served.file:
            why = f"{served.file!r}: rewrite reads '?' and '#' as URL parts"
        else:
            values = (served.path, served.file, *served.headers.values())
            why = next(filter(None, map(why_unsafe, values)), None)
        if why is None:
            answers.files.append(served)
        else:
            answers.left_to_app.append((served.path, why))
    for redirect in plan.redirects:
        why = why_unsafe(redirect.path) or why_unsafe(redirect.location)
        if why is None:
            answers.redirects.append(redirect)
        else:
            answers.left_to_app.append((redirect.path, why))
    return answers


def listen_parts(listen: str) -> tuple[str, str]:
    """``(host, port)`` of nginx-style ``listen`` (``80``, ``127.0.0.1:8080``)."""
    host, _, port = listen.rpartition(":")
    return host, port


def render_caddy(
    plan: DeployPlan,
    settings: DeploySettings,
    public_root: str,
    answers: CaddyAnswers | None = None,
) -> str:
    """The Caddyfile; ``answers`` is :func:`sort_answers` of ``plan``, when known."""
    answers = sort_answers(plan) if answers is None else answers
    host, port = listen_parts(settings.listen)
    return render_template(
        "Caddyfile.j2",
        {"q": quoted, "regex": lambda p: quoted_regex(to_regex(p, plan.prefix))},
        plan=plan,
        answers=answers,
        settings=settings,
        address=f"http://{settings.server_name or ''}:{port}",
        bind=host,
        public_root=public_root,
        upstream=upstream_address(settings.upstream),
        fallback_to_app=plan.fallback_to_app or bool(answers.left_to_app),
    )


def caddy_problems(answers: CaddyAnswers) -> list[str]:
    return [
        f"Caddyfile: {path} is left to the WSGI server, which answers it as the runtime does: {why}"
        for path, why in answers.left_to_app
    ]
