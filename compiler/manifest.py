"""``manifest.json``: the build's contract with deploy tooling, ``sitec serve`` and users.

The write stage builds it from the analysis (one entry per URL rule), the files written
per endpoint and the redirects, and :class:`~sitec.compiler.output.StagedOutput` writes it
beside the static root. Its core shape is fixed by DESIGN.md; the extra top-level fields
are ``base_url``, ``generated_by``, ``redirects``, ``not_found`` (with
``not_found_headers``) and ``static_folders``; each route also has ``dynamic_methods``,
the methods the WSGI server answers (see :func:`dynamic_methods`), and ``override``:
``"static"`` or ``"dynamic"`` when user code or ``[tool.sitec.routes]`` forced the
decision, else ``null``.
Lists are sorted and keys are sorted when written, so identical builds give identical bytes.
"""

from __future__ import annotations

import json
import os
import re
import typing as t
from collections.abc import Mapping
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from .model import Redirect
from .model import RouteAnalysis
from .model import WrittenFile
from .paths import UnsafePath
from .paths import check_file

VERSION = 1
MANIFEST_NAME = "manifest.json"

#: Files written, keyed by endpoint or, when an endpoint has several rules, by
#: ``(endpoint, rule)``. An endpoint key goes to the endpoint's first rule in sorted order.
WrittenByRoute = Mapping[str | tuple[str, str], Sequence[WrittenFile]]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ManifestError(ValueError):
    """A manifest that does not have the shape this sitec reads; the message says where."""


def generated_by() -> str:
    """``sitec <version>``, the ``generated_by`` field."""
    try:
        return f"sitec {metadata.version('sitec')}"
    except metadata.PackageNotFoundError:
        return "sitec"


def build_manifest(
    routes: Sequence[RouteAnalysis],
    files: WrittenByRoute,
    redirects: Sequence[Redirect] = (),
    *,
    base_url: str = "/",
    not_found: str | None = None,
    not_found_headers: Mapping[str, str] | None = None,
    static_folders: Sequence[tuple[str, str | os.PathLike[str]]] = (),
    project_root: str | os.PathLike[str] | None = None,
) -> dict[str, t.Any]:
    """The manifest of a build, checked with :func:`validate_manifest`.

    ``static_folders`` holds ``(url_prefix, source folder)`` pairs; a folder inside
    ``project_root`` is recorded relative to it, so the manifest does not change with the
    checkout's place. ``not_found`` is the 404 page's file, if one was written, and
    ``not_found_headers`` the headers a host must send with it.
    """
    ordered = sorted(routes, key=lambda route: (route.endpoint, route.rule))
    first_rule: dict[str, str] = {}
    for route in ordered:
        first_rule.setdefault(route.endpoint, route.rule)
    claimed = {key if isinstance(key, str) else key[0] for key in files}
    unknown = claimed - set(first_rule)
    if unknown:
        raise ValueError(f"files written for endpoints with no route: {sorted(unknown)}")

    entries = []
    for route in ordered:
        urls = list(files.get((route.endpoint, route.rule), ()))
        if first_rule[route.endpoint] == route.rule:
            urls += files.get(route.endpoint, ())
        entries.append(
            {
                "endpoint": route.endpoint,
                "rule": route.rule,
                "methods": sorted(route.methods),
                "dynamic_methods": sorted(dynamic_methods(route)),
                "decision": route.decision,
                "override": route.override,
                "reasons": [reason.to_json() for reason in route.reasons],
                "urls": [_url_entry(file) for file in sorted(urls, key=lambda f: f.url)],
            }
        )

    manifest = {
        "version": VERSION,
        "generated_by": generated_by(),
        "base_url": base_url,
        "routes": entries,
        "redirects": [
            {"url": r.url, "location": r.location, "status": r.status}
            for r in sorted(redirects, key=lambda r: r.url)
        ],
        "not_found": not_found,
        "not_found_headers": dict(not_found_headers or {}),
        "static_folders": [
            {"url_prefix": prefix, "folder": _folder_name(folder, project_root)}
            for prefix, folder in sorted(static_folders, key=lambda pair: pair[0])
        ],
    }
    validate_manifest(manifest)
    return manifest


