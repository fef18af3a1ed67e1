"""The observer: what a request read of the request, and what it loaded.

``sitec build`` writes a page to a file only when its bytes cannot depend on
who asks; the observer is the proof. ``Observer(app, project_root)`` installs
itself on one app: a recording subclass of ``app.request_class``, recording
sessions, and wrappers around ``url_for`` and Jinja's template loading. While
``observer.observe()`` is active in the current context, every request of the
app records into the yielded :class:`Observation`:

- reads of request state the URL does not determine (``request.args``,
  cookies, headers, ...), and any use of the session or flashed messages, each
  with where it happened (``file:line`` in the project, or template and line);
- reads of the client's part of the WSGI environ (``HTTP_*`` headers, the
  query string, the remote address, the body) made by code other than the
  runtime itself: WSGI middleware wrapped around ``app.wsgi_app``, or a WSGI
  app a view returns. This needs the request's environ to be a
  :class:`RecordingEnviron`, which the compiler's renderer passes in;
- the templates loaded (with those they extend, include and import), the files
  opened for reading and the folders listed under the project root, and the URLs
  built with ``url_for``.

Reads that the runtime, werkzeug or Jinja make on their own while dispatching
(matching the URL, opening the session) do not count; reads made by user code,
templates, or extensions and helpers that user code calls, do. For the environ,
werkzeug and the standard library count as helpers (a werkzeug ``Request``
that middleware makes reads the environ for it); only the runtime's own reads
are left out.

Nothing here runs for an app without an observer, and an installed observer
records nothing unless an observation is active. The compiler is the only user.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import sysconfig
import typing as t
from contextvars import ContextVar
from functools import update_wrapper

from werkzeug.local import LocalProxy

if t.TYPE_CHECKING:  # pragma: no cover
    from types import CodeType
    from types import FrameType

    from sitec.compiler.model import Evidence

    from .app import Flask

_active: ContextVar[Observation | None] = ContextVar("sitec.observation", default=None)

#: Request attributes that do not make a response depend on who asks: those
#: the URL determines, and configuration or plumbing of the request object.
#: Reading any other public attribute is a request read.
NOT_REQUEST_STATE = frozenset(
    {
        # Determined by the URL (and the host the site is served from).
        "path",
        "script_root",
        "root_path",
        "base_url",
        "url_root",
        "host_url",
        "root_url",
        "host",
        "scheme",
        "is_secure",
        "server",
        "method",
        "endpoint",
        "view_args",
        "url_rule",
        "blueprint",
        "blueprints",
        "routing_exception",
        # Configuration and plumbing.
        "application",
        "close",
        "dict_storage_class",
        "form_data_parser_class",
        "from_values",
        "is_multiprocess",
        "is_multithread",
        "is_run_once",
        "json_module",
        "list_storage_class",
        "make_form_data_parser",
        "max_content_length",
        "max_form_memory_size",
        "max_form_parts",
        "on_json_loading_failed",
        "parameter_storage_class",
        "shallow",
        "trusted_hosts",
        "user_agent_class",
    }
)

# How a frame counts when looking for who made a read.
_TEMPLATE = 0  # compiled Jinja template code
_PROJECT = 1  # a file of the user's project
_OTHER = 2  # third-party code (extensions): user code as far as reads go
_MACHINERY = 3  # the runtime, its dependencies, the standard library
_TRANSPARENT = 4  # proxies and Jinja's attribute lookup: look at their caller

# How a frame counts when looking for who read the WSGI environ.
_ENVIRON_READER = 0  # user code: the reader
_ENVIRON_OWN = 1  # the runtime or the compiler: its own read
_ENVIRON_PAST = 2  # werkzeug, the standard library, Jinja: reads for its caller

_FLASHES = "_flashes"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


class Observation:
    """What the requests made while one ``observe()`` was active did.

    ``reads`` holds one :class:`~sitec.compiler.model.Evidence` per distinct
    read and place; ``templates``, ``files``, ``folders`` and ``urls`` are in first-seen
    order, without repeats (``urls`` keeps repeats: it is cheap to fill and
    the compiler normalises it anyway).
    """

    def __init__(self, observer: Observer) -> None:
        self._observer = observer
        self.reads: list[Evidence] = []
        #: Reads made only to fill ``g`` for attributes the page does not use
        #: (the ``g_feeding`` the observer was given): not counted in ``reads``.
        self.g_feeding_reads: list[Evidence] = []
        self._read_keys: set[tuple[str, str | None, int | None, bool]] = set()
        self._templates: dict[str, None] = {}
        self._files: dict[str, None] = {}
        self._folders: dict[str, None] = {}
        self.urls: list[str] = []
        #: The first request object created while observing.
        self.request: t.Any = None
        # Above zero while the machinery works on our behalf (opening the
        # session, loading a template): its reads and opens do not count.
        self._quiet = 0
        # Places with a read already: an environ read there (request.headers
        # reading HTTP_*) says nothing new.
        self._places_read: set[tuple[str | None, int | None]] = set()
        # The outermost user frames (a view's, a hook's) that read request
        # state, with one read each; ``g`` values they set are request state.
        self._reading_entries: dict[int, str] = {}
        self._tainted_g: dict[str, str] = {}

    @property
    def templates(self) -> list[str]:
        return list(self._templates)

    @property
    def files(self) -> list[str]:
        return list(self._files)

    @property
    def folders(self) -> list[str]:
        return list(self._folders)

    @property
    def endpoint(self) -> str | None:
        """The endpoint the observed request matched, if any."""
        rule = getattr(self.request, "url_rule", None)
        return None if rule is None else rule.endpoint

    # -- recording (called by the installed hooks) ----------------------------

    def _request_read(self, name: str, frame: FrameType | None) -> None:
        """Called only when not quiet."""
        places = self._observer._places
        reader = places.reader(frame)
        if reader is not None:
            self._read(f"reads request.{name}", reader)

    def _environ_read(self, key: str | None, frame: FrameType | None) -> None:
        """``key`` of the WSGI environ was read; ``None`` for the whole of it. Called
        only when not quiet."""
        places = self._observer._places
        reader = places.environ_reader(frame)
        if reader is not None and places.locate(reader)[:2] not in self._places_read:
            what = "the whole WSGI environ" if key is None else f"{key} from the WSGI environ"
            self._read(f"reads {what}", reader)

    def _session_use(self, message: str, frame: FrameType | None) -> None:
        user = self._observer._places.user_frame(frame)
        if user is not None:
            self._read(message, user)

    def _read(self, message: str, frame: FrameType) -> None:
        observer = self._observer
        places = observer._places
        place = places.locate(frame)
        entry = places.entry_frame(frame)
        feeders = observer._g_feeding.get(place[:2]) if observer._g_feeding else None
        if feeders is not None and entry.f_code in feeders:
            self._add(message, place, self.g_feeding_reads)
        else:
            self._add(message, place)
        self._reading_entries.setdefault(id(entry), message)

    def _g_set(self, name: str, frame: FrameType | None) -> None:
        places = self._observer._places
        user = places.user_frame(frame)
        if user is not None:
            origin = self._reading_entries.get(id(places.entry_frame(user)))
            if origin is not None:
                self._tainted_g.setdefault(name, origin)

    def _g_read(self, name: str, frame: FrameType | None) -> None:
        """``g.<name>`` was read; ``__dict__`` (``vars(g)``, iterating) reads every attribute."""
        places = self._observer._places
        reader = places.reader(frame)
        if reader is not None:
            if name in self._tainted_g:
                message = f"reads g.{name}, set from request state ({self._tainted_g[name]})"
            else:
                attr, origin = next(iter(self._tainted_g.items()))
                message = f"reads g.{name}, which holds g.{attr}, set from request state ({origin})"
            self._add(message, places.locate(reader))

    def _add(
        self,
        message: str,
        place: tuple[str | None, int | None, str | None],
        into: list[Evidence] | None = None,
    ) -> None:
        file, line, via = place
        self._places_read.add((file, line))
        key = (message, file, line, into is None)
        if key not in self._read_keys:
            self._read_keys.add(key)
            evidence = self._observer._evidence(message, file, line, via)
            (self.reads if into is None else into).append(evidence)

    def _template_loaded(self, name: str) -> None:
        self._templates[name] = None

    def _file_opened(self, path: t.Any) -> None:
        if self._quiet:
            return
        relative = self._observer._places.project_file(path)
        if relative is not None:
            self._files[relative] = None

    def _folder_listed(self, path: t.Any) -> None:
        if self._quiet:
            return
        relative = self._observer._places.project_folder(path)
        if relative is not None:
            self._folders[relative] = None


class Observer:
    """Observe the requests of ``app``; paths are reported relative to ``project_root``.

    Installing changes the app's request class, session objects, ``url_for``
    and template loading for as long as the observer is installed; each costs
    a context-variable lookup when nothing is observed. :meth:`uninstall`
    puts everything back.

    ``g_feeding`` maps the ``(file, line)`` of a read whose value only fills
    ``g`` to the code objects of the functions (hooks, views) in which that is
    so; such a read, made while one of them is the entry frame, goes to
    ``Observation.g_feeding_reads`` instead of ``reads``. The compiler's
    analysis works these out.
    """

    def __init__(
        self,
        app: Flask,
        project_root: str | os.PathLike[str],
        *,
        g_feeding: t.Mapping[tuple[str, int], t.Collection[CodeType]] | None = None,
    ) -> None:
        if _EXTENSION_KEY in app.extensions:
            raise RuntimeError(f"{app!r} already has an observer; uninstall it first.")
        from sitec.compiler.model import Evidence

        self.app = app
        self._g_feeding = g_feeding or {}
        self._evidence = Evidence
        self._places = _Places(app, project_root)
        self._restore: list[t.Callable[[], None]] = []
        self._install_request_class()
        self._install_globals_class()
        self._install_session()
        self._install_url_for()
        self._install_template_loading()
        _install_audit_hook()
        app.extensions[_EXTENSION_KEY] = self

    def observe(self) -> _Observing:
        """Record what requests of the app do in this context until the block ends:
        ``with observer.observe() as observation:``."""
        return _Observing(Observation(self))

    def uninstall(self) -> None:
        """Undo the installation; the app behaves exactly as before."""
        while self._restore:
            self._restore.pop()()
        self.app.extensions.pop(_EXTENSION_KEY, None)

    # -- installation ---------------------------------------------------------

    def _set(self, owner: t.Any, name: str, value: t.Any) -> None:
        """Set an instance attribute, remembering how to undo it."""
        had_own = name in vars(owner)
        previous = vars(owner).get(name)
        setattr(owner, name, value)

        def restore() -> None:
            if had_own:
                setattr(owner, name, previous)
            else:
                delattr(owner, name)

        self._restore.append(restore)

    def _install_request_class(self) -> None:
        recording = _recording_request_class(self.app.request_class, self._places.machinery_code)
        self._set(self.app, "request_class", recording)

    def _install_globals_class(self) -> None:
        base = self.app.app_ctx_globals_class
        self._set(self.app, "app_ctx_globals_class", _recording_globals_class(base))

    def _install_session(self) -> None:
        open_session = self.app._open_session

        def observed_open_session(request: t.Any) -> t.Any:
            observation = _active.get()
            if observation is None:
                return open_session(request)
            observation._quiet += 1
            try:
                session = open_session(request)
            finally:
                observation._quiet -= 1
            try:
                session.__class__ = _recording_session_class(type(session))
            except TypeError:
                # A session type we cannot extend: count every request that opens it.
                observation._session_use("uses a session that cannot be observed", sys._getframe(1))
            return session

        self._set(self.app, "_open_session", observed_open_session)

    def _install_url_for(self) -> None:
        app = self.app
        url_for = app.url_for

        def observed_url_for(*args: t.Any, **kwargs: t.Any) -> str:
            url = url_for(*args, **kwargs)
            observation = _active.get()
            if observation is not None:
                observation.urls.append(url)
            return url

        update_wrapper(observed_url_for, url_for)
        self._set(app, "url_for", observed_url_for)
        jinja_globals = app.jinja_env.globals
        if jinja_globals.get("url_for") == url_for:
            jinja_globals["url_for"] = observed_url_for
            self._restore.append(lambda: jinja_globals.__setitem__("url_for", url_for))

    def _install_template_loading(self) -> None:
        env = self.app.jinja_env
        load = env._load_template

        def observed_load(name: t.Any, globals: t.Any) -> t.Any:
            observation = _active.get()
            if observation is None:
                return load(name, globals)
            # Reading the template's source is the loader's business, not the page's.
            observation._quiet += 1
            try:
                template = load(name, globals)
            finally:
                observation._quiet -= 1
            observation._template_loaded(template.name or name)
            return template

        self._set(env, "_load_template", observed_load)


_EXTENSION_KEY = "sitec.observer"


class _Observing:
    """The context manager of :meth:`Observer.observe` (a class: the compiler enters
    one per page, and a generator-based one costs twice as much)."""

    __slots__ = ("observation", "_token")

    def __init__(self, observation: Observation) -> None:
        self.observation = observation

    def __enter__(self) -> Observation:
        self._token = _active.set(self.observation)
        return self.observation

    def __exit__(self, *exc_info: object) -> None:
        _active.reset(self._token)


def _recording_request_class(base: type, machinery_code: t.Container[CodeType]) -> type:
    """A subclass of ``base`` that records reads of request state while observed.

    A read from a function in ``machinery_code`` (the runtime's, werkzeug's, the
    standard library's: code seen reading before) is never the page's, and is let
    through without looking further up the stack.
    """
    from werkzeug.wrappers import Request as RequestBase

    from .wrappers import Request

    quiet = NOT_REQUEST_STATE
    base_getattribute = base.__getattribute__
    # werkzeug's constructor reads the environ and the request's attributes, which
    # is never a read of the page: with no user code in it (no subclass of the
    # user's), it runs quiet instead of looking up the stack for each read.
    quiet_init = base in (Request, RequestBase)

    class ObservedRequest(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
            observation = _active.get()
            if observation is None or not quiet_init:
                super().__init__(*args, **kwargs)
            else:
                observation._quiet += 1
                try:
                    super().__init__(*args, **kwargs)
                finally:
                    observation._quiet -= 1
            if observation is not None and observation.request is None:
                observation.request = self

        def __getattribute__(self, name: str) -> t.Any:
            if name not in quiet and name[:1] != "_":
                observation = _active.get()
                if observation is not None and not observation._quiet:
                    frame = sys._getframe(1)
                    if frame.f_code not in machinery_code:
                        observation._request_read(name, frame)
            return base_getattribute(self, name)

    ObservedRequest.__name__ = base.__name__
    ObservedRequest.__qualname__ = base.__qualname__
    ObservedRequest.__module__ = base.__module__
    return ObservedRequest


def _recording_globals_class(base: type) -> type:
    """A subclass of ``g``'s class that knows which values came from request state.

    A value set by a view or hook (or code they call) after it read request
    state is request state too; reading it is recorded like a request read.
    """
    base_getattribute = base.__getattribute__
    base_setattr = base.__setattr__

    class ObservedGlobals(base):  # type: ignore[valid-type,misc]
        def __setattr__(self, name: str, value: t.Any) -> None:
            observation = _active.get()
            if observation is not None:
                observation._g_set(name, sys._getframe(1))
            base_setattr(self, name, value)

        def __getattribute__(self, name: str) -> t.Any:
            observation = _active.get()
            if (
                observation is not None
                and observation._tainted_g
                and (name in observation._tainted_g or name == "__dict__")
            ):
                observation._g_read(name, sys._getframe(1))
            return base_getattribute(self, name)

        def get(self, name: str, default: t.Any = None) -> t.Any:
            observation = _active.get()
            if observation is not None and name in observation._tainted_g:
                observation._g_read(name, sys._getframe(1))
            return base.get(self, name, default)

        def pop(self, name: str, *default: t.Any) -> t.Any:
            observation = _active.get()
            if observation is not None and name in observation._tainted_g:
                observation._g_read(name, sys._getframe(1))
            return base.pop(self, name, *default)

        def __contains__(self, name: str) -> bool:
            observation = _active.get()
            if observation is not None and name in observation._tainted_g:
                observation._g_read(name, sys._getframe(1))
            return base.__contains__(self, name)  # type: ignore[no-any-return]

        def __iter__(self) -> t.Iterator[str]:
            observation = _active.get()
            if observation is not None and observation._tainted_g:
                observation._g_read("__dict__", sys._getframe(1))
            return base.__iter__(self)  # type: ignore[no-any-return]

        def setdefault(self, name: str, default: t.Any = None) -> t.Any:
            observation = _active.get()
            if observation is not None:
                if name in observation._tainted_g:
                    observation._g_read(name, sys._getframe(1))
                else:
                    observation._g_set(name, sys._getframe(1))
            return base.setdefault(self, name, default)

    ObservedGlobals.__name__ = base.__name__
    ObservedGlobals.__qualname__ = base.__qualname__
    ObservedGlobals.__module__ = base.__module__
    return ObservedGlobals


# Session methods and whether they write; those taking a key name it first.
_SESSION_METHODS = {
    "__getitem__": False,
    "__contains__": False,
    "__iter__": False,
    "__len__": False,
    "get": False,
    "keys": False,
    "values": False,
    "items": False,
    "copy": False,
    "__setitem__": True,
    "__delitem__": True,
    "setdefault": True,
    "pop": True,
    "popitem": True,
    "update": True,
    "clear": True,
}
_KEYED = frozenset(
    {"__getitem__", "__contains__", "get", "__setitem__", "__delitem__", "setdefault", "pop"}
)
_session_classes: dict[type, type] = {}


def _session_message(method: str, args: tuple[t.Any, ...]) -> str:
    verb = "writes" if _SESSION_METHODS[method] else "reads"
    if method in _KEYED and args:
        key = args[0]
        if key == _FLASHES:
            return f"{verb} flashed messages"
        return f"{verb} session[{key!r}]"
    return f"{verb} the session"


def _recording_method(name: str, original: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    def method(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        observation = _active.get()
        if observation is not None:
            observation._session_use(_session_message(name, args), sys._getframe(1))
        return original(self, *args, **kwargs)

    method.__name__ = name
    return method


def _recording_session_class(base: type) -> type:
    """A subclass of ``base`` whose mapping methods record their use while observed.

    Sessions are switched to it after opening (``session.__class__ = ...``),
    which keeps ``isinstance`` checks true; ``__slots__ = ()`` keeps the
    layout the same so the switch is allowed.
    """
    cls = _session_classes.get(base)
    if cls is not None:
        return cls
    namespace: dict[str, t.Any] = {"__slots__": (), "__module__": base.__module__}
    for name in _SESSION_METHODS:
        original = getattr(base, name, None)
        if original is not None:
            namespace[name] = _recording_method(name, original)
    permanent = getattr(base, "permanent", None)
    if isinstance(permanent, property):
        namespace["permanent"] = _recording_permanent(permanent)
    cls = _session_classes[base] = type(base.__name__, (base,), namespace)
    cls.__qualname__ = base.__qualname__
    return cls


def _recording_permanent(original: property) -> property:
    def get(self: t.Any) -> t.Any:
        observation = _active.get()
        if observation is not None:
            observation._session_use("reads session.permanent", sys._getframe(1))
        return original.__get__(self)

    def set(self: t.Any, value: t.Any) -> None:
        observation = _active.get()
        if observation is not None:
            observation._session_use("writes session.permanent", sys._getframe(1))
        original.__set__(self, value)

    return property(get, set)


def _is_client_key(key: object) -> bool:
    """Whether a WSGI environ key carries what the client sent rather than the URL.

    ``HTTP_HOST`` is left out, as ``request.host`` is: a static site is served
    from one host. Answers are kept in :data:`_CLIENT_KEY`, which the environ's
    methods ask first (the common keys are asked on every request).
    """
    if not isinstance(key, str):
        return False
    if key.startswith("HTTP_"):
        client = key != "HTTP_HOST"
    else:
        client = key in _CLIENT_KEYS or key.startswith("SSL_CLIENT_")
    if len(_CLIENT_KEY) < 4096:
        _CLIENT_KEY[key] = client
    return client


_CLIENT_KEYS = frozenset(
    {
        "QUERY_STRING",
        "REMOTE_ADDR",
        "REMOTE_HOST",
        "REMOTE_PORT",
        "REMOTE_USER",
        "AUTH_TYPE",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "wsgi.input",
        "werkzeug.request",
    }
)
_CLIENT_KEY: dict[object, bool] = {}


class RecordingEnviron(dict):  # type: ignore[type-arg]
    """A WSGI environ that records, while observed, who reads the client's part of it.

    A key read (``[]``, ``get``, ``in``, ``pop``, ``setdefault``) of a client key
    (:func:`_is_client_key`) and any walk over every key are recorded, missing
    keys included: that a visitor sent no cookie is what a page shows too.
    ``copy()`` keeps recording.
    """

    __slots__ = ()

    def __getitem__(self, key: t.Any) -> t.Any:
        if (client := _CLIENT_KEY.get(key)) or (client is None and _is_client_key(key)):
            _record_environ(key)
        return dict.__getitem__(self, key)

    def get(self, key: t.Any, default: t.Any = None) -> t.Any:
        if (client := _CLIENT_KEY.get(key)) or (client is None and _is_client_key(key)):
            _record_environ(key)
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        if (client := _CLIENT_KEY.get(key)) or (client is None and _is_client_key(key)):
            _record_environ(t.cast(str, key))
        return dict.__contains__(self, key)

    def pop(self, key: t.Any, *default: t.Any) -> t.Any:
        if (client := _CLIENT_KEY.get(key)) or (client is None and _is_client_key(key)):
            _record_environ(key)
        return dict.pop(self, key, *default)

    def setdefault(self, key: t.Any, default: t.Any = None) -> t.Any:
        if (client := _CLIENT_KEY.get(key)) or (client is None and _is_client_key(key)):
            _record_environ(key)
        return dict.setdefault(self, key, default)

    def __iter__(self) -> t.Iterator[t.Any]:
        _record_environ(None)
        return dict.__iter__(self)

    def keys(self) -> t.Any:
        _record_environ(None)
        return dict.keys(self)

    def values(self) -> t.Any:
        _record_environ(None)
        return dict.values(self)

    def items(self) -> t.Any:
        _record_environ(None)
        return dict.items(self)

    def copy(self) -> RecordingEnviron:
        # Not dict.copy: with __iter__ overridden, it would go through keys() and [].
        return RecordingEnviron(dict.items(self))


def _record_environ(key: str | None) -> None:
    """Tell the observation, if any, that the caller of the environ's method read ``key``."""
    observation = _active.get()
    if observation is not None and not observation._quiet:
        frame = sys._getframe(2)
        if frame.f_code not in _OWN_ENVIRON_CODE:
            observation._environ_read(key, frame)


#: Functions of the runtime and the compiler seen reading the WSGI environ: their
#: reads are their own, whoever called them (filled by ``_Places.environ_reader``).
_OWN_ENVIRON_CODE: set[CodeType] = set()


_audit_hook_installed = False


def _install_audit_hook() -> None:
    """Watch ``open()`` (and so ``open_resource``, ``send_file``...) and folder
    listings (``os.listdir``, ``os.scandir``: ``glob``, ``iterdir``) while observed.

    Audit hooks cannot be removed, so there is one per process; it costs a
    context-variable lookup per ``open`` when nothing is observed.
    """
    global _audit_hook_installed
    if _audit_hook_installed:
        return
    _audit_hook_installed = True
    sys.addaudithook(file_audit_hook(_active))


def file_audit_hook(active: ContextVar[t.Any]) -> t.Callable[[str, tuple[t.Any, ...]], None]:
    """An audit hook telling the listener set in ``active``, if any, of each file opened
    for reading and folder listed, through its ``_file_opened(path)`` and
    ``_folder_listed(path)``; idle when nobody listens.

    Not told: opens for writing (what a program writes is not what it depends on), paths
    that are file descriptors, and the import system's own listings of ``sys.path``
    folders (how it finds modules), which are nobody's read. A listed ``None`` is the
    current folder, ``"."``.
    """

    def hook(event: str, args: tuple[t.Any, ...]) -> None:
        if event not in FILE_EVENTS:
            return
        listener = active.get()
        if listener is None:
            return
        path = args[0]
        if isinstance(path, int):
            return
        try:
            if event == "open":
                flags = args[2] if len(args) > 2 else None
                if not (isinstance(flags, int) and flags & _WRITE_FLAGS):
                    listener._file_opened(path)
            # Frames: this hook, then whoever called os.listdir / os.scandir.
            elif not sys._getframe(1).f_code.co_filename.startswith("<frozen importlib"):
                listener._folder_listed("." if path is None else path)
        except Exception:  # an audit hook must never break the open itself
            pass

    return hook


#: The audit events the hook of :func:`file_audit_hook` reads.
FILE_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})


