"""``sitec build``: the pipeline from settings to a committed output folder.

load -> analyse -> discover -> render (crawling as it goes) -> check -> write.
Every problem is collected and reported at once; any problem whose policy is
``fail`` leaves the previous output untouched.
"""

from __future__ import annotations

import collections
import contextlib
import time
import typing as t
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from werkzeug.datastructures import ResponseCacheControl
from werkzeug.routing import Rule

from sitec.runtime import Flask
from sitec.runtime.scaffold import Scaffold

from . import paths
from .analyse import analyse_app
from .discover import SiteMap
from .discover import is_static_folder_endpoint
from .discover import seed_urls
from .emit import emit_bundle
from .load import load_app
from .manifest import build_manifest
from .model import Evidence
from .model import Problem
from .model import Redirect
from .model import RenderedPage
from .model import ReusedPage
from .model import RouteAnalysis
from .model import UrlCandidate
from .model import WrittenFile
from .output import PathCollision
from .output import StagedOutput
from .output import check_writable
from .project import BuildSettings
from .render import RenderPool

if t.TYPE_CHECKING:  # pragma: no cover
    from .graph.memory import BuildMemory

#: The path rendered to produce ``404.html``; it matches no rule of any sane app.
NOT_FOUND_PROBE = "/__sitec__/not-found"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass
class BuildResult:
    """What a build did, for the report and for tests."""

    settings: BuildSettings
    routes: list[RouteAnalysis]
    #: Files written per rule, keyed by ``(endpoint, rule)``.
    files: dict[tuple[str, str], list[WrittenFile]] = field(default_factory=dict)
    redirects: list[Redirect] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    not_found_page: str | None = None
    #: Files of static folders that were not published, with the reason.
    skipped_static: list[str] = field(default_factory=list)
    seconds: float = 0.0
    committed: bool = False
    #: Pages rendered, and pages taken from the last build as they were.
    rendered: int = 0
    reused: int = 0
    #: Why every page was rendered, when the build had a memory and they all were.
    why_all: str | None = None

    def failures(self) -> list[Problem]:
        return [p for p in self.problems if self.policy_of(p) == "fail"]

    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if self.policy_of(p) == "warn"]

    def policy_of(self, problem: Problem) -> str:
        route = self.route(problem.endpoint) if problem.endpoint else None
        if problem.kind == "request-read" and route is not None and route.override == "static":
            return "fail"  # forced static, yet it read the request: the override is wrong
        return self.settings.policy(problem.kind)

    def route(self, endpoint: str) -> RouteAnalysis | None:
        for route in self.routes:
            if route.endpoint == endpoint:
                return route
        return None

    @property
    def page_count(self) -> int:
        return sum(len(files) for files in self.files.values())

    @property
    def byte_count(self) -> int:
        return sum(f.size for files in self.files.values() for f in files)


class _Crawl:
    """The URLs to render, found before and while rendering, each once."""

    def __init__(
        self, site: SiteMap, problems: list[Problem], memory: BuildMemory | None = None
    ) -> None:
        self.site = site
        self.problems = problems
        self.memory = memory
        self.found: dict[str, UrlCandidate] = {}
        self.route_of: dict[str, RouteAnalysis] = {}
        #: URLs still to render; the render pool takes them as it goes.
        self.queue: collections.deque[str] = collections.deque()
        #: Pages of the last build that stand as they were; their links are still to follow.
        self.reused: collections.deque[ReusedPage] = collections.deque()

    def offer(self, candidate: UrlCandidate, referrer: str | None = None) -> None:
        url = candidate.url
        if url in self.found:
            return
        self.found[url] = candidate
        target = self.site.match(url)
        if target is None:
            if referrer is not None:
                self.problems.append(
                    Problem(
                        "bad-status",
                        f"{referrer} links to {url}, which no route answers (404)",
                        url=url,
                        referrer=referrer,
                    )
                )
            return
        if target.redirect_to is not None:
            # The runtime redirects it (a missing trailing slash): render the target.
            self.offer(UrlCandidate(target.redirect_to, candidate.source, candidate.origin))
            return
        route = target.route
        if route is None or route.decision != "static":
            return
        if is_static_folder_endpoint(route.endpoint):
            return
        self.route_of[url] = route
        reused = self.memory.reuse(url, route.endpoint) if self.memory is not None else None
        if reused is not None:
            self.reused.append(reused)
        else:
            self.queue.append(url)

    def pages(self, pool: RenderPool) -> t.Iterator[RenderedPage]:
        """Reused and rendered pages until the crawl finds nothing new; the caller offers
        each page's links before taking the next."""
        while self.queue or self.reused:
            while self.reused:
                yield self.reused.popleft()
            for page in pool.render(self.queue):
                yield page
                while self.reused:
                    yield self.reused.popleft()

    def referrer_of(self, url: str) -> str | None:
        """The page that linked to ``url``, when a crawl found it."""
        candidate = self.found.get(url)
        if candidate is None or candidate.source != "crawl":
            return None
        return candidate.origin


