"""``flask.sansio.scaffold``: what the application and blueprints share."""

from ..scaffold import Scaffold
from ..scaffold import T_after_request
from ..scaffold import T_before_request
from ..scaffold import T_error_handler
from ..scaffold import T_route
from ..scaffold import T_teardown
from ..scaffold import T_template_context_processor
from ..scaffold import T_url_defaults
from ..scaffold import T_url_value_preprocessor
from ..scaffold import _endpoint_from_view_func
from ..scaffold import find_package
from ..scaffold import setupmethod

__all__ = [
    "Scaffold",
    "T_after_request",
    "T_before_request",
    "T_error_handler",
    "T_route",
    "T_teardown",
    "T_template_context_processor",
    "T_url_defaults",
    "T_url_value_preprocessor",
    "_endpoint_from_view_func",
    "find_package",
    "setupmethod",
]
