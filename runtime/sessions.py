"""Sessions: per-user data that lives across requests.

The app reaches sessions only through its ``session_interface``: it calls
:meth:`SessionInterface.open_session` when a request first needs its session
and :meth:`SessionInterface.save_session` on the response. The default,
:class:`SecureCookieSessionInterface`, keeps the whole session in a cookie
signed with the app's secret key (readable by the client, not forgeable), as
:class:`TaggedJSONSerializer` JSON. Other backends (server-side stores) replace
the interface.
"""

from __future__ import annotations

import hashlib
import typing as t
from collections.abc import MutableMapping
from datetime import UTC
from datetime import datetime

from itsdangerous import BadSignature
from itsdangerous import TimestampSigner
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from .json.tag import TaggedJSONSerializer

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.wrappers import Request
    from werkzeug.wrappers import Response

    from .app import Flask


class SessionMixin(MutableMapping[str, t.Any]):
    """The attributes every session has on top of being a mutable mapping.

    The defaults suit a backend that tracks nothing: such a session always
    counts as modified and accessed, so it is always saved and the response
    always varies by cookie.
    """

    @property
    def permanent(self) -> bool:
        """Whether the session outlives the browser session (stored under
        ``"_permanent"``); a permanent session lasts
        ``app.permanent_session_lifetime``."""
        return self.get("_permanent", False)  # type: ignore[no-any-return]

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    #: Whether the session was just created. Cookie sessions cannot tell a
    #: new session from an empty one, so they leave this ``False``.
    new = False

    #: Whether the session's data changed. Changing a mutable value inside
    #: the session (a list in it) is not seen: set this yourself then.
    modified = True

    #: Whether the session's data was read or written, which makes the
    #: response depend on the cookie (``Vary: Cookie``).
    accessed = True


def _on_update(session: SecureCookieSession) -> None:
    session.modified = True
    session.accessed = True