def build(
    settings: BuildSettings,
    progress: t.Callable[[int], None] | None = None,
    memory: BuildMemory | None = None,
    app: Flask | None = None,
) -> BuildResult:
    """Run the whole build; the caller reports the result and picks the exit code.

    With a ``memory`` (:mod:`sitec.compiler.graph`), pages whose inputs did not change
    since the last build are taken from it, and the new build is recorded for the next.
    ``app`` is the app already loaded (the dev server keeps it between builds).
    """
    started = time.perf_counter()
    check_writable(settings.output)
    if app is None:
        with memory.creating_app() if memory is not None else contextlib.nullcontext():
            app = load_app(settings)
    app.config["SITEC_ROUTES"] = dict(settings.routes)
    analysis = analyse_app(app, settings.project_root)
    result = BuildResult(settings, analysis.routes)
    if memory is not None:
        memory.prepare(app, [(prefix, folder) for _, _, prefix, folder in _static_folders(app)])
        result.why_all = memory.why_all

    site = SiteMap(app, settings.address, analysis)
    crawl = _Crawl(site, result.problems, memory)
    with memory.discovering() if memory is not None else contextlib.nullcontext():
        seeds = seed_urls(site, analysis, settings.project_root, result.problems)
    for candidate in seeds:
        crawl.offer(candidate)

    pages: dict[str, RenderedPage] = {}
    not_found: RenderedPage | None = None
    with RenderPool(
        app,
        jobs=settings.jobs,
        base_url=settings.address.path,
        project_root=settings.project_root,
    ) as pool:
        # One run over a queue the crawl keeps feeding: workers never wait
        # for a "wave" of links to finish.
        for page in crawl.pages(pool):
            page.endpoint = crawl.route_of[page.url].endpoint
            pages[page.url] = page
            if memory is not None:
                memory.note_rendered(page)
            if progress is not None:
                progress(len(pages))
            for link in _links_of(page, site):
                crawl.offer(UrlCandidate(link, "crawl", page.url), referrer=page.url)
        if _has_not_found_handler(app):
            not_found = next(iter(pool.render([NOT_FOUND_PROBE])))
            if memory is not None:
                memory.note_rendered(not_found)

    # In URL order, so the build's result does not depend on which worker was first.
    pages = dict(sorted(pages.items()))
    _drop_g_feeding_reads(pages.values(), analysis.g_feeding_reads)
    kept = _judge_pages(pages, crawl, result)
    _report_endpoints_without_urls(result, crawl)

    previous = memory.previous_output() if memory is not None else None
    with StagedOutput(
        settings.output, project_root=settings.project_root, previous=previous
    ) as output:
        _write_pages(kept, crawl, output, result)
        _copy_static_folders(app, output, result)
        not_found_headers = None
        if not_found is not None and _usable_not_found(not_found, result):
            written = output.write("404.html", not_found.body, headers=not_found.headers)
            result.not_found_page, not_found_headers = written.file, written.headers
        manifest = build_manifest(
            routes=result.routes,
            files=result.files,
            redirects=result.redirects,
            base_url=settings.address.path,
            not_found=result.not_found_page,
            not_found_headers=not_found_headers,
            static_folders=[(prefix, folder) for _, _, prefix, folder in _static_folders(app)],
            project_root=settings.project_root,
        )
        output.write_json("manifest.json", manifest)
        result.problems += emit_bundle(
            output.staging,
            manifest,
            app.url_map,
            settings,
            max_body=app.config.get("MAX_CONTENT_LENGTH"),
        )
        if not result.failures():
            output.commit()
            result.committed = True

    if memory is not None:
        result.rendered, result.reused = memory.rendered, memory.reused
        if result.committed:
            memory.committed(result)
    result.seconds = time.perf_counter() - started
    return result


