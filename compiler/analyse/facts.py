"""What one function's own body does, read from its AST.

:class:`FactsVisitor` walks a function (nested functions and lambdas included,
since whatever they do may run when the function runs) and records *uses*:
request reads, ``g`` reads, calls to other functions it can resolve, calls it
cannot resolve, things it cannot see (``eval``) and templates it renders.
Names are resolved against the live function's globals and closure, so
aliases (``from flask import request as rq``) and re-exports resolve the way
Python resolves them.

A value read from the request that only flows into ``g.x`` (``g.user =
load(session["uid"])``) is recorded with ``sink="x"``: it makes a page dynamic
only when the page uses ``g.x``. Everything else escapes (``sink=None``).
An ``abort()`` or ``raise`` is recorded too (kind ``exit``): computing a ``g``
value that can end the request is not harmless (see
:meth:`~.callgraph.CallGraph.escapes`).
"""

from __future__ import annotations

import ast
import builtins
import inspect
import sys
import types
import typing as t
from dataclasses import dataclass
from dataclasses import field

from . import reads
from .pysource import FunctionNode
from .pysource import function_code
from .pysource import unwrap_callable

MISSING: t.Any = object()

UseKind = t.Literal["read", "gread", "call", "maybe", "cannot", "note", "exit"]


@dataclass(frozen=True)
class Func:
    """A Python function the analysis follows; ``self_class`` is the class
    ``self`` (or ``cls``) stands for when it is a method."""

    obj: types.FunctionType
    self_class: type | None = None

    @property
    def label(self) -> str:
        qualname = self.obj.__qualname__.replace(".<locals>", "")
        if self.self_class is not None and "." in qualname:
            return f"{self.self_class.__name__}.{self.obj.__name__}"
        return qualname


@dataclass(frozen=True)
class Use:
    """One thing a function body does that the analysis cares about."""

    kind: UseKind
    line: int
    #: The ``g`` attribute the value flows into, or ``None`` when it escapes.
    sink: str | None = None
    #: read: what is read (``"request.args"``); gread: the attribute or ``"*"``;
    #: maybe: the method name; cannot: why analysis cannot see; note: a
    #: URL-determined read (``"request.path"``); exit: ``"abort()"`` or
    #: ``"raise"``, a way out of the request other than returning a value.
    what: str = ""
    #: call: the function called.
    target: Func | None = None
    #: A side effect (a session write, code analysis cannot see): it matters
    #: even when the value it produces only reaches ``g``.
    effect: bool = False
    #: call: how the edge is shown in a via chain, when not the target's name.
    label: str | None = None


@dataclass(frozen=True)
class TemplateRef:
    """A template a function can render."""

    line: int
    #: Literal template names; ``None`` when they cannot be known.
    names: tuple[str, ...] | None = None
    #: A regular expression the name matches, for ``f"{kind}.html"``.
    pattern: str | None = None
    #: The source of ``render_template_string("...")``.
    source: str | None = None
    #: Why the names are unknown, for the report.
    unknown: str | None = None


@dataclass
class FunctionFacts:
    func: Func
    filename: str
    #: False when the source could not be found or parsed.
    parsed: bool
    uses: list[Use] = field(default_factory=list)
    templates: list[TemplateRef] = field(default_factory=list)
    first_line: int = 0


@dataclass(frozen=True)
class Ref:
    """What an expression resolves to: a live object, its dotted import name,
    or an instance of a known class."""

    obj: t.Any = MISSING
    dotted: str | None = None
    #: The class ``self`` is bound to when ``obj`` was found through an instance.
    self_class: type | None = None
    instance_of: type | None = None


class Resolver(t.Protocol):
    """What the visitor needs from the call graph."""

    def in_project(self, obj: object) -> bool: ...

    def module_imports(self, filename: str) -> dict[str, str]: ...


