"""The app's Jinja templates: what each one extends, includes and imports, and
what request-bound state it uses.

A template is parsed once with the app's own environment (so custom syntax and
extensions work) and reduced to :class:`TemplateFacts`. A page's templates are
the closure of the ones its view renders; everything in that closure counts,
including every macro of an imported template, since the analysis does not
follow which macros are called.
"""

from __future__ import annotations

import re
import types
import typing as t
import weakref
from collections import deque
from dataclasses import dataclass
from dataclasses import field

from jinja2 import Environment
from jinja2 import TemplateError
from jinja2 import nodes

from ..model import Evidence
from . import reads
from .callgraph import CallGraph
from .callgraph import Finding
from .facts import Func
from .facts import TemplateRef

if t.TYPE_CHECKING:
    from sitec.runtime import Flask

#: The name a ``render_template_string`` template is known by in evidence.
INLINE = "<string>"


@dataclass
class TemplateFacts:
    name: str
    #: Why the template could not be parsed, if it could not.
    error: str | None = None
    deps: set[str] = field(default_factory=set)
    #: Lines of extends/include/import whose template name is computed.
    unknown_deps: list[int] = field(default_factory=list)
    #: ``(what, line)`` of request reads.
    reads: list[tuple[str, int]] = field(default_factory=list)
    #: ``(attr or "*", line)`` of ``g`` reads.
    greads: list[tuple[str, int]] = field(default_factory=list)
    #: ``(name, line)`` of URL-determined request reads, for notes.
    notes: list[tuple[str, int]] = field(default_factory=list)
    #: Python functions of the project the template calls (globals, filters, tests).
    calls: list[tuple[Func, str, int]] = field(default_factory=list)
    url_fors: list[tuple[str, dict[str, t.Any], int]] = field(default_factory=list)


