r"""Build settings: ``[tool.sitec]`` in ``pyproject.toml``, overridden by command-line flags.

::

    [tool.sitec]
    app = "publication:create_app()"   # as for flask --app
    output = "_site"                   # relative to the project root
    base-url = "/"                     # a path prefix, or a full URL for absolute links
    jobs = 0                           # 0: one worker per core
    strict = false                     # a request read during a render fails the build

    [tool.sitec.problems]              # fail | warn | ignore, per problem kind
    no-urls = "warn"

    [tool.sitec.routes]                # force a decision per endpoint
    "blog.search" = "dynamic"

    [tool.sitec.deploy]                # the deploy bundle (see sitec.compiler.emit)
    targets = ["nginx", "caddy", "netlify"]  # host configs to write; --target overrides
    listen = "80"                      # nginx listen / Caddy port: "80", "127.0.0.1:8080"
    server-name = "example.org"        # nginx server_name, Caddy site host
    upstream = "127.0.0.1:8000"        # where the WSGI server listens (or "unix:/path")
    public-root = "/srv/site/public"   # OUT/public on the server (default: where it is built)
    app-origin = "https://app.example.org"  # the WSGI server's URL, for Netlify's proxies
    fingerprint = "[.][0-9a-f]{8,}[.]"  # a regex: static files whose name it finds get a year
                                       # of immutable caching ("" for none; the default is
                                       # in sitec.compiler.fingerprint)
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
import typing as t
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from urllib.parse import urlsplit

from sitec.runtime.cli import import_location
from sitec.runtime.cli import split_app_path

from .fingerprint import DEFAULT_PATTERN
from .model import DEFAULT_POLICIES
from .model import PROBLEM_KINDS
from .model import Decision
from .model import Policy


class SettingsError(Exception):
    """A setting is missing or wrong; the message says which and where."""


@dataclass(frozen=True)
class SiteAddress:
    """Where the site is served: scheme, host and the path prefix (``/`` or ``/docs/``)."""

    scheme: str = "http"
    host: str = "localhost"
    path: str = "/"
    #: Whether the scheme and host were given (a full URL), not defaults.
    absolute: bool = False

    @property
    def url(self) -> str:
        """As given: the full URL, or the path prefix alone."""
        return f"{self.scheme}://{self.host}{self.path}" if self.absolute else self.path

    @property
    def script_name(self) -> str:
        """The prefix as WSGI's ``SCRIPT_NAME``: no trailing slash, empty for the root."""
        return self.path.rstrip("/")

    @classmethod
    def parse(cls, value: str) -> SiteAddress:
        """Read ``/docs/`` or ``https://example.org/docs/``."""
        parts = urlsplit(value.strip())
        if parts.query or parts.fragment:
            raise SettingsError(f"base-url {value!r} must not have a query or fragment.")
        if parts.scheme and parts.scheme not in {"http", "https"}:
            raise SettingsError(f"base-url {value!r}: only http and https addresses work.")
        if bool(parts.scheme) != bool(parts.netloc):
            raise SettingsError(
                f"base-url {value!r} is neither a path ('/docs/') nor a full URL"
                " ('https://example.org/docs/')."
            )
        path = parts.path or "/"
        if not path.startswith("/"):
            raise SettingsError(f"base-url {value!r} must start with '/'.")
        if any(segment in {".", ".."} for segment in path.split("/")):
            raise SettingsError(f"base-url {value!r} must not contain '.' or '..' segments.")
        if not path.endswith("/"):
            path += "/"
        if parts.scheme:
            return cls(parts.scheme, parts.netloc, path, absolute=True)
        return cls(path=path)


#: The host configs the deploy bundle can hold, all by default.
TARGETS: tuple[str, ...] = ("nginx", "caddy", "netlify")


