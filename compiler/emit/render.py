"""Render a template of ``sitec.templates`` with a target's escaping filters.

Templates never print user-controlled text raw: each target passes the filters that
escape for its syntax, and :class:`~jinja2.StrictUndefined` turns a missing value into
an error instead of an empty string in a config.
"""

from __future__ import annotations

import functools
import re
import typing as t

from jinja2 import Environment
from jinja2 import PackageLoader
from jinja2 import StrictUndefined

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
#: The C0 control characters and DEL (the same test per character, in C).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafeValue(ValueError):
    """A value no escaping can put into the target's syntax (a control character)."""


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("sitec.templates", "."),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(
    name: str, filters: t.Mapping[str, t.Callable[..., str]], **context: t.Any
) -> str:
    """The text of template ``name`` with ``filters`` available to it, besides the
    ``comment`` and ``header_name`` filters every target shares."""
    environment = _environment().overlay()
    environment.filters.update(comment=comment, header_name=header_name)
    environment.filters.update(filters)
    return environment.get_template(name).render(**context)


def comment(value: str) -> str:
    """``value`` fit for the rest of a comment line: control characters become ``?``."""
    return _CONTROL.sub("?", value)


def header_name(value: str) -> str:
    """``value`` if it is an HTTP header name (a token), else :class:`UnsafeValue`."""
    if not _TOKEN.match(value):
        raise UnsafeValue(f"{value!r} is not an HTTP header name")
    return value


def refuse_control_characters(value: str, what: str) -> str:
    """``value`` unchanged, or :class:`UnsafeValue` if it holds a control character."""
    if _CONTROL.search(value):
        raise UnsafeValue(f"{what} {value!r} holds a control character")
    return value
