"""Build settings: ``[tool.sitec]`` in ``pyproject.toml``, overridden by command-line flags.

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
"""

from __future__ import annotations

import difflib
import os
import tomllib
import typing as t
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from urllib.parse import urlsplit

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


def load_settings(
    cwd: Path,
    *,
    app: str | None = None,
    output: str | None = None,
    base_url: str | None = None,
    jobs: int | None = None,
    strict: bool | None = None,
) -> BuildSettings:
    """Settings from the nearest ``[tool.sitec]``, with the given flags taking precedence."""
    pyproject = find_pyproject(cwd)
    table: dict[str, t.Any] = {}
    root = cwd
    if pyproject is not None:
        table = _read_toml(pyproject)["tool"]["sitec"]
        root = pyproject.parent
    where = f"[tool.sitec] in {pyproject}" if pyproject else "the command line"

    known = {"app", "output", "base-url", "jobs", "strict", "problems", "routes"}
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
    )
