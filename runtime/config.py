"""The application's configuration: a dict with loaders, and the attribute bridge.

:class:`Config` is what ``app.config`` is. Besides being a plain ``dict`` of
UPPERCASE keys, it reads values from Python files, objects, data files
(JSON, TOML, ...), mappings and ``FLASK_*`` environment variables.
:class:`ConfigAttribute` lets the app expose a config key as an attribute
(``app.secret_key`` is ``app.config["SECRET_KEY"]``).
"""

from __future__ import annotations

import errno
import json
import os
import types
import typing as t

from werkzeug.utils import import_string

if t.TYPE_CHECKING:  # pragma: no cover
    import typing_extensions as te

    from .app import Flask

T = t.TypeVar("T")

#: The errors a ``silent=True`` loader ignores: the file is not there.
_MISSING_FILE_ERRNOS = (errno.ENOENT, errno.EISDIR, errno.ENOTDIR)


class ConfigAttribute(t.Generic[T]):
    """A descriptor that reads and writes ``app.config[name]``.

    ``get_converter``, when given, is applied to the stored value on every
    read (e.g. an ``int`` of seconds becomes a ``timedelta``).
    """

    def __init__(self, name: str, get_converter: t.Callable[[t.Any], T] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @t.overload
    def __get__(self, obj: None, owner: None) -> te.Self: ...

    @t.overload
    def __get__(self, obj: Flask, owner: type[Flask]) -> T: ...

    def __get__(self, obj: Flask | None, owner: type[Flask] | None = None) -> T | te.Self:
        if obj is None:
            return self
        value = obj.config[self.__name__]
        if self.get_converter is not None:
            value = self.get_converter(value)
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: Flask, value: t.Any) -> None:
        obj.config[self.__name__] = value


class Config(dict):  # type: ignore[type-arg]
    """The configuration dict, with loaders that copy UPPERCASE names into it.

    ``root_path`` is the folder relative file names are resolved against
    (the app's root path). Only UPPERCASE keys are taken from files and
    objects, so helpers and imports in a config module are left out.
    """

    def __init__(self, root_path: str | os.PathLike[str], defaults: dict[str, t.Any] | None = None):
        super().__init__(defaults or {})
        self.root_path = root_path

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file that the environment variable ``variable_name`` names."""
        filename = os.environ.get(variable_name)
        if not filename:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set, so no configuration"
                " could be loaded from it. Set it to the path of a configuration file."
            )
        return self.from_pyfile(filename, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "FLASK", *, loads: t.Callable[[str], t.Any] = json.loads
    ) -> bool:
        """Load every environment variable named ``{prefix}_{KEY}`` into ``KEY``.

        Each value is parsed with ``loads`` (JSON by default, so ``true`` and
        ``1`` become ``True`` and ``1``) and kept as a string when that fails.
        ``__`` in a key walks into nested dicts: ``FLASK_DB__HOST`` sets
        ``config["DB"]["HOST"]``, creating the dicts it needs. Variables are
        applied in sorted order, so the outcome does not depend on the
        environment's order.
        """
        prefix = f"{prefix}_"
        for name in sorted(os.environ):
            if not name.startswith(prefix):
                continue
            raw = os.environ[name]
            try:
                value = loads(raw)
            except Exception:
                value = raw
            *parents, key = name[len(prefix) :].split("__")
            target: dict[str, t.Any] = self
            for parent in parents:
                target = target.setdefault(parent, {})
            target[key] = value
        return True

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file and load its UPPERCASE globals.

        With ``silent=True`` a missing file returns ``False`` instead of
        raising. The file is read as bytes so its ``coding:`` line is honoured.
        """
        filename = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = filename
        try:
            with open(filename, mode="rb") as f:
                code = compile(f.read(), filename, "exec")
        except OSError as e:
            if silent and e.errno in _MISSING_FILE_ERRNOS:
                return False
            raise _load_error(e)
        exec(code, module.__dict__)
        self.from_object(module)
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the UPPERCASE attributes of an object, class or module.

        A string is an import path (``"myapp.settings.Production"``). Class
        attributes are read through ``dir``, so inherited ones count too.
        """
        if isinstance(obj, str):
            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: t.Callable[[t.IO[t.Any]], t.Mapping[str, t.Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a data file with ``load`` (``json.load``, ``tomllib.load``, ...).

        The file is opened in text mode (UTF-8) unless ``text=False``, which
        ``tomllib.load`` needs. The mapping it returns goes through
        :meth:`from_mapping`.
        """
        filename = os.path.join(self.root_path, filename)
        try:
            if text:
                with open(filename, encoding="utf-8") as f:
                    obj = load(f)
            else:
                with open(filename, mode="rb") as f:
                    obj = load(f)
        except OSError as e:
            if silent and e.errno in _MISSING_FILE_ERRNOS:
                return False
            raise _load_error(e)
        return self.from_mapping(obj)

    def from_mapping(self, mapping: t.Mapping[str, t.Any] | None = None, **kwargs: t.Any) -> bool:
        """Load the UPPERCASE keys of a mapping (or pairs) and keyword arguments."""
        values: dict[str, t.Any] = {}
        if mapping is not None:
            values.update(mapping)
        values.update(kwargs)
        for key, value in values.items():
            if key.isupper():
                self[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """Return the keys that start with ``namespace`` as a new dict.

        ``get_namespace("MAIL_")`` turns ``MAIL_SERVER`` into ``server``: the
        prefix is dropped unless ``trim_namespace=False`` and the key is
        lowercased unless ``lowercase=False``, ready to pass as keyword
        arguments.
        """
        result = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            if trim_namespace:
                key = key[len(namespace) :]
            if lowercase:
                key = key.lower()
            result[key] = value
        return result

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


def _load_error(e: OSError) -> OSError:
    """Say which loader failed in the error's message, keeping its type and errno."""
    e.strerror = f"Unable to load configuration file ({e.strerror})"
    return e
