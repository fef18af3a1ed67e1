"""``sitec build``: the pipeline from settings to a committed output folder.

load -> analyse -> discover -> render (crawling as it goes) -> check -> write.
Every problem is collected and reported at once; any problem whose policy is
``fail`` leaves the previous output untouched.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import time
import typing as t
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from werkzeug.exceptions import NotFound

from sitec.runtime import Flask

from . import paths
from .analyse import analyse_app
from .discover import SiteMap
from .discover import is_static_folder_endpoint
from .discover import seed_urls
from .emit import emit_bundle
from .fingerprint import long_lived
from .forked import ForkedCall
from .frozen import frozen
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
from .output import check_replaceable
from .output import check_writable
from .output import static_tree
from .project import BuildSettings
from .project import check_route_overrides
from .render import RenderPool

if t.TYPE_CHECKING:  # pragma: no cover
    from .graph.memory import BuildMemory
    from .graph.record import BuildRecord

#: The path rendered to produce ``404.html``; it matches no rule of any sane app.
NOT_FOUND_PROBE = "/__sitec__/not-found"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Pages between two freezes of what the build holds (see frozen.py).
_FREEZE_EVERY = 2000
#: What the render-time proof finds that forcing a route static overrides.
_OVERRIDABLE = frozenset({"request-read", "not-cacheable"})


@dataclass
class BuildResult:
    """What a build did, for the report and for tests."""

    settings: BuildSettings
    routes: list[RouteAnalysis]
    #: Files written per rule, keyed by ``(endpoint, rule)``.
    files: dict[tuple[str, str], list[WrittenFile]] = field(default_factory=dict)
    redirects: list[Redirect] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: ``404.html``, when the app's 404 handler could be written as one.
    not_found_page: WrittenFile | None = None
    #: Files of static folders that were not published, with the reason.
    skipped_static: list[str] = field(default_factory=list)
    seconds: float = 0.0
    committed: bool = False
    #: Pages rendered, and pages taken from the last build as they were.
    rendered: int = 0
    reused: int = 0
    #: Why every page was rendered, when the build had a memory and they all were.
    why_all: str | None = None
    #: The inputs that changed since the last build, when it had a memory.
    changed: str = ""

    def failures(self) -> list[Problem]:
        return [p for p in self.problems if self.policy_of(p) == "fail"]

    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if self.policy_of(p) == "warn"]

    def policy_of(self, problem: Problem) -> str:
        policy = self.settings.policy(problem.kind)
        route = self.route(problem.endpoint) if problem.endpoint else None
        if route is not None and route.override == "static" and problem.kind in _OVERRIDABLE:
            # Forced static: the page was written on the user's word; a warning
            # shows what was overridden (even under --strict), unless ignored.
            return "ignore" if policy == "ignore" else "warn"
        return policy

    def route(self, endpoint: str) -> RouteAnalysis | None:
        for route in self.routes:
            if route.endpoint == endpoint:
                return route
        return None


#: How a URL found before rendering is named in a problem.
_FOUND_BY = {"url_for": "url_for at {}", "generator": "the url_values generator at {}"}


class _Crawl:
    """The URLs to render, found before and while rendering, each once."""

    def __init__(
        self, site: SiteMap, problems: list[Problem], memory: BuildMemory | None = None
    ) -> None:
        self.site = site
        self.problems = problems
        self.memory = memory
        self.found: dict[str, UrlCandidate] = {}
        #: The first page that linked to each URL, however the URL was found first.
        self.linked_from: dict[str, str] = {}
        self.route_of: dict[str, RouteAnalysis] = {}
        #: URLs still to render; the render pool takes them as it goes.
        self.queue: collections.deque[str] = collections.deque()
        #: URLs of static folders the site links to, with their endpoint.
        self.static_links: dict[str, str] = {}
        #: Pages of the last build that stand as they were; their links are still to follow.
        self.reused: collections.deque[ReusedPage] = collections.deque()

    def offer(self, candidate: UrlCandidate, referrer: str | None = None) -> None:
        url = candidate.url
        if referrer is not None:
            self.linked_from.setdefault(url, referrer)
        if url in self.found:
            return
        self.found[url] = candidate
        target = self.site.match(url)
        if target is None:
            self.problems.append(self.broken_link(url, "no route answers"))
            return
        if target.redirect_to is not None:
            # The runtime redirects it (a missing trailing slash): render the target.
            self.offer(UrlCandidate(target.redirect_to, candidate.source, candidate.origin))
            return
        route = target.route
        if route is None or route.decision != "static":
            return
        if is_static_folder_endpoint(route.endpoint):
            self.static_links.setdefault(url, route.endpoint)  # checked once the folders are read
            return
        self.route_of[url] = route
        reused = self.memory.reuse(url, route.endpoint) if self.memory is not None else None
        if reused is not None:
            self.reused.append(reused)
        else:
            self.queue.append(url)

    def follow(self, page: RenderedPage) -> None:
        """Offer the links of ``page``; a link some page offered already is no news."""
        for link in page.links:
            if link not in self.linked_from:
                self.offer(UrlCandidate(link, "crawl", page.url), referrer=page.url)

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

    def report_missing_static_files(self, published: t.Collection[str]) -> None:
        """A link to a static-folder URL with no file is a broken link like any other."""
        for url, endpoint in self.static_links.items():
            if url not in published:
                why = "no file of the static folder answers"
                self.problems.append(self.broken_link(url, why, endpoint))

    def broken_link(self, url: str, why: str, endpoint: str | None = None) -> Problem:
        """The 404 of a URL the site links to (or the build was given), and why."""
        referrer = self.linked_from.get(url)
        message = f"{referrer} links to {url}, which" if referrer else f"{url}:"
        return self.problem("bad-status", f"{message} {why} (404)", url, endpoint)

    def problem(
        self,
        kind: str,
        message: str,
        url: str,
        endpoint: str | None = None,
        evidence: Evidence | None = None,
        cause: str | None = None,
    ) -> Problem:
        """A problem of ``url``, with the page that linked to it or how it was found."""
        candidate = self.found.get(url)
        found_by = None
        if candidate is not None and candidate.source in _FOUND_BY and candidate.origin:
            found_by = _FOUND_BY[candidate.source].format(candidate.origin)
        return Problem(
            kind,
            message,
            url,
            endpoint,
            self.linked_from.get(url),
            evidence=evidence,
            found_by=found_by,
            cause=cause,
        )


def build(
    settings: BuildSettings,
    progress: t.Callable[[int, int], None] | None = None,
    memory: BuildMemory | None = None,
    app: Flask | None = None,
) -> BuildResult:
    """Run the whole build; the caller reports the result and picks the exit code.

    ``progress(rendered, known)`` is called after each page: pages rendered so far,
    and URLs known to render so far (it grows as the crawl finds links).

    With a ``memory`` (:mod:`sitec.compiler.graph`), pages whose inputs did not change
    since the last build are taken from it, and the new build is recorded for the next.
    ``app`` is the app already loaded (the dev server keeps it between builds).
    """
    started = time.perf_counter()
    if app is None:
        # Before the app is imported: a wrong -o fails in a second. (The staged output
        # checks it again, as it does for an app loaded already.)
        check_writable(settings.output)
        check_replaceable(settings.output, project_root=settings.project_root, force=False)
        with memory.creating_app() if memory is not None else contextlib.nullcontext():
            app = load_app(settings)
    # The app and all its creation loaded live as long as the build: the collector's
    # full passes leave them alone (in a build forked from a dev session, such a pass
    # walked every post the factory read, 15-35 ms, and copied their memory).
    with frozen():
        result = _build_app(app, settings, progress, memory)
    result.seconds = time.perf_counter() - started
    return result


def _build_app(
    app: Flask,
    settings: BuildSettings,
    progress: t.Callable[[int, int], None] | None,
    memory: BuildMemory | None,
) -> BuildResult:
    check_route_overrides(settings, app.view_functions)
    app.config["SITEC_ROUTES"] = dict(settings.routes)
    analysis = analyse_app(app, settings.project_root)
    result = BuildResult(settings, analysis.routes)
    if memory is not None:
        memory.prepare(app)
        result.why_all = memory.why_all
        result.changed = memory.changes.describe(settings.project_root)

    site = SiteMap(app, settings.address, analysis)
    crawl = _Crawl(site, result.problems, memory)
    with memory.discovering() if memory is not None else contextlib.nullcontext():
        seeds = seed_urls(site, analysis, settings.project_root, result.problems)
    for candidate in seeds:
        crawl.offer(candidate)

    pages: dict[str, RenderedPage] = {}
    not_found: RenderedPage | None = None
    gc.freeze()  # the analysis, shared with the render workers
    with (
        StagedOutput(
            settings.output,
            project_root=settings.project_root,
            previous=memory.previous_output() if memory is not None else None,
            spare=memory.spare if memory is not None else None,
            spare_listing=memory.spare_listing if memory is not None else None,
        ) as output,
        RenderPool(
            app,
            jobs=settings.jobs,
            base_url=settings.address.url,
            project_root=settings.project_root,
            g_feeding=analysis.g_feeding_reads,
            templates=_templates_to_share(analysis.routes),
            compiled=memory.compiled_templates if memory is not None else None,
        ) as pool,
    ):
        early = _EarlyFiles(output)
        # One run over a queue the crawl keeps feeding: workers never wait
        # for a "wave" of links to finish.
        for page in crawl.pages(pool):
            page.endpoint = crawl.route_of[page.url].endpoint
            pages[page.url] = page
            if memory is not None:
                memory.note_rendered(page)
            if progress is not None:
                progress(len(pages), len(crawl.route_of))
            crawl.follow(page)
            page.links = []  # followed: ten thousand pages' links add up
            if len(pages) % _FREEZE_EVERY == 0:
                gc.freeze()  # the pages so far and their records, until the build ends
            _forget_cookie_vary_of_g_feeding([page])
            early.offer(page)
        if _has_not_found_handler(app):
            not_found = next(iter(pool.render([NOT_FOUND_PROBE])))
            if memory is not None:
                memory.note_rendered(not_found)
        folders, probes = _probe_static_folders(app, pool, crawl, settings.output)
        pool.stop()  # waited for when the build is out
        gc.freeze()  # the pages and their records, until the build ends
        crawl.report_missing_static_files(probes)
        if memory is not None:
            memory.note_static_folders([(folder.prefix, folder.source) for folder in folders])

        # In URL order, so the build's result does not depend on which worker was first.
        pages = dict(sorted(pages.items()))
        _forget_cookie_vary_of_g_feeding(probes.values())
        kept = _judge_pages(pages | probes, crawl, result)
        _report_endpoints_without_urls(result, crawl)

        kept_pages = [page for page in kept if page.url in pages]
        early.settle(kept_pages)
        _write_pages(kept_pages, early.files, crawl, output, result)
        folders = _copy_static_folders(folders, kept, output, result)
        if not_found is not None and _usable_not_found(not_found, result):
            written = output.write("404.html", not_found.body, headers=not_found.headers)
            result.not_found_page = written
        not_found_page = result.not_found_page
        manifest = build_manifest(
            routes=result.routes,
            files=result.files,
            redirects=result.redirects,
            base_url=settings.address.path,
            not_found=not_found_page.file if not_found_page else None,
            not_found_headers=not_found_page.headers if not_found_page else None,
            static_folders=[(folder.prefix, folder.source) for folder in folders],
            project_root=settings.project_root,
        )
        bundle, record = _write_manifest_and_bundle(output, manifest, app, settings, memory, result)
        result.problems += bundle
        if not result.failures():
            # The previous tree is deleted by a process of its own: nobody waits for it.
            output.commit(wait=False)
            result.committed = True
        if memory is not None:
            result.rendered, result.reused = memory.rendered, memory.reused
            if result.committed:
                memory.committed(record or memory.draft(result, settings.output))
    return result


def _write_manifest_and_bundle(
    output: StagedOutput,
    manifest: dict[str, t.Any],
    app: Flask,
    settings: BuildSettings,
    memory: BuildMemory | None,
    result: BuildResult,
) -> tuple[list[Problem], BuildRecord | None]:
    """Write ``manifest.json`` and the deploy bundle into the staged tree: the bundle's
    problems, and the record of the build when it was drafted meanwhile.

    The last build's bundle is taken when all it is made of is the same. A new one is
    written by a forked process, while this one writes the manifest and drafts the
    record (on 10,000 pages, 0.4 and 0.3 s); else the record waits until the tree is
    committed, so the pages are there sooner.
    """
    max_body = app.config.get("MAX_CONTENT_LENGTH")
    if memory is not None:
        bundle = memory.last_bundle(output.staging, manifest, app.url_map, max_body)
        if bundle is not None:
            output.write_json("manifest.json", manifest)
            return bundle, None
    with ForkedCall(
        emit_bundle, output.staging, manifest, app.url_map, settings, max_body=max_body
    ) as emitting:
        output.write_json("manifest.json", manifest)
        record = memory.draft(result, output.staging) if memory is not None else None
        bundle = emitting.result()
    if memory is not None:
        memory.note_bundle(bundle)
    return bundle, record


def _templates_to_share(routes: list[RouteAnalysis]) -> list[str]:
    """The templates of every static route, for the render pool to compile once."""
    static = [route for route in routes if route.decision == "static"]
    return list(dict.fromkeys(name for route in static for name in route.templates))


def _has_not_found_handler(app: Flask) -> bool:
    """Whether an app-level handler answers unknown URLs: one for 404, or for a class
    ``NotFound`` derives from (``HTTPException``, ``Exception``). Blueprint handlers
    never see a URL that matched no rule."""
    spec = app.error_handler_spec.get(None, {})
    by_class = [*spec.get(404, {}), *spec.get(None, {})]
    return any(isinstance(cls, type) and issubclass(NotFound, cls) for cls in by_class)


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


def _forget_cookie_vary_of_g_feeding(pages: t.Iterable[RenderedPage]) -> None:
    """Drop the ``Vary: Cookie`` of pages whose only reads filled ``g``.

    A hook that loads ``g.user`` from the session makes the runtime add
    ``Vary: Cookie``; when the page uses no attribute such reads filled (the
    observer set them apart) and read nothing else, it does not vary on the
    cookie.
    """
    for page in pages:
        if page.g_feeding_reads and not page.reads:
            page.headers = [_without_cookie_vary(header) for header in page.headers]
            page.headers = [(name, value) for name, value in page.headers if value]


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
    whose pages depended on the request, unless user code forced them static."""
    demoted: dict[str, list[Evidence]] = {}
    for page in pages.values():
        route = crawl.route_of[page.url]
        evidence = [
            Evidence(f"{read.message} while rendering {page.url}", read.file, read.line, read.via)
            for read in page.reads
        ]
        # A read already demotes the page; its Vary: Cookie (it read the session) is no news.
        judged = page.status != 200 or page.reads
        reason = None if judged else paths.not_cacheable_reason(page.headers)
        if route.override == "static":
            _report_overridden(route, page, evidence, reason, crawl, result)
            continue
        if evidence and page.endpoint not in demoted:
            result.problems.append(
                crawl.problem(
                    "request-read",
                    f"{page.endpoint} made dynamic: {evidence[0].message}",
                    page.url,
                    page.endpoint,
                    evidence=evidence[0],
                )
            )
        if reason is not None:
            evidence.append(Evidence(f"{page.url}: {reason}, so it cannot be a file"))
            result.problems.append(
                crawl.problem("not-cacheable", f"{page.url}: {reason}", page.url, page.endpoint)
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
        if page.error is not None:
            result.problems.append(
                crawl.problem(
                    "render-error",
                    f"{page.url} raised while rendering: {page.error}",
                    page.url,
                    page.endpoint,
                    cause=page.error.partition("\n")[0],
                )
            )
        elif page.status in REDIRECT_STATUSES:
            result.redirects.append(Redirect(page.url, page.header("Location") or "", page.status))
        elif page.status != 200:
            result.problems.append(
                crawl.problem(
                    "bad-status", f"{page.url} answered {page.status}", page.url, page.endpoint
                )
            )
        else:
            kept.append(page)
    return kept


def _report_overridden(
    route: RouteAnalysis,
    page: RenderedPage,
    reads: list[Evidence],
    not_cacheable: str | None,
    crawl: _Crawl,
    result: BuildResult,
) -> None:
    """A page forced static is written whatever its render showed: the user's word
    stands against the proof too. Each thing the proof found is a warning naming the
    override, so the user sees what they overrode, and a note of the route."""
    forced = route.reasons[0]
    override = f"{forced.message} ({forced.where()})" if forced.where() else forced.message
    found = [*reads]
    if not_cacheable is not None:
        found.append(Evidence(f"{not_cacheable} at {page.url}"))
    for evidence in found:
        route.notes.append(
            Evidence(f"overridden: {evidence.message}", evidence.file, evidence.line, evidence.via)
        )
        kind = "request-read" if evidence in reads else "not-cacheable"
        result.problems.append(
            crawl.problem(
                kind,
                f"{route.endpoint} {evidence.message}, but it is {override}: written anyway",
                page.url,
                page.endpoint,
                evidence=evidence if evidence.file else None,
            )
        )


def _report_endpoints_without_urls(result: BuildResult, crawl: _Crawl) -> None:
    rendered = {route.endpoint for route in crawl.route_of.values()}
    failed = sum(p.kind == "render-error" and p.url is not None for p in result.problems)
    hint = f" ({failed} pages failed to render: they may be those that link to it)"
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
                    " url_values generator" + (hint if failed else ""),
                    endpoint=route.endpoint,
                    cause="no URL found",
                )
            )


