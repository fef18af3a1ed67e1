"""Jinja integration: the app-bound environment, the loader that searches the
app's and its blueprints' template folders, and the render functions views call.

``render_template`` is on the hot path of most pages. Templates are cached by
Jinja; strings given to ``render_template_string`` are compiled once and kept
in the same cache; signals are only sent when something listens.
"""

from __future__ import annotations

import typing as t
from collections import ChainMap
from collections.abc import KeysView

from jinja2 import BaseLoader
from jinja2 import Environment as BaseEnvironment
from jinja2 import Template
from jinja2 import TemplateNotFound
from jinja2.runtime import Context

from .globals import _cv_app
from .globals import _cv_request
from .globals import _no_app_msg
from .globals import session
from .signals import before_render_template
from .signals import template_rendered

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Flask
    from .blueprints import Blueprint
    from .scaffold import Scaffold


def _default_template_ctx_processor() -> dict[str, t.Any]:
    """Put ``g``, ``request`` and ``session`` of the active contexts in the template context.

    ``session`` is the context-bound proxy rather than the session object, so
    the session is only opened (its cookie verified) when a template uses it.
    """
    rv: dict[str, t.Any] = {}
    app_ctx = _cv_app.get(None)
    if app_ctx is not None:
        rv["g"] = app_ctx.g
    req_ctx = _cv_request.get(None)
    if req_ctx is not None:
        rv["request"] = req_ctx.request
        rv["session"] = session
    return rv


class _TemplateGlobals(ChainMap):  # type: ignore[type-arg]
    """A template's globals over the environment's, as Jinja's ``make_globals`` makes
    them, with a keys view that subtracts from a set at C speed.

    Each ``{% import %}`` or ``{% from ... import %}`` takes the importing context's
    global names minus the imported template's keys (Jinja's ``_get_default_module``);
    ``ChainMap``'s own view does that name by name through three Python calls.
    """

    def keys(self) -> KeysView[t.Any]:
        return _GlobalsKeys(self)


class _GlobalsKeys(KeysView):  # type: ignore[type-arg]
    def __rsub__(self, other: t.Any) -> t.Any:
        maps = self._mapping.maps  # type: ignore[attr-defined]
        if type(other) is not set or any(type(m) is not dict for m in maps):
            return super().__rsub__(other)
        rest = set(other)
        for names in maps:
            rest.difference_update(names)
        return rest


class AppTemplate(Template):
    """A Jinja template that starts each render with a cheaper context.

    Jinja builds the render context by copying the template's globals, a
    ``ChainMap`` over the environment's globals, key by key in Python; for an
    app's dozen globals that is a large share of rendering a small page. When
    the template has no globals of its own, copying the environment's dict
    directly gives the same context at C speed.
    """

    def new_context(
        self,
        vars: dict[str, t.Any] | None = None,
        shared: bool = False,
        locals: t.Mapping[str, t.Any] | None = None,
    ) -> Context:
        template_globals = self.globals
        env = self.environment
        if (
            shared
            or locals
            or type(template_globals) not in (ChainMap, _TemplateGlobals)
            or len(template_globals.maps) != 2
            or template_globals.maps[0]
            or template_globals.maps[1] is not env.globals
        ):
            return super().new_context(vars, shared, locals)
        parent = env.globals.copy()
        if vars:
            parent.update(vars)
        return env.context_class(env, parent, self.name, self.blocks, globals=template_globals)


class Environment(BaseEnvironment):
    """A Jinja environment that belongs to an app.

    Without an explicit ``loader`` it loads through
    ``app.create_global_jinja_loader()``, which searches the app's template
    folder, then each blueprint's.
    """

    template_class = AppTemplate

    def __init__(self, app: Flask, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app

    def make_globals(self, d: t.MutableMapping[str, t.Any] | None) -> t.MutableMapping[str, t.Any]:
        return _TemplateGlobals({} if d is None else d, self.globals)


class DispatchingJinjaLoader(BaseLoader):
    """Look a template up in the app's loader, then in each blueprint's loader
    in registration order; the first one that has it wins.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app

    def get_source(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._get_source_explained(environment, template)
        for _owner, loader in self._iter_loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def _get_source_explained(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        """Ask every loader, log what each one answered, and return the first match."""
        from .debughelpers import explain_template_loading_attempts

        attempts = []
        first = None
        for owner, loader in self._iter_loaders():
            try:
                result = loader.get_source(environment, template)
            except TemplateNotFound:
                result = None
            else:
                if first is None:
                    first = result
            attempts.append((loader, owner, result))

        explain_template_loading_attempts(self.app, template, attempts)
        if first is None:
            raise TemplateNotFound(template)
        return first

    def _iter_loaders(self) -> t.Iterator[tuple[Flask | Blueprint | Scaffold, BaseLoader]]:
        loader = self.app.jinja_loader
        if loader is not None:
            yield self.app, loader
        for blueprint in self.app.iter_blueprints():
            loader = blueprint.jinja_loader
            if loader is not None:
                yield blueprint, loader

    def list_templates(self) -> list[str]:
        names: set[str] = set()
        for _owner, loader in self._iter_loaders():
            names.update(loader.list_templates())
        return list(names)


def _current_app() -> Flask:
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.app


def _render(app: Flask, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    if before_render_template.receivers:
        before_render_template.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )
    rv = template.render(context)
    if template_rendered.receivers:
        template_rendered.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )
    return rv


def render_template(
    template_name_or_list: str | Template | list[str | Template],
    **context: t.Any,
) -> str:
    """Render a template by name with the given context.

    :param template_name_or_list: A template name, or a list of names of which
        the first that exists is rendered.
    :param context: Variables for the template, which take precedence over
        those of the context processors.
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def _string_template(app: Flask, source: str) -> Template:
    """Compile ``source`` once per environment.

    The compiled template goes in the environment's own template cache under a
    key that cannot clash with a loaded template's, so it follows the cache's
    size limit (none at all with ``cache_size=0``) and a Jinja overlay starts
    with an empty cache of its own.
    """
    env = app.jinja_env
    cache = env.cache
    if cache is None:
        return env.from_string(source)
    key = (_string_template, source)
    template = cache.get(key)
    if template is None:
        template = cache[key] = env.from_string(source)
    return template


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template given as a string, with the given context."""
    app = _current_app()
    return _render(app, _string_template(app, source), context)


def _stream(app: Flask, template: Template, context: dict[str, t.Any]) -> t.Iterator[str]:
    app.update_template_context(context)
    if before_render_template.receivers:
        before_render_template.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )

    def generate() -> t.Iterator[str]:
        yield from template.generate(context)
        if template_rendered.receivers:
            template_rendered.send(
                app, _async_wrapper=app.ensure_sync, template=template, context=context
            )

    rv = generate()
    if _cv_request.get(None) is not None:
        # The body is produced after the view returns; keep the request
        # context alive for templates that use ``request`` or ``session``.
        from .helpers import stream_with_context

        rv = stream_with_context(rv)
    return rv


def stream_template(
    template_name_or_list: str | Template | list[str | Template],
    **context: t.Any,
) -> t.Iterator[str]:
    """Like :func:`render_template`, but return an iterator of text chunks
    that a response can stream.
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> t.Iterator[str]:
    """Like :func:`render_template_string`, but return an iterator of text
    chunks that a response can stream.
    """
    app = _current_app()
    return _stream(app, _string_template(app, source), context)
