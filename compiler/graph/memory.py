"""A build's memory: what it may reuse of the last good build, and what it records for
the next one.

:func:`~sitec.compiler.build.build` asks a :class:`BuildMemory` at each stage: while
the app is created and URLs are discovered it records what is read; for each URL the
crawl reaches, :meth:`~BuildMemory.reuse` answers with the last build's page when
nothing that page depended on changed; each page rendered is noted; the staged output
takes unchanged files from the last output (:class:`PreviousOutput`); and when the new
tree is committed the new record is written. A build that reuses pages runs every other
stage as a full build does, so it writes exactly the tree a full build would.

Every page is rendered again when the settings, sitec itself, the installed packages,
a file read while the app was created, or the app's config changed. Otherwise a page
is rendered again when one of its inputs changed (a template it loaded, or a file
that would now take that template's place; a file it opened; a folder it listed), when
the code it ran changed (:mod:`.code`), or when its file in the last output is gone
or was edited. A page whose render read the request or failed is rendered again after
any Python change, since its evidence names lines of code.

What the record cannot see, so ``sitec build --force`` is the answer after changing
it: files outside the project; a file only tested for (``Path.exists()``, a template
tried and missing in ``select_template``); environment variables read while rendering
(those read while the app is created are inputs); and a file read through a cache the
app keeps across requests, which counts only for the page that filled the cache.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import hashlib
import json
import os
import shutil
import sysconfig
import time
import typing as t
from contextlib import AbstractContextManager
from pathlib import Path
from uuid import UUID

from ..model import Evidence
from ..model import Problem
from ..model import RenderedPage
from ..model import ReusedPage
from ..model import WrittenFile
from ..output import TreeListing
from ..output import is_hidden
from ..project import BuildSettings
from . import stamps
from .code import CodeIndex
from .code import PageCode
from .code import project_sources
from .inputs import InputRecorder
from .record import CODE
from .record import CREATION
from .record import DISCOVERY
from .record import SETTINGS
from .record import STATIC
from .record import TEMPLATES
from .record import TOOLS
from .record import BuildRecord
from .record import Changes
from .record import PageEntry
from .record import RecordReader
from .record import cache_folder
from .record import manifest_digest
from .stamps import Stamp
from .template_files import TemplateFiles

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.routing import Map

    from sitec.runtime import Flask

    from ..build import BuildResult

#: Files beside pyproject.toml that change the app's environment.
_ENV_FILES = (".env", ".flaskenv")
_SITEC_PACKAGES = ("sitec.runtime", "sitec.compiler", "sitec.templates")


class PreviousOutput:
    """The last build's files that the new tree can take as they are."""

    def __init__(self, record: BuildRecord, changes: Changes) -> None:
        self.public = record.output / "public"
        self._public = os.fspath(self.public)
        self._record = record
        self._changes = changes
        self._sha: dict[str, str] = {}
        for entry in record.pages.values():
            if entry.file is not None and entry.sha256 is not None:
                self._sha[entry.file] = entry.sha256
        for file, (_, sha, _) in record.static_files.items():
            self._sha[file] = sha

    def file_for(self, file: str, sha256: str) -> str | None:
        """The last output's ``file`` (its path), if it holds these bytes and nobody
        touched it."""
        if self._sha.get(file) != sha256 or file in self._changes.damaged:
            return None
        return os.path.join(self._public, file)  # no Path: a thousand of them a build

    def static_for(self, source: Path, file: str) -> tuple[Path, str, int] | None:
        """The last output's copy of ``source`` at ``file`` (path, sha256, size), if the
        source is unchanged since it was copied."""
        known = self._record.static_files.get(file)
        if known is None or file in self._changes.damaged:
            return None
        recorded_source, sha, size = known
        path = os.fspath(source)
        if recorded_source != path or path in self._changes.paths:
            return None
        if path not in self._record.stamps:
            return None
        return self.public / file, sha, size


