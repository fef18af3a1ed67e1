"""The call graph of the project's code and what each function reaches.

:class:`CallGraph` turns functions into :class:`~.facts.FunctionFacts` (once
per function) and answers "what request-bound state can running this function
read?" as a list of :class:`Finding`, each with the chain of calls that leads
to it. Calls into code outside the project are assumed pure unless
:mod:`.reads` knows them; a call ``obj.name()`` it cannot resolve counts when
some project function or method called ``name`` reads the request.

``g`` is shared between functions, so the graph also works out which ``g``
attributes carry request data (:meth:`CallGraph.settle_g`). A value that only
flows into ``g`` does not make a page dynamic by itself, unless computing it can
end the request (an ``abort()`` or ``raise`` on the way, :meth:`CallGraph.escapes`):
then what it read decides the response, not just ``g``.
"""

from __future__ import annotations

import ast
import sys
import types
import typing as t
from collections import deque
from dataclasses import dataclass

from .facts import FactsVisitor
from .facts import Func
from .facts import FunctionFacts
from .facts import Use
from .facts import _class_attr
from .pysource import ProjectFiles
from .pysource import SourceCache
from .pysource import loaded_modules_in
from .pysource import unwrap_callable


@dataclass(frozen=True)
class Finding:
    """A read of request-bound state (or a blind spot) reached from a root."""

    message: str
    file: str | None
    line: int | None
    #: Labels of the functions called from the root to get here.
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class GSource:
    """Why ``g.<attr>`` carries request data: what was read, and where it was set."""

    what: str
    setter: str
    file: str
    line: int


