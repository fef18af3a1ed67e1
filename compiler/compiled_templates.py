"""Templates compiled once before the render workers fork, and kept compiled between builds.

The workers forked next share what the build process compiled, instead of each
compiling every template again. Compiling a blog's nine templates takes ~13 ms, on the
way to every page: the compiled code is kept between builds in Jinja's own bytecode
cache, in the build's cache folder, and loading it takes ~1 ms.

Jinja keys its cache by template name, file and source. The compiled code also depends
on the environment, so the key here covers everything of it the compiler reads: the
syntax (delimiters, whitespace options, line prefixes), ``optimized``, async mode,
``finalize``, the policies, the names of the filters and tests and which of them take the
context, the autoescape choice for the template, and the versions of Jinja and Python.
An environment with an extension that is not one of Jinja's own is never cached: its
code takes part in compiling.
"""

from __future__ import annotations

import hashlib
import sys
import typing as t
from pathlib import Path

import jinja2
from jinja2 import FileSystemBytecodeCache

if t.TYPE_CHECKING:  # pragma: no cover
    from jinja2 import Environment

    from sitec.runtime import Flask

#: The options of an environment that its compiled code depends on.
_COMPILER_OPTIONS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "is_async",
)


def compile_ahead(app: Flask, names: t.Iterable[str], folder: Path | None) -> None:
    """Load the templates ``names`` into the app's Jinja cache; through the bytecode cache
    in ``folder`` when the environment can be cached. A template that fails to compile
    is left out: the page that renders it raises the error, and reports it."""
    env = app.jinja_env
    key = environment_key(env) if folder is not None else None
    previous = env.bytecode_cache
    if folder is not None and key is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            env.bytecode_cache = _EnvironmentCache(env, key, folder)
        except OSError:
            pass  # compiled without the cache
    try:
        for name in names:
            try:
                env.get_template(name)
            except Exception:
                pass
    finally:
        # Only here, unobserved: a page's render never reads the cache's files.
        env.bytecode_cache = previous


def environment_key(env: Environment) -> str | None:
    """What the compiled code of ``env`` depends on, as a digest; ``None`` when it
    cannot be told (an extension of the app's own)."""
    if any(not _qualified(type(ext)).startswith("jinja2.") for ext in env.extensions.values()):
        return None
    parts = [
        jinja2.__version__,
        sys.implementation.cache_tag,
        _qualified(type(env)),
        _qualified(env.code_generator_class),
        [getattr(env, option) for option in _COMPILER_OPTIONS],
        _callable_key(env.finalize),
        sorted(env.extensions),
        sorted((name, _callable_key(value)) for name, value in env.policies.items()),
        sorted((name, _pass_arg(value)) for name, value in env.filters.items()),
        sorted((name, _pass_arg(value)) for name, value in env.tests.items()),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class _EnvironmentCache(FileSystemBytecodeCache):
    """Jinja's file cache, with the environment and the template's autoescape choice in
    the key."""

    def __init__(self, env: Environment, key: str, folder: Path) -> None:
        super().__init__(str(folder))
        self.env = env
        self.key = key

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        autoescape = self.env.autoescape
        escaped = autoescape(name) if callable(autoescape) else autoescape
        text = f"{self.key}|{escaped!r}|{name}|{filename}"
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _qualified(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _callable_key(value: t.Any) -> str:
    """A function by its name and the argument Jinja passes it; any other value by its
    text."""
    if callable(value):
        module = getattr(value, "__module__", None)
        name = getattr(value, "__qualname__", type(value).__qualname__)
        return f"{module}.{name}:{_pass_arg(value)}"
    return repr(value)


def _pass_arg(value: t.Any) -> str | None:
    """Which of context, eval context or environment Jinja passes a filter or test
    (``pass_context`` and the like), which changes the code calling it."""
    passed = getattr(value, "jinja_pass_arg", None)
    return None if passed is None else str(passed)
