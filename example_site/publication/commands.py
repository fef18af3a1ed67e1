"""The site's own command: ``sitec new-post TITLE`` (``flask new-post`` works too).

It writes a draft under ``content/posts/``, named after the title, with the front matter
``content.py`` reads. Drafts are never published: set ``draft = false`` when it is ready.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from pathlib import Path

import click
from flask import current_app

from .content import read_post


def slug_of(title: str) -> str:
    """``"Caching, explained!"`` -> ``"caching-explained"``: the post's URL and file name."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_title.lower()))


@click.command("new-post")
@click.argument("title")
@click.option("--tag", "tags", multiple=True, help="A tag of the post; repeat for more.")
def new_post(title: str, tags: tuple[str, ...]) -> None:
    """Start a draft post called TITLE in content/posts/."""
    slug = slug_of(title)
    if not slug:
        raise click.BadParameter("the title needs at least one letter or digit", param_hint="TITLE")
    path = Path(current_app.config["CONTENT_FOLDER"]) / "posts" / f"{slug}.md"
    if path.exists():
        raise click.ClickException(f"{path} exists already; choose another title")
    front_matter = [
        f"title = {_toml_string(title)}",
        f"date = {datetime.date.today().isoformat()}",
        f"tags = [{', '.join(_toml_string(tag) for tag in tags)}]",
        "draft = true",
    ]
    path.write_text(
        "+++\n" + "\n".join(front_matter) + "\n+++\n\nWrite here, in Markdown.\n", encoding="utf-8"
    )
    read_post(path)  # what it wrote must be a post the site can read
    click.echo(f"Wrote {path}; set draft = false in it to publish it.")


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
