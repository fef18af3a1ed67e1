"""Class-based views.

:class:`View` turns a class into a view function with :meth:`View.as_view`;
:class:`MethodView` dispatches each HTTP method to the method of the same
lowercase name (``get``, ``post``, ...).
"""

from __future__ import annotations

import typing as t

from . import typing as ft
from .globals import current_app
from .globals import request

#: The HTTP methods a :class:`MethodView` can implement as plain methods.
http_method_funcs = frozenset(["get", "post", "head", "options", "delete", "put", "trace", "patch"])


class View:
    """Subclass and implement :meth:`dispatch_request`, then register
    ``MyView.as_view("name")`` with ``app.add_url_rule``.

    The class attributes configure the generated view function: ``methods``
    and ``provide_automatic_options`` are copied onto it for the router, and
    each of ``decorators`` is applied to it, first one innermost.

    By default a new instance serves every request, so instance state cannot
    leak between requests. With ``init_every_request = False`` one instance,
    created by :meth:`as_view`, serves them all, which is faster but shared.
    """

    methods: t.ClassVar[t.Collection[str] | None] = None
    provide_automatic_options: t.ClassVar[bool | None] = None
    decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = []
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self) -> ft.ResponseReturnValue:
        """Handle the request; URL variables arrive as keyword arguments."""
        raise NotImplementedError()

    @classmethod
    def as_view(cls, name: str, *class_args: t.Any, **class_kwargs: t.Any) -> ft.RouteCallable:
        """Build the view function for this class, registered under ``name``.

        ``class_args`` and ``class_kwargs`` are passed to the constructor.
        The returned function carries ``view_class``; replacing that attribute
        changes the class later requests instantiate.
        """
        if cls.init_every_request:

            def view(**kwargs: t.Any) -> ft.ResponseReturnValue:
                # ``view`` is looked up when called, so after decoration it is
                # the outermost function, whose ``view_class`` callers may swap.
                instance = view.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined]
                return current_app.ensure_sync(instance.dispatch_request)(**kwargs)

        else:
            shared = cls(*class_args, **class_kwargs)

            def view(**kwargs: t.Any) -> ft.ResponseReturnValue:
                return current_app.ensure_sync(shared.dispatch_request)(**kwargs)

        if cls.decorators:
            # Decorators such as functools.wraps copy these, so set them first.
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                view = decorator(view)

        view.view_class = cls  # type: ignore[attr-defined]
        view.__name__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        view.methods = cls.methods  # type: ignore[attr-defined]
        view.provide_automatic_options = cls.provide_automatic_options  # type: ignore[attr-defined]
        return view


class MethodView(View):
    """A view that calls the method named after the request's HTTP method.

    ``methods`` is filled in for each subclass from the HTTP-method functions
    it defines or inherits, plus its bases' ``methods``, unless the subclass
    sets ``methods`` itself. A HEAD request without a ``head`` method runs
    ``get``.
    """

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" in cls.__dict__:
            return
        methods: set[str] = set()
        for base in cls.__bases__:
            base_methods = getattr(base, "methods", None)
            if base_methods:
                methods.update(base_methods)
        methods.update(name.upper() for name in http_method_funcs if hasattr(cls, name))
        if methods:
            cls.methods = methods

    def dispatch_request(self, **kwargs: t.Any) -> ft.ResponseReturnValue:
        method = request.method
        handler = getattr(self, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(self, "get", None)
        assert handler is not None, f"Unimplemented method {method!r}"
        return current_app.ensure_sync(handler)(**kwargs)
