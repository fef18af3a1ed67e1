"""Render URLs of the app in-process, with the runtime's observer on.

``render_page`` calls the WSGI app directly (no test client, no HTTP) with a
synthetic GET request that carries nothing but the URL: no cookies, no query
string, no client headers. What the response was, what the render read of the
request, the templates and files it used and the same-site URLs it links to
come back as a :class:`~sitec.compiler.model.RenderedPage`; the build decides
from it whether the page can be a file.

``RenderPool`` renders many URLs on worker processes forked from the build
process (the app is loaded once, before the fork), and hands back pages as
they complete. Files are written by the caller, never here.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import multiprocessing
import pickle
import signal
import sys
import traceback
import typing as t
from multiprocessing.connection import wait
from pathlib import Path
from types import CodeType
from urllib.parse import unquote_to_bytes
from urllib.parse import urlsplit

from sitec.runtime.observe import Observer
from sitec.runtime.observe import RecordingEnviron

from .compiled_templates import compile_ahead
from .frozen import frozen
from .links import extract_links
from .links import same_site_path
from .model import RenderedPage

if t.TYPE_CHECKING:  # pragma: no cover
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from sitec.runtime import Flask

_RENDERER_KEY = "sitec.renderer"
_UNKNOWN: t.Any = object()

#: Reads that only fill ``g``, by place, with the functions they do that in.
GFeeding = t.Mapping[tuple[str, int], t.Collection[CodeType]]


def render_page(
    app: Flask,
    url: str,
    *,
    base_url: str = "/",
    project_root: str | Path | None = None,
    g_feeding: GFeeding | None = None,
) -> RenderedPage:
    """Render the app-relative ``url`` as a GET from nobody in particular.

    The site is served under ``base_url``, a path (``SCRIPT_NAME``) or a full
    URL (its scheme and host too, for absolute links; a path takes them from
    ``SERVER_NAME`` and ``PREFERRED_URL_SCHEME``, else ``http://localhost``), so
    links in the page carry it; ``RenderedPage.links`` has it stripped again. Paths in the
    page's evidence and files are relative to ``project_root`` (by default
    the folder the app's top-level package is imported from). ``g_feeding``
    is the analysis' :attr:`~sitec.compiler.analyse.AppAnalysis.g_feeding_reads`.
    """
    return _renderer(app, base_url, project_root, g_feeding).render(url)


class _Renderer:
    """Renders URLs of one app: the request template and the installed observer."""

    def __init__(
        self, app: Flask, base_url: str, project_root: Path, g_feeding: GFeeding | None
    ) -> None:
        site = urlsplit(base_url)
        self.app = app
        self.base_url = base_url = _base_url(site.path)
        self.project_root = project_root
        #: The arguments it was asked for with, to find it again cheaply.
        self.arguments: tuple[t.Any, ...] = ()
        existing = app.extensions.get("sitec.observer")
        if existing is not None:
            existing.uninstall()
        self.observer = Observer(app, project_root, g_feeding=g_feeding)
        server_name = site.netloc or app.config.get("SERVER_NAME") or "localhost"
        host, _, port = server_name.partition(":")
        scheme = site.scheme or app.config.get("PREFERRED_URL_SCHEME") or "http"
        self.hosts = frozenset({"localhost", host.lower()})
        self._normalised: dict[t.Any, str | None] = {}
        #: What every request's environ starts from (a plain dict: copied into
        #: a ``RecordingEnviron`` at a dict's speed).
        self.environ: dict[str, t.Any] = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": _wsgi_path(base_url.rstrip("/")),
            "PATH_INFO": "/",
            "QUERY_STRING": "",
            "SERVER_NAME": host,
            "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": server_name,
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scheme,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }

    def close(self) -> None:
        self.observer.uninstall()
        if self.app.extensions.get(_RENDERER_KEY) is self:
            del self.app.extensions[_RENDERER_KEY]

    def render(self, url: str, method: str = "GET") -> RenderedPage:
        app = self.app
        # Recording: middleware and WSGI apps that views return read the client's
        # headers straight from it.
        environ = RecordingEnviron(self.environ)
        environ["PATH_INFO"] = _wsgi_path(url)
        if method != "GET":
            environ["REQUEST_METHOD"] = method
        environ["wsgi.input"] = io.BytesIO()
        response: list[t.Any] = []
        chunks: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
        ) -> t.Callable[[bytes], t.Any]:
            if exc_info is not None and response:
                raise exc_info[1].with_traceback(exc_info[2])
            response[:] = (status, headers)
            return chunks.append

        config = app.config
        propagate = config.get("PROPAGATE_EXCEPTIONS")
        config["PROPAGATE_EXCEPTIONS"] = True
        failure: BaseException | None = None
        try:
            with self.observer.observe() as seen:
                try:
                    body = app(environ, start_response)
                    try:
                        chunks.extend(body)
                    finally:
                        close = getattr(body, "close", None)
                        if close is not None:
                            close()
                except Exception as e:
                    failure = e
        finally:
            config["PROPAGATE_EXCEPTIONS"] = propagate

        endpoint = seen.endpoint
        if failure is not None or not response:
            error = (
                _describe_failure(failure, self.project_root)
                if failure is not None
                else "the app returned without calling start_response"
            )
            return RenderedPage(
                url=url,
                endpoint=endpoint,
                status=500,
                headers=[],
                body=b"",
                reads=seen.reads,
                templates=seen.templates,
                files=seen.files,
                folders=seen.folders,
                links=self._links(url, seen.urls),
                error=error,
                g_feeding_reads=seen.g_feeding_reads,
            )
        status, headers = response
        body = b"".join(chunks)
        page = RenderedPage(
            url=url,
            endpoint=endpoint,
            status=int(status.split(None, 1)[0]),
            headers=list(headers),
            body=body,
            reads=seen.reads,
            templates=seen.templates,
            files=seen.files,
            folders=seen.folders,
            g_feeding_reads=seen.g_feeding_reads,
        )
        raw = extract_links(body, page.header("Content-Type"))
        location = page.header("Location")
        if location is not None:
            raw.append(location)
        raw.extend(seen.urls)
        page.links = self._links(url, raw)
        return page

    def _links(self, url: str, raw: t.Iterable[str]) -> list[str]:
        """Same-site paths of ``raw``, normalised once per distinct link.

        Pages of a site share most links (navigation, assets), and a link
        that is an absolute path means the same on every page.
        """
        known = self._normalised
        if len(known) > 100_000:
            known.clear()
        get = known.get
        links: dict[str, None] = {}
        for link in dict.fromkeys(raw):
            path = get(link, _UNKNOWN)  # an absolute path's, known by the link alone
            if path is _UNKNOWN:
                key = link if link[:1] == "/" and link[1:2] != "/" else (link, url)
                path = get(key, _UNKNOWN)
                if path is _UNKNOWN:
                    path = known[key] = same_site_path(link, url, self.base_url, hosts=self.hosts)
            if path is not None:
                links[path] = None
        return list(links)


def _describe_failure(error: BaseException, project_root: Path) -> str:
    """``file:line: ExcType: message`` at the innermost place in the project
    (a template's file, for a template error), then the project's frames of
    the traceback, one a line; the frames of the runtime, the compiler and
    libraries are left out, as a user cannot act on them."""
    frames = traceback.extract_tb(error.__traceback__)
    if isinstance(error, SyntaxError) and error.filename:  # Jinja's TemplateSyntaxError too
        frames.append(traceback.FrameSummary(error.filename, error.lineno or 0, "<template>"))
    ours = [frame for frame in frames if _in_project(frame.filename, project_root)]
    place = ""
    calls = []
    for frame in ours:
        where = f"{Path(frame.filename).relative_to(project_root).as_posix()}:{frame.lineno}"
        calls.append(f"  {where} in {frame.name}: {(frame.line or '').strip()}")
        place = f"{where}: "
    summary = traceback.format_exception_only(error)[-1].strip()
    if not calls:
        return f"{place}{summary}"
    return f"{place}{summary}\n" + "\n".join(["in the project (innermost last):", *calls])


def _in_project(filename: str, project_root: Path) -> bool:
    path = Path(filename)
    return (
        path.is_absolute()
        and path.is_relative_to(project_root)
        and "site-packages" not in path.parts
    )


def _wsgi_path(path: str) -> str:
    """A URL path as WSGI wants it: percent-decoded UTF-8 bytes, as latin-1 text."""
    if path.isascii() and "%" not in path:
        return path  # what decoding and encoding would give back
    return unquote_to_bytes(path).decode("latin-1")


def _renderer(
    app: Flask, base_url: str, project_root: str | Path | None, g_feeding: GFeeding | None
) -> _Renderer:
    """The app's renderer, kept on the app so the observer is installed once."""
    renderer: _Renderer | None = app.extensions.get(_RENDERER_KEY)
    arguments = (base_url, project_root, g_feeding)
    if renderer is not None and renderer.arguments == arguments:
        return renderer
    root = Path(project_root).resolve() if project_root is not None else _project_root(app)
    if renderer is not None:
        renderer.close()
    renderer = _Renderer(app, base_url, root, g_feeding)
    app.extensions[_RENDERER_KEY] = renderer
    renderer.arguments = arguments
    return renderer


def _base_url(base_url: str) -> str:
    path = "/" + base_url.strip("/")
    return path if path == "/" else path + "/"


def _project_root(app: Flask) -> Path:
    """The folder the app's top-level package or module is imported from."""
    top = sys.modules.get(app.import_name.partition(".")[0])
    filename = getattr(top, "__file__", None)
    if filename is None:
        return Path(app.root_path).resolve()
    path = Path(filename).resolve().parent
    return path.parent if Path(filename).name == "__init__.py" else path


class RenderPool:
    """Render URLs on ``jobs`` worker processes; ``jobs=1`` renders in this process.

    Use it as a context manager around the whole build: workers are forked
    once, on entry, from the process that already loaded the app, and stopped
    on exit. URLs go to the workers in chunks and each chunk's pages come back
    in one message, which keeps the traffic through this process small.

    Beside the ``jobs`` workers, a *lane* worker renders chains, one URL at a
    time: a URL that is one of at most two new ones found on a page goes to
    the lane. A crawl that finds page N+1 of a pagination only on page N would
    otherwise wait for every URL queued before each step, and end with that
    chain alone, one worker busy (the last 0.4 s of a 10,000-post blog's
    build). The lane is idle but for those steps; the workers take what it
    has not reached once the queue is empty.

    A worker that dies (a view calling ``os._exit``, a crash in C code) does
    not hang the build: a new worker takes its place, the URLs it held are
    rendered again one at a time, and the one that kills a worker again comes
    back as a page with ``error`` set.
    """

    #: The most URLs sent to a worker at once...
    max_chunk = 64
    #: ...and the most characters, so the chunks in flight always fit in the pipe's
    #: buffer (64 KiB on Linux; a full one could deadlock this process and a worker).
    max_chunk_chars = 8192
    #: Chunks handed to a worker ahead of time.
    in_flight = 3

    def __init__(
        self,
        app: Flask,
        *,
        jobs: int,
        base_url: str = "/",
        project_root: str | Path | None = None,
        g_feeding: GFeeding | None = None,
        templates: t.Iterable[str] = (),
        compiled: Path | None = None,
    ) -> None:
        self.app = app
        self.jobs = max(1, jobs)
        self.base_url = base_url
        self.project_root = project_root
        self.g_feeding = g_feeding
        #: Templates the pages will render: compiled once, before the workers fork,
        #: through the cache of compiled templates in the folder ``compiled``.
        self.templates = tuple(templates)
        self.compiled = compiled
        self._renderer: _Renderer | None = None
        self._workers: list[_Worker] = []
        #: Workers told to end, not waited for yet.
        self._stopped: list[_Worker] = []
        self._rendering = False

    def __enter__(self) -> RenderPool:
        self._renderer = _renderer(self.app, self.base_url, self.project_root, self.g_feeding)
        if self.jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            self._context = multiprocessing.get_context("fork")
            self._renderer.environ["wsgi.multiprocess"] = True
            compile_ahead(self.app, self.templates, self.compiled)
            # What exists now is shared with the workers: keep their garbage
            # collector from walking (and so copying) those pages.
            with frozen():
                self._workers = [self._start_worker() for _ in range(self.jobs)]
                self._workers.append(self._start_worker(lane=True))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def stop(self) -> None:
        """Tell the workers to end, without waiting for them (:meth:`close` does); busy
        ones are terminated."""
        for worker in self._workers:
            if worker.chunks:
                worker.process.terminate()
            else:
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
        self._stopped.extend(self._workers)
        self._workers = []

    def close(self) -> None:
        """Stop the workers and wait for them."""
        self.stop()
        workers, self._stopped = self._stopped, []
        for worker in workers:
            worker.process.join(5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        if self._renderer is not None:
            self._renderer.environ["wsgi.multiprocess"] = False

    def head(self, url: str) -> RenderedPage:
        """A HEAD request of ``url``, in this process: the response's status, headers
        and the reads it made, without reading a body (a static file's, say)."""
        if self._renderer is None:
            raise RuntimeError("Use the RenderPool as a context manager: 'with RenderPool(...)'.")
        return self._renderer.render(url, method="HEAD")

    def render(self, urls: t.Iterable[str]) -> t.Iterator[RenderedPage]:
        """Render every URL; pages come back in the order they complete.

        Pass a ``collections.deque`` to keep feeding it while iterating: URLs
        appended to it (a crawl's new links) are rendered in the same run, as
        soon as a worker is free, and the run ends when it is empty and no
        worker is busy.
        """
        if self._renderer is None:
            raise RuntimeError("Use the RenderPool as a context manager: 'with RenderPool(...)'.")
        source = urls if isinstance(urls, collections.deque) else collections.deque(urls)
        if not self._workers:
            renderer = self._renderer
            while source:
                yield renderer.render(source.popleft())
            return
        if self._rendering:
            raise RuntimeError("A RenderPool renders one batch of URLs at a time.")
        self._rendering = True
        try:
            yield from self._render_in_workers(source)
        finally:
            self._rendering = False

    # -- workers ------------------------------------------------------------------

    def _start_worker(self, *, lane: bool = False) -> _Worker:
        parent_end, child_end = self._context.Pipe()
        # The child must not keep the pipes of the others (or its own parent
        # end) open, or their ends would never see EOF.
        others = [worker.conn for worker in self._workers if not worker.conn.closed]
        process = self._context.Process(
            target=_work,
            args=(child_end, self._renderer, [parent_end, *others]),
            name="sitec-render",
            daemon=True,
        )
        process.start()
        child_end.close()
        return _Worker(process, parent_end, lane=lane)

    def _render_in_workers(self, urls: collections.deque[str]) -> t.Iterator[RenderedPage]:
        queue = _UrlQueue(urls, self.jobs, self.max_chunk, self.max_chunk_chars)
        try:
            while True:
                for worker in self._workers:
                    self._feed(worker, queue)
                # A worker's pipe is readable when it answers and at EOF when it
                # dies: only the worker holds the other end.
                busy = {worker.conn: worker for worker in self._workers if worker.chunks}
                if not busy:
                    return
                for handle in wait(list(busy)):
                    worker = busy[handle]
                    pages, died = worker.receive()
                    if not died and not worker.lane:
                        # Before the caller takes its time over these pages.
                        self._feed(worker, queue)
                    for page in pages:
                        # The caller queues the page's links before it takes the next.
                        queued = len(urls)
                        yield page
                        queue.keep_for_lane(len(urls) - queued)
                    if not died and worker.lane:
                        self._feed(worker, queue)  # with what its pages found
                    if died:
                        crashed = self._replace(worker, queue)
                        if crashed is not None:
                            yield crashed
        except GeneratorExit:
            # The caller stopped early: let the work in flight finish unseen,
            # so that the next batch starts with empty pipes.
            for worker in list(self._workers):
                while worker.chunks:
                    wait([worker.conn])
                    if worker.receive()[1]:
                        self._replace(worker, _UrlQueue(collections.deque(), 1, 1, 1))
                        break
            raise

    def _feed(self, worker: _Worker, queue: _UrlQueue) -> None:
        """Keep ``in_flight`` chunks with ``worker``, so it does not wait for this
        process to hand out work; but a suspect of a crash goes alone to an idle one.
        The lane worker takes the URLs of chains, one at a time."""
        if worker.lane:
            url = None if worker.chunks else queue.next_in_lane()
            if url is not None:
                worker.give([url])
            return
        while len(worker.chunks) < self.in_flight:
            if queue.has_suspects and worker.chunks:
                return
            chunk = queue.next_chunk()
            if not chunk:
                return
            worker.give(chunk)
            if queue.is_suspect(chunk):
                return

    def _replace(self, worker: _Worker, queue: _UrlQueue) -> RenderedPage | None:
        """Start a worker in place of a dead one and deal with the URLs it held."""
        worker.process.join(1)
        worker.conn.close()
        self._workers[self._workers.index(worker)] = self._start_worker(lane=worker.lane)
        held = [url for chunk in worker.chunks for url in chunk]
        worker.chunks.clear()
        if len(held) == 1 and queue.is_suspect(held):
            url = held[0]
            return RenderedPage(
                url=url,
                endpoint=None,
                status=500,
                headers=[],
                body=b"",
                error=(
                    f"the render worker process died (exit code {worker.process.exitcode})"
                    f" while rendering {url}"
                ),
            )
        queue.suspect(held)
        return None


class _UrlQueue:
    """The URLs still to send: suspects of a crash one by one, then the rest in chunks."""

    def __init__(
        self, urls: collections.deque[str], jobs: int, max_chunk: int, max_chars: int
    ) -> None:
        self._source = urls
        self._jobs = jobs
        self._max_chunk = max_chunk
        self._max_chars = max_chars
        #: URLs a dead worker held; each is rendered alone to find the culprit.
        self._suspects: collections.deque[str] = collections.deque()
        self._suspected: set[str] = set()
        #: URLs that go on a chain, for the lane worker (see :meth:`keep_for_lane`).
        self._lane: collections.deque[str] = collections.deque()

    @property
    def has_suspects(self) -> bool:
        return bool(self._suspects)

    def is_suspect(self, chunk: list[str]) -> bool:
        return len(chunk) == 1 and chunk[0] in self._suspected

    def suspect(self, urls: list[str]) -> None:
        self._suspects.extend(urls)
        self._suspected.update(urls)

    def next_chunk(self) -> list[str]:
        if self._suspects:
            return [self._suspects.popleft()]
        if not self._source and self._lane:
            return [self._lane.popleft()]
        # Small enough that every worker gets several chunks of what is queued now.
        size = max(1, min(self._max_chunk, len(self._source) // (self._jobs * 8)))
        chunk: list[str] = []
        chars = 0
        while self._source and len(chunk) < size and chars < self._max_chars:
            url = self._source.popleft()
            chunk.append(url)
            chars += len(url)
        return chunk

    def next_in_lane(self) -> str | None:
        """The lane worker's next URL; none while suspects are queued."""
        if self._suspects or not self._lane:
            return None
        return self._lane.popleft()

    def keep_for_lane(self, found: int) -> None:
        """Take the last ``found`` URLs of the queue, just found on one page, for the
        lane worker when they are one or two: the next step of a chain (the ``next``
        link of a pagination), which goes on at once instead of behind every URL
        queued before. A page that found more is no chain; its URLs stay queued."""
        if 0 < found <= min(_LANE_FOLLOWS, len(self._source)):
            taken = [self._source.pop() for _ in range(found)]
            self._lane.extend(reversed(taken))


#: The most new URLs found on one page that go to the lane worker.
_LANE_FOLLOWS = 2


class _Worker:
    """A worker process, its pipe, and the chunks it holds, in order."""

    def __init__(self, process: BaseProcess, conn: Connection, *, lane: bool = False) -> None:
        self.process = process
        self.conn = conn
        #: The lane worker: see :class:`RenderPool`.
        self.lane = lane
        self.chunks: collections.deque[list[str]] = collections.deque()
        self.dead = False

    def give(self, chunk: list[str]) -> None:
        self.chunks.append(chunk)
        try:
            self.conn.send(chunk)
        except OSError:
            pass  # it died: its sentinel says so, and its URLs are dealt with then

    def receive(self) -> tuple[list[RenderedPage], bool]:
        """The pages ready on the pipe, and whether the worker has died."""
        pages: list[RenderedPage] = []
        try:
            while self.chunks and self.conn.poll():
                pages.extend(RenderedPage(*fields) for fields in self.conn.recv())
                self.chunks.popleft()
        except (EOFError, OSError):
            self.dead = True
        return pages, self.dead


#: The fields of a page in order, for sending pages as plain tuples (cheaper
#: to pickle than dataclasses).
_PAGE_FIELDS = tuple(field.name for field in dataclasses.fields(RenderedPage))


def _work(conn: Connection, renderer: _Renderer, inherited: list[Connection]) -> None:
    """A worker's loop: render each chunk of URLs, send its pages back in one message."""
    # Ctrl-C reaches the whole process group; the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for other in inherited:
        other.close()
    while True:
        try:
            chunk = conn.recv()
        except EOFError:
            return
        if chunk is None:
            return
        pages = [renderer.render(url) for url in chunk]
        try:
            conn.send([_fields(page) for page in pages])
        except Exception as e:  # something in a page that cannot be pickled
            conn.send([_fields(_unsendable(page, e)) for page in pages])


def _fields(page: RenderedPage) -> tuple[t.Any, ...]:
    return tuple(getattr(page, name) for name in _PAGE_FIELDS)


def _unsendable(page: RenderedPage, error: Exception) -> RenderedPage:
    try:
        pickle.dumps(_fields(page))
    except Exception:
        return RenderedPage(
            url=page.url,
            endpoint=page.endpoint,
            status=500,
            headers=[],
            body=b"",
            error=f"the rendered page could not be sent back from the worker: {error!r}",
        )
    return page