class Templates:
    """The facts of the app's templates. ``parsed`` holds the facts of earlier analyses
    of this app by name and source text, and takes this one's."""

    def __init__(
        self,
        app: Flask,
        graph: CallGraph,
        parsed: dict[tuple[str, str], TemplateFacts] | None = None,
    ) -> None:
        self.app = app
        self.env = app.jinja_env
        self.graph = graph
        self._parsed = {} if parsed is None else parsed
        self._facts: dict[str, TemplateFacts] = {}
        self._inline: dict[str, TemplateFacts] = {}
        self._names: list[str] | None = None

    def all_names(self) -> list[str]:
        """Every template the app's loader lists (empty if it cannot list)."""
        if self._names is None:
            try:
                self._names = sorted(self.env.list_templates())
            except (TypeError, TemplateError, OSError):
                self._names = []
        return self._names

    def facts(self, name: str) -> TemplateFacts:
        known = self._facts.get(name)
        if known is None:
            try:
                source, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
            except TemplateError as e:
                known = TemplateFacts(name, error=f"template {name} not found ({e})")
            except (OSError, UnicodeDecodeError) as e:
                known = TemplateFacts(name, error=f"template {name} cannot be read ({e})")
            else:
                known = self._parsed.get((name, source))
                if known is None:
                    known = self._parsed[name, source] = self._parse(name, source)
            self._facts[name] = known
        return known

    def inline(self, source: str) -> TemplateFacts:
        known = self._inline.get(source)
        if known is None:
            known = self._inline[source] = self._parse(INLINE, source)
        return known

    def _parse(self, name: str, source: str) -> TemplateFacts:
        try:
            tree = parsed_template(self.env, source, name)
        except TemplateError as e:
            return TemplateFacts(name, error=f"template {name} does not parse: {e}")
        walker = _Walker(TemplateFacts(name), self)
        walker.collect_shadowed(tree)
        walker.visit(tree)
        return walker.facts

    # -- closure ---------------------------------------------------------------

    def resolve_refs(
        self, refs: t.Iterable[tuple[TemplateRef, str]]
    ) -> tuple[list[str], list[Evidence]]:
        """Template names that the refs (each with the file it is in) can render,
        and notes about names that are computed."""
        names: list[str] = []
        notes: list[Evidence] = []
        for ref, where in refs:
            if ref.names is not None:
                names.extend(ref.names)
            if ref.unknown is None or ref.source is not None:
                continue
            if ref.pattern is not None:
                pattern = re.compile(ref.pattern)
                matched = [n for n in self.all_names() if pattern.fullmatch(n)]
                names.extend(matched)
                message = f"{ref.unknown}; analysed the {len(matched)} templates it can name"
            else:
                names.extend(self.all_names())
                message = f"{ref.unknown}; analysed every template of the app"
            notes.append(Evidence(message, where, ref.line))
        return list(dict.fromkeys(names)), notes

    def closure(self, names: t.Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Every template reachable from ``names`` -> the chain of names leading to it."""
        paths: dict[str, tuple[str, ...]] = {}
        queue: deque[str] = deque()
        for name in names:
            if name not in paths:
                paths[name] = (name,)
                queue.append(name)
        while queue:
            name = queue.popleft()
            facts = self.facts(name) if name != INLINE else None
            if facts is None:
                continue
            deps = set(facts.deps)
            if facts.unknown_deps:
                deps.update(self.all_names())
            for dep in sorted(deps):
                if dep not in paths:
                    paths[dep] = (*paths[name], dep)
                    queue.append(dep)
        return paths

    def deps_of(self, name: str) -> set[str]:
        """The templates ``name`` extends, includes or imports, transitively."""
        return set(self.closure([name])) - {name}

    def findings(self, facts: TemplateFacts, chain: tuple[str, ...]) -> t.Iterator[Finding]:
        """Request reads in one template; ``chain`` is how the page reaches it."""
        via = ("template " + " -> ".join(chain),)
        name = facts.name
        if facts.error is not None:
            yield Finding(f"analysis cannot see: {facts.error}", name, None, via)
            return
        for what, line in facts.reads:
            yield Finding(f"reads {what}", name, line, via)
        for attr, line in facts.greads:
            message = self.graph.describe_g(attr)
            if message is not None:
                yield Finding(message, name, line, via)
        for func, label, _line in facts.calls:
            for inner in self.graph.findings(func):
                yield Finding(inner.message, inner.file, inner.line, (*via, label, *inner.path))


class _Walker:
    """Collects :class:`TemplateFacts` from a Jinja AST."""

    def __init__(self, facts: TemplateFacts, templates: Templates) -> None:
        self.facts = facts
        self.templates = templates
        self.shadowed: set[str] = set()

    def collect_shadowed(self, tree: nodes.Template) -> None:
        """Names the template binds itself (set, for, macro arguments, imports)."""
        for node in tree.find_all(nodes.Name):
            if node.ctx in {"store", "param"}:
                self.shadowed.add(node.name)
        for node in tree.find_all((nodes.Import, nodes.FromImport)):
            if isinstance(node, nodes.Import):
                self.shadowed.add(node.target)
            else:
                for item in node.names:
                    self.shadowed.add(item[1] if isinstance(item, tuple) else item)

    def visit(self, node: nodes.Node) -> None:
        handled = False
        if isinstance(node, nodes.Extends | nodes.Include | nodes.Import | nodes.FromImport):
            self._dependency(node)
        elif isinstance(node, nodes.Getattr | nodes.Getitem):
            handled = self._attribute(node)
        elif isinstance(node, nodes.Call):
            handled = self._call(node)
        elif isinstance(node, nodes.Name) and node.ctx == "load":
            self._name(node)
        elif isinstance(node, nodes.Filter) and node.name:
            self._callable(node.name, node.lineno, "filters")
        elif isinstance(node, nodes.Test) and node.name:
            self._callable(node.name, node.lineno, "tests")
        if not handled:
            for child in node.iter_child_nodes():
                self.visit(child)

    def _dependency(
        self, node: nodes.Extends | nodes.Include | nodes.Import | nodes.FromImport
    ) -> None:
        template = node.template
        if isinstance(template, nodes.Const) and isinstance(template.value, str):
            self.facts.deps.add(template.value)
        elif isinstance(template, nodes.Const) and isinstance(template.value, list | tuple):
            self.facts.deps.update(v for v in template.value if isinstance(v, str))
        elif isinstance(template, nodes.List | nodes.Tuple) and all(
            isinstance(item, nodes.Const) for item in template.items
        ):
            self.facts.deps.update(item.value for item in template.items)  # type: ignore[attr-defined]
        else:
            self.facts.unknown_deps.append(node.lineno)

    def _base_name(self, node: nodes.Node) -> str | None:
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in self.shadowed:
            return node.name
        return None

    def _attribute(self, node: nodes.Getattr | nodes.Getitem) -> bool:
        base = self._base_name(node.node)
        if isinstance(node, nodes.Getattr):
            attr: t.Any = node.attr
        elif isinstance(node.arg, nodes.Const):
            attr = node.arg.value
        else:
            attr = None
        if base == "request":
            if not isinstance(attr, str):
                self.facts.reads.append(("request[<computed>]", node.lineno))
            elif reads.request_attribute_read(attr) is not None:
                self.facts.reads.append((f"request.{attr}", node.lineno))
            else:
                self.facts.notes.append((f"request.{attr}", node.lineno))
            return True
        if base == "g":
            if attr in {"get", "pop"}:
                return False  # the call names the attribute
            self.facts.greads.append((attr if isinstance(attr, str) else "*", node.lineno))
            return True
        return False

    def _call(self, node: nodes.Call) -> bool:
        func = node.node
        first = node.args[0] if node.args else None
        if (
            isinstance(func, nodes.Getattr)
            and self._base_name(func.node) == "g"
            and func.attr in {"get", "pop"}
        ):
            key = first.value if isinstance(first, nodes.Const) else "*"
            self.facts.greads.append((key if isinstance(key, str) else "*", node.lineno))
            for arg in node.args[1:]:
                self.visit(arg)
            return True
        if self._base_name(func) == "url_for" and isinstance(first, nodes.Const):
            values = {}
            literal = len(node.args) == 1 and node.dyn_args is None and node.dyn_kwargs is None
            for keyword in node.kwargs:
                if isinstance(keyword.value, nodes.Const):
                    values[keyword.key] = keyword.value.value
                else:
                    literal = False
            if literal and isinstance(first.value, str):
                self.facts.url_fors.append((first.value, values, node.lineno))
        return False

    def _name(self, node: nodes.Name) -> None:
        name = node.name
        if name in self.shadowed:
            return
        if name in reads.TEMPLATE_READ_NAMES:
            self.facts.reads.append((reads.TEMPLATE_READ_NAMES[name], node.lineno))
        elif name == "request":
            self.facts.reads.append(("the request object (passed on whole)", node.lineno))
        elif name == "g":
            self.facts.greads.append(("*", node.lineno))
        else:
            self._callable(name, node.lineno, "globals")

    def _callable(self, name: str, line: int, table: str) -> None:
        """A Jinja global, filter or test that is a function of the project."""
        value = getattr(self.templates.env, table).get(name)
        if value is None or reads.role_of(value) is not None:
            return
        graph = self.templates.graph
        if reads.is_proxy(value):
            if reads.proxy_is_request_bound(value):
                self.facts.reads.append((name, line))
            return
        function = value
        while hasattr(function, "__func__"):
            function = function.__func__
        if isinstance(function, types.FunctionType) and graph.in_project(function):
            kind = {"globals": "", "filters": "filter ", "tests": "test "}[table]
            self.facts.calls.append((Func(function), f"{kind}{name}", line))


#: Templates parsed, per environment and source text (see :func:`parsed_template`).
_PARSED_TEMPLATES: weakref.WeakKeyDictionary[
    Environment, dict[str | tuple[str, str | None], nodes.Template]
] = weakref.WeakKeyDictionary()


def parsed_template(env: Environment, source: str, name: str | None = None) -> nodes.Template:
    """``env.parse(source, name)``, parsed once per environment and source text: the
    analysis reads each template's tree, and the code fingerprints of the pages read it
    again. Nobody changes a tree. The name only shows in errors, which are not kept,
    unless an extension reads it while it preprocesses the source.

    A tree parsed ahead (:func:`parse_templates_ahead`) is taken when ``env`` parses as
    the stand-in did: no extension, Jinja's own parsing methods, and the same syntax
    options (Jinja keeps one lexer per set of them)."""
    known = _PARSED_TEMPLATES.setdefault(env, {})
    key = (source, name) if env.extensions else source
    tree = known.get(key)
    if tree is None:
        ahead = _AHEAD.get(source) if _parses_like_jinja(env) else None
        if ahead is not None and env.lexer is ahead.environment.lexer:
            tree = _AHEAD.pop(source).set_environment(env)
        else:
            tree = env.parse(source, name)
        known[key] = tree
    return tree


def _parses_like_jinja(env: Environment) -> bool:
    """No extension, and Jinja's own parsing methods (neither overridden by a subclass
    nor replaced on the instance)."""
    return not env.extensions and all(
        getattr(getattr(env, method), "__func__", None) is getattr(Environment, method)
        for method in ("parse", "_parse", "_tokenize", "preprocess")
    )


#: Trees parsed before any app was loaded, by source text; each is taken once.
_AHEAD: dict[str, nodes.Template] = {}


def parse_templates_ahead(paths: t.Iterable[str]) -> None:
    """Parse the template files ``paths`` (the last build's) with Jinja's default syntax,
    for :func:`parsed_template`: the dev server's standby session does it while it waits,
    before it loads the app. A file that cannot be read or parsed is left to the build."""
    stand_in = Environment()
    ahead = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as file:
                source = file.read()
            ahead[source] = _AHEAD.get(source) or stand_in.parse(source)
        except (OSError, UnicodeDecodeError, TemplateError):
            continue
    _AHEAD.clear()
    _AHEAD.update(ahead)
