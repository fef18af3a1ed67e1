"""Static analysis: decide, rule by rule, whether a page can depend on the request.

``analyse_app(app, project_root)`` returns an :class:`AppAnalysis`: one
:class:`~sitec.compiler.model.RouteAnalysis` per rule of ``app.url_map`` (a
decision with ``file:line`` evidence), the literal ``url_for`` calls found in
the project's Python and templates (for URL discovery), and each template's
dependencies (for incremental builds).

The modules, bottom up: :mod:`.reads` (what counts as a request read),
:mod:`.pysource` (project files and ASTs), :mod:`.facts` (one function body),
:mod:`.callgraph` (what a function reaches, and ``g``), :mod:`.templates`,
:mod:`.hooks`, :mod:`.decide` (one rule) and :mod:`.urlfor`.
"""

from __future__ import annotations

import os
import typing as t
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from types import CodeType

from ..model import Evidence
from ..model import RouteAnalysis
from .callgraph import CallGraph
from .decide import Decider
from .decide import is_static_files
from .facts import Func
from .pysource import ProjectFiles
from .pysource import SourceCache
from .pysource import loaded_modules_in
from .templates import TemplateFacts
from .templates import Templates
from .urlfor import python_url_fors
from .urlfor import template_url_fors

if t.TYPE_CHECKING:
    from sitec.runtime import Flask

__all__ = ["AppAnalysis", "analyse_app"]


@dataclass
class AppAnalysis:
    """Everything the analysis found, for discovery, rendering and the report."""

    #: One per rule of ``app.url_map``, in ``iter_rules()`` order.
    routes: list[RouteAnalysis]
    #: ``(endpoint, values, where)`` of every literal ``url_for`` call, the
    #: endpoint absolute.
    url_for_calls: list[tuple[str, dict[str, t.Any], Evidence]] = field(default_factory=list)
    #: Template name -> the templates it extends, includes or imports, transitively.
    template_deps: dict[str, set[str]] = field(default_factory=dict)
    #: ``(file, line)`` of a request read whose value only goes into ``g`` ->
    #: the code objects of the views and hooks (with their decorators' wrappers)
    #: that make it that way. A render of a static page may pass through such a
    #: read (a ``before_request`` loading ``g.user``) without depending on the
    #: request, as long as the read happens inside one of those functions: the
    #: page uses no attribute it fills, or it would not be static. The same line
    #: run by other code (a template calling the loader itself) is a real read.
    g_feeding_reads: dict[tuple[str, int], set[CodeType]] = field(default_factory=dict)

    def route_for(self, endpoint: str) -> list[RouteAnalysis]:
        """The analyses of every rule of ``endpoint``."""
        return [route for route in self.routes if route.endpoint == endpoint]


def analyse_app(app: Flask, project_root: Path) -> AppAnalysis:
    """Analyse every rule of ``app``; code under ``project_root`` is the user's."""
    parsed = _parsed(app, Path(project_root))
    graph = CallGraph(parsed.files, parsed.sources)
    templates = Templates(app, graph, parsed.templates)
    decider = Decider(app, graph, templates)

    rules = list(app.url_map.iter_rules())
    #: What the runtime calls (a hook, a view), with the functions it runs.
    entries: dict[int, tuple[t.Any, list[Func]]] = {
        id(hook): (hook, [func]) for hook, func in decider.hook_roots()
    }
    for rule in rules:
        view = app.view_functions.get(rule.endpoint)
        if view is not None and not is_static_files(rule.endpoint, view):
            funcs = [root.func for root in decider.plan(view).roots]
            entries[id(view)] = (view, funcs)
            for func in funcs:
                graph.framework_called.add(func.obj)
    graph.settle_g(func for _, funcs in entries.values() for func in funcs)
    g_feeding = _g_feeding_reads(graph, entries.values())

    routes = [decider.analyse(rule) for rule in rules]

    view_files: dict[str, set[str]] = {}
    for route in routes:
        view = app.view_functions.get(route.endpoint)
        if view is not None and "." in route.endpoint:
            filename = decider.plan(view).filename
            if filename:
                view_files.setdefault(filename, set()).add(route.endpoint.rpartition(".")[0])
    endpoints = set(app.view_functions)
    calls = python_url_fors(graph, parsed.files, view_files, endpoints)
    calls += template_url_fors(templates, decider.template_blueprints, endpoints)

    deps = {name: templates.deps_of(name) for name in templates.all_names()}
    for route in routes:
        for name in route.templates:
            if name not in deps:
                deps[name] = templates.deps_of(name)
    return AppAnalysis(routes, calls, deps, g_feeding)


@dataclass
class _Parsed:
    """What analyses of one app parsed: the dev server's session builds again and
    again with one app, and each build analyses it."""

    root: Path
    #: The app's Jinja globals, filters and tests, which template facts depend on.
    names: tuple[tuple[str, int], ...]
    files: ProjectFiles
    sources: SourceCache
    templates: dict[tuple[str, str], TemplateFacts] = field(default_factory=dict)


def parse_ahead(root: Path, sources: t.Iterable[str | os.PathLike[str]]) -> None:
    """Parse the project's Python ``sources`` and sort the modules loaded so far before
    any app is loaded: the dev server's standby session does it while it waits, and the
    analysis of the app it loads next finds them done."""
    files, parsed = _of_project(root)
    parsed.forget_changed()
    for path in sources:
        parsed.parse(os.fspath(path))
    loaded_modules_in(files)


#: Which files are the project's and its parsed sources, per project root: they do not
#: depend on the app, so every app of the process shares them.
_PROJECTS: dict[Path, tuple[ProjectFiles, SourceCache]] = {}


def _of_project(root: Path) -> tuple[ProjectFiles, SourceCache]:
    known = _PROJECTS.get(root)
    if known is None:
        known = _PROJECTS[root] = (ProjectFiles(root), SourceCache())
    return known


def _parsed(app: Flask, root: Path) -> _Parsed:
    """What earlier analyses parsed that still holds: which files are the project's and
    its Python sources (parsed again when they changed on disk), shared by the apps of
    the project; kept on the app, its templates by source text (while the Jinja names
    are the same objects)."""
    env = app.jinja_env
    names = tuple(
        (f"{kind}:{name}", id(value))
        for kind, table in (("g", env.globals), ("f", env.filters), ("t", env.tests))
        for name, value in table.items()
    )
    known: _Parsed | None = app.extensions.get(_PARSED)
    if known is None or known.root != root:
        files, sources = _of_project(root)
        sources.forget_changed()
        known = app.extensions[_PARSED] = _Parsed(root, names, files, sources)
        return known
    known.sources.forget_changed()
    if known.names != names:
        known.names = names
        known.templates.clear()
    return known


_PARSED = "sitec.analysis"


def _g_feeding_reads(
    graph: CallGraph, entries: t.Iterable[tuple[t.Any, list[Func]]]
) -> dict[tuple[str, int], set[CodeType]]:
    """See :attr:`AppAnalysis.g_feeding_reads`."""
    found: dict[tuple[str, int], set[CodeType]] = {}
    for entry, funcs in entries:
        places = set().union(*(graph.g_feeding_reads(func) for func in funcs))
        if not places:
            continue
        codes = {func.obj.__code__ for func in funcs}
        wrapper = entry
        for _ in range(50):  # the decorators' wrappers run first: the render enters there
            code = getattr(getattr(wrapper, "__func__", wrapper), "__code__", None)
            if code is not None:
                codes.add(code)
            wrapper = getattr(wrapper, "__wrapped__", None)
            if wrapper is None:
                break
        for place in places:
            found.setdefault(place, set()).update(codes)
    return found
