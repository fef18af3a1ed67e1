"""Full-text search over the published posts, for the /search page and /api/search.

Every word of the query must appear in a post (its title, tags, summary or text, as a
prefix or inside a word: "feed" finds "feeds"); a word in the title counts most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup
from markupsafe import escape

from .content import Post

#: The most query words looked at; the rest are ignored.
MAX_TERMS = 8
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Hit:
    post: Post
    score: int
    #: Some text around the first match, with the query's words in <mark>.
    snippet: Markup


def terms_of(query: str) -> list[str]:
    """The distinct lowercase words of ``query``, at most :data:`MAX_TERMS`."""
    return list(dict.fromkeys(_WORD.findall(query.lower())))[:MAX_TERMS]


def search(posts: list[Post], query: str, *, tag: str | None = None) -> list[Hit]:
    """Posts matching every word of ``query`` (and tagged ``tag``), best first.

    With no words but a tag, every post with that tag matches, newest first.
    """
    terms = terms_of(query)
    if not terms and tag is None:
        return []
    hits = []
    for post in posts:
        if tag is not None and tag not in post.tags:
            continue
        title, tags = post.title.lower(), " ".join(post.tags)
        body = f"{post.summary} {post.text}".lower()
        if not all(term in title or term in tags or term in body for term in terms):
            continue
        score = sum(3 * (term in title) + 2 * (term in tags) + (term in body) for term in terms)
        hits.append(Hit(post, score, snippet(post.text or post.summary, terms)))
    hits.sort(key=lambda hit: (-hit.score, -hit.post.date.toordinal(), hit.post.slug))
    return hits


def snippet(text: str, terms: list[str], width: int = 180) -> Markup:
    """About ``width`` characters of ``text`` around the first term found, marked up."""
    lowered = text.lower()
    found = [i for i in (lowered.find(term) for term in terms) if i >= 0]
    start = max(0, min(found) - width // 3) if found else 0
    if start:
        start = text.find(" ", start) + 1 or start
    end = min(len(text), start + width)
    if end < len(text):
        end = text.rfind(" ", start, end) if " " in text[start:end] else end
    piece = text[start:end]
    marked = Markup("…") if start else Markup()
    if terms:
        # Match on the plain text and escape the pieces, so "amp" never marks inside "&amp;".
        pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
        position = 0
        for match in pattern.finditer(piece):
            marked += escape(piece[position : match.start()])
            marked += Markup("<mark>%s</mark>") % match.group(0)
            position = match.end()
        piece = piece[position:]
    marked += escape(piece)
    return marked + Markup("…") if end < len(text) else marked