_BUILTIN_TYPED = (
    ast.Constant,
    ast.Dict,
    ast.List,
    ast.Set,
    ast.Tuple,
    ast.JoinedStr,
    ast.ListComp,
    ast.DictComp,
    ast.SetComp,
)
_BUILTIN_CONSTRUCTORS = frozenset({"dict", "list", "set", "str", "tuple", "sorted", "frozenset"})
_SESSION_WRITES = frozenset({"pop", "clear", "update", "setdefault", "popitem", "__setitem__"})
_JINJA_LOOKUPS = frozenset({"get_template", "select_template", "get_or_select_template"})


def _literal(node: ast.expr) -> tuple[bool, t.Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _bound_names(node: ast.AST) -> set[str]:
    """Every name bound anywhere inside ``node``: parameters, targets, imports, defs."""
    names: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store | ast.Del):
            names.add(child.id)
        elif isinstance(child, ast.arg):
            names.add(child.arg)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if child is not node:
                names.add(child.name)
        elif isinstance(child, ast.alias):
            names.add((child.asname or child.name).split(".")[0])
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.add(child.name)
    return names


class FactsVisitor:
    """Records the uses of one function body; see the module docstring."""

    def __init__(
        self,
        func: Func,
        nodes: list[FunctionNode],
        resolver: Resolver,
        in_project: bool,
    ) -> None:
        self.func = func
        self.resolver = resolver
        self.in_project = in_project
        obj = func.obj
        code = obj.__code__
        self.facts = FunctionFacts(func, code.co_filename, parsed=True)
        self.facts.first_line = code.co_firstlineno
        self.globals: dict[str, t.Any] = obj.__globals__
        self.closure: dict[str, t.Any] = {}
        for name, cell in zip(code.co_freevars, obj.__closure__ or (), strict=False):
            try:
                self.closure[name] = cell.cell_contents
            except ValueError:
                pass
        self.imports = resolver.module_imports(code.co_filename)
        self.locals: set[str] = set()
        self.local_imports: dict[str, str] = {}
        self.builtin_typed: set[str] = set()
        self.self_name: str | None = None
        self.self_is_class = False
        #: Uses waiting on a local name, and whether the name was used since.
        self.pending: dict[str, list[Use]] = {}
        self.consumed: set[str] = set()
        self.sink: tuple[str, ...] | str | None = None
        self.sink_line = 0
        self.callees: set[int] = set()
        self.nodes = nodes
        for node in nodes:
            self._prepare(node)

    # -- setup -----------------------------------------------------------------

    def _prepare(self, node: FunctionNode) -> None:
        self.locals |= _bound_names(node)
        for child in ast.walk(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.asname:
                        self.local_imports[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.local_imports[top] = top
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                for alias in child.names:
                    name = alias.asname or alias.name
                    self.local_imports[name] = f"{child.module}.{alias.name}"
            elif isinstance(child, ast.ImportFrom) and child.level:
                package = self.globals.get("__package__") or ""
                base = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                prefix = f"{base}.{child.module}" if child.module else base
                for alias in child.names:
                    self.local_imports[alias.asname or alias.name] = f"{prefix}.{alias.name}"
            elif (
                isinstance(child, ast.Assign)
                and isinstance(child.value, _BUILTIN_TYPED)
                or (
                    isinstance(child, ast.Assign)
                    and isinstance(child.value, ast.Call)
                    and isinstance(child.value.func, ast.Name)
                    and child.value.func.id in _BUILTIN_CONSTRUCTORS
                )
            ):
                for target in child.targets:
                    if isinstance(target, ast.Name):
                        self.builtin_typed.add(target.id)
        if self.func.self_class is not None and isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef
        ):
            params = node.args.posonlyargs + node.args.args
            decorators = {d.id for d in node.decorator_list if isinstance(d, ast.Name)}
            if params and "staticmethod" not in decorators:
                self.self_name = params[0].arg
                self.self_is_class = "classmethod" in decorators

    # -- entry -----------------------------------------------------------------

    def run(self) -> FunctionFacts:
        for node in self.nodes:
            if isinstance(node, ast.Lambda):
                self._visit_args(node.args)
                self.eval(node.body)
            else:
                self._visit_args(node.args)
                self.block(node.body)
        for name, uses in self.pending.items():
            if name not in self.consumed:
                for use in uses:
                    self._add(use, None)
        return self.facts

    def _visit_args(self, args: ast.arguments) -> None:
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.eval(default)

    # -- emitting --------------------------------------------------------------

    def _add(self, use: Use, sink: str | None) -> None:
        # A value that flows into g.x is reported where g.x is set.
        line = self.sink_line if sink is not None else use.line
        self.facts.uses.append(
            Use(use.kind, line, sink, use.what, use.target, use.effect, use.label)
        )

    def emit(self, use: Use) -> None:
        sink = self.sink
        if isinstance(sink, tuple):
            for name in sink:
                self.pending.setdefault(name, []).append(use)
                self.consumed.discard(name)
        else:
            self._add(use, sink if not use.effect else None)

    def read(self, node: ast.AST, what: str, *, effect: bool = False) -> None:
        self.emit(Use("read", node.lineno, what=what, effect=effect))

    def cannot(self, node: ast.AST, why: str) -> None:
        self.emit(Use("cannot", node.lineno, what=why, effect=True))

    def with_sink(self, sink: tuple[str, ...] | str | None, node: ast.expr | None) -> None:
        if node is None:
            return
        saved, self.sink = self.sink, sink
        saved_line = self.sink_line
        if isinstance(sink, str):
            self.sink_line = node.lineno
        try:
            self.eval(node)
        finally:
            self.sink, self.sink_line = saved, saved_line

    # -- statements ------------------------------------------------------------

    def block(self, statements: list[ast.stmt]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign):
            self.assign(node.targets, node.value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.assign([node.target], node.value)
        elif isinstance(node, ast.AugAssign):
            g_attr = self._g_target(node.target)
            if g_attr is not None:
                saved, self.sink, self.sink_line = self.sink, g_attr, node.lineno
                self.emit(Use("gread", node.lineno, what=g_attr))
                self.sink = saved
            self.assign([node.target], node.value)
        elif isinstance(node, ast.For | ast.AsyncFor):
            names = self._name_targets([node.target])
            self.with_sink(names if names else None, node.iter)
            if not names:
                self.target(node.target)
            self.block(node.body)
            self.block(node.orelse)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                names = self._name_targets([item.optional_vars]) if item.optional_vars else None
                self.with_sink(names or None, item.context_expr)
            self.block(node.body)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                self.eval(decorator)
            self._visit_args(node.args)
            self.block(node.body)
        elif isinstance(node, ast.ClassDef):
            for expr in [*node.bases, *(k.value for k in node.keywords), *node.decorator_list]:
                self.eval(expr)
            self.block(node.body)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self.target(target)
        elif isinstance(node, ast.Raise):
            self.emit(Use("exit", node.lineno, what="raise"))
            for child in (node.exc, node.cause):
                if child is not None:
                    self.eval(child)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self.statement(child)
                elif isinstance(child, ast.expr):
                    self.eval(child)
                elif isinstance(child, ast.ExceptHandler):
                    if child.type is not None:
                        self.eval(child.type)
                    self.block(child.body)
                elif isinstance(child, ast.match_case):
                    if child.guard is not None:
                        self.eval(child.guard)
                    self.block(child.body)

    def _name_targets(self, targets: list[ast.expr]) -> tuple[str, ...]:
        """The names when every target is a plain name (or a tuple of them), else ()."""
        names: list[str] = []
        for target in targets:
            if isinstance(target, ast.Name):
                names.append(target.id)
            elif isinstance(target, ast.Tuple | ast.List) and all(
                isinstance(e, ast.Name) for e in target.elts
            ):
                names.extend(e.id for e in target.elts)  # type: ignore[attr-defined]
            else:
                return ()
        return tuple(names)

    def _g_target(self, target: ast.expr) -> str | None:
        if isinstance(target, ast.Attribute):
            ref = self.resolve(target.value)
            if ref is not None and reads.role_of(ref.obj) == ("g", "g"):
                return target.attr
        return None

    def assign(self, targets: list[ast.expr], value: ast.expr) -> None:
        names = self._name_targets(targets)
        if names:
            self.with_sink(names, value)
            return
        if len(targets) == 1:
            g_attr = self._g_target(targets[0])
            if g_attr is not None:
                self.with_sink(g_attr, value)
                return
        self.with_sink(None, value)
        for target in targets:
            self.target(target)

    def target(self, node: ast.expr) -> None:
        """An assignment or ``del`` target that is not a plain name."""
        if isinstance(node, ast.Subscript):
            ref = self.resolve(node.value)
            role = reads.role_of(ref.obj) if ref is not None else None
            if role is not None and role[0] == "session":
                self.read(node, "session (writes it)", effect=True)
            else:
                self.eval(node.value)
            self.eval(node.slice)
        elif isinstance(node, ast.Attribute):
            if self._g_target(node) is None:
                self.eval(node.value)
        elif isinstance(node, ast.Tuple | ast.List | ast.Starred):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.target(child)

    # -- expressions -----------------------------------------------------------

    def eval(self, node: ast.expr) -> Ref | None:
        """Record the uses in ``node`` and return what it resolves to."""
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        if isinstance(node, ast.Call):
            self.call(node)
            return None
        if isinstance(node, ast.Compare):
            self._compare(node)
            return None
        if isinstance(node, ast.Lambda):
            self._visit_args(node.args)
            saved, self.sink = self.sink, None
            self.eval(node.body)
            self.sink = saved
            return None
        if isinstance(node, ast.NamedExpr):
            self.with_sink((node.target.id,), node.value)
            return None
        if isinstance(node, ast.IfExp):
            self.with_sink(None, node.test)
            self.eval(node.body)
            self.eval(node.orelse)
            return None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.eval(child)
            elif isinstance(child, ast.comprehension):
                self.with_sink(None, child.iter)
                for condition in child.ifs:
                    self.with_sink(None, condition)
        return None

    def name(self, node: ast.Name) -> Ref | None:
        if isinstance(node.ctx, ast.Store | ast.Del):
            return None
        if node.id in self.pending:
            self.consumed.add(node.id)
            if not (isinstance(self.sink, tuple) and node.id in self.sink):
                for use in list(self.pending[node.id]):
                    self.emit(use)
        ref = self.resolve(node)
        if ref is not None:
            self.reference(node, ref, node.id)
        return ref

    def attribute(self, node: ast.Attribute) -> Ref | None:
        base = self.resolve(node.value)
        if base is None:
            self.eval(node.value)
            return None
        role = reads.role_of(base.obj)
        if role is not None:
            kind = role[0]
            if kind == "request":
                what = reads.request_attribute_read(node.attr) if role[1] == "request" else None
                if role[1] != "request":
                    what = f"{role[1]}.{node.attr}"
                if what is not None:
                    self.read(node, what)
                else:
                    self._add(Use("note", node.lineno, what=f"request.{node.attr}"), None)
                return None
            if kind == "session":
                self.read(node, "session", effect=node.attr in _SESSION_WRITES)
                return None
            if kind == "g":
                if node.attr in {"get", "pop", "setdefault", "__contains__"}:
                    return Ref(obj=MISSING, dotted="g." + node.attr)
                self.emit(Use("gread", node.lineno, what=node.attr))
                return None
        # The base resolved, so it is a module, class or object reached by
        # name: only a request-bound proxy or reader there matters.
        self.reference(node.value, base, _last_name(node.value), edges=False)
        ref = self.lookup(base, node.attr)
        if ref is not None:
            self.reference(node, ref, node.attr)
        return ref

    def reference(self, node: ast.expr, ref: Ref, name: str, *, edges: bool = True) -> None:
        """A name or attribute that resolved: request-bound proxies and
        project functions referenced without being called count here."""
        obj = ref.obj
        role = reads.role_of(obj)
        if role is not None:
            kind = role[0]
            if kind == "request" and isinstance(node, ast.Name):
                self.read(node, "the request object (passed on whole)")
            elif kind == "session":
                self.read(node, "session")
            elif kind == "g" and isinstance(node, ast.Name):
                self.emit(Use("gread", node.lineno, what="*"))
            elif kind == "get_flashed_messages" and not self._calling(node):
                self.read(node, "flashed messages (session)")
            return
        known = reads.known_reader(ref.dotted) if ref.dotted else None
        if known is not None:
            self.read(node, known, effect="writes it" in known)
            return
        if obj is MISSING:
            return
        if reads.is_proxy(obj):
            self.proxy(node, obj, name)
            return
        if edges and not self._calling(node):
            for target in self.targets_of(ref):
                self.emit(Use("call", node.lineno, target=target))

    def _calling(self, node: ast.expr) -> bool:
        """Whether ``node`` is the function of a call (which records its own edge)."""
        return id(node) in self.callees

    def proxy(self, node: ast.expr, obj: object, name: str) -> None:
        bound = reads.proxy_is_request_bound(obj)
        if bound is True:
            self.read(node, name)
            return
        if bound is False:
            return
        target = reads.proxy_target(obj)
        function = unwrap_callable(target)
        if function_code(function) is not None and self.resolver.in_project(function):
            self.emit(Use("call", node.lineno, target=Func(function), label=f"{name} (proxy)"))
            return
        self.cannot(node, f"uses the proxy {name}, whose binding analysis cannot see")

    def lookup(self, base: Ref, attr: str) -> Ref | None:
        dotted = f"{base.dotted}.{attr}" if base.dotted else None
        if base.instance_of is not None:
            value = _class_attr(base.instance_of, attr)
            if value is MISSING:
                return Ref(dotted=dotted) if dotted else None
            return Ref(obj=value, dotted=dotted, self_class=base.instance_of)
        obj = base.obj
        if obj is MISSING or reads.role_of(obj) is not None or reads.is_proxy(obj):
            return Ref(dotted=dotted) if dotted else None
        if isinstance(obj, types.ModuleType):
            value = obj.__dict__.get(attr, MISSING)
            if value is MISSING and dotted:
                value = sys.modules.get(dotted, MISSING)
            return Ref(obj=value, dotted=dotted)
        if isinstance(obj, type):
            return Ref(obj=_class_attr(obj, attr), dotted=dotted, self_class=obj)
        if self.resolver.in_project(type(obj)):
            value = inspect.getattr_static(obj, attr, MISSING)
            return Ref(obj=value, dotted=dotted, self_class=type(obj))
        return Ref(dotted=dotted) if dotted else None

    def resolve(self, node: ast.expr) -> Ref | None:
        """Resolve a name or attribute chain without recording anything."""
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            if base is None:
                return None
            role = reads.role_of(base.obj)
            if role is not None:
                return None
            return self.lookup(base, node.attr)
        if not isinstance(node, ast.Name):
            return None
        name = node.id
        if name == self.self_name and self.func.self_class is not None:
            if self.self_is_class:
                return Ref(obj=self.func.self_class)
            return Ref(instance_of=self.func.self_class)
        if name in self.local_imports:
            dotted = self.local_imports[name]
            return Ref(obj=_import_dotted(dotted), dotted=dotted)
        if name in self.locals:
            return None
        if name in self.closure:
            return Ref(obj=self.closure[name])
        if name in self.globals:
            return Ref(obj=self.globals[name], dotted=self.imports.get(name))
        if hasattr(builtins, name):
            return Ref(obj=getattr(builtins, name))
        return None

    def targets_of(self, ref: Ref) -> list[Func]:
        """The project functions that calling ``ref`` runs."""
        obj = unwrap_callable(ref.obj)
        self_class = ref.self_class
        if isinstance(ref.obj, property) and ref.obj.fget is not None:
            obj = ref.obj.fget
        if isinstance(obj, types.FunctionType):
            found = []
            seen = 0
            while isinstance(obj, types.FunctionType) and seen < 20:
                if self.resolver.in_project(obj):
                    found.append(Func(obj, self_class))
                obj = getattr(obj, "__wrapped__", None)
                seen += 1
            return found
        if isinstance(obj, type):
            found = []
            for name in ("__new__", "__init__", "__post_init__"):
                method = unwrap_callable(_class_attr(obj, name))
                if isinstance(method, types.FunctionType) and self.resolver.in_project(method):
                    found.append(Func(method, obj))
            return found
        if obj is not MISSING and self.resolver.in_project(type(obj)):
            method = unwrap_callable(_class_attr(type(obj), "__call__"))
            if isinstance(method, types.FunctionType) and self.resolver.in_project(method):
                return [Func(method, type(obj))]
        return []

    def _compare(self, node: ast.Compare) -> None:
        # ``"user" in g`` reads g.user.
        if (
            len(node.ops) == 1
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
        ):
            ref = self.resolve(node.comparators[0])
            if ref is not None and reads.role_of(ref.obj) == ("g", "g"):
                self.emit(Use("gread", node.lineno, what=node.left.value))
                return
        self.eval(node.left)
        for comparator in node.comparators:
            self.eval(comparator)

    # -- calls -----------------------------------------------------------------

    def call(self, node: ast.Call) -> None:
        func = node.func
        self.callees.add(id(func))
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name)
            and func.value.func.id == "super"
        ):
            ref = self._super(func.attr)
        else:
            ref = self.eval(func)
        role = reads.role_of(ref.obj) if ref is not None else None
        if role is not None and self.special_call(node, role):
            return
        if ref is not None and ref.dotted and ref.dotted.startswith("g."):
            self._g_method(node, ref.dotted[2:])
            return
        if ref is not None and ref.obj is not MISSING:
            for target in self.targets_of(ref):
                self.emit(Use("call", node.lineno, target=target))
            self._library_class_reader(node, ref.obj)
        elif isinstance(func, ast.Attribute):
            self.unresolved_method(node, func)
        self._arguments(node)

    def _arguments(self, node: ast.Call) -> None:
        for arg in node.args:
            self.eval(arg)
        for keyword in node.keywords:
            self.eval(keyword.value)

    def _super(self, attr: str) -> Ref | None:
        cls = self.func.self_class
        if cls is None:
            return None
        mro = cls.__mro__
        own = next(
            (
                i
                for i, k in enumerate(mro)
                if any(unwrap_callable(v) is self.func.obj for v in k.__dict__.values())
            ),
            None,
        )
        if own is None:
            return None
        for klass in mro[own + 1 :]:
            if attr in klass.__dict__:
                return Ref(obj=klass.__dict__[attr], self_class=cls)
        return None

    def _library_class_reader(self, node: ast.Call, obj: object) -> None:
        """Instantiating a subclass of a known request-reading class (a FlaskForm)."""
        if not isinstance(obj, type):
            return
        for klass in obj.__mro__:
            known = reads.known_reader(f"{klass.__module__}.{klass.__qualname__}")
            if known is not None:
                self.read(node, known)
                return

    def unresolved_method(self, node: ast.Call, func: ast.Attribute) -> None:
        base = func.value
        if isinstance(base, _BUILTIN_TYPED) or (
            isinstance(base, ast.Name) and base.id in self.builtin_typed
        ):
            return
        if func.attr in _JINJA_LOOKUPS and "jinja_env" in ast.unparse(base):
            self._render(node, role_kind="render")
            return
        base_ref = self.resolve(base)
        if base_ref is not None and base_ref.obj is not MISSING:
            return  # a library object: its methods are outside the project
        if self.in_project:
            self.emit(Use("maybe", node.lineno, what=func.attr))

    def _g_method(self, node: ast.Call, method: str) -> None:
        ok, key = _literal(node.args[0]) if node.args else (False, None)
        attr = key if ok and isinstance(key, str) else "*"
        if method == "setdefault" and len(node.args) > 1:
            self.emit(Use("gread", node.lineno, what=attr))
            self.with_sink(attr if attr != "*" else None, node.args[1])
            return
        self.emit(Use("gread", node.lineno, what=attr))
        for arg in node.args[1:]:
            self.eval(arg)

    def special_call(self, node: ast.Call, role: tuple[str, str]) -> bool:
        """Calls to runtime helpers; True when the arguments were handled."""
        kind, name = role
        args = node.args
        if kind == "flash":
            self.read(node, "session (flash() writes it)", effect=True)
        elif kind == "get_flashed_messages":
            self.read(node, "flashed messages (session)")
        elif kind in {"render", "render_string", "template_attribute"}:
            self._render(node, kind)
        elif kind == "abort":
            self.emit(Use("exit", node.lineno, what="abort()"))
        elif kind == "opaque":
            self.cannot(node, f"{name} runs code analysis cannot see")
        elif kind == "import_module":
            ok, _ = _literal(args[0]) if args else (False, None)
            if not ok:
                self.cannot(node, "importlib.import_module() of a computed name")
        elif kind in {"getattr", "hasattr", "setattr"} and args:
            return self._attr_builtin(node, kind)
        return False

    def _attr_builtin(self, node: ast.Call, kind: str) -> bool:
        args = node.args
        ref = self.resolve(args[0])
        role = reads.role_of(ref.obj) if ref is not None else None
        if role is None or len(args) < 2:
            return False
        ok, attr = _literal(args[1])
        literal = ok and isinstance(attr, str)
        if role[0] == "g":
            if kind == "setattr" and len(args) > 2:
                self.with_sink(attr if literal else None, args[2])
            else:
                self.emit(Use("gread", node.lineno, what=attr if literal else "*"))
            return True
        if role[0] == "request" and kind == "hasattr":
            return True
        if role[0] == "request":
            if not literal:
                self.cannot(
                    node, "getattr(request, <computed name>) reads an attribute analysis cannot see"
                )
            else:
                what = reads.request_attribute_read(attr)
                if what is not None:
                    self.read(node, what)
            for arg in args[2:]:
                self.eval(arg)
            return True
        if role[0] == "session":
            self.read(node, "session")
            return True
        return False

    def _render(self, node: ast.Call, role_kind: str) -> None:
        if not node.args:
            name_node = next(
                (
                    k.value
                    for k in node.keywords
                    if k.arg in {"template_name_or_list", "source", "template_name"}
                ),
                None,
            )
        else:
            name_node = node.args[0]
        if name_node is None:
            return
        value = self._constant(name_node)
        if role_kind == "render_string":
            if isinstance(value, str):
                self.facts.templates.append(TemplateRef(node.lineno, names=(), source=value))
            else:
                self.facts.templates.append(
                    TemplateRef(
                        node.lineno, unknown="render_template_string() of a computed string"
                    )
                )
                self.cannot(node, "renders a template string analysis cannot see")
            return
        if isinstance(value, str):
            self.facts.templates.append(TemplateRef(node.lineno, names=(value,)))
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            self.facts.templates.append(TemplateRef(node.lineno, names=tuple(value)))
        else:
            pattern = _name_pattern(name_node)
            self.facts.templates.append(
                TemplateRef(
                    node.lineno,
                    pattern=pattern,
                    unknown=f"template name {ast.unparse(name_node)} is computed",
                )
            )

    def _constant(self, node: ast.expr) -> t.Any:
        ok, value = _literal(node)
        if ok:
            return value
        if isinstance(node, ast.Name) and node.id not in self.locals:
            ref = self.resolve(node)
            if ref is not None and isinstance(ref.obj, str | list | tuple):
                return ref.obj
        return None


def _name_pattern(node: ast.expr) -> str | None:
    """A regular expression for an f-string or ``"a/" + x`` template name, else None."""
    import re

    def parts(expr: ast.expr) -> list[str] | None:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return [re.escape(expr.value)]
        if isinstance(expr, ast.JoinedStr):
            out: list[str] = []
            for value in expr.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    out.append(re.escape(value.value))
                else:
                    out.append(".*")
            return out
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left, right = parts(expr.left), parts(expr.right)
            if left is None or right is None:
                return None
            return left + right
        return [".*"]

    found = parts(node)
    if not found or all(p == ".*" for p in found):
        return None
    return "".join(found)


def _last_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "?")


def _class_attr(cls: type, name: str) -> t.Any:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return MISSING


def _import_dotted(dotted: str) -> t.Any:
    if dotted in sys.modules:
        return sys.modules[dotted]
    module, _, attr = dotted.rpartition(".")
    parent = sys.modules.get(module)
    if parent is not None:
        return parent.__dict__.get(attr, MISSING)
    return MISSING
