"""JSON providers: how an app turns objects into JSON and back.

``app.json`` is an instance of ``app.json_provider_class``. Everything JSON in
the runtime goes through it while an app is active: :func:`~.jsonify`, the
``tojson`` template filter, ``request.get_json``, the test client and the
session serializer. Swap the class to use another JSON library or to teach
JSON new types.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import typing as t
import uuid
import weakref
from datetime import date

from werkzeug.http import http_date

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.sansio.response import Response

    from ..app import Flask


class JSONProvider:
    """The interface of a JSON provider, bound to one app.

    Subclasses implement :meth:`dumps` and :meth:`loads`; the file variants
    and :meth:`response` are built on them. The app is held through a weak
    proxy so the provider does not keep it alive.
    """

    def __init__(self, app: Flask) -> None:
        self._app: Flask = weakref.proxy(app)

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` to a JSON string."""
        raise NotImplementedError

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        """Serialize ``obj`` as JSON into the text file ``fp``."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Parse a JSON string or bytes into Python objects."""
        raise NotImplementedError

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        """Parse the JSON document in the file ``fp``."""
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> t.Any:
        """Pick what :meth:`response` serializes: one positional value as is,
        several as a list, keyword arguments as an object, nothing as ``null``."""
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Serialize the arguments into an ``application/json`` response.

        ``response(value)`` sends ``value``, ``response(a, b)`` a list and
        ``response(k=v)`` an object; mixing the two is a ``TypeError``.
        """
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


def _default(o: t.Any) -> t.Any:
    """Turn the types stdlib ``json`` refuses into JSON-ready values.

    Dates become HTTP dates (RFC 822, in GMT); decimals and UUIDs strings;
    dataclasses dicts; objects with ``__html__`` (like ``Markup``) its result.
    """
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _make_encoder(options: dict[str, t.Any]) -> json.JSONEncoder:
    """The encoder ``json.dumps(obj, **options)`` would use."""
    options = dict(options)
    cls = options.pop("cls", None) or json.JSONEncoder
    return cls(**options)  # type: ignore[no-any-return]


class DefaultJSONProvider(JSONProvider):
    """The stdlib ``json`` module, taught a few more types (see :func:`_default`).

    The class attributes are the defaults of every dump; change them on
    ``app.json`` to change the app's output.
    """

    #: Called for objects ``json`` cannot serialize; return something it can,
    #: or raise ``TypeError``. Assign a plain function on the instance to
    #: extend it.
    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)

    #: Escape every non-ASCII character, so the output is safe in any encoding.
    ensure_ascii = True

    #: Sort object keys, so equal data gives equal bytes (good for caches).
    sort_keys = True

    #: For :meth:`response`: ``True`` writes compact JSON, ``False`` indented
    #: JSON, and ``None`` indented only while the app is in debug mode.
    compact: bool | None = None

    #: The mimetype of :meth:`response`.
    mimetype = "application/json"

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._encoders: dict[tuple[tuple[str, t.Any], ...], json.JSONEncoder] = {}

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` with ``json.dumps``, the class defaults filling in
        any of ``default``, ``ensure_ascii`` and ``sort_keys`` not given."""
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return self._encoder(kwargs).encode(obj)

    def _encoder(self, options: dict[str, t.Any]) -> json.JSONEncoder:
        """The encoder for these ``json.dumps`` options, reused between calls.

        Building a ``JSONEncoder`` costs as much as dumping a small object,
        and an app dumps with the same few option sets all the time. The
        cache is small and bounded, since callers may pass fresh values
        (a new ``default`` lambda) on every call.
        """
        key = tuple(options.items())
        try:
            return self._encoders[key]
        except KeyError:
            if len(self._encoders) >= 16:
                self._encoders.clear()
            encoder = self._encoders[key] = _make_encoder(options)
            return encoder
        except TypeError:  # an unhashable option value: nothing to reuse
            return _make_encoder(options)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Parse with ``json.loads``."""
        return json.loads(s, **kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Serialize the arguments (see :meth:`JSONProvider.response`) into a
        response of :attr:`mimetype`, compact or indented as :attr:`compact`
        says, ending with a newline."""
        obj = self._prepare_response_obj(args, kwargs)
        compact = self.compact
        if compact is None:
            compact = not self._app.debug
        if compact:
            body = self.dumps(obj, separators=(",", ":"))
        else:
            body = self.dumps(obj, indent=2)
        return self._app.response_class(f"{body}\n", mimetype=self.mimetype)