class SecureCookieSession(CallbackDict[str, t.Any], SessionMixin):  # type: ignore[misc]
    """The session of :class:`SecureCookieSessionInterface`: a dict that records
    writes in :attr:`modified` and any read or write in :attr:`accessed`.

    Only the top level is tracked: mutating a value stored in the session
    does not set :attr:`modified`.
    """

    modified = False
    accessed = False

    def __init__(
        self, initial: t.Mapping[str, t.Any] | t.Iterable[tuple[str, t.Any]] | None = None
    ) -> None:
        super().__init__(initial, _on_update)

    @property
    def permanent(self) -> bool:
        # Cookie metadata, not session content: the interface reads it on
        # every save, which must not make the response vary by cookie.
        return dict.get(self, "_permanent", False)  # type: ignore[no-any-return]

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    # Every way of reading the data marks the session accessed, including
    # those that only look at keys: "'user' in session" also depends on the
    # cookie.

    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().setdefault(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()

    def __iter__(self) -> t.Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def keys(self) -> t.KeysView[str]:  # type: ignore[override]
        self.accessed = True
        return super().keys()

    def values(self) -> t.ValuesView[t.Any]:  # type: ignore[override]
        self.accessed = True
        return super().values()

    def items(self) -> t.ItemsView[str, t.Any]:  # type: ignore[override]
        self.accessed = True
        return super().items()

    def copy(self) -> dict[str, t.Any]:
        self.accessed = True
        return super().copy()


class NullSession(SecureCookieSession):
    """The session used when sessions cannot work (no secret key): it reads as
    empty, and any attempt to change it explains what is missing."""

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(
            "The session is unavailable because no secret key was set. Set"
            " app.secret_key (or the SECRET_KEY config) to a long random secret"
            " string to use sessions."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail  # type: ignore[assignment]
    del _fail


class SessionInterface:
    """The interface between the app and a session backend.

    A backend implements :meth:`open_session` and :meth:`save_session`; the
    other methods read the ``SESSION_COOKIE_*`` config and have defaults that
    rarely need changing. Assign an instance to ``app.session_interface``.

    Requests of the same user can run concurrently, and sessions are opened
    and saved in whatever order the requests start and end: a backend that
    stores data server-side must synchronize itself.
    """

    #: What :meth:`make_null_session` creates and :meth:`is_null_session`
    #: looks for.
    null_session_class = NullSession

    #: Whether the backend pickles session data; extensions may check it.
    pickle_based = False

    def make_null_session(self, app: Flask) -> NullSession:
        """Return the session used when :meth:`open_session` returned ``None``:
        it reads as empty and refuses writes with an explanation."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is a null session (null sessions are never saved)."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Flask) -> str:
        """The cookie's name: ``SESSION_COOKIE_NAME``."""
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: Flask) -> str | None:
        """The cookie's ``Domain``: ``SESSION_COOKIE_DOMAIN``.

        ``None`` (the default) lets browsers send the cookie back to the exact
        host that set it only; a domain also sends it to its subdomains. It is
        not derived from ``SERVER_NAME``.
        """
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Flask) -> str:
        """The cookie's ``Path``: ``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``, else ``/``."""
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"] or "/"

    def get_cookie_httponly(self, app: Flask) -> bool:
        """Whether the cookie is ``HttpOnly``: ``SESSION_COOKIE_HTTPONLY``."""
        return app.config["SESSION_COOKIE_HTTPONLY"]  # type: ignore[no-any-return]

    def get_cookie_secure(self, app: Flask) -> bool:
        """Whether the cookie is ``Secure`` (HTTPS only): ``SESSION_COOKIE_SECURE``."""
        return app.config["SESSION_COOKIE_SECURE"]  # type: ignore[no-any-return]

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """The cookie's ``SameSite`` (``"Strict"``, ``"Lax"`` or ``None``):
        ``SESSION_COOKIE_SAMESITE``."""
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Flask) -> bool:
        """Whether the cookie is ``Partitioned`` (CHIPS): ``SESSION_COOKIE_PARTITIONED``."""
        return app.config["SESSION_COOKIE_PARTITIONED"]  # type: ignore[no-any-return]

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        """When the cookie expires: now plus ``app.permanent_session_lifetime``
        for a permanent session, ``None`` (end of the browser session) otherwise."""
        if session.permanent:
            return datetime.now(UTC) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        """Whether to send the cookie with this response: when the session was
        modified, or to push a permanent session's expiry forward when
        ``SESSION_REFRESH_EACH_REQUEST`` is on. (Deleting an emptied session's
        cookie is decided separately.)"""
        return session.modified or (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
        )

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        """Load the session of ``request``.

        Return a dict-like :class:`SessionMixin`, or ``None`` when sessions
        cannot work (the app then uses :meth:`make_null_session`). The
        request context is active; call ``request_ctx.match_request()`` first
        if the URL's endpoint matters.
        """
        raise NotImplementedError

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Store ``session`` and set whatever cookie the response needs.

        Called after the response is built, with the request context still
        active; never called for a null session.
        """
        raise NotImplementedError


def _sha1(string: bytes = b"") -> t.Any:
    """SHA-1, looked up when called rather than at import time, so importing
    the runtime works on systems (FIPS mode) that forbid SHA-1."""
    return hashlib.sha1(string)


def _fast_digest(digest_method: t.Any) -> t.Any:
    """``hashlib.sha1`` in place of the default :func:`_sha1`: the same hash, but
    ``hmac`` computes with OpenSSL directly only when given hashlib's own
    constructor, and falls back to a pure-Python HMAC for a wrapper function."""
    return hashlib.sha1 if digest_method is _sha1 else digest_method


class _KeyCachingSigner(TimestampSigner):
    """A timestamp signer that derives each signing key once, not on every use."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._derived_keys: dict[str | bytes | None, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self._derived_keys.get(secret_key)
        if key is None:
            key = self._derived_keys[secret_key] = super().derive_key(secret_key)
        return key


class _SessionSigningSerializer(URLSafeTimedSerializer):
    """The cookie serializer: itsdangerous's, keeping one signer for its salt.

    itsdangerous builds a signer, and derives its key, on every dump and load;
    this reuse keeps the output and the checks identical while sparing that
    work on each request.
    """

    default_signer = _KeyCachingSigner
    _signer: TimestampSigner | None = None

    def make_signer(self, salt: str | bytes | None = None) -> TimestampSigner:
        if salt is not None and salt != self.salt:
            return super().make_signer(salt)  # type: ignore[return-value]
        if self._signer is None:
            self._signer = super().make_signer()  # type: ignore[assignment]
        return self._signer  # type: ignore[return-value]


