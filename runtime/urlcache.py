"""A memo of built URLs, so that ``url_for`` asks werkzeug to build each distinct URL once.

Pages call ``url_for`` with the same few endpoints and values over and over
(navigation, links to static files, the same link on every page), and werkzeug
builds each one from scratch: it picks the rule, runs the converters and quotes
the parts. What it returns depends only on the endpoint's rules, the values, the
build options and the adapter's host, script name, subdomain, scheme and method,
provided the rules and the converters' ``to_url`` are werkzeug's own and every
value is a plain string, integer, UUID or ``None``. Those calls are remembered;
every other call, and every failing one, goes to werkzeug each time.
``Flask.url_for`` builds through :class:`BuiltURLs`; nothing else uses it.
"""

from __future__ import annotations

import typing as t
from uuid import UUID

from werkzeug.routing import Map
from werkzeug.routing import MapAdapter
from werkzeug.routing import Rule
from werkzeug.routing.converters import BaseConverter

#: Value types whose ``str`` (what converters and query strings use) is fixed by
#: their value. ``bool`` and ``float`` are left out: ``True == 1`` and ``-0.0 == 0.0``
#: would share a key while building different URLs.
_PLAIN_VALUES = frozenset({str, int, UUID, type(None)})
_WERKZEUG_CONVERTERS = BaseConverter.to_url.__module__

#: Past this many URLs the memo starts over, so that values an app builds only
#: once (or hosts a client makes up) cannot make it grow without bound.
MAX_URLS = 4096


def _builds_like_werkzeug(rule: Rule) -> bool:
    """Whether building ``rule`` is werkzeug's own code from end to end.

    A custom converter's ``to_url`` may read anything (the request, ``g``, a
    database), and a ``Rule`` subclass may build differently, so either makes
    the rule's URLs not worth remembering.
    """
    converters = getattr(rule, "_converters", None)
    return (
        type(rule) is Rule
        and converters is not None
        and all(type(c).to_url.__module__ == _WERKZEUG_CONVERTERS for c in converters.values())
    )


class BuiltURLs:
    """The URLs an app's ``url_for`` has built, with what each was built from."""

    def __init__(self) -> None:
        self._urls: dict[tuple[t.Any, ...], str] = {}
        #: (map, endpoint) -> (how many rules the endpoint had, whether all build like werkzeug).
        #: Rules are only ever added to a map, so their count, also part of each URL's
        #: key, tells a stale answer.
        self._endpoints: dict[tuple[Map, str], tuple[int, bool]] = {}

    def build(
        self,
        adapter: MapAdapter,
        endpoint: str,
        values: dict[str, t.Any],
        method: str | None,
        scheme: str | None,
        external: bool | None,
    ) -> str:
        """``adapter.build(endpoint, values, method, external, url_scheme=scheme)``."""
        key = self._key(adapter, endpoint, values, (method, scheme, external))
        url = None if key is None else self._urls.get(key)
        if url is None:
            url = adapter.build(
                endpoint, values, method=method, url_scheme=scheme, force_external=external
            )
            if key is not None:
                if len(self._urls) >= MAX_URLS:
                    self._urls.clear()
                self._urls[key] = url
        return url

    def _key(
        self,
        adapter: MapAdapter,
        endpoint: str,
        values: dict[str, t.Any],
        options: tuple[str | None, str | None, bool | None],
    ) -> tuple[t.Any, ...] | None:
        """Everything the built URL depends on, or ``None`` when that cannot be told."""
        if type(adapter) is not MapAdapter:
            return None
        url_map = adapter.map
        rules = url_map._rules_by_endpoint.get(endpoint)
        if not rules:
            return None  # werkzeug raises the BuildError
        known = self._endpoints.get((url_map, endpoint))
        if known is None or known[0] != len(rules):
            known = (len(rules), all(_builds_like_werkzeug(rule) for rule in rules))
            self._endpoints[(url_map, endpoint)] = known
        if not known[1]:
            return None
        items = tuple(values.items())
        for _name, value in items:
            if type(value) not in _PLAIN_VALUES:
                return None
        return (
            url_map,
            endpoint,
            len(rules),
            items,
            options,
            adapter.server_name,
            adapter.script_name,
            adapter.subdomain,
            adapter.url_scheme,
            adapter.default_method,
            url_map.sort_parameters,
            url_map.sort_key,
        )
