"""The code a page ran, as a fingerprint that changes when that code changes.

A Python change reloads the app in a fresh process; the fingerprints then say which
pages must be rendered again. "The code a page ran" is read from the source, and on
the side of too much, since a page rendered again costs little and a stale one is
a wrong site:

- the *module-level code* of every project module (imports, constants, class bodies,
  decorators and signatures: each module with its functions' bodies left out) runs
  when the app is created, so it belongs to every page;
- *units* are the functions defined at the top of a module or in a class body
  (methods, properties); a nested function is part of its unit. A unit is compared
  by its syntax tree, so comments and formatting do not count;
- the units of every page: the app factory, every hook, error handler, context
  processor and URL processor of the app and its blueprints, and every special method
  (``__str__``, ``__html__``, ``__lt__``, ...) of a project class, which Python and
  Jinja call without naming them;
- the units of one page: its view (through its decorators' wrappers, a class-based
  view's methods) and the template filters, tests and globals its templates name;
- reach: a unit reaches every unit, in any module, named like a global name it uses
  (local variables do not count) or an attribute of an imported module it uses
  (``content.load_posts``); and every method or property named like any other
  attribute or string constant it uses (``post.reading_minutes``). A class's name
  reaches all its methods. Templates reach the filters, tests and globals they name
  through the app's Jinja environment, and the methods named like the attributes
  they use. A unit calling ``eval``, ``exec``, ``__import__`` or ``getattr`` with a
  computed name reaches every unit.

What this does not see: code outside the project (libraries: an upgrade shows as a
changed install folder, which rebuilds everything) and functions handed to the app
in data it loads (pickles).
"""

from __future__ import annotations

import ast
import hashlib
import os
import symtable
import time
import types
import typing as t
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from jinja2 import TemplateSyntaxError
from jinja2 import nodes

from ..analyse.pysource import OUTPUT_FOLDERS
from ..analyse.pysource import SKIPPED_PARTS
from ..analyse.templates import parsed_template
from .stamps import size_and_mtime
from .stamps import still_as_read

if t.TYPE_CHECKING:  # pragma: no cover
    from sitec.runtime import Flask

#: Special methods that only run when an object is made, which needs its class's name.
_CONSTRUCTION = frozenset(
    {"__init__", "__new__", "__post_init__", "__init_subclass__", "__set_name__"}
)
#: Calls whose target a name cannot tell when their argument is computed.
_DYNAMIC_CALLS = frozenset({"eval", "exec", "__import__", "getattr", "import_module"})
#: Names every app factory may go by (``flask --app`` looks for them).
_FACTORY_NAMES = frozenset({"create_app", "make_app"})


@dataclass(frozen=True)
class Unit:
    """A function of the project, as the fingerprints see it."""

    key: str
    name: str
    digest: str
    #: Global names and imported modules' attributes it uses: any unit by that name.
    names: frozenset[str]
    #: Other attributes and names in strings: methods by that name.
    attributes: frozenset[str]
    #: It reaches every unit (computed lookups).
    wild: bool
    first_line: int
    last_line: int
    #: Names of the classes it is defined in, innermost last.
    classes: tuple[str, ...]


def project_sources(root: Path, ignored: t.Iterable[Path] = ()) -> list[Path]:
    """Every ``.py`` file of the project, outside build output, virtualenvs and hidden
    folders (the same folders the analysis leaves out)."""
    root = root.resolve()
    skipped = {Path(p).resolve() for p in ignored}
    found = []
    for folder, dirnames, filenames in os.walk(root):
        here = Path(folder)
        dirnames[:] = sorted(
            name
            for name in dirnames
            if not name.startswith(".")
            and name not in SKIPPED_PARTS
            and not (here == root and name in OUTPUT_FOLDERS)
            and (here / name) not in skipped
            and not (here / name / "pyvenv.cfg").exists()
        )
        found.extend(here / name for name in sorted(filenames) if name.endswith(".py"))
    return found


