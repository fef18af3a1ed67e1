"""The plain data that flows between the compiler's stages.

load -> analyse (``RouteAnalysis`` per endpoint) -> discover (``UrlCandidate``)
-> render (``RenderedPage``) -> write (``WrittenFile``) -> manifest and report.
Every stage takes and returns these types, so each can be tested alone.
"""

from __future__ import annotations

import typing as t
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

Decision = t.Literal["static", "dynamic"]

#: The classes of build problems, each with a policy (``fail``, ``warn``,
#: ``ignore``) set in ``[tool.sitec.problems]``.
PROBLEM_KINDS: dict[str, str] = {
    "bad-status": "a static URL answered with a status other than 200 or a redirect",
    "render-error": "rendering a static URL raised an exception",
    "no-urls": "a static endpoint with URL arguments had no URL discovered for it",
    "request-read": "a render read request-bound state, so its endpoint was made dynamic",
    "not-cacheable": "a response set a cookie or varies on request headers",
    "type-mismatch": "a response's content type does not match the file name its URL gives",
    "file-collision": "two URLs map to one file",
    "folder-collision": "a file and a folder need the same path",
    "unsafe-path": "a URL would write outside the output folder",
    "host-config": "a route or file the generated host configs cannot express",
}

Policy = t.Literal["fail", "warn", "ignore"]

#: Policies when the project sets none. A request read only demotes its
#: endpoint to dynamic, which is safe; ``--strict`` turns it into a failure.
DEFAULT_POLICIES: dict[str, Policy] = {kind: "fail" for kind in PROBLEM_KINDS} | {
    "request-read": "warn",
    "host-config": "warn",
}


@dataclass(frozen=True)
class Evidence:
    """One reason for a decision, and where it comes from.

    ``file`` is relative to the project root with ``/`` separators (or a
    template name, for templates); ``via`` names the path from the endpoint to
    the place, e.g. ``"before_request load_user"`` or ``"template base.html"``.
    """

    message: str
    file: str | None = None
    line: int | None = None
    via: str | None = None

    def to_json(self) -> dict[str, t.Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    def where(self) -> str:
        """``file:line`` or ``file`` or an empty string."""
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass
class RouteAnalysis:
    """The analysis of one URL rule: a decision with its reasons."""

    endpoint: str
    rule: str
    methods: tuple[str, ...]
    #: Names of the rule's URL arguments, in order of appearance.
    arguments: tuple[str, ...]
    decision: Decision
    #: Why the route is dynamic; for a forced decision, the override itself.
    reasons: list[Evidence] = field(default_factory=list)
    #: Things the analysis noted that do not change the decision.
    notes: list[Evidence] = field(default_factory=list)
    #: Reads of the request that the URL determines (``request.path``,
    #: ``request.endpoint``): the same for every visitor, so the page stays static.
    url_reads: list[Evidence] = field(default_factory=list)
    #: Templates the endpoint can render, through extends/include/import too.
    templates: tuple[str, ...] = ()
    #: ``"static"`` or ``"dynamic"`` when user code forced the decision.
    override: Decision | None = None


@dataclass(frozen=True)
class UrlCandidate:
    """A URL to pre-render and how it was found."""

    url: str
    #: ``rule``, ``defaults``, ``url_for``, ``crawl`` or ``generator``.
    source: str
    #: Where it was found: a ``file:line`` for code, the linking page for a crawl.
    origin: str | None = None


@dataclass
class RenderedPage:
    """What rendering one URL in-process produced."""

    url: str
    endpoint: str | None
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    #: Request-bound state the render read, with where it was read.
    reads: list[Evidence] = field(default_factory=list)
    #: Templates rendered (and those they extend, include or import).
    templates: list[str] = field(default_factory=list)
    #: Files opened through the app while rendering, relative to the project.
    files: list[str] = field(default_factory=list)
    #: Folders listed while rendering (a new post shows in an index), relative to the project.
    folders: list[str] = field(default_factory=list)
    #: Same-site URLs the page links to or built with ``url_for``.
    links: list[str] = field(default_factory=list)
    #: The formatted exception when the render raised.
    error: str | None = None
    #: Reads made only to fill ``g`` attributes the analysis found this page
    #: does not use (a ``before_request`` loading ``g.user``): not in ``reads``.
    g_feeding_reads: list[Evidence] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


@dataclass
class ReusedPage(RenderedPage):
    """A page of the last build that nothing changed (see :mod:`sitec.compiler.graph`):
    it is taken as it was, and a 200 page's bytes are the last output's file ``source``."""

    source: Path | None = None
    sha256: str = ""
    size: int = 0


@dataclass(frozen=True)
class WrittenFile:
    """A file of the static tree: the URL it answers and the headers to replay."""

    url: str
    #: Relative to the static root, ``/`` separators.
    file: str
    sha256: str
    size: int
    headers: dict[str, str]


@dataclass(frozen=True)
class Redirect:
    """A static URL that answers with a redirect, for host configs to replay."""

    url: str
    location: str
    status: int


@dataclass(frozen=True)
class Problem:
    """Something wrong with the build, reported with everything known about it."""

    kind: str
    message: str
    url: str | None = None
    endpoint: str | None = None
    #: The first page that linked to ``url``.
    referrer: str | None = None
    evidence: Evidence | None = None
    #: How ``url`` was found when no page linked to it first: ``"url_for at
    #: index.html:3"``, ``"the url_values generator at app.py:40"``.
    found_by: str | None = None
    #: What went wrong, the same text for every URL or endpoint it hit (one broken
    #: data file fails every page that reads it): the report shows such problems as one.
    cause: str | None = None
