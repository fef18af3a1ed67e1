"""Blueprints: groups of views, hooks and files that an application takes in.

A :class:`Blueprint` records what it is given (routes, app-wide hooks, template
helpers) as deferred functions instead of touching an application. When
:meth:`Flask.register_blueprint <.app.Flask.register_blueprint>` is called, the
blueprint runs them against a :class:`BlueprintSetupState` that carries the
options of that one registration (URL prefix, subdomain, name), copies its
scoped registries into the application under its dotted name, and registers
the blueprints nested in it. Nothing here runs per request.
"""

from __future__ import annotations

import os
import typing as t
from collections import defaultdict
from functools import update_wrapper

from .cli import AppGroup
from .scaffold import Scaffold
from .scaffold import T_after_request
from .scaffold import T_before_request
from .scaffold import T_error_handler
from .scaffold import T_teardown
from .scaffold import T_template_context_processor
from .scaffold import T_url_defaults
from .scaffold import T_url_value_preprocessor
from .scaffold import _endpoint_from_view_func
from .scaffold import setupmethod

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Flask

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
DeferredSetupFunction = t.Callable[["BlueprintSetupState"], None]

# Marks "no cli_group given": commands go in a group named after the blueprint.
_sentinel = object()


class BlueprintSetupState:
    """One registration of a blueprint on an application.

    Deferred functions receive it; its :meth:`add_url_rule` applies the
    registration's URL prefix, subdomain, URL defaults and endpoint prefix.
    """

    def __init__(
        self,
        blueprint: Blueprint,
        app: Flask,
        options: t.Any,
        first_registration: bool,
    ) -> None:
        #: The application the blueprint is registered on.
        self.app = app
        #: The blueprint being registered.
        self.blueprint = blueprint
        #: The keyword arguments given to ``register_blueprint``.
        self.options = options
        #: Whether this is the blueprint's first registration on ``app``;
        #: ``record_once`` functions run only then.
        self.first_registration = first_registration

        subdomain = options.get("subdomain")
        self.subdomain: str | None = blueprint.subdomain if subdomain is None else subdomain
        url_prefix = options.get("url_prefix")
        self.url_prefix: str | None = blueprint.url_prefix if url_prefix is None else url_prefix
        self.name: str = options.get("name", blueprint.name)
        self.name_prefix: str = options.get("name_prefix", "")
        #: Defaults for every URL rule of the blueprint; options win.
        self.url_defaults: dict[str, t.Any] = dict(blueprint.url_values_defaults)
        self.url_defaults.update(options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        **options: t.Any,
    ) -> None:
        """Add a blueprint rule to the application, prefixed for this
        registration: the endpoint becomes ``"<dotted name>.<endpoint>"``."""
        if self.url_prefix is not None:
            if rule:
                rule = f"{self.url_prefix.rstrip('/')}/{rule.lstrip('/')}"
            else:
                rule = self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = {**defaults, **options.pop("defaults")}
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint(Scaffold):
    """A set of routes, hooks, templates and static files to register on an
    application, possibly several times and under different URL prefixes.

    :param name: The blueprint's name; it prefixes its endpoints. No dots.
    :param import_name: The import name of the blueprint's package, usually
        ``__name__``; it locates :attr:`root_path`.
    :param static_folder: A folder of static files, relative to the root path,
        served at :attr:`static_url_path` (under the URL prefix).
    :param static_url_path: The URL of the static folder; defaults to its name.
    :param template_folder: A folder of templates, searched after the app's.
    :param url_prefix: A path put before every rule of the blueprint.
    :param subdomain: The subdomain the blueprint's rules match by default.
    :param url_defaults: Defaults for the view arguments of every rule.
    :param root_path: The blueprint's folder, when ``import_name`` cannot
        locate it.
    :param cli_group: The name of the CLI group of the blueprint's commands;
        ``None`` adds them to the app's group directly. Defaults to the
        blueprint's name.
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _sentinel,  # type: ignore[assignment]
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")

        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults = {} if url_defaults is None else url_defaults
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []
        #: CLI commands of the blueprint, added to the app's on registration.
        self.cli = AppGroup()
        self.cli.name = self.name

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the"
                f" blueprint '{self.name}'. It has already been registered at least"
                " once, so the change would reach some registrations and not others.\n"
                "Make sure all imports, decorators, functions, etc. needed to set up"
                " the blueprint run before registering it."
            )

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Run ``func(state)`` each time the blueprint is registered."""
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Like :meth:`record`, but only on the blueprint's first registration
        on each application."""

        def once(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(update_wrapper(once, func))

    def make_setup_state(
        self, app: Flask, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """The state passed to deferred functions; override to customise it."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest ``blueprint`` in this one; it is registered on the app when this
        one is, with this blueprint's name, URL prefix and subdomain before its
        own. Takes the options of :meth:`Flask.register_blueprint`."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: Flask, options: dict[str, t.Any]) -> None:
        """Register the blueprint on ``app``; called by
        :meth:`Flask.register_blueprint`.

        :param options: The keyword arguments of ``register_blueprint``, plus
            ``name_prefix`` for nested blueprints.
        """
        self_name = options.get("name", self.name)
        name = f"{options.get('name_prefix', '')}.{self_name}".lstrip(".")

        if name in app.blueprints:
            which = "this" if app.blueprints[name] is self else "a different"
            dotted = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for {which}"
                f" blueprint{dotted}. Use 'name=' to provide a unique name."
            )

        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)

        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )

        # The name is new (checked above), so its scoped entries are too.
        self._merge_blueprint_funcs(app, name)

        for deferred in self.deferred_functions:
            deferred(state)

        self._register_cli(app, name, options)

        for blueprint, bp_options in self._blueprints:
            blueprint.register(app, self._nested_options(state, blueprint, bp_options, name))

    def _register_cli(self, app: Flask, name: str, options: dict[str, t.Any]) -> None:
        if not self.cli.commands:
            return
        group = options.get("cli_group", self.cli_group)
        if group is None:
            app.cli.commands.update(self.cli.commands)
            return
        self.cli.name = name if group is _sentinel else group
        app.cli.add_command(self.cli)

    @staticmethod
    def _nested_options(
        state: BlueprintSetupState,
        blueprint: Blueprint,
        options: dict[str, t.Any],
        name: str,
    ) -> dict[str, t.Any]:
        """The options of a nested blueprint, joined onto its parent's
        subdomain, URL prefix and name."""
        options = dict(options)

        subdomain = options.get("subdomain")
        if subdomain is None:
            subdomain = blueprint.subdomain
        if subdomain is not None and state.subdomain is not None:
            options["subdomain"] = f"{subdomain}.{state.subdomain}"
        elif subdomain is not None or state.subdomain is not None:
            options["subdomain"] = subdomain if subdomain is not None else state.subdomain

        url_prefix = options.get("url_prefix")
        if url_prefix is None:
            url_prefix = blueprint.url_prefix
        if url_prefix is not None and state.url_prefix is not None:
            options["url_prefix"] = f"{state.url_prefix.rstrip('/')}/{url_prefix.lstrip('/')}"
        elif url_prefix is not None or state.url_prefix is not None:
            options["url_prefix"] = url_prefix if url_prefix is not None else state.url_prefix

        options["name_prefix"] = name
        return options

    def _merge_blueprint_funcs(self, app: Flask, name: str) -> None:
        """Copy the blueprint's registries into the app's, its own scope
        (``None``) under ``name`` and nested scopes under ``name.scope``."""

        def scoped(key: str | None) -> str:
            return name if key is None else f"{name}.{key}"

        for key, by_code in self.error_handler_spec.items():
            app.error_handler_spec[scoped(key)] = defaultdict(
                dict, {code: dict(handlers) for code, handlers in by_code.items()}
            )

        app.view_functions.update(self.view_functions)

        for ours, theirs in (
            (self.before_request_funcs, app.before_request_funcs),
            (self.after_request_funcs, app.after_request_funcs),
            (self.teardown_request_funcs, app.teardown_request_funcs),
            (self.url_default_functions, app.url_default_functions),
            (self.url_value_preprocessors, app.url_value_preprocessors),
            (self.template_context_processors, app.template_context_processors),
        ):
            for key, funcs in ours.items():
                if funcs:
                    theirs.setdefault(scoped(key), []).extend(funcs)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Record a URL rule, added to the app with the blueprint's name and
        URL prefix when the blueprint is registered."""
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func and "." in getattr(view_func, "__name__", ""):
            raise ValueError("'view_func' name may not contain a dot '.' character.")

        self.record(
            lambda s: s.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    # -- app-wide template helpers -------------------------------------------

    @setupmethod
    def app_template_filter(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a template filter for every template of the app."""

        def decorator(f: F) -> F:
            self.add_app_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_filter(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        """Register a template filter for every template of the app."""

        def register(state: BlueprintSetupState) -> None:
            state.app.jinja_env.filters[name or f.__name__] = f

        self.record_once(register)

    @setupmethod
    def app_template_test(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a template test for every template of the app."""

        def decorator(f: F) -> F:
            self.add_app_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_test(self, f: t.Callable[..., bool], name: str | None = None) -> None:
        """Register a template test for every template of the app."""

        def register(state: BlueprintSetupState) -> None:
            state.app.jinja_env.tests[name or f.__name__] = f

        self.record_once(register)

    @setupmethod
    def app_template_global(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a global for every template of the app."""

        def decorator(f: F) -> F:
            self.add_app_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_global(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        """Register a global for every template of the app."""

        def register(state: BlueprintSetupState) -> None:
            state.app.jinja_env.globals[name or f.__name__] = f

        self.record_once(register)

    # -- app-wide hooks ------------------------------------------------------

    @setupmethod
    def before_app_request(self, f: T_before_request) -> T_before_request:
        """Like :meth:`Flask.before_request`: runs before every request, not
        only the blueprint's."""
        self.record_once(lambda s: s.app.before_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def after_app_request(self, f: T_after_request) -> T_after_request:
        """Like :meth:`Flask.after_request`, for every request."""
        self.record_once(lambda s: s.app.after_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def teardown_app_request(self, f: T_teardown) -> T_teardown:
        """Like :meth:`Flask.teardown_request`, for every request."""
        self.record_once(lambda s: s.app.teardown_request_funcs.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_context_processor(
        self, f: T_template_context_processor
    ) -> T_template_context_processor:
        """Like :meth:`Flask.context_processor`, for every template."""
        self.record_once(lambda s: s.app.template_context_processors.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_errorhandler(
        self, code: type[Exception] | int
    ) -> t.Callable[[T_error_handler], T_error_handler]:
        """Like :meth:`Flask.errorhandler`, for errors anywhere in the app."""

        def decorator(f: T_error_handler) -> T_error_handler:
            self.record_once(lambda s: s.app.errorhandler(code)(f))
            return f

        return decorator

    @setupmethod
    def app_url_value_preprocessor(self, f: T_url_value_preprocessor) -> T_url_value_preprocessor:
        """Like :meth:`Flask.url_value_preprocessor`, for every request."""
        self.record_once(lambda s: s.app.url_value_preprocessors.setdefault(None, []).append(f))
        return f

    @setupmethod
    def app_url_defaults(self, f: T_url_defaults) -> T_url_defaults:
        """Like :meth:`Flask.url_defaults`, for every URL built."""
        self.record_once(lambda s: s.app.url_default_functions.setdefault(None, []).append(f))
        return f