class CodeIndex:
    """The project's units and module-level code, parsed once per build."""

    def __init__(self, root: Path, sources: t.Iterable[Path]) -> None:
        self.root = root.resolve()
        #: The files it indexed.
        self.sources = list(sources)
        self._by_file: dict[str, list[Unit]] = {}
        self._by_name: dict[str, list[Unit]] = {}
        self._methods: dict[str, list[Unit]] = {}
        self._read_ns = time.time_ns()
        #: Each source's size and mtime before it was read.
        self._read_as = {os.fspath(path): size_and_mtime(path) for path in self.sources}
        module_digests = []
        for path in self.sources:
            real = os.path.realpath(path)
            relative = Path(real).relative_to(self.root).as_posix()
            try:
                source = Path(real).read_text(encoding="utf-8")
                tree = ast.parse(source, real)
                scopes = _function_scopes(symtable.symtable(source, real, "exec"))
            except (OSError, SyntaxError, ValueError) as e:
                # The app failed to import it, or does not import it: either way its
                # text stands for it.
                module_digests.append(f"{relative}:unparsable:{e}")
                continue
            units = list(_units(tree.body, relative, (), scopes, _imported_names(tree)))
            self._by_file[real] = units
            for unit in units:
                self._by_name.setdefault(unit.name, []).append(unit)
                for cls in unit.classes:
                    self._by_name.setdefault(cls, []).append(unit)
                    self._methods.setdefault(cls, []).append(unit)
                if unit.classes:
                    self._methods.setdefault(unit.name, []).append(unit)
            module_digests.append(f"{relative}:{_digest(_skeleton(tree))}")
        self.units = [unit for units in self._by_file.values() for unit in units]
        #: Changes with the module-level code of any module.
        self.modules_digest = _digest("\n".join(sorted(module_digests)))

    def unchanged(self) -> bool:
        """Whether every source is still the file it indexed: same size and mtime, and
        an mtime older than the read by more than a tick of the file system's clock
        (a write in the same tick would keep it). An index made before the app was
        imported stands for the imported code when this holds after the import."""
        return all(still_as_read(path, seen, self._read_ns) for path, seen in self._read_as.items())

    def units_of(self, function: t.Any) -> list[Unit]:
        """The units of a live callable: a wrapper's and every function it wraps, a
        class-based view's methods, a callable object's methods.

        Only ``type()`` is asked of objects that are not functions: a Jinja global can
        be a proxy (``request``) that raises on any other question outside a request.
        """
        found: list[Unit] = []
        for _ in range(32):
            if type(function) is types.MethodType:
                function = function.__func__
            if type(function) is not types.FunctionType:
                found.extend(self.named(type(function).__name__))
                try:  # functools.lru_cache and other wrappers that are not functions
                    function = getattr(function, "__wrapped__", None)
                except Exception:  # a proxy outside its context
                    break
                if function is None:
                    break
                continue
            code = function.__code__
            unit = self._unit_at(code.co_filename, code.co_firstlineno)
            if unit is not None:
                found.append(unit)
            attributes = vars(function)
            view_class = attributes.get("view_class")
            if isinstance(view_class, type):
                found.extend(self.named(view_class.__name__))
            function = attributes.get("__wrapped__")
            if function is None:
                break
        return found

    def named(self, name: str) -> list[Unit]:
        """Units called ``name``, and the methods of classes called ``name``."""
        return self._by_name.get(name, [])

    def special_methods(self) -> list[Unit]:
        return [
            unit
            for unit in self.units
            if unit.classes
            and unit.name.startswith("__")
            and unit.name.endswith("__")
            and unit.name not in _CONSTRUCTION
        ]

    def reach(self, roots: t.Iterable[Unit], attributes: t.Iterable[str] = ()) -> set[Unit]:
        """``roots``, the methods named in ``attributes`` and everything they reach."""
        reached: set[Unit] = set()
        queue: deque[Unit] = deque()

        def add(unit: Unit) -> None:
            if unit not in reached:
                reached.add(unit)
                queue.append(unit)

        for unit in roots:
            add(unit)
        for name in attributes:
            for unit in self._methods.get(name, ()):
                add(unit)
        while queue:
            unit = queue.popleft()
            if unit.wild:
                return set(self.units)
            for name in unit.names:
                for other in self._by_name.get(name, ()):
                    add(other)
            for name in unit.attributes:
                for other in self._methods.get(name, ()):
                    add(other)
        return reached

    def _unit_at(self, filename: str, line: int) -> Unit | None:
        for unit in self._by_file.get(os.path.realpath(filename), ()):
            if unit.first_line <= line <= unit.last_line:
                return unit
        return None


