"""A small site for the incremental build tests: every kind of input a page can have.

- ``settings.toml`` and the variable ``INCREMENTAL_SITE_TITLE`` are read while the app
  is created (inputs of every page); a setting of the URL map comes from it too;
- ``data/posts/*.txt`` are read while rendering: a post page reads its file, the
  index lists the folder and reads every post;
- templates extend, include and import each other;
- ``helpers.py`` holds a view's helper and a template filter;
- ``/search`` reads the request: the dynamic half.
"""

import os
import tomllib
from pathlib import Path

from flask import Flask

from . import views
from .helpers import shout

ROOT = Path(__file__).resolve().parent.parent


def create_app():
    marker = os.environ.get("INCREMENTAL_SITE_IMPORTS")
    if marker:
        with open(marker, "a") as f:
            f.write("created\n")
    app = Flask(__name__)
    with open(ROOT / "settings.toml", "rb") as f:
        settings = tomllib.load(f)
    app.config["SITE_TITLE"] = settings["title"]
    app.url_map.strict_slashes = settings["strict_slashes"]
    app.config["SITE_TITLE"] = os.environ.get("INCREMENTAL_SITE_TITLE", app.config["SITE_TITLE"])
    app.config["POSTS"] = ROOT / "data" / "posts"
    app.add_template_filter(shout)
    app.register_blueprint(views.bp)
    return app