class _EarlyFiles:
    """Pages written to their files as they come in, while the workers render on.

    Whether a page stays a file is known only once every page is in (another page of
    its endpoint may read the request), so :meth:`settle` takes back the files of the
    pages that are not kept. Pages come in the order they finish, not in URL order:
    when two of them wanted one path, every early file is taken back and the pages are
    written again in URL order, so which URL gets a path never depends on timing.
    """

    def __init__(self, output: StagedOutput) -> None:
        self.output = output
        #: The files written so far, by URL.
        self.files: dict[str, WrittenFile] = {}
        self.collided = False

    def offer(self, page: RenderedPage) -> None:
        """Write ``page`` now if it looks like a file; its body is dropped then."""
        if self.collided or page.status != 200 or page.error is not None or page.reads:
            return
        try:
            self.files[page.url] = _place(page, self.output)
        except paths.UnsafePath:
            return  # reported when the pages are written in URL order
        except PathCollision:
            self.collided = True
            return
        page.body = b""

    def settle(self, kept: list[RenderedPage]) -> None:
        """Keep the files of ``kept`` pages only; after a collision keep none, and give
        the pages written so far their bodies back, to write them all in URL order."""
        keep = {page.url for page in kept}
        if self.collided:
            for page in kept:
                written = self.files.get(page.url)
                if written is not None and not isinstance(page, ReusedPage):
                    page.body = (self.output.public / written.file).read_bytes()
            keep = set()
        for url in [url for url in self.files if url not in keep]:
            self.output.remove(self.files.pop(url))


