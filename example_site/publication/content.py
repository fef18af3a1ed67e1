"""The posts: Markdown files with TOML front matter under ``content/posts/``.

A post file looks like this (the name, without ``.md``, is the post's slug)::

    +++
    title = "Writing an Atom feed by hand"
    date = 2026-02-03
    tags = ["feeds", "xml"]
    summary = "Optional; the first paragraph otherwise."
    cover = "covers/feed.svg"   # optional, a file under the static folder
    draft = false               # optional; drafts are never published
    +++

    The text, in Markdown.

Front matter is TOML between ``+++`` lines, as Hugo writes it: the standard library
reads it (``tomllib``), and TOML has real dates, so no YAML library is needed.
Files are read on every call, so an edited post shows on the next request; only the
Markdown rendering is cached, by text.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import tomllib
import typing as t
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

try:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
except ImportError as e:  # the first thing a newcomer may meet: say what to install
    raise ImportError(
        "Plain Pages renders its posts with markdown-it-py, sitec's 'example' extra:"
        " run python -m pip install -e '.[example]' in the repository's root"
    ) from e

#: Words read per minute, for "5 min read".
READING_SPEED = 220

_FENCE = "+++"
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
#: Front matter: name -> (type, a right value to show in an error, required).
_FIELDS: dict[str, tuple[type, str, bool]] = {
    "title": (str, '"Writing an Atom feed by hand"', True),
    "date": (datetime.date, "2026-03-14 (a TOML date: no quotes)", True),
    "tags": (list, '["feeds", "xml"]', False),
    "summary": (str, '"One or two sentences for lists and feeds."', False),
    "cover": (str, '"covers/feed.svg" (a file of the static folder)', False),
    "draft": (bool, "true", False),
}

_markdown = MarkdownIt("commonmark", {"typographer": True}).enable(
    ["table", "strikethrough", "replacements", "smartquotes"]
)


class ContentError(ValueError):
    """A post file that cannot be published; the message names the file and the fix."""


@dataclass(frozen=True)
class Post:
    slug: str
    title: str
    date: datetime.date
    tags: tuple[str, ...]
    summary: str
    html: Markup
    #: The text without markup, for search.
    text: str
    cover: str | None = None
    draft: bool = False

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(len(self.text.split()) / READING_SPEED))


@dataclass(frozen=True)
class Rendered:
    html: Markup
    text: str
    first_paragraph: str


def load_posts(folder: Path, *, drafts: bool = False) -> list[Post]:
    """Every post in ``folder``, newest first (then by slug, so the order is stable)."""
    posts = [read_post(path) for path in sorted(folder.glob("*.md"))]
    if not drafts:
        posts = [post for post in posts if not post.draft]
    return sorted(posts, key=lambda post: (-post.date.toordinal(), post.slug))


def read_post(path: Path) -> Post:
    """One post file; :class:`ContentError` says what is wrong with it."""
    slug = path.stem
    if not _SLUG.fullmatch(slug):
        raise ContentError(
            f"{path}: the file name is the post's URL; use lowercase letters, digits and"
            " hyphens, as in 'my-first-post.md'"
        )
    meta, body = split_front_matter(path.read_text(encoding="utf-8"), path)
    check_front_matter(meta, path)
    rendered = render_markdown(body)
    return Post(
        slug=slug,
        title=meta["title"],
        date=meta["date"],
        tags=tuple(meta.get("tags", ())),
        summary=meta.get("summary") or rendered.first_paragraph,
        html=rendered.html,
        text=rendered.text,
        cover=meta.get("cover"),
        draft=meta.get("draft", False),
    )


def split_front_matter(source: str, path: Path) -> tuple[dict[str, t.Any], str]:
    """The front matter table and the Markdown after it."""
    lines = source.splitlines(keepends=True)
    if not lines or lines[0].strip() != _FENCE:
        raise ContentError(f"{path}: a post starts with a '+++' line, then its TOML front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == _FENCE)
    except StopIteration:
        raise ContentError(f"{path}: the front matter has no closing '+++' line") from None
    try:
        # An empty first line in place of the fence: TOML's line numbers are the file's.
        meta = tomllib.loads("\n" + "".join(lines[1:end]))
    except tomllib.TOMLDecodeError as e:
        raise ContentError(f"{path}: the front matter is not valid TOML: {e}") from None
    return meta, "".join(lines[end + 1 :])


def check_front_matter(meta: dict[str, t.Any], path: Path) -> None:
    """Raise :class:`ContentError` for an unknown, missing or mistyped field."""
    unknown = sorted(set(meta) - set(_FIELDS))
    if unknown:
        known = ", ".join(_FIELDS)
        raise ContentError(f"{path}: unknown front matter {', '.join(unknown)}; known: {known}")
    for name, (kind, example, required) in _FIELDS.items():
        if name not in meta:
            if required:
                raise ContentError(
                    f"{path}: the front matter has no {name}; add {name} = {example}"
                )
            continue
        value = meta[name]
        # A TOML date-time is a datetime, a subclass of date; a post has a day, not a time.
        if not isinstance(value, kind) or (
            kind is datetime.date and isinstance(value, datetime.datetime)
        ):
            raise ContentError(
                f"{path}: front matter {name} = {value!r} should be like {name} = {example}"
            )
    if not all(isinstance(tag, str) and _SLUG.fullmatch(tag) for tag in meta.get("tags", ())):
        raise ContentError(
            f"{path}: each tag is part of a URL, so use lowercase letters, digits and hyphens,"
            f" as in tags = {_FIELDS['tags'][1]}"
        )


@functools.lru_cache(maxsize=256)
def render_markdown(body: str) -> Rendered:
    """HTML, plain text and the first paragraph's text of a Markdown body."""
    tokens = _markdown.parse(body)
    text = " ".join(_plain(token) for token in tokens if token.type == "inline")
    first = next((_plain(tokens[i + 1]) for i, token in enumerate(tokens)
                  if token.type == "paragraph_open"), "")  # fmt: skip
    return Rendered(Markup(_markdown.renderer.render(tokens, _markdown.options, {})), text, first)


def _plain(inline: Token) -> str:
    return "".join(
        " " if child.type in {"softbreak", "hardbreak"} else child.content
        for child in inline.children or ()
        if child.type in {"text", "code_inline", "softbreak", "hardbreak"}
    )


def tag_counts(posts: list[Post]) -> list[tuple[str, int]]:
    """Each tag with its number of posts, most used first, then by name."""
    counts: dict[str, int] = {}
    for post in posts:
        for tag in post.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
