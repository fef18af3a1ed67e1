"""What user code can tell ``sitec build`` that analysis cannot know.

Import it in the app; it has no dependencies and does nothing at request time::

    from sitec.compiler.hints import dynamic_page, static_page, url_values

    @app.get("/about/")
    @static_page(reason="reads request.args only to log a campaign tag")
    def about(): ...

    @url_values("blog.post")
    def post_slugs():
        for post in load_posts():
            yield {"slug": post.slug}

A forced decision is shown in the build report with its reason and place. It is
the user's word against both the analysis and the render-time proof: a page forced
static is written even when its render reads the request, and every such read is
reported as a warning naming the override, so the report shows what was overridden.
"""

from __future__ import annotations

import sys
import typing as t
from dataclasses import dataclass

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: The attribute a forced decision is stored in, on the view function or class.
DECISION_ATTRIBUTE = "__sitec_decision__"


@dataclass(frozen=True)
class ForcedDecision:
    """A decision set in code, with the reason given and where it was set."""

    decision: t.Literal["static", "dynamic"]
    reason: str
    file: str
    line: int


def _caller_place(depth: int) -> tuple[str, int]:
    frame = sys._getframe(depth + 1)
    return frame.f_code.co_filename, frame.f_lineno


def _forcing(decision: t.Literal["static", "dynamic"], reason: str) -> t.Callable[[F], F]:
    if not reason or not reason.strip():
        raise ValueError(f"{decision}_page() needs a reason, so the build report can show it.")
    file, line = _caller_place(2)
    forced = ForcedDecision(decision, reason.strip(), file, line)

    def decorate(view: F) -> F:
        setattr(view, DECISION_ATTRIBUTE, forced)
        return view

    return decorate


def static_page(*, reason: str) -> t.Callable[[F], F]:
    """Pre-render this view even though analysis would keep it dynamic.

    The render-time check still runs, but only to report: each request read it
    sees (and a cookie set, or a ``Vary`` header) is a warning that names this
    override, even under ``--strict``, and the page is written all the same.
    """
    return _forcing("static", reason)


def dynamic_page(*, reason: str) -> t.Callable[[F], F]:
    """Never pre-render this view, whatever analysis finds."""
    return _forcing("dynamic", reason)


@dataclass(frozen=True)
class UrlValues:
    """A registered generator of URL values for one endpoint."""

    endpoint: str
    function: t.Callable[[], t.Iterable[t.Any]]
    file: str
    line: int


_registry: list[UrlValues] = []


def url_values(endpoint: str) -> t.Callable[[F], F]:
    """Register a function yielding the URL values of ``endpoint`` to pre-render.

    The function is called during the build inside an app context; it yields
    dicts of URL arguments (``{"slug": "hello"}``) or ready URL paths
    (``"/posts/hello/"``).
    """
    file, line = _caller_place(1)

    def register(function: F) -> F:
        _registry.append(UrlValues(endpoint, function, file, line))
        return function

    return register


def registered_url_values() -> list[UrlValues]:
    """Every generator registered so far, in registration order."""
    return list(_registry)
