"""Literal ``url_for`` calls in the project's Python modules and templates.

URL discovery turns them into URLs to pre-render. An endpoint starting with
``.`` is relative to the blueprint of the request; it is resolved when that is
knowable (a module whose views all belong to one blueprint, a template only
rendered by one blueprint's views) and skipped otherwise.
"""

from __future__ import annotations

import ast
import types
import typing as t

from sitec.runtime.helpers import url_for

from ..model import Evidence
from .callgraph import CallGraph
from .facts import _literal
from .pysource import ProjectFiles
from .pysource import loaded_modules_in
from .templates import Templates

UrlForCall = tuple[str, dict[str, t.Any], Evidence]

_URL_FOR_IMPORTS = frozenset({"flask.url_for", "flask.helpers.url_for", "sitec.runtime.url_for"})


def python_url_fors(
    graph: CallGraph,
    files: ProjectFiles,
    view_files: dict[str, set[str]],
    endpoints: set[str],
) -> list[UrlForCall]:
    """Literal calls in every project module the app imported.

    ``view_files`` maps a module's file to the blueprints its views belong to.
    """
    found: list[UrlForCall] = []
    for module in sorted(loaded_modules_in(files), key=lambda m: m.__name__):
        filename = module.__file__ or ""
        parsed = graph.sources.parse(filename)
        if parsed is None:
            continue
        names = _url_for_names(parsed.tree, vars(module))
        modules = {
            n
            for n, v in vars(module).items()
            if isinstance(v, types.ModuleType) and vars(v).get("url_for") is url_for
        }
        blueprints = view_files.get(filename, set())
        where = files.display(filename)
        for node in ast.walk(parsed.tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            is_url_for = (isinstance(func, ast.Name) and func.id in names) or (
                isinstance(func, ast.Attribute)
                and func.attr == "url_for"
                and isinstance(func.value, ast.Name)
                and func.value.id in modules
            )
            if not is_url_for:
                continue
            call = _literal_call(node)
            if call is None:
                continue
            endpoint = _absolute(call[0], blueprints, endpoints)
            if endpoint is not None:
                found.append(
                    (endpoint, call[1], Evidence(f"url_for({call[0]!r})", where, node.lineno))
                )
    return found


def template_url_fors(
    templates: Templates, blueprints: dict[str, set[str]], endpoints: set[str]
) -> list[UrlForCall]:
    """Literal calls in every template of the app; ``blueprints`` maps a
    template to the blueprints whose views render it."""
    found: list[UrlForCall] = []
    for name in templates.all_names():
        facts = templates.facts(name)
        for endpoint, values, line in facts.url_fors:
            absolute = _absolute(endpoint, blueprints.get(name, set()), endpoints)
            if absolute is not None:
                found.append(
                    (absolute, dict(values), Evidence(f"url_for({endpoint!r})", name, line))
                )
    return found


def _url_for_names(tree: ast.Module, namespace: dict[str, t.Any]) -> set[str]:
    """Names that are ``url_for`` in a module, at module level or imported locally."""
    names = {name for name, value in namespace.items() if value is url_for}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in _URL_FOR_IMPORTS:
                    names.add(alias.asname or alias.name)
    return names


def _literal_call(node: ast.Call) -> tuple[str, dict[str, t.Any]] | None:
    if len(node.args) != 1:
        return None
    ok, endpoint = _literal(node.args[0])
    if not ok or not isinstance(endpoint, str):
        return None
    values: dict[str, t.Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            return None
        ok, value = _literal(keyword.value)
        if not ok:
            return None
        values[keyword.arg] = value
    return endpoint, values


def _absolute(endpoint: str, blueprints: set[str], endpoints: set[str]) -> str | None:
    if not endpoint.startswith("."):
        return endpoint
    if len(blueprints) != 1:
        return None
    absolute = next(iter(blueprints)) + endpoint
    return absolute if absolute in endpoints else None
