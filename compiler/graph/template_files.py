"""Which files a template name stood for, and which files would take its place.

The app looks a template up in its own folder, then in each blueprint's, and takes
the first file that exists. A page that loaded ``post.html`` from a blueprint's folder
depends on that file, and also on ``post.html`` staying absent from every folder
searched before it: :func:`template_inputs` lists those paths too (their stamps say
"missing"), so creating one of them renders the page again.
"""

from __future__ import annotations

import os
import typing as t
from dataclasses import dataclass

from jinja2 import BaseLoader
from jinja2 import FileSystemLoader
from jinja2 import TemplateNotFound
from jinja2.loaders import split_template_path

from sitec.runtime.templating import DispatchingJinjaLoader

if t.TYPE_CHECKING:  # pragma: no cover
    from sitec.runtime import Flask


@dataclass(frozen=True)
class TemplateInputs:
    """The file a name resolved to (``None`` for a template without a file, such as
    one from a ``DictLoader``), and every path whose existence could change that."""

    file: str | None
    paths: tuple[str, ...]


class TemplateFiles:
    """Resolves template names of one app, each once."""

    def __init__(self, app: Flask) -> None:
        self.env = app.jinja_env
        loader = self.env.loader
        if isinstance(loader, DispatchingJinjaLoader):
            self._loaders = [found for _, found in loader._iter_loaders()]
        else:
            self._loaders = [loader] if loader is not None else []
        self._known: dict[str, TemplateInputs] = {}

    def inputs(self, name: str) -> TemplateInputs:
        known = self._known.get(name)
        if known is None:
            known = self._known[name] = self._resolve(name)
        return known

    def files(self) -> list[str]:
        """The files of the names resolved so far."""
        return [known.file for known in self._known.values() if known.file is not None]

    def _resolve(self, name: str) -> TemplateInputs:
        searched: list[str] = []
        for loader in self._loaders:
            found = self._in_loader(loader, name, searched)
            if found is not _NOT_HERE:
                return TemplateInputs(found, tuple(searched))
        return TemplateInputs(None, tuple(searched))

    def _in_loader(self, loader: BaseLoader, name: str, searched: list[str]) -> t.Any:
        if isinstance(loader, FileSystemLoader):
            try:
                pieces = split_template_path(name)
            except TemplateNotFound:
                return _NOT_HERE
            for folder in loader.searchpath:
                candidate = os.path.realpath(os.path.join(folder, *pieces))
                searched.append(candidate)
                if os.path.isfile(candidate):
                    return candidate
            return _NOT_HERE
        try:
            _, filename, _ = loader.get_source(self.env, name)
        except TemplateNotFound:
            return _NOT_HERE
        if filename is None:
            return None
        real = os.path.realpath(filename)
        searched.append(real)
        return real


_NOT_HERE = object()
