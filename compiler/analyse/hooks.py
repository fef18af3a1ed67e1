"""The functions the runtime calls around a view: for an endpoint, the app's
and its blueprint chain's (``request.blueprints``) before-request functions,
URL value preprocessors, URL defaults, after-request functions and template
context processors. Teardown functions cannot change the response body, so
they are left out; so is the runtime's own default context processor, which
only makes ``request``, ``session`` and ``g`` available to templates.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from sitec.runtime.helpers import _split_blueprint_path
from sitec.runtime.templating import _default_template_ctx_processor

if t.TYPE_CHECKING:
    from sitec.runtime import Flask

#: Registry attribute -> how a hook is named in evidence.
KINDS: dict[str, str] = {
    "url_value_preprocessors": "url_value_preprocessor",
    "before_request_funcs": "before_request",
    "url_default_functions": "url_defaults",
    "after_request_funcs": "after_request",
    "template_context_processors": "context_processor",
}


@dataclass(frozen=True)
class Hook:
    kind: str
    function: t.Callable[..., t.Any]

    @property
    def label(self) -> str:
        name = getattr(self.function, "__qualname__", None) or repr(self.function)
        return f"{self.kind} {name.replace('.<locals>', '')}"


def blueprint_chain(endpoint: str) -> list[str]:
    """The endpoint's blueprint and its parents, innermost first."""
    if "." not in endpoint:
        return []
    return _split_blueprint_path(endpoint.rpartition(".")[0])


def hooks_for(app: Flask, chain: t.Sequence[str]) -> list[Hook]:
    """Every hook that runs for an endpoint of the blueprint ``chain`` (see
    :func:`blueprint_chain`), app first."""
    scopes: list[str | None] = [None, *reversed(chain)]
    found: list[Hook] = []
    for attribute, kind in KINDS.items():
        registry = getattr(app, attribute)
        for scope in scopes:
            for function in registry.get(scope, ()):
                if function is not _default_template_ctx_processor:
                    found.append(Hook(kind, function))
    return found


def all_hooks(app: Flask) -> list[Hook]:
    """Every registered hook of every scope."""
    found: list[Hook] = []
    for attribute, kind in KINDS.items():
        for functions in getattr(app, attribute).values():
            found.extend(
                Hook(kind, f) for f in functions if f is not _default_template_ctx_processor
            )
    return found