class _Places:
    """Who made a read, and where that is, from the frames of the call stack.

    Kinds of files are computed once per file name; nothing here runs unless
    something is recorded.
    """

    def __init__(self, app: Flask, project_root: str | os.PathLike[str]) -> None:
        from .app import Flask

        self._app = app
        self._wsgi_entry = Flask.wsgi_app.__code__
        self.root = os.path.realpath(project_root)
        self._kinds: dict[str, tuple[int, str | None]] = {}
        self._files: dict[str, str | None] = {}
        self._labels: dict[CodeType, str | None] | None = None
        #: Functions of the machinery seen reading the request: their reads are
        #: never the page's, whoever called them (filled by :meth:`reader`).
        self.machinery_code: set[CodeType] = set()
        here = os.path.dirname(os.path.realpath(__file__))  # frames are compared resolved
        machinery = [here]
        for name in ("sitec.compiler", "werkzeug", "click", "blinker", "itsdangerous",
                     "markupsafe", "asgiref"):  # fmt: skip
            machinery.extend(_package_dirs(name))
        self._machinery = tuple(os.path.join(d, "") for d in machinery)
        own = [here, *_package_dirs("sitec.compiler")]
        self._own = tuple(os.path.join(d, "") for d in own)
        self._environ_kinds: dict[str, int] = {}
        paths = sysconfig.get_paths()
        stdlib = {os.path.realpath(paths["stdlib"]), os.path.realpath(paths["platstdlib"])}
        self._stdlib = tuple(os.path.join(d, "") for d in stdlib)
        transparent = [os.path.join(d, "") for d in _package_dirs("jinja2")]
        self._transparent = tuple(transparent)
        self._transparent_files = {os.path.join(d, "local.py") for d in _package_dirs("werkzeug")}

    # -- kinds of frames --------------------------------------------------------

    def _kind(self, frame: FrameType) -> int:
        if "__jinja_template__" in frame.f_globals:
            return _TEMPLATE
        return self._file_kind(frame.f_code.co_filename)[0]

    def _file_kind(self, filename: str) -> tuple[int, str | None]:
        known = self._kinds.get(filename)
        if known is None:
            known = self._kinds[filename] = self._classify(filename)
        return known

    def _classify(self, filename: str) -> tuple[int, str | None]:
        if filename.startswith("<"):
            return _TRANSPARENT, None
        path = os.path.realpath(filename)
        if path in self._transparent_files or path.startswith(self._transparent):
            return _TRANSPARENT, None
        if path.startswith(self._machinery):
            return _MACHINERY, None
        parts = path.split(os.sep)
        if "site-packages" in parts or "dist-packages" in parts:
            return _OTHER, _short_path(path)
        relative = self._relative(path)
        if relative is not None:
            return _PROJECT, relative
        if path.startswith(self._stdlib):
            return _MACHINERY, None
        return _OTHER, _short_path(path)

    def _relative(self, path: str) -> str | None:
        try:
            if os.path.commonpath((self.root, path)) != self.root:
                return None
        except ValueError:
            return None
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    # -- finding the reader -------------------------------------------------------

    def environ_reader(self, frame: FrameType | None) -> FrameType | None:
        """The user frame a WSGI environ read is made for; ``None`` for the runtime's own.

        Werkzeug and the standard library read the environ for whoever calls
        them (middleware building a ``Request``), so the search goes past them.
        """
        kinds = self._environ_kinds
        first = frame
        while frame is not None:
            filename = frame.f_code.co_filename
            kind = kinds.get(filename)
            if kind is None:
                kind = kinds[filename] = self._environ_kind(filename)
            if kind == _ENVIRON_READER or "__jinja_template__" in frame.f_globals:
                return frame
            if kind == _ENVIRON_OWN:
                if frame is first:
                    _OWN_ENVIRON_CODE.add(frame.f_code)
                return None
            frame = frame.f_back
        return None

    def _environ_kind(self, filename: str) -> int:
        kind = self._file_kind(filename)[0]
        if kind in (_PROJECT, _OTHER):
            return _ENVIRON_READER
        if kind == _MACHINERY and os.path.realpath(filename).startswith(self._own):
            return _ENVIRON_OWN
        return _ENVIRON_PAST

    def reader(self, frame: FrameType | None) -> FrameType | None:
        """The frame that read, when it is user code; ``None`` for the machinery."""
        first = frame
        while frame is not None:
            kind = self._kind(frame)
            if kind == _TRANSPARENT:
                frame = frame.f_back
                continue
            if kind == _MACHINERY:
                if frame is first:
                    self.machinery_code.add(frame.f_code)
                return None
            return frame
        return None

    def user_frame(self, frame: FrameType | None) -> FrameType | None:
        """The nearest caller that is user code, or ``None`` when there is none.

        The search ends at the app's WSGI entry: what calls the app (a test, the
        compiler's caller) is not part of the request, so a use by the runtime on its
        own (saving the session after the response) has no user frame.
        """
        while frame is not None:
            if self._kind(frame) < _MACHINERY:
                return frame
            if frame.f_code is self._wsgi_entry:
                return None
            frame = frame.f_back
        return None

    def entry_frame(self, frame: FrameType) -> FrameType:
        """The view, hook or template that the machinery called, and that
        ``frame`` runs in (``frame`` is user code)."""
        entry = frame
        place: FrameType | None = frame.f_back
        while place is not None:
            kind = self._kind(place)
            if kind == _MACHINERY:
                break
            if kind != _TRANSPARENT:
                entry = place
            place = place.f_back
        return entry

    def locate(self, frame: FrameType) -> tuple[str | None, int | None, str | None]:
        """``(file, line, via)`` for a read made in ``frame``.

        The place is the nearest frame at or above ``frame`` in the project or
        in a named template (so a read inside an extension points at the line
        that called it), else ``frame`` itself.
        """
        place: FrameType | None = frame
        while place is not None:
            kind = self._kind(place)
            if kind == _PROJECT:
                return (
                    self._file_kind(place.f_code.co_filename)[1],
                    place.f_lineno,
                    self._via(place),
                )
            if kind == _TEMPLATE:
                template = place.f_globals["__jinja_template__"]
                if template.name is not None:
                    line = template.get_corresponding_lineno(place.f_lineno)
                    return template.name, line, _template_via(place)
            place = place.f_back
        return self._file_kind(frame.f_code.co_filename)[1], frame.f_lineno, self._via(frame)

    def _via(self, frame: FrameType) -> str | None:
        """The hook, view or filter the frame runs in, else its function's name."""
        labels = self._labels
        if labels is None:
            labels = self._labels = self._collect_labels()
        place: FrameType | None = frame
        depth = 0
        while place is not None and depth < 64:
            label = labels.get(place.f_code)
            if label is not None:
                return label
            place = place.f_back
            depth += 1
        name = frame.f_code.co_qualname
        return None if name == "<module>" else name

    def _collect_labels(self) -> dict[CodeType, str | None]:
        """Code objects of the app's views and hooks, named as a reason's ``via``.

        A code object shared by several (a decorator's wrapper) gets no label,
        so the search goes on to its caller.
        """
        app = self._app
        labels: dict[CodeType, str | None] = {}

        def add(function: t.Any, label: str) -> None:
            if issubclass(type(function), LocalProxy):
                return  # request, session, g: touching them needs a request
            seen = 0
            while function is not None and seen < 16:
                code = getattr(getattr(function, "__func__", function), "__code__", None)
                if code is not None and self._file_kind(code.co_filename)[0] != _MACHINERY:
                    labels[code] = label if labels.get(code, label) == label else None
                function = getattr(function, "__wrapped__", None)
                seen += 1

        for endpoint, view in app.view_functions.items():
            add(view, f"view {endpoint}")
            view_class = getattr(view, "view_class", None)
            if isinstance(view_class, type):
                for klass in view_class.__mro__:
                    for member in vars(klass).values():
                        if callable(member):
                            add(member, f"view {endpoint}")
        registries = (
            ("url_value_preprocessor", app.url_value_preprocessors),
            ("before_request", app.before_request_funcs),
            ("context_processor", app.template_context_processors),
            ("after_request", app.after_request_funcs),
            ("teardown_request", app.teardown_request_funcs),
            ("url_defaults", app.url_default_functions),
        )
        for kind, registry in registries:
            for functions in registry.values():
                for function in functions:
                    add(function, f"{kind} {_name(function)}")
        for function in app.teardown_appcontext_funcs:
            add(function, f"teardown_appcontext {_name(function)}")
        for by_code in app.error_handler_spec.values():
            for handlers in by_code.values():
                for function in handlers.values():
                    add(function, f"errorhandler {_name(function)}")
        env = app.jinja_env
        for kind, mapping in (("template_filter", env.filters), ("template_test", env.tests),
                              ("template_global", env.globals)):  # fmt: skip
            for name, function in mapping.items():
                if callable(function):
                    add(function, f"{kind} {name}")
        return labels

    # -- files --------------------------------------------------------------------

    def project_folder(self, path: t.Any) -> str | None:
        """``path`` relative to the project root, for a folder inside it."""
        return self._in_project(os.fsdecode(path))

    def project_file(self, path: t.Any) -> str | None:
        """``path`` relative to the project root, for a data file inside it."""
        key = os.fsdecode(path)
        if key in self._files:
            return self._files[key]
        code = key.endswith((".py", ".pyc", ".pyo", ".so"))
        relative = self._files[key] = None if code else self._in_project(key)
        return relative

    def _in_project(self, path: str) -> str | None:
        """``path``, resolved, relative to the project root; ``None`` outside it and in
        the folders of compiled or installed code."""
        full = os.path.realpath(path)
        parts = full.split(os.sep)
        if "__pycache__" in parts or "site-packages" in parts:
            return None
        return self._relative(full)


def _template_via(frame: FrameType) -> str | None:
    """``macro NAME`` or ``block NAME`` for a frame of compiled template code."""
    name = frame.f_code.co_name
    if name.startswith("block_"):
        return f"block {name[6:]}"
    if name == "macro" and frame.f_back is not None:
        macro = frame.f_back.f_locals.get("self")
        macro_name = getattr(macro, "name", None)
        if isinstance(macro_name, str):
            return f"macro {macro_name}"
    return None


def _name(function: t.Any) -> str:
    return getattr(function, "__name__", None) or type(function).__name__


def _package_dirs(name: str) -> list[str]:
    """The folders of an importable package, without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        return [os.path.realpath(p) for p in spec.submodule_search_locations]
    if spec.origin:
        return [os.path.realpath(os.path.dirname(spec.origin))]
    return []


def _short_path(path: str) -> str:
    """A file outside the project, relative to the import path entry holding it."""
    best = None
    for entry in sys.path:
        if not entry:
            continue
        entry = os.path.realpath(entry)
        if path.startswith(os.path.join(entry, "")) and (best is None or len(entry) > len(best)):
            best = entry
    if best is None:
        return path.replace(os.sep, "/")
    return os.path.relpath(path, best).replace(os.sep, "/")