def _links_of(page: RenderedPage, site: SiteMap) -> list[str]:
    links = list(page.links)
    location = page.header("Location")
    if page.status in REDIRECT_STATUSES and location:
        target = site._strip_origin(location)
        if target is not None:
            links.append(target)
    return links


def _has_not_found_handler(app: Flask) -> bool:
    spec = app.error_handler_spec.get(None, {})
    return bool(spec.get(404))


def _usable_not_found(page: RenderedPage, result: BuildResult) -> bool:
    """Whether the 404 handler's page can be ``404.html``; a problem says why not."""
    if page.reads:
        read = page.reads[0]
        result.problems.append(
            Problem(
                "request-read",
                f"the 404 page {read.message}, so 404.html was not written;"
                " the WSGI server answers unknown URLs",
                evidence=read,
            )
        )
        return False
    if page.status != 404 or page.error is not None:
        result.problems.append(
            Problem(
                "bad-status",
                f"the app's 404 handler answered {page.status} instead of 404;"
                " 404.html was not written",
                url=page.url,
            )
        )
        return False
    return True


def _drop_g_feeding_reads(pages: t.Iterable[RenderedPage], g_feeding: set[tuple[str, int]]) -> None:
    """Forget reads that only fed ``g`` attributes the (static) page never uses.

    Such a read of the session also made the runtime add ``Vary: Cookie``;
    when nothing else was read, the page does not vary on the cookie, so that
    ``Vary`` entry goes too.
    """
    for page in pages:
        kept = [read for read in page.reads if (read.file, read.line) not in g_feeding]
        if len(kept) < len(page.reads) and not kept:
            page.headers = [_without_cookie_vary(header) for header in page.headers]
            page.headers = [(name, value) for name, value in page.headers if value]
        page.reads = kept


def _without_cookie_vary(header: tuple[str, str]) -> tuple[str, str]:
    name, value = header
    if name.lower() != "vary":
        return header
    kept = [part.strip() for part in value.split(",") if part.strip().lower() != "cookie"]
    return name, ", ".join(kept)


def _judge_pages(
    pages: dict[str, RenderedPage], crawl: _Crawl, result: BuildResult
) -> list[RenderedPage]:
    """Sort the rendered pages into files, redirects and problems; demote endpoints
    whose pages depended on the request."""
    demoted: dict[str, list[Evidence]] = {}
    for page in pages.values():
        evidence = [
            Evidence(f"{read.message} while rendering {page.url}", read.file, read.line, read.via)
            for read in page.reads
        ]
        if evidence and page.endpoint not in demoted:
            result.problems.append(
                Problem(
                    "request-read",
                    f"{page.endpoint} made dynamic: {evidence[0].message}",
                    page.url,
                    page.endpoint,
                    evidence=evidence[0],
                )
            )
        # A read already demotes the page; its Vary: Cookie (it read the session) is no news.
        judged = page.status != 200 or page.reads
        reason = None if judged else paths.not_cacheable_reason(page.headers)
        if reason is not None:
            evidence.append(Evidence(f"{page.url}: {reason}, so it cannot be a file"))
            result.problems.append(
                Problem("not-cacheable", f"{page.url}: {reason}", page.url, page.endpoint)
            )
        if evidence:
            demoted.setdefault(page.endpoint or "", []).extend(evidence)

    for endpoint, reasons in demoted.items():
        for route in result.routes:
            if route.endpoint == endpoint:
                route.decision = "dynamic"
                route.reasons.extend(reasons)

    kept = []
    for page in pages.values():
        if page.endpoint in demoted:
            continue
        referrer = crawl.referrer_of(page.url)
        if page.error is not None:
            result.problems.append(
                Problem(
                    "render-error",
                    f"{page.url} raised while rendering: {page.error}",
                    page.url,
                    page.endpoint,
                    referrer,
                )
            )
        elif page.status in REDIRECT_STATUSES:
            result.redirects.append(Redirect(page.url, page.header("Location") or "", page.status))
        elif page.status != 200:
            result.problems.append(
                Problem(
                    "bad-status",
                    f"{page.url} answered {page.status}",
                    page.url,
                    page.endpoint,
                    referrer,
                )
            )
        else:
            kept.append(page)
    return kept


