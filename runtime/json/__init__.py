"""JSON functions that follow the current app.

Inside an app context they delegate to ``current_app.json`` (the app's
:class:`~.provider.JSONProvider`), so an app's JSON settings apply everywhere.
Outside one they use the stdlib ``json`` module, still able to serialize the
extra types the default provider knows (dates, UUIDs, decimals, dataclasses,
``Markup``).
"""

from __future__ import annotations

import json as _json
import typing as t

from ..globals import _cv_app
from ..globals import _no_app_msg
from .provider import _default

if t.TYPE_CHECKING:  # pragma: no cover
    from ..wrappers import Response


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Serialize ``obj`` to a JSON string."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        return ctx.app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
    """Serialize ``obj`` as JSON into the text file ``fp``."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        ctx.app.json.dump(obj, fp, **kwargs)
        return
    kwargs.setdefault("default", _default)
    _json.dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Parse a JSON string or bytes."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        return ctx.app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    """Parse the JSON document in the file ``fp``."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        return ctx.app.json.load(fp, **kwargs)
    return _json.load(fp, **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """Return an ``application/json`` response of the arguments.

    One positional argument is sent as is, several as a list, keyword
    arguments as an object. It needs an active app: it is
    ``current_app.json.response(...)``, so the app's provider decides the
    format (compact, or indented in debug mode).
    """
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.app.json.response(*args, **kwargs)  # type: ignore[no-any-return]
