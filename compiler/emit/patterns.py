"""What URL paths a rule of the app can match, in the pattern languages of host configs.

The emit stage sends to the WSGI server every path a dynamic rule could match. A host
pattern may match *more* paths than the rule (the app then answers them, with the 404 or
redirect the runtime gives) but never fewer, or a dynamic URL would get the 404 page. So
converters are widened, not translated: a converter that never matches ``/`` becomes "one
path segment", any other becomes "anything". That keeps the patterns in the subset that
nginx's PCRE, Caddy's RE2 and Netlify's placeholders share, whatever regex a custom
converter uses.

A rule of a subdomain answers on another host than the site's: :func:`rule_pattern`
returns an :class:`Inexpressible` saying so, and the site's host configs leave its paths
alone. Under ``host_matching`` a path cannot tell the rules apart at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from werkzeug.routing import Rule

# The characters that mean something in a regex; everything else stands for itself.
_REGEX_SPECIAL = frozenset("\\.^$|?*+()[]{}")


@dataclass(frozen=True)
class Wildcard:
    """A converter: one path segment, or any text including slashes."""

    name: str
    crosses_slashes: bool


@dataclass(frozen=True)
class PathPattern:
    """The paths of one rule: literal text and wildcards, in order, without the site prefix."""

    pieces: tuple[str | Wildcard, ...]
    #: The rule ends in ``/`` with strict slashes: the slashless path redirects to it.
    optional_slash: bool


@dataclass(frozen=True)
class Inexpressible:
    """Why no path pattern can stand for a rule."""

    reason: str
    #: The rule answers on another host or subdomain than the site's: its paths are
    #: not the site's paths, so the site's host config leaves them out.
    other_host: bool = False


def rule_pattern(rule: Rule) -> PathPattern | Inexpressible:
    """The pattern of ``rule`` (bound to a map), or why it has none."""
    if rule.map is not None and rule.map.host_matching:
        return Inexpressible(
            f"it matches on the host {rule.host!r}, and the host configs route by path only"
        )
    if rule.subdomain:
        return Inexpressible(f"it answers only on the subdomain {rule.subdomain!r}", True)
    trace = rule._trace  # (is_variable, text) pairs: the domain part, "|", then the path
    path_trace = trace[trace.index((False, "|")) + 1 :]
    pieces: list[str | Wildcard] = []
    for is_variable, text in path_trace:
        if is_variable:
            converter = rule._converters[text]
            pieces.append(Wildcard(text, crosses_slashes=not converter.part_isolating))
        elif pieces and isinstance(pieces[-1], str):
            pieces[-1] += text
        else:
            pieces.append(text)
    strict = rule.strict_slashes
    if strict is None:
        strict = rule.map.strict_slashes if rule.map is not None else True
    ends_in_slash = bool(pieces) and isinstance(pieces[-1], str) and pieces[-1].endswith("/")
    return PathPattern(tuple(pieces), optional_slash=bool(strict) and ends_in_slash)


def to_regex(pattern: PathPattern, prefix: str) -> str:
    """An anchored regex of the decoded request path, in the PCRE/RE2 common subset.

    ``prefix`` is the site's path prefix (``/`` or ``/docs/``).
    """
    parts = ["^", _regex_literal(prefix.rstrip("/"))]
    for piece in pattern.pieces:
        if isinstance(piece, Wildcard):
            parts.append(".*" if piece.crosses_slashes else "[^/]*")
        else:
            parts.append(_regex_literal(piece))
    if pattern.optional_slash and parts[-1].endswith("/"):
        parts[-1] = parts[-1][:-1]
        parts.append("/?")
    parts.append("$")
    return "".join(parts)


def to_netlify(pattern: PathPattern, prefix: str) -> str:
    """A Netlify ``from`` path: ``:name`` for a segment holding a wildcard, ``*`` at the
    first wildcard that crosses slashes (Netlify's splat only ends a path). Literal text is
    percent-encoded, so ``:`` and ``*`` in it are not read as placeholders."""
    text = prefix.rstrip("/")
    segments: list[str] = []
    current = ""
    wild = False
    for piece in pattern.pieces:
        if isinstance(piece, Wildcard):
            if piece.crosses_slashes:
                # The splat covers the whole segment it starts in, and all after it.
                return text + "/".join(segments) + "/*"
            wild = True
            continue
        chunks = piece.split("/")
        for i, chunk in enumerate(chunks):
            if i > 0:
                segments.append(f":{_segment_name(segments)}" if wild else current)
                current, wild = "", False
            current += netlify_quote(chunk)
    segments.append(f":{_segment_name(segments)}" if wild else current)
    return text + "/".join(segments)


def netlify_quote(text: str) -> str:
    """Percent-encode decoded path text for Netlify, ``:`` and ``*`` included."""
    return quote(text, safe="-._~!$&'()+,;=@/")


def _segment_name(segments: list[str]) -> str:
    return f"p{len(segments)}"


def _regex_literal(text: str) -> str:
    return "".join(f"\\{char}" if char in _REGEX_SPECIAL else char for char in text)