def _report_endpoints_without_urls(result: BuildResult, crawl: _Crawl) -> None:
    rendered = {route.endpoint for route in crawl.route_of.values()}
    for route in result.routes:
        if (
            route.decision == "static"
            and route.arguments
            and "GET" in route.methods
            and not is_static_folder_endpoint(route.endpoint)
            and route.endpoint not in rendered
        ):
            result.problems.append(
                Problem(
                    "no-urls",
                    f"{route.endpoint} ({route.rule}) is static but no URL of it was found:"
                    " link to it, call url_for with literal values, or register a"
                    " url_values generator",
                    endpoint=route.endpoint,
                )
            )


def _write_pages(
    pages: list[RenderedPage], crawl: _Crawl, output: StagedOutput, result: BuildResult
) -> None:
    for page in sorted(pages, key=lambda p: p.url):
        content_type = page.header("Content-Type")
        try:
            file = paths.file_for_url(page.url, content_type)
            if isinstance(page, ReusedPage) and page.source is not None:
                written = output.keep(
                    file,
                    page.source,
                    url=page.url,
                    headers=page.headers,
                    sha256=page.sha256,
                    size=page.size,
                )
            else:
                written = output.write(file, page.body, url=page.url, headers=page.headers)
        except paths.UnsafePath as e:
            result.problems.append(Problem("unsafe-path", str(e), page.url, page.endpoint))
            continue
        except PathCollision as e:
            result.problems.append(Problem(e.kind, str(e), page.url, page.endpoint))
            continue
        mismatch = paths.type_mismatch(page.url, file, content_type)
        if mismatch is not None:
            result.problems.append(Problem("type-mismatch", mismatch, page.url, page.endpoint))
        route = crawl.route_of[page.url]
        result.files.setdefault((route.endpoint, route.rule), []).append(written)


def _static_folders(app: Flask) -> list[tuple[Rule, Scaffold, str, Path]]:
    """(rule, owner, URL prefix, folder) of the app's and every blueprint's static files."""
    folders = []
    for rule in app.url_map.iter_rules():
        if not is_static_folder_endpoint(rule.endpoint):
            continue
        owner = (
            app
            if rule.endpoint == "static"
            else app.blueprints.get(rule.endpoint.rpartition(".")[0])
        )
        if owner is None or owner.static_folder is None:
            continue
        prefix = rule.rule.rsplit("/<", 1)[0]
        folders.append((rule, owner, prefix, Path(owner.static_folder)))
    return folders


def _static_caching(app: Flask, owner: Scaffold) -> dict[str, str]:
    """The ``Cache-Control`` the runtime sends with ``owner``'s static files, as
    ``send_file`` derives it from ``get_send_file_max_age`` (``SEND_FILE_MAX_AGE_DEFAULT``)."""
    with app.app_context():
        max_age = owner.get_send_file_max_age(None)
    caching = ResponseCacheControl()
    caching.no_cache = True
    if max_age is not None:
        if max_age > 0:
            caching.no_cache = None
            caching.public = True
        caching.max_age = max_age
    return {"Cache-Control": caching.to_header()}


def _copy_static_folders(app: Flask, output: StagedOutput, result: BuildResult) -> None:
    for rule, owner, prefix, folder in _static_folders(app):
        if not folder.is_dir():
            continue
        copied = output.copy_tree(folder, prefix, headers=_static_caching(app, owner))
        result.files.setdefault((rule.endpoint, rule.rule), []).extend(copied.files)
        result.skipped_static.extend(
            f"{folder / name}: {reason}" for name, reason in copied.skipped
        )