@dataclass(frozen=True)
class DeploySettings:
    """``[tool.sitec.deploy]``: what the generated host configs need to know."""

    #: Chosen host configs; ``None``: every one that can be written, Netlify's only when
    #: it needs no ``app_origin`` or has one.
    targets: tuple[str, ...] | None = None
    listen: str = "80"
    server_name: str | None = None
    upstream: str = "127.0.0.1:8000"
    #: Where ``OUT/public`` is on the server; ``None``: where the build wrote it.
    public_root: str | None = None
    app_origin: str | None = None
    #: A regex that finds a content fingerprint in a static file's name (see
    #: :mod:`sitec.compiler.fingerprint`); ``""``: no file is fingerprinted.
    fingerprint: str = DEFAULT_PATTERN

    @classmethod
    def from_table(cls, table: dict[str, t.Any], where: str) -> DeploySettings:
        keys = {
            "targets": "targets",
            "listen": "listen",
            "server-name": "server_name",
            "upstream": "upstream",
            "public-root": "public_root",
            "app-origin": "app_origin",
            "fingerprint": "fingerprint",
        }
        unknown = sorted(set(table) - set(keys))
        if unknown:
            raise SettingsError(f"{where}: unknown key(s) deploy.{', deploy.'.join(unknown)}.")
        values: dict[str, t.Any] = {}
        for key, name in keys.items():
            if key not in table:
                continue
            value = table[key]
            if key == "targets":
                value = tuple(parse_targets(value, where))
            elif key == "fingerprint":
                check_pattern(value, f"{where}: deploy.fingerprint")
            elif not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
                raise SettingsError(f"{where}: deploy.{key} must be a string without spaces.")
            values[name] = value
        origin = values.get("app_origin")
        if origin is not None and urlsplit(origin).scheme not in {"http", "https"}:
            raise SettingsError(f"{where}: deploy.app-origin must be an http(s):// URL.")
        root = values.get("public_root")
        if root is not None and not root.startswith("/"):
            raise SettingsError(f"{where}: deploy.public-root must be an absolute path.")
        return cls(**values)


def check_pattern(value: t.Any, where: str) -> None:
    """A ``SettingsError`` unless ``value`` is a regular expression (or ``""``)."""
    if not isinstance(value, str):
        raise SettingsError(f"{where} must be a string (a regular expression).")
    try:
        re.compile(value)
    except re.error as e:
        raise SettingsError(f"{where} is not a regular expression: {e}.") from None


def parse_targets(value: t.Any, where: str) -> list[str]:
    """Target names from a list (or comma-separated text); ``all`` means every one."""
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise SettingsError(f"{where}: deploy targets must be a list of names.")
    chosen: list[str] = []
    for name in (n.strip() for n in names):
        if name == "all":
            chosen.extend(TARGETS)
        elif name in TARGETS:
            chosen.append(name)
        else:
            raise SettingsError(
                f"{where}: unknown deploy target {name!r}; known: {', '.join(TARGETS)}, all."
            )
    return list(dict.fromkeys(chosen))


@dataclass
class BuildSettings:
    """Everything a build needs to know before it loads the app."""

    project_root: Path
    #: The app as ``flask --app`` takes it; ``None`` looks for wsgi.py or app.py.
    app: str | None
    output: Path
    address: SiteAddress = field(default_factory=SiteAddress)
    jobs: int = 1
    strict: bool = False
    policies: dict[str, Policy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    #: Decisions forced per endpoint in ``[tool.sitec.routes]``.
    routes: dict[str, Decision] = field(default_factory=dict)
    #: The ``pyproject.toml`` the settings came from, if any.
    source: Path | None = None
    deploy: DeploySettings = field(default_factory=DeploySettings)

    def policy(self, kind: str) -> Policy:
        """The policy of a problem kind; ``--strict`` makes request reads fail."""
        if self.strict and kind == "request-read":
            return "fail"
        return self.policies[kind]


def check_route_overrides(settings: BuildSettings, endpoints: t.Collection[str]) -> None:
    """Raise :class:`SettingsError` when ``[tool.sitec.routes]`` names an endpoint the
    app does not have: a typo would otherwise leave the route undecided by the user."""
    unknown = sorted(set(settings.routes) - set(endpoints))
    if not unknown:
        return
    where = f"[tool.sitec.routes] in {settings.source}" if settings.source else "routes"
    named = []
    for endpoint in unknown:
        close = difflib.get_close_matches(endpoint, endpoints, n=1)
        named.append(f"{endpoint!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise SettingsError(
        f"{where}: the app has no endpoint {', '.join(named)}; see the endpoints with"
        " 'sitec routes'."
    )


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.sitec]`` table, from ``start`` upward."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "sitec" in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, t.Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"{path}: {e}") from None
    except OSError as e:
        raise SettingsError(f"{path}: {e.strerror}") from None