class BuildMemory:
    """See the module docstring. ``reuse=False`` (``--force``) renders everything but
    still records, for the next build. ``loaded`` is the app when it was loaded before
    the build (the dev server's session, see :class:`LoadedApp`), and ``records`` what
    reads the last record, when the caller keeps one between builds. What changed since
    that record is looked for now, or, with ``changes``, asked of it when first needed
    (the dev server's session looks for the changes while the build analyses the app);
    when it answers ``None``, the build looks itself then."""

    def __init__(
        self,
        settings: BuildSettings,
        *,
        reuse: bool = True,
        loaded: LoadedApp | None = None,
        records: RecordReader | None = None,
        changes: t.Callable[[], Changes | None] | None = None,
    ) -> None:
        self.settings = settings
        self.started_ns = time.time_ns()
        self.settings_digest = settings_digest(settings)
        self.record = (records or RecordReader(settings.output)).read() if reuse else None
        self._found_changes = changes
        self._changes: Changes | None = None
        if self.record is None:
            self._changes = Changes()
        elif changes is None:
            self._changes = self.record.changes()  # before the app is loaded, if it is not yet
        self.root = settings.project_root
        self.ignored = ignored_folders(settings)
        #: The paths the observer records for a page are relative to the real project
        #: root and made of real folders already: joined to it, they need no realpath.
        self._real_root = os.path.realpath(self.root)
        self._ignored_prefixes = tuple(os.path.join(folder, "") for folder in self.ignored)
        self.loaded = loaded
        self.creation = loaded.creation if loaded else InputRecorder(self.root, self.ignored)
        self.discovery = InputRecorder(self.root, self.ignored)
        #: Why every page is rendered, when they all are.
        self.why_all: str | None = None if reuse else "--force"
        self.rendered = 0
        self.reused = 0
        self._entries: dict[str, PageEntry] = {}
        self._input_sets: dict[tuple[str, ...], int] = {}
        self._templates_seen: dict[tuple[str | None, ...], tuple[list[str], str]] = {}
        #: Input sets of the last record -> their number in the new one.
        self._renumbered: dict[int, int] = {}
        self._static_stamps: dict[str, Stamp] = {}
        self._static_folders: list[tuple[str, Path]] = []
        self._affected_sets: set[int] = set()
        self._app: Flask | None = None
        self._bundle_key = ""
        self._bundle_problems: list[str] = []
        #: The spare tree's ``public/`` as listed ahead by the dev server's session.
        self.spare_listing: TreeListing | None = None

    @property
    def changes(self) -> Changes:
        """What differs between the last record and the disk."""
        if self._changes is None:
            assert self.record is not None
            found = self._found_changes() if self._found_changes is not None else None
            self._changes = found if found is not None else self.record.changes()
        return self._changes

    # -- before loading the app -------------------------------------------------------

    def up_to_date(self) -> bool:
        """Whether the last build's output is what a build would write now."""
        return (
            self.record is not None
            and self.record.settings == self.settings_digest
            and self.changes.nothing
        )

    def creating_app(self) -> AbstractContextManager[InputRecorder]:
        return self.creation.recording()

    def discovering(self) -> AbstractContextManager[InputRecorder]:
        return self.discovery.recording()

    # -- after analysis ---------------------------------------------------------------

    def prepare(self, app: Flask) -> None:
        """Learn the app's code; decide whether every page is rendered."""
        self._app = app
        self._templates = TemplateFiles(app)
        if self.loaded is not None:
            index = self.loaded.code_index()
        else:
            index = CodeIndex(self.root, project_sources(self.root, self.ignored))
        self._code_files = [os.path.realpath(path) for path in index.sources]
        self._page_code = PageCode(app, index, self.settings.app)
        self._config = config_digest(app.config)
        record = self.record
        if record is None:
            self.why_all = self.why_all or "no earlier build"
        elif record.settings != self.settings_digest:
            self.why_all = "the settings changed"
        elif self.changes.groups & {SETTINGS, TOOLS, CREATION} or self.changes.environment:
            self.why_all = f"{self.changes.describe(self.root)} changed"
        elif record.config != self._config:
            self.why_all = "the app's config changed"
        if record is not None:
            changed = self.changes.paths
            self._affected_sets = {
                number
                for number, paths in enumerate(record.input_sets)
                if not changed.keys().isdisjoint(paths)
            }

    def note_static_folders(self, folders: t.Iterable[tuple[str, Path]]) -> None:
        """The static folders the build copies, as ``(URL prefix, folder)``: stamped now,
        before they are copied."""
        self._static_folders = [(prefix.strip("/"), folder) for prefix, folder in folders]
        self._stamp_static_folders()

    def last_bundle(
        self,
        root: Path,
        manifest: t.Mapping[str, t.Any],
        url_map: Map | None,
        max_body: int | None,
    ) -> list[Problem] | None:
        """The problems of the last build's deploy bundle, taken into ``root``, when all
        it is made of is the same: the manifest but the pages' bytes, the settings, the
        app's URL map and body limit, sitec and the app's code (a rule's converter is
        code). ``None`` when the bundle must be written again; then :meth:`note_bundle`
        its problems. An app created again (its data changed) keeps its bundle when
        nothing of that changed."""
        key = _bundle_key(manifest, self.settings_digest, url_map, max_body)
        self._bundle_key = key
        record = self.record
        if (
            record is not None
            and not self.changes.groups & {CODE, TOOLS}
            and record.bundle_key == key
            and self._take_bundle(record, root)
        ):
            problems = [Problem("host-config", message) for message in record.bundle_problems]
            self.note_bundle(problems)
            return problems
        return None

    def note_bundle(self, problems: t.Iterable[Problem]) -> None:
        """The problems of the deploy bundle the build wrote."""
        self._bundle_problems = [problem.message for problem in problems]

    def _take_bundle(self, record: BuildRecord, root: Path) -> bool:
        """Link the last bundle's files into ``root``; ``False`` if one was touched."""
        for relative, (size, mtime_ns) in record.bundle.items():
            if _output_stamp(record.output / relative) != (size, mtime_ns):
                return False
        for relative in record.bundle:
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(record.output / relative, target)
            except OSError:
                shutil.copyfile(record.output / relative, target)
        return True

    @property
    def spare(self) -> Path:
        """Where the tree a commit replaces is kept, for the next build to stage in."""
        return spare_folder(self.settings.output)

    @property
    def compiled_templates(self) -> Path:
        """Where compiled templates are kept between builds (see
        :mod:`~sitec.compiler.compiled_templates`)."""
        return cache_folder(self.settings.output) / "templates"

    def previous_output(self) -> PreviousOutput | None:
        """The last output, for the staged tree to take unchanged files from."""
        if self.record is None:
            return None
        return PreviousOutput(self.record, self.changes)

    # -- per page ---------------------------------------------------------------------

    def reuse(self, url: str, endpoint: str) -> ReusedPage | None:
        """The last build's page for ``url``, if nothing it depended on changed."""
        record = self.record
        if record is None or self.why_all is not None:
            return None
        entry = record.pages.get(url)
        if entry is None or entry.endpoint != endpoint or entry.inputs in self._affected_sets:
            return None
        if (entry.reads or entry.g_feeding_reads or entry.error) and CODE in self.changes.groups:
            return None
        if entry.code != self._of_templates(endpoint, entry.templates)[1]:
            return None
        source = None
        if entry.status == 200:
            if entry.file is None or entry.file in self.changes.damaged:
                return None
            source = record.output / "public" / entry.file
        inputs = self._renumbered.get(entry.inputs)
        if inputs is None:
            inputs = self._renumbered[entry.inputs] = self._input_set(
                record.input_sets[entry.inputs]
            )
        # A copy: the record may be read again (RecordReader).
        self._entries[url] = dataclasses.replace(entry, inputs=inputs)
        self.reused += 1
        return ReusedPage(
            url=url,
            endpoint=endpoint,
            status=entry.status,
            headers=list(entry.headers),
            body=b"",
            reads=[Evidence(**read) for read in entry.reads],
            g_feeding_reads=[Evidence(**read) for read in entry.g_feeding_reads],
            templates=list(entry.templates),
            files=list(entry.files),
            folders=list(entry.folders),
            links=list(entry.links),
            error=entry.error,
            source=source,
            sha256=entry.sha256 or "",
            size=entry.size,
        )

    def note_rendered(self, page: RenderedPage) -> None:
        """Record what a freshly rendered page depended on (a reused one is known)."""
        if isinstance(page, ReusedPage):
            return
        self.rendered += 1
        template_paths, code = self._of_templates(page.endpoint, page.templates)
        paths = dict.fromkeys(template_paths)
        for relative in (*page.files, *page.folders):
            path = os.path.normpath(os.path.join(self._real_root, relative))
            if not os.path.join(path, "").startswith(self._ignored_prefixes):
                paths[path] = None
        inputs = self._input_set(paths)
        self._entries[page.url] = PageEntry(
            endpoint=page.endpoint,
            status=page.status,
            headers=[header for header in page.headers if header[0].lower() != "content-length"],
            reads=[read.to_json() for read in page.reads],
            g_feeding_reads=[read.to_json() for read in page.g_feeding_reads],
            templates=page.templates,
            files=page.files,
            folders=page.folders,
            links=page.links,
            error=page.error,
            inputs=inputs,
            code=code,
        )

    def _of_templates(self, endpoint: str | None, templates: list[str]) -> tuple[list[str], str]:
        """The input paths of a page of ``endpoint`` that loaded ``templates``, and the
        fingerprint of its code: the same for thousands of pages."""
        key = (endpoint, *templates)
        known = self._templates_seen.get(key)
        if known is None:
            paths: dict[str, None] = {}
            for name in templates:
                paths.update(dict.fromkeys(self._templates.inputs(name).paths))
            files = [self._templates.inputs(name).file for name in templates]
            code = self._page_code.fingerprint(endpoint, [f for f in files if f is not None])
            known = self._templates_seen[key] = (list(paths), code)
        return known

    def _input_set(self, paths: t.Iterable[str]) -> int:
        """The number of a set of input paths in the new record."""
        key = tuple(sorted(paths))
        return self._input_sets.setdefault(key, len(self._input_sets))

    # -- after the commit -------------------------------------------------------------

    def draft(self, result: BuildResult, tree: Path) -> BuildRecord:
        """The record of the build whose tree is ``tree`` (staged, or OUT once committed),
        all but its deploy bundle (which may still be being written); :meth:`committed`
        saves it once the tree is OUT."""
        from ..build import NOT_FOUND_PROBE
        from ..discover import is_static_folder_endpoint

        public = os.path.join(tree, "public")
        record = BuildRecord(
            output=self.settings.output,
            settings=self.settings_digest,
            config=self._config,
            manifest=manifest_digest(tree) or "",
        )
        pages: dict[str, WrittenFile] = {}
        for (endpoint, _), files in result.files.items():
            for file in files:
                if is_static_folder_endpoint(endpoint):
                    source = self._static_source(file.file)
                    if source is not None:
                        record.static_files[file.file] = (source, file.sha256, file.size)
                else:
                    pages[file.url] = file
                record.outputs[file.file] = _output_stamp(os.path.join(public, file.file))
        not_found = result.not_found_page
        if not_found is not None:
            pages[NOT_FOUND_PROBE] = not_found
            record.outputs[not_found.file] = _output_stamp(os.path.join(public, not_found.file))
        for url, entry in self._entries.items():
            page = pages.get(url)
            if page is not None:
                entry.file, entry.sha256, entry.size = page.file, page.sha256, page.size
            record.pages[url] = entry
        record.input_sets = [list(paths) for paths in self._input_sets]
        record.environment = self.creation.environment | self.discovery.environment
        names = self.creation.environment_names or self.discovery.environment_names
        record.environment_names = names
        record.groups = {
            SETTINGS: settings_files(self.settings),
            TOOLS: _tool_paths(),
            CREATION: [*self.creation.files, *self.creation.folders],
            CODE: sorted({*self._code_files, *self.creation.code}),
            DISCOVERY: [*self.discovery.files, *self.discovery.folders],
            STATIC: list(self._static_stamps),
            TEMPLATES: self._templates.files(),
        }
        for path, stamp in self._static_stamps.items():
            record.stamps[path] = stamp
        for paths in (*record.groups.values(), *record.input_sets):
            for path in paths:
                if path not in record.stamps:
                    record.stamps[path] = self._stamp(path)
        record.encode()
        return record

    def committed(self, record: BuildRecord) -> None:
        """Save ``record`` (:meth:`draft`), with the deploy bundle, now that its tree is OUT."""
        from ..emit import BUNDLE_FOLDERS

        out = self.settings.output
        record.bundle_key = self._bundle_key
        record.bundle_problems = self._bundle_problems
        record.bundle = {
            path.relative_to(out).as_posix(): _output_stamp(path)
            for folder in BUNDLE_FOLDERS
            for path in sorted((out / folder).rglob("*"))
            if path.is_file()
        }
        record.save()

    def _static_source(self, file: str) -> str | None:
        """The source of a copied static file, when the build stamped it."""
        for prefix, folder in self._static_folders:
            start = f"{prefix}/" if prefix else ""
            if file.startswith(start):
                source = os.path.realpath(folder / file[len(start) :])
                if source in self._static_stamps:
                    return source
        return None

    def _stamp(self, path: str) -> Stamp:
        """The path's stamp as the build saw it. For a known input: the record's, or the
        one taken when it was found changed (for an input of an app loaded before, marked
        when the app may have read it before that change). For a new one: taken now, and
        marked if it changed meanwhile."""
        changed = self.changes.paths.get(path)
        if changed is not None:
            return self.loaded.as_read(path, changed) if self.loaded is not None else changed
        if self.record is not None:
            old = self.record.stamps.get(path)
            if old is not None:
                return old
        return stamps.during_build(stamps.take(path), self.started_ns)

    def _stamp_static_folders(self) -> None:
        """Stamp every file and folder of the static folders before they are copied."""
        for _, folder in self._static_folders:
            for here, dirnames, filenames in os.walk(folder):
                # What the copy takes (output.static_tree), so what it copies is stamped.
                dirnames[:] = [name for name in dirnames if not is_hidden(name)]
                shown = (os.path.join(here, name) for name in filenames if not is_hidden(name))
                for path in (here, *shown):
                    real = os.path.realpath(path)
                    if real not in self._static_stamps:
                        self._static_stamps[real] = self._stamp(real)
            if not os.path.isdir(folder):
                self._static_stamps[os.path.realpath(folder)] = self._stamp(
                    os.path.realpath(folder)
                )


