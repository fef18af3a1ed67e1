"""What counts as a read of request-bound state.

The rest of the analysis asks this module three questions: is this attribute
of ``request`` determined by the URL alone, is this live object one of the
runtime's context-bound names (``request``, ``session``, ``g``, the flash and
render helpers), and is this dotted name a known third-party request reader
(Flask-Login's ``current_user``, Flask-WTF's CSRF helpers, Flask-Babel's locale).
"""

from __future__ import annotations

import builtins
import importlib
import typing as t
from contextvars import ContextVar
from functools import cache

from werkzeug.local import LocalProxy

#: ``request`` attributes that the URL (and the app's configuration) fully
#: determine, so reading them does not make a page depend on who asks.
URL_DETERMINED: frozenset[str] = frozenset(
    {
        "path",
        "script_root",
        "base_url",
        "url_root",
        "host_url",
        "host",
        "scheme",
        "is_secure",
        "method",
        "endpoint",
        "view_args",
        "url_rule",
        "blueprint",
        "blueprints",
        "routing_exception",
        "root_path",
        "root_url",
        "application",
        "max_content_length",
        "max_form_memory_size",
        "max_form_parts",
        "trusted_hosts",
        "url_charset",
        "charset",
        "encoding_errors",
        "shallow",
    }
)

_CURRENT_USER = "current_user (Flask-Login loads it from the session)"
_LOGIN_REQUIRED = "the session, in Flask-Login's login_required"
_FLASK_FORM = "the form and the session, in a Flask-WTF FlaskForm"

#: Third-party names bound to the request, by the dotted name they are
#: imported from -> what they read.
KNOWN_READERS: dict[str, str] = {
    "flask_login.current_user": _CURRENT_USER,
    "flask_login.utils.current_user": _CURRENT_USER,
    "flask_login.login_required": _LOGIN_REQUIRED,
    "flask_login.utils.login_required": _LOGIN_REQUIRED,
    "flask_login.fresh_login_required": "the session, in Flask-Login's fresh_login_required",
    "flask_login.login_user": "the session (Flask-Login's login_user writes it)",
    "flask_login.logout_user": "the session (Flask-Login's logout_user writes it)",
    "flask_wtf.csrf.generate_csrf": "the session, in Flask-WTF's generate_csrf",
    "flask_wtf.csrf.validate_csrf": "the form and the session, in Flask-WTF's validate_csrf",
    "flask_wtf.FlaskForm": _FLASK_FORM,
    "flask_wtf.form.FlaskForm": _FLASK_FORM,
    "flask_babel.get_locale": "Accept-Language, in Flask-Babel's get_locale",
    "flask_babel.get_timezone": "the request, in Flask-Babel's get_timezone",
}

#: Names that read the request when a template uses them.
TEMPLATE_READ_NAMES: dict[str, str] = {
    "session": "session",
    "get_flashed_messages": "flashed messages (session)",
    "current_user": "current_user",
    "csrf_token": "csrf_token (session)",
}

#: Builtins whose effect analysis cannot see.
OPAQUE_BUILTINS: dict[str, str] = {
    "eval": "eval()",
    "exec": "exec()",
    "compile": "compile()",
    "__import__": "__import__()",
}


def request_attribute_read(attr: str) -> str | None:
    """``"request.args"`` when reading ``request.<attr>`` depends on the request, else ``None``."""
    if attr in URL_DETERMINED:
        return None
    return f"request.{attr}"


def known_reader(dotted: str) -> str | None:
    """A description of the third-party request reader ``dotted`` names, if it is one."""
    if dotted in KNOWN_READERS:
        return KNOWN_READERS[dotted]
    module, _, name = dotted.rpartition(".")
    if module.startswith("flask_babel") and name in {
        "gettext",
        "ngettext",
        "pgettext",
        "npgettext",
        "lazy_gettext",
        "format_datetime",
        "format_date",
        "format_time",
        "format_timedelta",
        "format_number",
        "format_decimal",
        "format_currency",
        "format_percent",
    }:
        return f"the request's locale, in Flask-Babel's {name}"
    return None


#: What a runtime object is, for the analysis.
Role = t.Literal[
    "request",
    "session",
    "g",
    "flash",
    "get_flashed_messages",
    "url_for",
    "render",
    "render_string",
    "template_attribute",
    "getattr",
    "setattr",
    "hasattr",
    "opaque",
    "import_module",
    "abort",
]


@cache
def runtime_roles() -> dict[int, tuple[Role, str]]:
    """``id(obj) -> (role, name)`` for the runtime objects the analysis recognises."""
    from werkzeug import exceptions

    from sitec.runtime import globals as rt_globals
    from sitec.runtime import helpers
    from sitec.runtime import templating

    roles: dict[int, tuple[Role, str]] = {
        id(rt_globals.request): ("request", "request"),
        id(rt_globals.request_ctx): ("request", "request_ctx"),
        id(rt_globals.session): ("session", "session"),
        id(rt_globals.g): ("g", "g"),
        id(helpers.flash): ("flash", "flash"),
        id(helpers.get_flashed_messages): ("get_flashed_messages", "get_flashed_messages"),
        id(helpers.url_for): ("url_for", "url_for"),
        id(templating.render_template): ("render", "render_template"),
        id(templating.stream_template): ("render", "stream_template"),
        id(templating.render_template_string): ("render_string", "render_template_string"),
        id(templating.stream_template_string): ("render_string", "stream_template_string"),
        id(helpers.get_template_attribute): ("template_attribute", "get_template_attribute"),
        id(builtins.getattr): ("getattr", "getattr"),
        id(builtins.setattr): ("setattr", "setattr"),
        id(builtins.hasattr): ("hasattr", "hasattr"),
        id(importlib.import_module): ("import_module", "importlib.import_module"),
        id(helpers.abort): ("abort", "abort"),
        id(exceptions.abort): ("abort", "abort"),
    }
    for name, label in OPAQUE_BUILTINS.items():
        roles[id(getattr(builtins, name))] = ("opaque", label)
    return roles


def role_of(obj: object) -> tuple[Role, str] | None:
    return runtime_roles().get(id(obj))


def is_proxy(obj: object) -> bool:
    """A werkzeug ``LocalProxy``, tested without touching the proxied object."""
    return issubclass(type(obj), LocalProxy)


def proxy_target(obj: object) -> object:
    """What a ``LocalProxy`` wraps: a ContextVar, a Local or a callable."""
    return object.__getattribute__(obj, "_LocalProxy__wrapped")


def proxy_is_request_bound(obj: object) -> bool | None:
    """True for proxies over the request context, False over the app context, None if unknown."""
    from sitec.runtime import globals as rt_globals

    target = proxy_target(obj)
    if target is rt_globals._cv_request:
        return True
    if target is rt_globals._cv_app:
        return False
    if isinstance(target, ContextVar):
        return None
    return None