class CallGraph:
    def __init__(self, files: ProjectFiles, sources: SourceCache) -> None:
        self.files = files
        self.sources = sources
        self._facts: dict[Func, FunctionFacts] = {}
        #: Functions with the same code and closure share their facts (a view
        #: factory's thousand closures are analysed once).
        self._shared: dict[tuple[t.Any, ...], FunctionFacts] = {}
        self._decorators: dict[t.Any, list[tuple[str, int, list[Use]]]] = {}
        self._imports: dict[str, dict[str, str]] = {}
        self._findings: dict[int, list[Finding]] = {}
        #: ``findings`` of functions being worked out now (keys), and, per call on that
        #: stack, the keys it met there: a cycle of possible calls (see ``findings``).
        self._open: set[int] = set()
        self._met_open: list[set[int]] = []
        self._by_name: dict[str, list[Func]] | None = None
        #: Functions the framework calls itself (views, hooks): never a
        #: candidate for an unresolved ``obj.name()``.
        self.framework_called: set[types.FunctionType] = set()
        #: ``g`` attribute -> why it carries request data.
        self.tainted: dict[str, GSource] = {}
        #: Function -> label like "before_request load_user", for messages.
        self.roles: dict[types.FunctionType, str] = {}
        #: Facts id -> whether running the function can abort or raise.
        self._exits: dict[int, bool] = {}
        #: Facts id -> ``(sink, line)`` of its ``g`` assignments that can end the request.
        self._exiting_sinks: dict[int, frozenset[tuple[str, int]]] = {}
        #: Facts id -> :meth:`g_feeding_reads`.
        self._feeding: dict[int, set[tuple[str, int]]] = {}

    # -- the Resolver protocol the visitor uses ---------------------------------

    def in_project(self, obj: object) -> bool:
        if isinstance(obj, types.FunctionType):
            return self.files.contains(obj.__code__.co_filename)
        if isinstance(obj, type):
            module = sys.modules.get(obj.__module__)
            return self.files.contains(getattr(module, "__file__", None))
        return False

    def module_imports(self, filename: str) -> dict[str, str]:
        """Names a module binds by import -> the dotted name imported."""
        table = self._imports.get(filename)
        if table is not None:
            return table
        table = {}
        parsed = self.sources.parse(filename)
        if parsed is not None:
            for node in parsed.tree.body:
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.asname:
                            table[alias.asname] = alias.name
                        else:
                            top = alias.name.split(".")[0]
                            table[top] = top
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    for alias in node.names:
                        table[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        self._imports[filename] = table
        return table

    # -- facts -----------------------------------------------------------------

    def facts(self, func: Func) -> FunctionFacts:
        known = self._facts.get(func)
        if known is None:
            shape = _shape(func)
            known = self._shared.get(shape)
            if known is None:
                known = self._shared[shape] = self._read_facts(func)
            self._facts[func] = known
        return known

    def _read_facts(self, func: Func) -> FunctionFacts:
        code = func.obj.__code__
        nodes = self.sources.function_nodes(code)
        if not nodes:
            facts = FunctionFacts(func, code.co_filename, parsed=False)
            facts.first_line = code.co_firstlineno
            return facts
        return FactsVisitor(func, nodes, self, self.in_project(func.obj)).run()

    def decorator_uses(self, func: Func) -> list[tuple[str, int, list[Use]]]:
        """Each decorator on ``func``'s ``def``: its source text, line and uses."""
        code = func.obj.__code__
        known = self._decorators.get(code)
        if known is not None:
            return known
        found = []
        for node in self.sources.function_nodes(code):
            for decorator in getattr(node, "decorator_list", []):
                visitor = FactsVisitor(func, [], self, self.in_project(func.obj))
                visitor.eval(decorator)
                text = ast.unparse(decorator)
                found.append((text, decorator.lineno, visitor.facts.uses))
        self._decorators[code] = found
        return found

    def where(self, func: Func) -> str:
        return self.files.display(func.obj.__code__.co_filename)

    # -- reach -----------------------------------------------------------------

    def reach(self, roots: t.Iterable[Func], *, escaping_only: bool) -> dict[Func, tuple[str, ...]]:
        """Functions reachable from ``roots`` -> the labels of the calls on the way."""
        paths: dict[Func, tuple[str, ...]] = {}
        queue: deque[Func] = deque()
        for root in roots:
            if root not in paths:
                paths[root] = ()
                queue.append(root)
        while queue:
            func = queue.popleft()
            for use in self.facts(func).uses:
                if use.kind != "call" or use.target is None or use.target in paths:
                    continue
                if escaping_only and not self.escapes(func, use):
                    continue
                paths[use.target] = (*paths[func], use.label or use.target.label)
                queue.append(use.target)
        return paths

    def findings(self, func: Func) -> list[Finding]:
        """Everything request-bound that running ``func`` can read, with call chains.

        A value that only flows into ``g`` is not a finding here (see
        :meth:`settle_g`); side effects such as session writes always are.
        """
        key = id(self.facts(func))
        known = self._findings.get(key)
        if known is not None:
            return known
        if key in self._open:
            # Possible calls (``obj.name()``) can lead back to a function whose findings
            # are being worked out up the stack. That call adds its own findings there;
            # here it adds none, and what is worked out meanwhile is incomplete until
            # the call that met it finishes, so it is not remembered before.
            self._met_open[-1].add(key)
            return []
        self._open.add(key)
        self._met_open.append(set())
        try:
            found: list[Finding] = []
            escaping = self.reach([func], escaping_only=True)
            for reached, path in escaping.items():
                found.extend(self._local_findings(reached, path, effects_only=False))
            for reached, path in self.reach([func], escaping_only=False).items():
                if reached not in escaping:
                    found.extend(self._local_findings(reached, path, effects_only=True))
        finally:
            self._open.discard(key)
            met = self._met_open.pop() - {key}
        if met:
            self._met_open[-1] |= met
        else:
            self._findings[key] = found
        return found

    def _local_findings(
        self, func: Func, path: tuple[str, ...], *, effects_only: bool
    ) -> t.Iterator[Finding]:
        facts = self.facts(func)
        file = self.where(func)
        if not facts.parsed:
            yield Finding(
                f"cannot see the source of {func.label}, so analysis cannot tell what it reads",
                file,
                facts.first_line,
                path,
            )
            return
        for use in facts.uses:
            if not use.effect and (effects_only or not self.escapes(func, use)):
                continue
            message = self.describe(use)
            if message is not None:
                yield Finding(message, file, use.line, path)

    # -- ways out of the request ---------------------------------------------------

    def escapes(self, func: Func, use: Use) -> bool:
        """Whether a use in ``func`` can change the response, not only ``g``.

        A use whose value flows into ``g.x`` stays there, unless the assignment
        can also end the request: ``g.x = load() or abort(401)``, or a call on
        the right-hand side that can abort or raise. Then every read of that
        assignment decides the response (a 401 for some visitors).
        """
        if use.sink is None or use.effect:
            return True
        return (use.sink, use.line) in self._sinks_that_exit(func)

    def _sinks_that_exit(self, func: Func) -> frozenset[tuple[str, int]]:
        facts = self.facts(func)
        known = self._exiting_sinks.get(id(facts))
        if known is None:
            known = self._exiting_sinks[id(facts)] = frozenset(
                (use.sink, use.line)
                for use in facts.uses
                if use.sink is not None and self._can_exit(use)
            )
        return known

    def _can_exit(self, use: Use) -> bool:
        if use.kind == "exit":
            return True
        if use.kind == "call" and use.target is not None:
            return self.may_exit(use.target)
        if use.kind == "maybe":
            return any(self.may_exit(candidate) for candidate in self.methods_named(use.what))
        return False

    def may_exit(self, func: Func) -> bool:
        """Whether running ``func`` can abort or raise, as far as the project's code shows."""
        key = id(self.facts(func))
        known = self._exits.get(key)
        if known is not None:
            return known
        self._exits[key] = False  # a recursive call adds nothing
        reached = self.reach([func], escaping_only=False)
        found = any(
            use.kind == "exit"
            or (use.kind == "maybe" and any(self.may_exit(c) for c in self.methods_named(use.what)))
            for reached_func in reached
            for use in self.facts(reached_func).uses
        )
        self._exits[key] = found
        return found

    def describe(self, use: Use) -> str | None:
        """The message for an escaping use, or ``None`` when it reads nothing."""
        if use.kind == "read":
            return f"reads {use.what}"
        if use.kind == "cannot":
            return f"analysis cannot see: {use.what}"
        if use.kind == "gread":
            return self.describe_g(use.what)
        if use.kind == "maybe":
            for candidate in self.methods_named(use.what):
                inner = self.findings(candidate)
                if inner:
                    return f"may call {candidate.label}, which {inner[0].message}"
        return None

    def describe_g(self, attr: str) -> str | None:
        if attr == "*" or _is_dunder(attr):  # g.__dict__ holds every attribute
            if not self.tainted:
                return None
            attr = next(iter(self.tainted))
        source = self.tainted.get(attr)
        if source is None:
            return None
        return (
            f"uses g.{attr}, set from {source.what} in {source.setter}"
            f" at {source.file}:{source.line}"
        )

    # -- unresolved method calls -----------------------------------------------

    def methods_named(self, name: str) -> list[Func]:
        """Project functions and methods called ``name`` that user code may call."""
        if self._by_name is None:
            self._by_name = self._index_names()
        return self._by_name.get(name, [])

    def _index_names(self) -> dict[str, list[Func]]:
        from sitec.runtime.views import View
        from sitec.runtime.views import http_method_funcs

        index: dict[str, list[Func]] = {}
        seen: set[tuple[int, int]] = set()

        def add(obj: t.Any, owner: type | None) -> None:
            function = unwrap_callable(obj.fget if isinstance(obj, property) else obj)
            if not isinstance(function, types.FunctionType) or not self.in_project(function):
                return
            if function in self.framework_called:
                return
            key = (id(function), id(owner))
            if key in seen:
                return
            seen.add(key)
            index.setdefault(function.__name__, []).append(Func(function, owner))

        for module in loaded_modules_in(self.files):
            for value in list(vars(module).values()):
                if isinstance(value, type) and value.__module__ == module.__name__:
                    is_view = issubclass(value, View)
                    for attr, member in vars(value).items():
                        if is_view and (attr in http_method_funcs or attr == "dispatch_request"):
                            continue
                        add(member, value)
                elif isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
                    add(value, None)
        return index

    # -- g ---------------------------------------------------------------------

    def settle_g(self, roots: t.Iterable[Func]) -> None:
        """Work out which ``g`` attributes carry request data, over everything
        reachable from ``roots``, until nothing changes."""
        universe = self.reach(list(roots), escaping_only=False)
        sinks = [
            (func, use)
            for func in universe
            for use in self.facts(func).uses
            if use.sink and use.kind != "exit"
        ]
        changed = True
        while changed:
            changed = False
            self._findings.clear()
            for func, use in sinks:
                attr = use.sink
                if attr is None or attr in self.tainted:
                    continue
                what = self._sunk_read(use)
                if what is not None:
                    setter = self.roles.get(func.obj, f"function {func.label}")
                    self.tainted[attr] = GSource(what, setter, self.where(func), use.line)
                    changed = True
        self._findings.clear()

    def g_feeding_reads(self, root: Func) -> set[tuple[str, int]]:
        """``(file, line)`` of the reads that running ``root`` makes only to fill
        ``g`` attributes (after :meth:`settle_g`).

        A render of a static page passes through them (a ``before_request``
        loading ``g.user``) without depending on the request: the page uses no
        attribute they fill, or it would not be static.
        """
        key = id(self.facts(root))
        known = self._feeding.get(key)
        if known is not None:
            return known
        found = self._feeding[key] = set()
        for func in self.reach([root], escaping_only=False):
            for use in self.facts(func).uses:
                if self.escapes(func, use):
                    continue
                if use.kind == "read":
                    found.add((self.where(func), use.line))
                elif use.kind == "call" and use.target is not None:
                    found.update(
                        (inner.file, inner.line)
                        for inner in self.findings(use.target)
                        if inner.file is not None and inner.line is not None
                    )
        return found

    def _sunk_read(self, use: Use) -> str | None:
        """What request data a use that flows into ``g`` carries, if any."""
        if use.kind == "read":
            return use.what
        if use.kind == "cannot":
            return "code analysis cannot see"
        if use.kind == "gread":
            source = self.tainted.get(use.what)
            if (use.what == "*" or _is_dunder(use.what)) and self.tainted:
                source = next(iter(self.tainted.values()))
            return source.what if source else None
        if use.kind == "call" and use.target is not None:
            inner = self.findings(use.target)
            return inner[0].message.removeprefix("reads ") if inner else None
        if use.kind == "maybe":
            message = self.describe(Use("maybe", use.line, what=use.what))
            return message
        return None


_PLAIN_DATA = (int, float, bool, type(None), bytes)


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _shape(func: Func) -> tuple[t.Any, ...]:
    """What a function's facts depend on: its code, ``self``'s class, and the
    closure values names can resolve to (plain numbers cannot matter)."""
    cells = []
    for cell in func.obj.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:
            value = None
        cells.append(None if isinstance(value, _PLAIN_DATA) else id(value))
    return (func.obj.__code__, func.self_class, tuple(cells), id(func.obj.__globals__))


def method_function(cls: type, name: str) -> types.FunctionType | None:
    """``cls.name`` as a plain function, when it is one."""
    value = unwrap_callable(_class_attr(cls, name))
    return value if isinstance(value, types.FunctionType) else None