def _bundle_key(
    manifest: t.Mapping[str, t.Any], settings: str, url_map: Map | None, max_body: int | None
) -> str:
    """What the deploy bundle is made of, less the pages' bytes (hashes and sizes) and
    the code that runs (sitec's, and the converters of the app's rules)."""
    routes = [
        {**route, "urls": [{"url": u["url"], "file": u["file"], "headers": u["headers"]}
                           for u in route["urls"]]}
        for route in manifest["routes"]
    ]  # fmt: skip
    text = json.dumps(
        [{**manifest, "routes": routes}, settings, _url_map_text(url_map), max_body],
        sort_keys=True,
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _url_map_text(url_map: Map | None) -> str:
    """How ``url_map`` routes, as text: its options and every rule's. A value without a
    stable text (a callable ``redirect_to``) makes another key each time: no reuse."""
    if url_map is None:
        return ""
    options = (
        url_map.default_subdomain,
        url_map.strict_slashes,
        url_map.merge_slashes,
        url_map.redirect_defaults,
        url_map.host_matching,
        url_map.sort_parameters,
        url_map.sort_key,
        sorted(
            (name, f"{c.__module__}.{c.__qualname__}") for name, c in url_map.converters.items()
        ),
    )
    rules = [
        (rule.rule, rule.endpoint, sorted(rule.methods or ()), rule.defaults, rule.subdomain,
         rule.host, rule.redirect_to, rule.strict_slashes, rule.merge_slashes, rule.websocket,
         rule.build_only, rule.alias)
        for rule in url_map.iter_rules()
    ]  # fmt: skip
    return repr((options, rules))


def _output_stamp(path: str | Path) -> tuple[int, int]:
    return stamps.size_and_mtime(path) or (-1, -1)


class LoadedApp:
    """The app loaded in this process, with what its creation read, and a way to tell
    when that copy went stale (its code, pyproject.toml or a file read while it was
    created changed): the dev server keeps an app between rebuilds until then.

    What the creation read is stamped by :meth:`stamp`, which the dev server's session
    calls once its first build is out: the build need not wait for a thousand posts to
    be stamped. A path changed since the load began counts as changed then
    (:func:`.stamps.during_build`), whenever it is stamped.

    A file modified just before the app is loaded cannot be told by its date from one
    modified while the app read it, which would make the copy stale at once. ``saved``
    are files known to have just been saved (those that made the last copy stale): they
    are stamped before the load too, and one that is the same after it was read as it is.

    ``index`` is a :class:`~.code.CodeIndex` made before the load (the session makes one
    while it waits): the app's if its sources are unchanged since.

    Raises :class:`~sitec.compiler.load.AppLoadError` when the app does not load.
    """

    def __init__(
        self,
        settings: BuildSettings,
        *,
        saved: t.Iterable[str] = (),
        index: CodeIndex | None = None,
    ) -> None:
        from ..load import load_app

        self.settings = settings
        self.creation = InputRecorder(settings.project_root, ignored_folders(settings))
        self._before = {os.path.realpath(path): stamps.take(path) for path in saved}
        self._started_ns = time.time_ns()
        with self.creation.recording():
            self.app = load_app(settings)
        self._stamps: dict[str, Stamp] | None = None
        self._inputs: dict[str, None] | None = None
        self._code_index = index if index is not None and index.unchanged() else None

    def stamp(self) -> dict[str, Stamp]:
        """What the app's creation read, stamped once."""
        if self._stamps is None:
            self._stamps = {
                path: _as_read(stamps.take(path), self._before.get(path), self._started_ns)
                for path in self._creation_inputs()
            }
        return self._stamps

    def as_read(self, path: str, stamp: Stamp) -> Stamp:
        """A stamp of ``path`` taken after the load began, as a record keeps it: for an
        input of the app's creation, marked when it may have changed after the app read
        it (as :meth:`stamp` does)."""
        if path not in self._creation_inputs():
            return stamp
        return _as_read(stamp, self._before.get(path), self._started_ns)

    def _creation_inputs(self) -> dict[str, None]:
        """The project's code, what the creation read, and the settings files."""
        if self._inputs is None:
            settings = self.settings
            sources = project_sources(settings.project_root, ignored_folders(settings))
            self._inputs = dict.fromkeys(
                [
                    *(os.path.realpath(path) for path in sources),
                    *self.creation.files,
                    *self.creation.folders,
                    *self.creation.code,
                    *settings_files(settings),
                ]
            )
        return self._inputs

    def changed(self, saved: t.Iterable[str] = ()) -> list[str]:
        """The inputs of the app's creation that changed since it was loaded. Files
        just ``saved`` are looked at first: when one of them changed, that is enough."""
        stamped = self.stamp()
        just_saved = stamps.changed_among(stamped, saved)
        return just_saved or [path for path, stamp in stamped.items() if stamps.check(path, stamp)]

    def code_index(self) -> CodeIndex:
        """The index of the project's code, made once: the code of a loaded app does not
        change (the app is stale when it does). New or deleted files get a new index."""
        root = self.settings.project_root
        sources = project_sources(root, ignored_folders(self.settings))
        index = self._code_index
        if index is None or index.sources != sources:
            index = self._code_index = CodeIndex(root, sources)
        return index


def _as_read(stamp: Stamp, before: Stamp | None, started_ns: int) -> Stamp:
    """``stamp`` of an input of the app's creation, taken after the load began: marked
    dirty when it may have changed while the app read it, unless the stamp taken before
    the load began (``before``) is the same (then what was read is what it holds)."""
    if before is not None and stamps.same_content(before, stamp):
        return stamp
    return stamps.during_build(stamp, started_ns)


def spare_folder(output: Path) -> Path:
    """Where the tree a commit of ``output`` replaces is kept, for the next build."""
    return cache_folder(output) / "spare"


def ignored_folders(settings: BuildSettings) -> tuple[Path, Path]:
    """The build's own folders, whose files are never inputs: the output and the cache."""
    return settings.output, cache_folder(settings.output).parent


def settings_files(settings: BuildSettings) -> list[str]:
    """The files that set the build up: pyproject.toml and the environment files."""
    root = settings.project_root
    files = [os.path.realpath(root / "pyproject.toml")]
    if settings.source is not None:
        files.append(os.path.realpath(settings.source))
    files.extend(os.path.realpath(root / name) for name in _ENV_FILES)
    return list(dict.fromkeys(files))


def settings_digest(settings: BuildSettings) -> str:
    """Changes with every setting that can change the output (not the worker count)."""
    text = repr(dataclasses.replace(settings, jobs=0))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def config_digest(config: t.Mapping[str, t.Any]) -> str:
    """A digest of the app's config that is the same in every process for the same
    values (objects without a stable text count by their type's name)."""
    text = repr(sorted((str(key), _stable(value)) for key, value in config.items()))
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def _stable(value: t.Any, depth: int = 0) -> t.Any:
    if depth > 8:
        return "..."
    if value is None or isinstance(value, str | int | float | bool | bytes):
        return value
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        return repr(value)
    if isinstance(value, decimal.Decimal | UUID | Path | enum.Enum):
        return repr(value)
    if isinstance(value, t.Mapping):
        return sorted((repr(k), _stable(v, depth + 1)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return [_stable(item, depth + 1) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(repr(_stable(item, depth + 1)) for item in value)
    kind = type(value)
    return f"<{kind.__module__}.{kind.__qualname__}>"


def _tool_paths() -> list[str]:
    """sitec's own files, and the folders packages are installed in (an install or an
    upgrade changes their listing)."""
    import importlib.util

    paths: list[str] = []
    for name in _SITEC_PACKAGES:
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for here, dirnames, filenames in os.walk(folder):
                dirnames[:] = [d for d in dirnames if d != "__pycache__"]
                paths.extend(
                    os.path.realpath(os.path.join(here, f))
                    for f in filenames
                    if not f.endswith(".pyc")
                )
    installed = sysconfig.get_paths()
    paths.extend(
        os.path.realpath(folder)
        for folder in dict.fromkeys((installed["purelib"], installed["platlib"]))
    )
    return sorted(dict.fromkeys(paths))
