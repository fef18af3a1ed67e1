"""Memos of werkzeug's routing answers: the route a URL matched and the URLs ``url_for`` built.

Matching a request walks werkzeug's state machine and runs the matched rule's
converters; building a URL picks a rule, runs its converters and quotes the
parts. Together they are a large share of a small page, and apps ask the same
questions over and over: the same URLs are requested, the same links are on
every page. An answer is a pure function of the map's rules and of the inputs
listed in each memo's key, as long as the rule is werkzeug's ``Rule`` and its
converters' ``to_python``/``to_url`` are werkzeug's own: a custom converter may
read anything (the request, ``g``, a database). So only such answers are
remembered, per version of the map (:class:`RouteMap` counts the rules added to
it). A URL that matched no rule (404, 405) is remembered only when every rule of
the map is werkzeug's; redirects and build errors are asked again every time.
``RequestContext.match_request`` matches through :class:`MatchedRoutes` and
``Flask.url_for`` builds through :class:`BuiltURLs`.
"""

from __future__ import annotations

import typing as t
from uuid import UUID

from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map
from werkzeug.routing import MapAdapter
from werkzeug.routing import Rule
from werkzeug.routing import RuleFactory
from werkzeug.routing import WebsocketMismatch
from werkzeug.routing.converters import BaseConverter

_WERKZEUG_CONVERTERS = BaseConverter.__module__

#: Past this many answers a memo starts over, so that URLs a client makes up
#: (or values an app builds only once) cannot make it grow without bound.
MAX_ANSWERS = 4096

#: Values whose ``str`` (what converters and query strings use) is fixed by
#: their value. ``bool`` and ``float`` are left out: ``True == 1`` and ``-0.0 == 0.0``
#: would share a key while building different URLs.
_PLAIN_VALUES = frozenset({str, int, UUID, type(None)})


class RouteMap(Map):
    """werkzeug's ``Map``, with a :attr:`version` that changes whenever rules are added.

    Rules only ever get added to a map, so an answer remembered for one
    version is still the map's answer while the version stays the same.
    """

    #: How many times rules were added; part of every remembered answer's key.
    version = 0

    def add(self, rulefactory: RuleFactory) -> None:
        try:
            super().add(rulefactory)
        finally:
            self.version += 1


def _is_werkzeugs(rule: Rule, converter_method: str) -> bool:
    """Whether ``rule`` is werkzeug's ``Rule`` whose converters all use werkzeug's
    ``converter_method`` (``"to_python"`` or ``"to_url"``)."""
    converters = getattr(rule, "_converters", None)
    return (
        type(rule) is Rule
        and converters is not None
        and all(
            getattr(type(c), converter_method).__module__ == _WERKZEUG_CONVERTERS
            for c in converters.values()
        )
    )


def _remember(memo: dict[t.Any, t.Any], key: t.Any, answer: t.Any) -> None:
    if len(memo) >= MAX_ANSWERS:
        memo.clear()
    memo[key] = answer


#: What ``MapAdapter.match`` raises when no rule matches the URL, method and WebSocket flag.
_NO_MATCH = (NotFound, MethodNotAllowed, WebsocketMismatch)


class MatchedRoutes:
    """The routes an app's requests matched, and the URLs that matched none.

    werkzeug's converters turn URL parts into strings, numbers and UUIDs, which
    no receiver can change, so a remembered match hands out a copy of its dict
    of values and shares the values themselves, as werkzeug does with a rule's
    defaults. A URL that matched nothing (404, 405, or a WebSocket mismatch)
    is remembered only when every rule of the map is werkzeug's: any rule's
    converter may have been asked on the way. It is answered with a new
    exception, as werkzeug raises a new one each time.
    """

    def __init__(self) -> None:
        self._routes: dict[tuple[t.Any, ...], tuple[Rule, dict[str, t.Any]] | _Unmatched] = {}
        #: For the map and version last asked about: whether every rule is werkzeug's.
        self._all_werkzeugs_known: tuple[Map, int, bool] | None = None

    def match(self, adapter: MapAdapter) -> tuple[Rule, dict[str, t.Any]]:
        """``adapter.match(return_rule=True)``."""
        url_map = adapter.map
        if type(adapter) is not MapAdapter or not isinstance(url_map, RouteMap):
            return adapter.match(return_rule=True)  # type: ignore[return-value]
        key = (
            url_map,
            url_map.version,
            adapter.server_name,
            adapter.subdomain,
            adapter.path_info,
            adapter.default_method,
            adapter.websocket,
        )
        known = self._routes.get(key)
        if known is not None:
            if type(known) is _Unmatched:
                raise known.error()
            return known[0], known[1].copy()
        try:
            rule, values = adapter.match(return_rule=True)
        except _NO_MATCH as error:
            if type(error) in _NO_MATCH and self._all_werkzeugs(url_map):
                methods = getattr(error, "valid_methods", None)
                unmatched = _Unmatched(type(error), None if methods is None else tuple(methods))
                _remember(self._routes, key, unmatched)
            raise
        if _is_werkzeugs(rule, "to_python"):  # type: ignore[arg-type]
            _remember(self._routes, key, (rule, dict(values)))
        return rule, values  # type: ignore[return-value]

    def _all_werkzeugs(self, url_map: RouteMap) -> bool:
        known = self._all_werkzeugs_known
        if known is None or known[0] is not url_map or known[1] != url_map.version:
            werkzeugs = all(_is_werkzeugs(rule, "to_python") for rule in url_map.iter_rules())
            known = self._all_werkzeugs_known = (url_map, url_map.version, werkzeugs)
        return known[2]


class _Unmatched(t.NamedTuple):
    """What werkzeug raised for a URL that matched no rule, to raise it anew."""

    error_class: type[HTTPException]
    valid_methods: tuple[str, ...] | None

    def error(self) -> HTTPException:
        if self.valid_methods is None:
            return self.error_class()
        return self.error_class(valid_methods=list(self.valid_methods))  # type: ignore[call-arg]


class BuiltURLs:
    """The URLs an app's ``url_for`` built, for values that are plain strings,
    integers, UUIDs or ``None``."""

    def __init__(self) -> None:
        self._urls: dict[tuple[t.Any, ...], str] = {}
        #: (map, endpoint) -> (map version, whether all the endpoint's rules are werkzeug's).
        self._endpoints: dict[tuple[Map, t.Any], tuple[int, bool]] = {}

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
                _remember(self._urls, key, url)
        return url

    def _key(
        self,
        adapter: MapAdapter,
        endpoint: str,
        values: dict[str, t.Any],
        options: tuple[str | None, str | None, bool | None],
    ) -> tuple[t.Any, ...] | None:
        """Everything the built URL depends on, or ``None`` when that cannot be told."""
        url_map = adapter.map
        if type(adapter) is not MapAdapter or not isinstance(url_map, RouteMap):
            return None
        known = self._endpoints.get((url_map, endpoint))
        if known is None or known[0] != url_map.version:
            rules = url_map._rules_by_endpoint.get(endpoint, ())
            werkzeugs = bool(rules) and all(_is_werkzeugs(rule, "to_url") for rule in rules)
            known = self._endpoints[(url_map, endpoint)] = (url_map.version, werkzeugs)
        if not known[1]:
            return None
        items = tuple(values.items())
        for _name, value in items:
            if type(value) not in _PLAIN_VALUES:
                return None
        return (
            url_map,
            url_map.version,
            endpoint,
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
