"""The build record: what the last good build depended on, and what it wrote.

Every build that commits writes one record to the cache folder beside its output
(``OUT.parent/.sitec-cache/OUT.name/record.json``). It holds a stamp of every input,
grouped by what a change to it means, and one entry per rendered URL: the inputs it
read, the fingerprint of the code it ran, what the render answered and the file it
became. :meth:`BuildRecord.changes` compares the record with the disk without loading
the app, so a build with nothing to do ends before importing anything of the user's.

Paths and URLs are kept once each in tables and referred to by number, and what pages
of one endpoint share (headers, templates, inputs, code) once as a shape, so the record
of a site whose pages all read the same hundred posts stays small.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import typing as t
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from . import stamps
from .stamps import Stamp

#: Bump whenever the record's meaning changes: an older record is then ignored.
FORMAT = 5
CACHE_FOLDER = ".sitec-cache"
#: What changed when environment variables were set or unset, for an app that reads
#: them all (``app.config.from_prefixed_env()``).
ENVIRONMENT_NAMES = "the environment's variable names"
RECORD_NAME = "record.json"

#: Input groups, and what a change in each means for the next build.
SETTINGS = "settings"  # pyproject.toml, .env: everything is built again
TOOLS = "tools"  # sitec's own source and the installed packages: everything again
CREATION = "creation"  # read while the app was created: every page again
CODE = "code"  # the project's Python: the app is reloaded, fingerprints decide
DISCOVERY = "discovery"  # read while finding URLs: the URLs are found again
STATIC = "static"  # static folders: changed files are copied again
TEMPLATES = "templates"  # the template files pages loaded: parsed ahead by the dev server


def cache_folder(output: Path) -> Path:
    """Where the record of the build into ``output`` lives."""
    return output.parent / CACHE_FOLDER / output.name


@dataclass
class PageEntry:
    """One rendered URL as the record keeps it."""

    endpoint: str | None
    status: int
    #: The response's headers but ``Content-Length``, which differs from page to page
    #: (the record keeps what pages share once) and is the body's size.
    headers: list[tuple[str, str]]
    #: Request reads as evidence dicts (``Evidence.to_json``).
    reads: list[dict[str, t.Any]]
    #: Reads that only filled ``g`` attributes the page does not use, likewise.
    g_feeding_reads: list[dict[str, t.Any]]
    templates: list[str]
    files: list[str]
    folders: list[str]
    links: list[str]
    error: str | None
    #: Index of the page's set of input paths in :attr:`BuildRecord.input_sets`.
    inputs: int
    code: str
    #: The file it was written to (relative to ``public/``), its hash and size.
    file: str | None = None
    sha256: str | None = None
    size: int = 0


@dataclass
class Changes:
    """What differs between a record and the disk."""

    #: Changed input paths, with their stamps now.
    paths: dict[str, Stamp] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)
    #: Output files (relative to ``public/``) that are not as the build left them.
    damaged: set[str] = field(default_factory=set)
    #: Environment variables the app read that changed (or appeared, or went).
    environment: list[str] = field(default_factory=list)

    @property
    def nothing(self) -> bool:
        return not self.paths and not self.damaged and not self.environment

    def describe(self, root: Path, limit: int = 3) -> str:
        """``templates/post.html, content/a.md and 2 more`` for the terminal."""
        names = []
        for path in self.paths:
            try:
                names.append(Path(path).relative_to(root).as_posix())
            except ValueError:
                names.append(path)
        names.sort()
        names += [name if name == ENVIRONMENT_NAMES else f"${name}" for name in self.environment]
        shown = ", ".join(names[:limit])
        more = len(names) - limit
        return f"{shown} and {more} more" if more > 0 else shown


@dataclass
class BuildRecord:
    """See the module docstring."""

    #: The output folder the record describes (not saved: the record is found by it).
    output: Path
    #: Digest of the settings (``BuildSettings`` less the worker count).
    settings: str
    #: Digest of the app's config after it was created.
    config: str
    #: Digest of ``manifest.json`` as committed: the record belongs to that output.
    manifest: str
    #: Input path -> its stamp when the build read it.
    stamps: dict[str, Stamp] = field(default_factory=dict)
    #: Group -> input paths.
    groups: dict[str, list[str]] = field(default_factory=dict)
    #: Sets of input paths that pages read.
    input_sets: list[list[str]] = field(default_factory=list)
    #: URL -> what rendering it gave.
    pages: dict[str, PageEntry] = field(default_factory=dict)
    #: File of ``public/`` -> ``(size, mtime_ns)`` as committed.
    outputs: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: Static file of ``public/`` -> ``(source path, sha256, size)``.
    static_files: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    #: What the deploy bundle was made of, the problems it had, and its files
    #: (relative to the output folder) -> ``(size, mtime_ns)``.
    bundle_key: str = ""
    bundle_problems: list[str] = field(default_factory=list)
    bundle: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: Environment variables the app read (``None``: unset) and, when it listed them
    #: all, the names there were.
    environment: dict[str, str | None] = field(default_factory=dict)
    environment_names: list[str] | None = None
    #: All but the bundle, encoded ahead (:meth:`encode`).
    _encoded: str | None = field(default=None, repr=False, compare=False)

    # -- reading and checking -------------------------------------------------------

    @classmethod
    def load(cls, output: Path) -> BuildRecord | None:
        """The record of the build that made ``output``, if it has one and it still
        describes that output."""
        path = cache_folder(output) / RECORD_NAME
        try:
            data = json.loads(path.read_bytes())
            if data.get("format") != FORMAT:
                return None
            record = cls._from_json(output, data)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if record.manifest != manifest_digest(output):
            return None  # the output was rebuilt or replaced without this record
        return record

    def changes(self) -> Changes:
        """Every recorded input and output that is not as the build saw it."""
        found = Changes()
        for path, old in self.stamps.items():
            new = stamps.check(path, old)
            if new is not None:
                found.paths[path] = new
        if found.paths:
            for group, paths in self.groups.items():
                if not found.paths.keys().isdisjoint(paths):
                    found.groups.add(group)
        found.damaged = self.damaged_outputs()
        found.environment = sorted(
            name for name, value in self.environment.items() if os.environ.get(name) != value
        )
        if self.environment_names is not None and sorted(os.environ) != self.environment_names:
            found.environment.append(ENVIRONMENT_NAMES)
        return found

    def damaged_outputs(self) -> set[str]:
        """Files of ``public/`` changed or gone since the build wrote them."""
        public = os.path.join(self.output, "public")
        damaged = set()
        for file, (size, mtime_ns) in self.outputs.items():
            try:
                info = os.stat(os.path.join(public, file))  # no Path: 10,000 of them
            except OSError:
                damaged.add(file)
                continue
            if info.st_size != size or info.st_mtime_ns != mtime_ns:
                damaged.add(file)
        return damaged

    # -- writing ----------------------------------------------------------------------

    def encode(self) -> str:
        """Encode all but the deploy bundle now, the costly part of :meth:`save` (a
        tenth of a second for 10,000 pages): the build does it while the bundle is
        being written."""
        self._encoded = json.dumps(self._to_json(), separators=(",", ":"))
        return self._encoded

    def save(self) -> None:
        """Write the record atomically; a failure only costs the next build its reuse."""
        folder = cache_folder(self.output)
        encoded = self._encoded if self._encoded is not None else self.encode()
        bundle = json.dumps([self.bundle_key, self.bundle_problems, self.bundle])
        data = f'{encoded[:-1]},"bundle":{bundle}}}'.encode()  # the last member of the object
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".record-", dir=folder)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(temporary, folder / RECORD_NAME)
        except OSError:
            pass

    def _to_json(self) -> dict[str, t.Any]:
        paths = _Table()
        urls = _Table()
        # What pages of one endpoint have in common is kept once, as a shape.
        shapes: dict[tuple[t.Any, ...], int] = {}
        shape_list: list[list[t.Any]] = []
        pages = {}
        for url, page in self.pages.items():
            key = (
                page.endpoint,
                page.status,
                tuple(page.headers),
                repr(page.reads) if page.reads else "",
                repr(page.g_feeding_reads) if page.g_feeding_reads else "",
                tuple(page.templates),
                tuple(page.files),
                tuple(page.folders),
                page.error,
                page.inputs,
                page.code,
            )
            number = shapes.get(key)
            if number is None:
                number = shapes[key] = len(shape_list)
                shape_list.append(
                    [
                        page.endpoint,
                        page.status,
                        page.headers,
                        page.reads,
                        page.g_feeding_reads,
                        page.templates,
                        page.files,
                        page.folders,
                        page.error,
                        page.inputs,
                        page.code,
                    ]
                )
            pages[url] = [
                number,
                urls.ids(page.links),
                page.file,
                page.sha256,
                page.size,
            ]
        return {
            "format": FORMAT,
            "settings": self.settings,
            "config": self.config,
            "manifest": self.manifest,
            "stamps": [[paths.id(path), stamp.to_json()] for path, stamp in self.stamps.items()],
            "groups": {name: paths.ids(group) for name, group in self.groups.items()},
            "input_sets": [paths.ids(group) for group in self.input_sets],
            "shapes": shape_list,
            "pages": pages,
            "outputs": self.outputs,
            "static_files": {
                file: [paths.id(source), sha, size]
                for file, (source, sha, size) in self.static_files.items()
            },
            "environment": [self.environment, self.environment_names],
            "paths": paths.items,
            "urls": urls.items,
        }

    @classmethod
    def _from_json(cls, output: Path, data: dict[str, t.Any]) -> BuildRecord:
        paths: list[str] = data["paths"]
        urls: list[str] = data["urls"]
        shapes = [
            (endpoint, status, [(name, value) for name, value in headers], reads,
             g_feeding_reads, templates, files, folders, error, inputs, code)
            for (endpoint, status, headers, reads, g_feeding_reads, templates, files, folders,
                 error, inputs, code) in data["shapes"]
        ]  # fmt: skip
        pages = {}
        for url, (shape, links, file, sha256, size) in data["pages"].items():
            (endpoint, status, headers, reads, g_feeding_reads, templates, files, folders,
             error, inputs, code) = shapes[shape]  # fmt: skip
            pages[url] = PageEntry(
                endpoint,
                status,
                headers,
                reads,
                g_feeding_reads,
                templates,
                files,
                folders,
                [urls[i] for i in links],
                error,
                inputs,
                code,
                file,
                sha256,
                size,
            )
        bundle_key, bundle_problems, bundle = data["bundle"]
        environment, environment_names = data["environment"]
        return cls(
            output=output,
            bundle_key=bundle_key,
            bundle_problems=bundle_problems,
            bundle={file: (size, mtime) for file, (size, mtime) in bundle.items()},
            environment=environment,
            environment_names=environment_names,
            settings=data["settings"],
            config=data["config"],
            manifest=data["manifest"],
            stamps={paths[i]: Stamp.from_json(stamp) for i, stamp in data["stamps"]},
            groups={name: [paths[i] for i in ids] for name, ids in data["groups"].items()},
            input_sets=[[paths[i] for i in ids] for ids in data["input_sets"]],
            pages=pages,
            outputs={file: (size, mtime) for file, (size, mtime) in data["outputs"].items()},
            static_files={
                file: (paths[i], sha, size) for file, (i, sha, size) in data["static_files"].items()
            },
        )


class RecordReader:
    """Reads the record of the build that made ``output``; a record read once is taken
    again while its file is the same file and the output is the one it describes. The
    dev server's session builds again and again, and reads the new record while idle."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self._key: tuple[int, int, int] | None = None
        self._record: BuildRecord | None = None

    @property
    def last(self) -> BuildRecord | None:
        """The record :meth:`read` found last, not checked again."""
        return self._record

    def read(self) -> BuildRecord | None:
        try:
            info = os.stat(cache_folder(self.output) / RECORD_NAME)
        except OSError:
            return None
        key = (info.st_ino, info.st_mtime_ns, info.st_size)
        if key == self._key and self._record is not None:
            return self._record if self._record.manifest == manifest_digest(self.output) else None
        self._key, self._record = key, BuildRecord.load(self.output)
        return self._record


class _Table:
    """Strings numbered in first-seen order."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    @property
    def items(self) -> list[str]:
        return list(self._ids)  # a dict keeps the order its keys were added in

    def id(self, item: str) -> int:
        return self._ids.setdefault(item, len(self._ids))

    def ids(self, items: t.Iterable[str]) -> list[int]:
        ids = self._ids
        return [ids.setdefault(item, len(ids)) for item in items]


def manifest_digest(output: Path) -> str | None:
    """Digest of ``output/manifest.json``, ``None`` when there is none."""
    try:
        return hashlib.blake2b((output / "manifest.json").read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return None