def _place(page: RenderedPage, output: StagedOutput) -> WrittenFile:
    """Put ``page``'s file in the tree: its body, or a reused page's file of the last
    build. Raises :class:`~.paths.UnsafePath` and :class:`~.output.PathCollision`."""
    file = paths.file_for_url(page.url, page.header("Content-Type"))
    if isinstance(page, ReusedPage) and page.source is not None:
        return output.keep(
            file,
            page.source,
            url=page.url,
            headers=page.headers,
            sha256=page.sha256,
            size=page.size,
        )
    return output.write(file, page.body, url=page.url, headers=page.headers)


def _write_pages(
    pages: list[RenderedPage],
    early: dict[str, WrittenFile],
    crawl: _Crawl,
    output: StagedOutput,
    result: BuildResult,
) -> None:
    """Write the files of ``pages`` in URL order, but those written ``early``."""
    for page in sorted(pages, key=lambda p: p.url):
        written = early.get(page.url)
        if written is None:
            try:
                written = _place(page, output)
            except paths.UnsafePath as e:
                result.problems.append(
                    crawl.problem("unsafe-path", str(e), page.url, page.endpoint)
                )
                continue
            except PathCollision as e:
                result.problems.append(crawl.problem(e.kind, str(e), page.url, page.endpoint))
                continue
        mismatch = paths.type_mismatch(page.url, written.file, page.header("Content-Type"))
        if mismatch is not None:
            result.problems.append(
                crawl.problem("type-mismatch", mismatch, page.url, page.endpoint)
            )
        route = crawl.route_of[page.url]
        result.files.setdefault((route.endpoint, route.rule), []).append(written)