class PageCode:
    """Fingerprints of the code each page ran, per endpoint and set of templates."""

    def __init__(self, app: Flask, index: CodeIndex, app_spec: str | None) -> None:
        self.app = app
        self.index = index
        self._template_names: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._known: dict[tuple[str | None, frozenset[str]], str] = {}
        roots = [*index.special_methods()]
        for function in _app_functions(app):
            roots.extend(index.units_of(function))
        names = set(_FACTORY_NAMES)
        if app_spec and ":" in app_spec:
            names.add(app_spec.partition(":")[2].partition("(")[0].strip())
        roots.extend(unit for name in names for unit in index.named(name))
        self._common = index.reach(roots)

    def fingerprint(self, endpoint: str | None, templates: t.Iterable[str]) -> str:
        """The code of a page of ``endpoint`` that loaded ``templates`` (their files)."""
        key = (endpoint, frozenset(templates))
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = self._fingerprint(*key)
        return known

    def _fingerprint(self, endpoint: str | None, templates: frozenset[str]) -> str:
        index = self.index
        roots: list[Unit] = []
        view = self.app.view_functions.get(endpoint) if endpoint else None
        if view is not None:
            roots.extend(index.units_of(view))
        attributes: set[str] = set()
        env = self.app.jinja_env
        for template in templates:
            names, used_attributes = self._names_in(template)
            attributes |= used_attributes
            for name in names:
                for table in (env.filters, env.tests, env.globals):
                    if name in table:
                        roots.extend(index.units_of(table[name]))
        reached = self._common | index.reach(roots, attributes)
        lines = sorted(f"{unit.key}:{unit.digest}" for unit in reached)
        return _digest("\n".join([index.modules_digest, *lines]))

    def _names_in(self, template_file: str) -> tuple[frozenset[str], frozenset[str]]:
        """The names (variables, filters, tests) and the attributes a template file uses."""
        known = self._template_names.get(template_file)
        if known is not None:
            return known
        try:
            source = Path(template_file).read_text(encoding="utf-8")
            tree = parsed_template(self.app.jinja_env, source)
        except (OSError, UnicodeDecodeError, TemplateSyntaxError):
            known = frozenset(), frozenset()  # the render failed too: it renders again
        else:
            known = _template_names(tree)
        self._template_names[template_file] = known
        return known


_Scopes = dict[tuple[str, int], list[symtable.SymbolTable]]


def _function_scopes(table: symtable.SymbolTable) -> _Scopes:
    """Every function's symbol table, by name and line of its ``def``."""
    scopes: _Scopes = {}
    for child in table.get_children():
        if child.get_type() == "function":
            scopes.setdefault((child.get_name(), child.get_lineno()), []).append(child)
        scopes_below = _function_scopes(child)
        for key, tables in scopes_below.items():
            scopes.setdefault(key, []).extend(tables)
    return scopes


def _global_names(tables: list[symtable.SymbolTable]) -> set[str]:
    """Global names used anywhere in these scopes and the scopes inside them."""
    names: set[str] = set()
    todo = list(tables)
    while todo:
        table = todo.pop()
        names.update(
            symbol.get_name()
            for symbol in table.get_symbols()
            if symbol.is_global() and symbol.is_referenced()
        )
        todo.extend(table.get_children())
    return names