def _app_project(cwd: Path, app: str) -> tuple[Path, str]:
    """Where to look for the project of ``--app``, and ``app`` as it loads from anywhere.

    A module name (``publication:create_app()``) is the project at ``cwd``. A path
    (``example_site/publication:create_app()``) is the project it is imported from,
    and is made absolute, since the build imports the app from the project's folder.
    """
    path, name = split_app_path(app)
    if os.sep not in path and "/" not in path and not path.endswith(".py"):
        return cwd, app
    absolute = (cwd / path).resolve()
    folder, _ = import_location(absolute)
    return Path(folder), str(absolute) if name is None else f"{absolute}:{name}"


def shown_path(path: Path) -> str:
    """``path`` as the user would type it here: relative to the current folder when
    it is inside it, absolute otherwise."""
    try:
        return path.relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return str(path)


def load_settings(
    cwd: Path,
    *,
    app: str | None = None,
    output: str | None = None,
    base_url: str | None = None,
    jobs: int | None = None,
    strict: bool | None = None,
    targets: t.Sequence[str] | None = None,
) -> BuildSettings:
    """Settings from the nearest ``[tool.sitec]``, with the given flags taking precedence.

    The nearest is looked for from ``cwd`` upward, or, when ``app`` is a path
    (``example_site/publication:create_app()``, as ``flask --app`` takes it), from
    the folder that path is imported from: the app's own project.
    """
    start = cwd
    if app is not None:
        start, app = _app_project(cwd, app)
    pyproject = find_pyproject(start)
    table: dict[str, t.Any] = {}
    root = start
    if pyproject is not None:
        table = _read_toml(pyproject)["tool"]["sitec"]
        root = pyproject.parent
    where = f"[tool.sitec] in {pyproject}" if pyproject else "the command line"

    known = {"app", "output", "base-url", "jobs", "strict", "problems", "routes", "deploy"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise SettingsError(f"{where}: unknown key(s) {', '.join(unknown)}.")

    app = app or table.get("app") or os.environ.get("FLASK_APP")
    output_path = Path(output) if output else root / str(table.get("output", "_site"))
    if not output_path.is_absolute():
        output_path = (cwd if output else root) / output_path
    address = SiteAddress.parse(base_url or str(table.get("base-url", "/")))

    if jobs is None:
        jobs = int(table.get("jobs", 0))
    if jobs < 0:
        raise SettingsError(f"jobs must be 0 (one per core) or more, not {jobs}.")
    if jobs == 0:
        jobs = os.cpu_count() or 1

    policies: dict[str, Policy] = dict(DEFAULT_POLICIES)
    for kind, policy in table.get("problems", {}).items():
        if kind not in PROBLEM_KINDS:
            raise SettingsError(
                f"{where}: unknown problem kind {kind!r}; known: {', '.join(PROBLEM_KINDS)}."
            )
        if policy not in {"fail", "warn", "ignore"}:
            raise SettingsError(f"{where}: problems.{kind} must be fail, warn or ignore.")
        policies[kind] = policy

    routes: dict[str, Decision] = {}
    for endpoint, decision in table.get("routes", {}).items():
        if decision not in {"static", "dynamic"}:
            raise SettingsError(f"{where}: routes.{endpoint!r} must be 'static' or 'dynamic'.")
        routes[endpoint] = decision

    deploy = DeploySettings.from_table(dict(table.get("deploy", {})), where)
    if targets:
        deploy = dataclasses.replace(
            deploy, targets=tuple(parse_targets(list(targets), "--target"))
        )

    return BuildSettings(
        project_root=root.resolve(),
        app=app,
        output=output_path.resolve(),
        address=address,
        jobs=jobs,
        strict=bool(table.get("strict", False)) if strict is None else strict,
        policies=policies,
        routes=routes,
        source=pyproject,
        deploy=deploy,
    )