@dataclass
class _StaticFolder:
    """A static folder of the app or a blueprint, and the files it publishes."""

    route: RouteAnalysis
    #: The URL prefix (``/static``) and the folder it serves.
    prefix: str
    source: Path


def _probe_static_folders(
    app: Flask, pool: RenderPool, crawl: _Crawl, output: Path
) -> tuple[list[_StaticFolder], dict[str, RenderedPage]]:
    """The static folders of static routes, with a HEAD request of every file through
    the app (observed, like a page), so each file is served as the runtime serves it:
    its ``Cache-Control`` (``SEND_FILE_MAX_AGE_DEFAULT``, ``get_send_file_max_age``),
    the headers of ``after_request`` hooks, and no request read on the way."""
    folders = []
    probes: dict[str, RenderedPage] = {}
    for rule in app.url_map.iter_rules():
        route = crawl.site.route_of(rule)
        if route is None or route.decision != "static":
            continue
        if not is_static_folder_endpoint(rule.endpoint):
            continue
        blueprint = rule.endpoint.rpartition(".")[0]
        owner = app.blueprints.get(blueprint) if blueprint else app
        if owner is None or owner.static_folder is None or not Path(owner.static_folder).is_dir():
            continue
        prefix = rule.rule.rsplit("/<", 1)[0]
        tree = static_tree(owner.static_folder, prefix, exclude=[output])
        folders.append(_StaticFolder(route, prefix, Path(owner.static_folder)))
        for url in tree.urls():
            page = probes[url] = pool.head(url)
            page.endpoint = route.endpoint
            crawl.route_of[url] = route
    return folders, probes


def _copy_static_folders(
    folders: list[_StaticFolder],
    kept: list[RenderedPage],
    output: StagedOutput,
    result: BuildResult,
) -> list[_StaticFolder]:
    """Copy the folders whose route is still static, each file with the headers the app
    answered it with (a fingerprinted file with long-lived caching); the folders copied."""
    answered = {page.url: page.headers for page in kept}
    pattern = result.settings.deploy.fingerprint

    def headers(url: str) -> list[tuple[str, str]] | None:
        found = answered.get(url)
        return None if found is None else long_lived(url, found, pattern)

    copied_folders = []
    for folder in folders:
        if folder.route.decision != "static":
            continue  # a file's request read the request: the WSGI server serves them
        copied = output.copy_tree(folder.source, folder.prefix, headers=headers)
        route = folder.route
        result.files.setdefault((route.endpoint, route.rule), []).extend(copied.files)
        result.skipped_static.extend(
            f"{folder.source / name}: {reason}" for name, reason in copied.skipped
        )
        copied_folders.append(folder)
    return copied_folders