#: Methods a file of the static tree answers.
FILE_METHODS = frozenset({"GET", "HEAD"})


def dynamic_methods(route: RouteAnalysis) -> set[str]:
    """The methods of a rule the WSGI server answers: all of a dynamic rule's, and
    those of a static rule that a file cannot answer (a form's POST, OPTIONS)."""
    if route.decision == "dynamic":
        return set(route.methods)
    return set(route.methods) - FILE_METHODS


def _folder_name(
    folder: str | os.PathLike[str], project_root: str | os.PathLike[str] | None
) -> str:
    path = Path(folder)
    if project_root is not None and path.is_absolute():
        root = Path(project_root)
        if path == root or root in path.parents:
            return path.relative_to(root).as_posix()
    return path.as_posix()


def _url_entry(file: WrittenFile) -> dict[str, t.Any]:
    return {
        "url": file.url,
        "file": file.file,
        "sha256": file.sha256,
        "size": file.size,
        "headers": dict(file.headers),
    }


#: Encodes a value on one line (the standard library's C encoder: ``indent`` would
#: send the whole manifest through its pure-Python one, several times slower).
_ONE_LINE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False)


def dumps(manifest: Mapping[str, t.Any]) -> bytes:
    """The manifest as written: sorted keys, UTF-8, final newline, and two-space indent
    down to the values that hold no nested container, each of which is one line (a
    URL's entry, a reason, a list of methods)."""
    parts: list[str] = []
    _encode(manifest, "", parts)
    parts.append("\n")
    return "".join(parts).encode("utf-8")


def _encode(value: t.Any, indent: str, parts: list[str]) -> None:
    if isinstance(value, dict) and any(map(_nested, value.values())):
        items = [(_ONE_LINE.encode(key) + ": ", value[key]) for key in sorted(value)]
    elif isinstance(value, list) and any(map(_container, value)):
        items = [("", item) for item in value]
    else:
        parts.append(_ONE_LINE.encode(value))
        return
    inner = indent + "  "
    parts.append("{" if isinstance(value, dict) else "[")
    for number, (key, item) in enumerate(items):
        parts.append(("\n" if number == 0 else ",\n") + inner + key)
        _encode(item, inner, parts)
    parts.append("\n" + indent + ("}" if isinstance(value, dict) else "]"))


def _container(value: t.Any) -> bool:
    return isinstance(value, (dict, list))


def _nested(value: t.Any) -> bool:
    """Whether ``value`` is a container holding a container."""
    if isinstance(value, dict):
        return any(map(_container, value.values()))
    return isinstance(value, list) and any(map(_container, value))


def load_manifest(path: str | Path) -> dict[str, t.Any]:
    """Read and check a ``manifest.json``; raises :class:`ManifestError` naming the problem."""
    path = Path(path)
    try:
        data = json.loads(path.read_bytes())
    except OSError as e:
        raise ManifestError(f"{path}: cannot read it ({e.strerror})") from None
    except ValueError as e:
        raise ManifestError(f"{path}: not valid JSON ({e})") from None
    try:
        validate_manifest(data)
    except ManifestError as e:
        raise ManifestError(f"{path}: {e}") from None
    return t.cast(dict[str, t.Any], data)


def is_sitec_manifest(path: Path) -> bool:
    """Whether ``path`` is a manifest a sitec build wrote (of any version).

    Only the envelope is checked, so an output from another sitec version still counts as
    ours when deciding whether a folder may be replaced.
    """
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return (
        isinstance(data, dict)
        and isinstance(data.get("version"), int)
        and isinstance(data.get("routes"), list)
    )


