"""``flask.sansio.app``: the application base class is the runtime's ``Flask``."""

from ..app import Flask as App
from ..app import T_shell_context_processor
from ..app import T_teardown
from ..app import T_template_filter
from ..app import T_template_global
from ..app import T_template_test

__all__ = [
    "App",
    "T_shell_context_processor",
    "T_teardown",
    "T_template_filter",
    "T_template_global",
    "T_template_test",
]