def _imported_names(tree: ast.Module) -> frozenset[str]:
    """Names the module binds by ``import``, anywhere in it (modules, mostly)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
    return frozenset(names)


def _units(
    body: list[ast.stmt],
    relative: str,
    classes: tuple[str, ...],
    scopes: _Scopes,
    imported: frozenset[str],
) -> t.Iterator[Unit]:
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names, attributes, wild = _mentions(node, imported)
            names |= _global_names(scopes.get((node.name, node.lineno), []))
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            qualname = ".".join([*classes, node.name])
            yield Unit(
                key=f"{relative}:{qualname}:{first}",
                name=node.name,
                digest=_digest(ast.dump(node)),
                names=frozenset(names),
                attributes=frozenset(attributes),
                wild=wild,
                first_line=first,
                last_line=node.end_lineno or node.lineno,
                classes=classes,
            )
        elif isinstance(node, ast.ClassDef):
            yield from _units(node.body, relative, (*classes, node.name), scopes, imported)
        elif isinstance(node, ast.If | ast.Try):
            # Functions defined under ``if TYPE_CHECKING`` or ``try: ... except ImportError``.
            for part in (node.body, node.orelse, getattr(node, "finalbody", [])):
                yield from _units(part, relative, classes, scopes, imported)
            for handler in getattr(node, "handlers", []):
                yield from _units(handler.body, relative, classes, scopes, imported)


def _mentions(node: ast.AST, imported: frozenset[str]) -> tuple[set[str], set[str], bool]:
    """Names (imported names, attributes of imported modules) and attributes (the other
    attributes, string constants) a unit uses, and whether it looks names up by
    computed text. Its global names come from its symbol tables."""
    names: set[str] = set()
    attributes: set[str] = set()
    wild = False
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute):
            root: ast.AST = child.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in imported:
                names.add(child.attr)
            else:
                attributes.add(child.attr)
        elif isinstance(child, ast.Constant) and _is_name(child.value):
            attributes.add(child.value)
        elif isinstance(child, ast.alias):
            names.add(child.name.rpartition(".")[2])
        elif isinstance(child, ast.Call) and not wild:
            wild = _is_dynamic_call(child)
    return names, attributes, wild


def _is_name(value: object) -> t.TypeGuard[str]:
    return isinstance(value, str) and value.isidentifier()


def _is_dynamic_call(call: ast.Call) -> bool:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name not in _DYNAMIC_CALLS:
        return False
    if name in ("eval", "exec"):
        return True
    position = 1 if name == "getattr" else 0
    if len(call.args) <= position:
        return False
    argument = call.args[position]
    return not (isinstance(argument, ast.Constant) and isinstance(argument.value, str))


def _skeleton(tree: ast.Module) -> str:
    """The module without its functions' bodies, dumped: the code that runs on import.
    The bodies are set aside while the tree is dumped, not copied (a deep copy of every
    module cost most of indexing the code)."""
    functions = [
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    bodies = [node.body for node in functions]
    try:
        for node in functions:
            node.body = []
        return ast.dump(tree)
    finally:
        for node, body in zip(functions, bodies, strict=True):
            node.body = body


def _template_names(tree: nodes.Template) -> tuple[frozenset[str], frozenset[str]]:
    names: set[str] = set()
    attributes: set[str] = set()
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.Name | nodes.Filter | nodes.Test):
            names.add(node.name)
        elif isinstance(node, nodes.Getattr):
            attributes.add(node.attr)
        elif isinstance(node, nodes.Const) and _is_name(node.value):
            attributes.add(node.value)  # x["name"] falls back to the attribute in Jinja
    return frozenset(names), frozenset(attributes)


def _app_functions(app: Flask) -> t.Iterator[t.Any]:
    """Every hook, error handler, context and URL processor of the app and its blueprints."""
    registries = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.template_context_processors,
        app.url_value_preprocessors,
        app.url_default_functions,
    )
    for registry in registries:
        for functions in registry.values():
            yield from functions
    yield from app.teardown_appcontext_funcs
    for by_code in app.error_handler_spec.values():
        for handlers in by_code.values():
            yield from handlers.values()


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
