"""Plain Pages: a small publication about building websites, as an ordinary Flask app.

It imports ``flask`` like any Flask app; under ``sitec`` that name is sitec's own runtime.
In ``example_site/``, ``sitec build`` pre-renders every page that cannot depend on the
request and reports why the others stay dynamic; ``sitec run`` serves the whole app.

The blueprints, by what they serve:

- ``blog``: the archive (paginated), the posts, the tags;
- ``pages``: home, about, "start here", a random post, search;
- ``feeds``: the Atom feed, ``sitemap.xml``, ``robots.txt``;
- ``api``: ``/api/posts.json`` and ``/api/search``;
- ``contact``: the contact form;
- ``members``: log in, the members' desk, log out.

And one command of its own: ``sitec new-post TITLE`` starts a draft.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

from flask import Flask
from flask import render_template

from . import api
from . import blog
from . import contact
from . import feeds
from . import members
from . import pages
from .commands import new_post
from .csrf import csrf_token
from .formatting import long_date
from .visitors import returning_visitor

#: Settings a deployment overrides with PUBLICATION_* environment variables
#: (``PUBLICATION_SECRET_KEY``, ``PUBLICATION_SITE_URL``) or ``create_app(config)``.
DEFAULTS: dict[str, t.Any] = {
    "SITE_NAME": "Plain Pages",
    "SITE_TAGLINE": "Notes on building small, fast websites",
    # Feeds and the sitemap need absolute links; .example is reserved for examples.
    "SITE_URL": "https://plainpages.example",
    "CONTENT_FOLDER": str(Path(__file__).resolve().parent.parent / "content"),
    "POSTS_PER_PAGE": 4,
    # Only for trying the site out: a deployment sets PUBLICATION_SECRET_KEY.
    "SECRET_KEY": "plain-pages-demo-key-not-for-production",
    "SESSION_COOKIE_SAMESITE": "Lax",
    # The demo account, shown on the login page: reader / plain-pages.
    "MEMBERS": {
        "reader": "scrypt:32768:8:1$TtKwNYC4CRvki72r$b4b31f63dcc04caefc45c0f9d650cc48ce8d299fe"
        "56157081a078bcad513c166a1694669949a6e61f8419578697b580a18320947b99adac4f00a4a001b324d57",
    },
}


def create_app(config: t.Mapping[str, t.Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("PUBLICATION")
    if config:
        app.config.from_mapping(config)

    for module in (blog, pages, feeds, api, contact, members):
        app.register_blueprint(module.blueprint)

    app.cli.add_command(new_post)
    app.add_template_global(csrf_token)
    app.add_template_global(returning_visitor)
    app.add_template_filter(long_date)

    @app.context_processor
    def site_settings() -> dict[str, t.Any]:
        return {"site_name": app.config["SITE_NAME"], "tagline": app.config["SITE_TAGLINE"]}

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return render_template("404.html"), 404

    @app.errorhandler(400)
    def bad_request(error: t.Any) -> tuple[str, int]:
        return render_template("400.html", reason=error.description), 400

    return app
