"""``flask.sansio.blueprints``: the runtime's blueprint classes."""

from ..app import T_template_filter
from ..app import T_template_global
from ..app import T_template_test
from ..blueprints import Blueprint
from ..blueprints import BlueprintSetupState
from ..blueprints import DeferredSetupFunction

__all__ = [
    "Blueprint",
    "BlueprintSetupState",
    "DeferredSetupFunction",
    "T_template_filter",
    "T_template_global",
    "T_template_test",
]