def validate_manifest(data: t.Any) -> None:
    """Raise :class:`ManifestError` unless ``data`` has the manifest's shape."""
    _require(isinstance(data, dict), "", "must be a JSON object")
    version = data.get("version")
    _require(isinstance(version, int), "version", "must be an integer")
    _require(
        version == VERSION,
        "version",
        f"is {version}; this sitec reads version {VERSION}. Rebuild with this sitec.",
    )
    _require(isinstance(data.get("routes"), list), "routes", "must be a list")
    for i, route in enumerate(data["routes"]):
        _check_route(route, f"routes[{i}]")

    for key in ("generated_by", "base_url"):
        if key in data:
            _require(isinstance(data[key], str), key, "must be a string")
    if data.get("not_found") is not None:
        _check_file(data["not_found"], "not_found")
    _check_headers(data.get("not_found_headers", {}), "not_found_headers")
    for i, item in enumerate(data.get("redirects", [])):
        where = f"redirects[{i}]"
        _require(isinstance(item, dict), where, "must be an object")
        _check_url(item.get("url"), f"{where}.url")
        _require(isinstance(item.get("location"), str), f"{where}.location", "must be a string")
        status = item.get("status")
        _require(isinstance(status, int) and 300 <= status < 400, f"{where}.status", "must be 3xx")
    for i, item in enumerate(data.get("static_folders", [])):
        where = f"static_folders[{i}]"
        _require(isinstance(item, dict), where, "must be an object")
        _check_url(item.get("url_prefix"), f"{where}.url_prefix")
        _require(isinstance(item.get("folder"), str), f"{where}.folder", "must be a string")


def _check_route(route: t.Any, where: str) -> None:
    _require(isinstance(route, dict), where, "must be an object")
    for key in ("endpoint", "rule"):
        _require(isinstance(route.get(key), str), f"{where}.{key}", "must be a string")
    where = f"{where} ({route['endpoint']} {route['rule']})"
    methods = route.get("methods")
    _require(
        isinstance(methods, list) and all(isinstance(m, str) for m in methods),
        f"{where}.methods",
        "must be a list of strings",
    )
    _require(
        isinstance(route.get("dynamic_methods"), list)
        and set(route["dynamic_methods"]) <= set(methods),
        f"{where}.dynamic_methods",
        "must be a list of the rule's methods",
    )
    decision = route.get("decision")
    _require(decision in ("static", "dynamic"), f"{where}.decision", "must be static or dynamic")
    _require(
        route.get("override") in (None, decision),
        f"{where}.override",
        "must be null or the decision it forced",
    )
    reasons = route.get("reasons")
    _require(isinstance(reasons, list), f"{where}.reasons", "must be a list")
    for i, reason in enumerate(reasons):
        _check_reason(reason, f"{where}.reasons[{i}]")
    urls = route.get("urls")
    _require(isinstance(urls, list), f"{where}.urls", "must be a list")
    if decision == "dynamic":
        _require(bool(reasons), f"{where}.reasons", "a dynamic route needs at least one reason")
        _require(not urls, f"{where}.urls", "a dynamic route has no files")
    for i, entry in enumerate(urls):
        _check_url_entry(entry, f"{where}.urls[{i}]")


def _check_reason(reason: t.Any, where: str) -> None:
    _require(isinstance(reason, dict), where, "must be an object")
    _require(isinstance(reason.get("message"), str), f"{where}.message", "must be a string")
    for key, kind in (("file", str), ("line", int), ("via", str)):
        if reason.get(key) is not None:
            _require(isinstance(reason[key], kind), f"{where}.{key}", f"must be {kind.__name__}")


def _check_url_entry(entry: t.Any, where: str) -> None:
    _require(isinstance(entry, dict), where, "must be an object")
    _check_url(entry.get("url"), f"{where}.url")
    _check_file(entry.get("file"), f"{where}.file")
    sha = entry.get("sha256")
    _require(isinstance(sha, str) and bool(_SHA256.match(sha)), f"{where}.sha256", "not a hash")
    _check_headers(entry.get("headers"), f"{where}.headers")


def _check_headers(headers: t.Any, where: str) -> None:
    _require(
        isinstance(headers, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()),
        where,
        "must map header names to strings",
    )


def _check_url(url: t.Any, where: str) -> None:
    _require(isinstance(url, str) and url.startswith("/"), where, "must be a path starting '/'")


def _check_file(file: t.Any, where: str) -> None:
    _require(isinstance(file, str), where, "must be a string")
    try:
        check_file(file)
    except UnsafePath as e:
        raise ManifestError(f"{where}: {e}") from None


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise ManifestError(f"{where}: {message}" if where else message)
