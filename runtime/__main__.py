"""``python -m sitec.runtime``: the ``flask`` command line, run on this runtime.

The alias is installed first so the app's ``import flask`` gets this runtime.
"""

from __future__ import annotations

from .alias import install_flask_alias
from .cli import main

install_flask_alias()
main()