#: The serializer of cookie sessions: JSON with tags for the types JSON lacks.
session_json_serializer = TaggedJSONSerializer()


class SecureCookieSessionInterface(SessionInterface):
    """Sessions stored whole in a cookie, signed with itsdangerous.

    The payload is :attr:`serializer` JSON, signed with a timestamp using the
    app's ``secret_key``; keys in ``SECRET_KEY_FALLBACKS`` still verify
    cookies, so keys can be rotated without logging everyone out. Cookies are
    compatible with Flask's: same salt, digest and key derivation.
    """

    #: Mixed into the secret key, so a signature made for something else with
    #: the same key is not a valid session.
    salt = "cookie-session"

    #: The hash function of the HMAC signature.
    digest_method = staticmethod(_sha1)

    #: How itsdangerous derives the signing key from the secret key.
    key_derivation = "hmac"

    #: Turns the session data into a string and back.
    serializer = session_json_serializer

    #: The class of the sessions this interface creates.
    session_class = SecureCookieSession

    #: The last serializer built and the settings it was built for (see
    #: :meth:`get_signing_serializer`).
    _signer_cache: tuple[tuple[t.Any, ...], URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The serializer that signs and verifies cookies, or ``None`` without a secret key.

        It signs with ``secret_key`` and verifies with it and every key of
        ``SECRET_KEY_FALLBACKS`` (most recent first). Building one is not
        free, so the last one is reused while the keys and signing settings
        stay the same; changing ``app.secret_key`` takes effect at once.
        """
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"] or ()
        settings = (
            secret_key,
            tuple(fallbacks),
            self.salt,
            self.serializer,
            self.key_derivation,
            self.digest_method,
        )
        cached = self._signer_cache
        if cached is not None and cached[0] == settings:
            return cached[1]
        # itsdangerous signs with the last key and verifies newest to oldest.
        keys = [*reversed(fallbacks), secret_key]
        signer = _SessionSigningSerializer(
            keys,  # type: ignore[arg-type]
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": _fast_digest(self.digest_method),
            },
        )
        self._signer_cache = (settings, signer)
        return signer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Load the session from the request's cookie.

        Returns ``None`` without a secret key and an empty session when there
        is no cookie or it is forged, corrupt or expired (older than
        ``permanent_session_lifetime``).
        """
        if not app.secret_key:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        signer = self.get_signing_serializer(app)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = signer.loads(cookie, max_age=max_age)  # type: ignore[union-attr]
        except BadSignature:
            return self.session_class()
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Set, refresh or delete the session cookie on ``response``.

        An emptied session deletes the cookie; a modified one (or a permanent
        one, with ``SESSION_REFRESH_EACH_REQUEST``) is signed into it. The
        response gets ``Vary: Cookie`` whenever it depends on the cookie: the
        session was read, or the cookie is set or deleted. The session is read
        here through ``dict`` itself, so saving does not mark it accessed.
        """
        # Vary is parsed and written back on each use, so it is added once.
        accessed = session.accessed
        if accessed:
            response.vary.add("Cookie")
        if not dict.__len__(session):  # type: ignore[arg-type]
            if session.modified:
                response.delete_cookie(self.get_cookie_name(app), **self._cookie_options(app))
                if not accessed:
                    response.vary.add("Cookie")
            return
        if not self.should_set_cookie(app, session):
            return
        signer = self.get_signing_serializer(app)
        value = signer.dumps(dict.copy(session))  # type: ignore[union-attr, arg-type]
        response.set_cookie(
            self.get_cookie_name(app),
            value,
            expires=self.get_expiration_time(app, session),
            **self._cookie_options(app),
        )
        if not accessed:
            response.vary.add("Cookie")

    def _cookie_options(self, app: Flask) -> dict[str, t.Any]:
        """The cookie attributes shared by setting and deleting the cookie."""
        return {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "httponly": self.get_cookie_httponly(app),
            "samesite": self.get_cookie_samesite(app),
            "partitioned": self.get_cookie_partitioned(app),
        }
