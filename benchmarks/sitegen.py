"""Write a generated Flask blog, the site the build benchmark builds.

Run ``python benchmarks/sitegen.py DEST --posts 1000``. ``DEST`` gets an ordinary
Flask project, the same bytes for the same ``--posts`` and ``--seed``:

- ``pyproject.toml`` with ``[tool.sitec] app = "blog:create_app()"``;
- ``blog/``: the app factory, a ``blog`` blueprint, a tiny front-matter reader and a
  paragraphs-only text-to-HTML converter (no Markdown dependency), Jinja templates
  (a base, a macro module, an include; index, post, tag, archive, about, the feed) and
  a static folder;
- ``content/``: one text file per post with front matter (title, date, tags);
- ``freeze.py``: the same app frozen by Frozen-Flask into the folder given as argument;
- ``floor.py``: the same pages rendered with Jinja and werkzeug's URL map alone (no
  framework, no crawl, no checks), the least work that writes this tree.

The pages: ``/``, ``/about/``, ``/posts/<slug>/``, ``/tags/<tag>/``, the archive
(``/archive/`` then ``/archive/page/<n>/``, 20 posts a page) and an Atom feed at
``/feed.xml``. Every page is reachable through ``url_for`` links from ``/``, and none
reads the request, so a crawler (Frozen-Flask's, sitec's) finds them all and sitec
can decide every route static.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import random
import shutil
import sys
from pathlib import Path

#: Bump when the generated project changes in a way the source hash cannot see.
FORMAT = 1
PER_PAGE = 20

_WORDS = """
able about above across action active actual adapt admit advice after again agent agree ahead
allow almost alone along already also always amount angle answer apart apply area argue around
arrive aside assume attach attempt author avoid awake balance basic battle beach become before
begin behind belief below bench better beyond blend block board border bottle bottom branch bread
bridge brief bright bring broad brown budget build burst cable camera canal candle carbon career
carry castle catch cause center chain chair chance change charge check choice circle claim class
clean clear climb clock close cloud coast coffee collect column common copper corner cotton count
county couple course cover craft credit crowd cruise custom cycle damage dance danger debate decade
decide defend degree delay demand depend desert design detail device differ dinner direct divide
doctor domain double dozen draft drama dream drive early earth easily edge effect effort eight
either eleven empire enable energy engine enough entire equal error escape estate event exact
expand expert export extend fabric factor fair family farmer father feature field figure filter
final finger finish flight floor flower focus follow forest forget formal fortune forward frame
fresh friend front fruit future garden gather gentle giant glass global golden govern grain grand
green ground growth guard guide habit handle happen harbor heart heavy height hidden highway history
holiday honest horse hotel house human hunger island jacket journey judge jungle kernel kitchen
ladder laptop launch layer leader league lesson letter level light limit linear liquid little
lively local logic lucky lumber magnet manner marble margin market master matter meadow medium
member memory mental method middle minute mirror mobile modest moment motion mountain museum
narrow nation native nature needle network neutral noble normal notice number object ocean office
orange orbit order origin output oxygen paddle palace panel parent parrot patient pattern pencil
people pepper period permit person phrase picnic pillow pilot planet plastic pocket poetry polite
portal potato powder praise prefer pretty primary prison profit proper public puzzle quarter
rabbit radio random rapid rather reader reason recipe record region relief remote repeat rescue
result ribbon ripple river rocket rubber saddle safety salmon sample saving scheme school screen
season second secret select senior series server settle shadow shelter signal silver simple
single sister sketch slender smooth socket solid sphere spider spirit spring square stable stream
street strong studio submit summer sunset supply switch symbol system table talent target teacher
temple tennis theory thread ticket timber toggle tomato travel tunnel turtle unique update useful
valley vector velvet verbal violin virtual vision volume voyage wallet walnut wander weather
window winter wisdom wonder wooden yellow
""".split()  # noqa: SIM905

_TAGS = """
python flask jinja web static hosting deploy performance testing packaging design css html
javascript databases caching security http routing templates forms api json markdown feeds
search typography accessibility tooling linux containers cloud devops monitoring logging
debugging refactoring architecture patterns async workers queues email images video audio
maps charts data science machine-learning notebooks education career community opensource
licensing documentation writing travel photography cooking music books
""".split()  # noqa: SIM905

_PYPROJECT = """\
[project]
name = "bench-blog"
version = "0.1.0"
requires-python = ">=3.11"

[tool.sitec]
app = "blog:create_app()"
output = "_site"
"""

_INIT = '''\
"""A small blog: posts with tags, a paginated archive and an Atom feed."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .content import load_posts


def create_app(content: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SITE_TITLE="The Bench Blog",
        SITE_AUTHOR="A. Writer",
        POSTS_PER_PAGE=20,
        FEED_SIZE=20,
    )
    folder = Path(content) if content else Path(app.root_path).parent / "content"
    app.extensions["blog.posts"] = load_posts(folder)

    @app.template_filter("isodate")
    def isodate(value):
        return value.strftime("%Y-%m-%dT00:00:00Z")

    @app.template_filter("longdate")
    def longdate(value):
        return f"{value:%B} {value.day}, {value.year}"

    @app.context_processor
    def site():
        return {"site_title": app.config["SITE_TITLE"]}

    from . import views

    app.register_blueprint(views.bp)
    app.add_url_rule("/about/", "about", views.about)
    app.add_url_rule("/feed.xml", "feed", views.feed)
    return app
'''

_CONTENT = '''\
"""Posts from text files with front matter; bodies are paragraphs of plain text."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from markupsafe import Markup


@dataclass
class Post:
    slug: str
    title: str
    date: datetime.date
    tags: list[str]
    html: Markup
    summary: str
    newer: Post | None = field(default=None, repr=False)
    older: Post | None = field(default=None, repr=False)


@dataclass
class Posts:
    """All posts, newest first, with the tag index."""

    items: list[Post]
    by_slug: dict[str, Post]
    by_tag: dict[str, list[Post]]


def to_html(text: str) -> Markup:
    """Blank-line separated paragraphs become <p> elements; everything is escaped."""
    paragraphs = [" ".join(block.split()) for block in text.split("\\n\\n")]
    return Markup("\\n").join(Markup("<p>%s</p>") % p for p in paragraphs if p)


def read_post(path: Path) -> Post:
    text = path.read_text(encoding="utf-8")
    _, head, body = text.split("---\\n", 2)
    meta = {}
    for line in head.splitlines():
        key, _, value = line.partition(":")
        meta[key.strip()] = value.strip()
    first = body.strip().split("\\n\\n", 1)[0]
    words = first.split()
    summary = " ".join(words[:30]) + (" ..." if len(words) > 30 else "")
    return Post(
        slug=path.stem,
        title=meta["title"],
        date=datetime.date.fromisoformat(meta["date"]),
        tags=[tag.strip() for tag in meta.get("tags", "").split(",") if tag.strip()],
        html=to_html(body),
        summary=summary,
    )


def load_posts(folder: Path) -> Posts:
    items = sorted(
        (read_post(path) for path in folder.glob("*.txt")),
        key=lambda post: (post.date, post.slug),
        reverse=True,
    )
    by_tag: dict[str, list[Post]] = {}
    for newer, post in zip([None, *items], items):
        post.newer = newer
        if newer is not None:
            newer.older = post
        for tag in post.tags:
            by_tag.setdefault(tag, []).append(post)
    return Posts(items, {post.slug: post for post in items}, dict(sorted(by_tag.items())))
'''

_VIEWS = '''\
"""The blog's pages; every one is decided by its URL alone."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import make_response
from flask import render_template

bp = Blueprint("blog", __name__)


def posts():
    return current_app.extensions["blog.posts"]


@bp.route("/")
def index():
    all_posts = posts()
    tags = [(tag, len(items)) for tag, items in all_posts.by_tag.items()]
    return render_template("index.html", posts=all_posts.items[:10], tags=tags)


@bp.route("/posts/<slug>/")
def post(slug):
    found = posts().by_slug.get(slug)
    if found is None:
        abort(404)
    return render_template("post.html", post=found)


@bp.route("/tags/<tag>/")
def tag(tag):
    tagged = posts().by_tag.get(tag)
    if not tagged:
        abort(404)
    return render_template("tag.html", tag=tag, posts=tagged)


@bp.route("/archive/", defaults={"page": 1})
@bp.route("/archive/page/<int:page>/")
def archive(page):
    per_page = current_app.config["POSTS_PER_PAGE"]
    items = posts().items
    pages = max(1, -(-len(items) // per_page))
    if not 1 <= page <= pages:
        abort(404)
    shown = items[(page - 1) * per_page : page * per_page]
    return render_template("archive.html", posts=shown, page=page, pages=pages)


def about():
    return render_template("about.html", count=len(posts().items))


def feed():
    entries = posts().items[: current_app.config["FEED_SIZE"]]
    body = render_template("feed.xml", entries=entries, updated=entries[0].date)
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    return response
'''

_TEMPLATES = {
    "base.html": """\
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{% block title %}{{ site_title }}{% endblock %}</title>
  <link rel="stylesheet" href="{{ url_for('static', filename='style.css') }}">
  <link rel="alternate" type="application/atom+xml" href="{{ url_for('feed') }}">
</head>
<body>
{% include "_nav.html" %}
<main>
{% block content %}{% endblock %}
</main>
<footer>{{ site_title }} &middot; <a href="{{ url_for('about') }}">about</a></footer>
</body>
</html>
""",
    "_nav.html": """\
<nav>
  <a href="{{ url_for('blog.index') }}">{{ site_title }}</a>
  <a href="{{ url_for('blog.archive') }}">Archive</a>
  <a href="{{ url_for('about') }}">About</a>
  <a href="{{ url_for('feed') }}">Feed</a>
</nav>
""",
    "_macros.html": """\
{% macro tag_links(tags) -%}
<ul class="tags">
{%- for tag in tags %}<li><a href="{{ url_for('blog.tag', tag=tag) }}">{{ tag }}</a></li>
{%- endfor %}</ul>
{%- endmacro %}

{% macro post_list(posts, summaries=false) -%}
<ol class="posts">
{% for post in posts %}
  <li>
    <a href="{{ url_for('blog.post', slug=post.slug) }}">{{ post.title }}</a>
    <time datetime="{{ post.date.isoformat() }}">{{ post.date|longdate }}</time>
    {% if summaries %}<p>{{ post.summary }}</p>{% endif %}
  </li>
{% endfor %}
</ol>
{%- endmacro %}
""",
    "index.html": """\
{% extends "base.html" %}
{% from "_macros.html" import post_list %}
{% block content %}
<h1>Latest posts</h1>
{{ post_list(posts, summaries=true) }}
<p><a href="{{ url_for('blog.archive') }}">All posts</a></p>
<h2>Tags</h2>
<ul class="cloud">
{% for tag, count in tags %}
  <li><a href="{{ url_for('blog.tag', tag=tag) }}">{{ tag }}</a> ({{ count }})</li>
{% endfor %}
</ul>
{% endblock %}
""",
    "post.html": """\
{% extends "base.html" %}
{% from "_macros.html" import tag_links %}
{% block title %}{{ post.title }} - {{ super() }}{% endblock %}
{% block content %}
<article>
  <h1>{{ post.title }}</h1>
  <time datetime="{{ post.date.isoformat() }}">{{ post.date|longdate }}</time>
  {{ tag_links(post.tags) }}
  {{ post.html }}
</article>
<nav class="pager">
{% for rel, other in (("prev", post.newer), ("next", post.older)) if other %}
  <a rel="{{ rel }}" href="{{ url_for('blog.post', slug=other.slug) }}">{{ other.title }}</a>
{% endfor %}
</nav>
{% endblock %}
""",
    "tag.html": """\
{% extends "base.html" %}
{% from "_macros.html" import post_list %}
{% block title %}Tag {{ tag }} - {{ super() }}{% endblock %}
{% block content %}
<h1>Posts tagged {{ tag }}</h1>
<p>{{ posts|length }} posts.</p>
{{ post_list(posts) }}
{% endblock %}
""",
    "archive.html": """\
{% extends "base.html" %}
{% from "_macros.html" import post_list %}
{% block title %}Archive, page {{ page }} - {{ super() }}{% endblock %}
{% block content %}
<h1>Archive <small>page {{ page }} of {{ pages }}</small></h1>
{{ post_list(posts, summaries=true) }}
<nav class="pager">
{% if page > 1 %}
  <a rel="prev" href="{{ url_for('blog.archive', page=page - 1) }}">Newer</a>
{% endif %}
{% if page < pages %}
  <a rel="next" href="{{ url_for('blog.archive', page=page + 1) }}">Older</a>
{% endif %}
</nav>
{% endblock %}
""",
    "about.html": """\
{% extends "base.html" %}
{% block title %}About - {{ super() }}{% endblock %}
{% block content %}
<h1>About</h1>
<p>{{ config.SITE_AUTHOR }} has written {{ count }} posts here.</p>
{% endblock %}
""",
    "feed.xml": """\
<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{{ site_title }}</title>
  <id>{{ url_for('blog.index', _external=True) }}</id>
  <link href="{{ url_for('blog.index', _external=True) }}"/>
  <link rel="self" href="{{ url_for('feed', _external=True) }}"/>
  <updated>{{ updated|isodate }}</updated>
  <author><name>{{ config.SITE_AUTHOR }}</name></author>
{% for post in entries %}
  <entry>
    <title>{{ post.title }}</title>
    <id>{{ url_for('blog.post', slug=post.slug, _external=True) }}</id>
    <link href="{{ url_for('blog.post', slug=post.slug, _external=True) }}"/>
    <updated>{{ post.date|isodate }}</updated>
    <summary>{{ post.summary }}</summary>
  </entry>
{% endfor %}
</feed>
""",
}

_STATIC = {
    "style.css": """\
body { font: 16px/1.5 Georgia, serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; }
nav a { margin-right: 1rem; }
.tags, .cloud { list-style: none; padding: 0; }
.tags li, .cloud li { display: inline; margin-right: .5rem; }
.pager { display: flex; justify-content: space-between; }
""",
    "favicon.svg": (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
        '<circle cx="8" cy="8" r="7" fill="#246"/></svg>\n'
    ),
}

_FREEZE = '''\
"""Freeze the blog with Frozen-Flask: python freeze.py DESTINATION (needs real Flask)."""

import sys
import warnings

from flask_frozen import Freezer
from flask_frozen import FrozenFlaskWarning

from blog import create_app

app = create_app()
app.config["FREEZER_DESTINATION"] = sys.argv[1]
# /feed.xml answers application/atom+xml; Frozen-Flask would warn that .xml guesses
# another type. The file is right either way.
app.config["FREEZER_IGNORE_MIMETYPE_WARNINGS"] = True
# A missing generator, a 404 or a redirect met while freezing is a broken benchmark.
warnings.simplefilter("error", FrozenFlaskWarning)
pages = Freezer(app).freeze()
print(f"froze {len(pages)} URLs")
'''


_FLOOR = '''\
"""The blog's pages with Jinja and werkzeug's URL map alone: python floor.py DESTINATION.

No framework, no request, no crawl (the URLs come from the posts), no checks: the least
work that writes the same tree, a floor for the tools that build it. Prints its CPU
seconds per phase as JSON on the last line.
"""

import importlib.util
import json
import sys
import time
from pathlib import Path

from jinja2 import Environment
from jinja2 import FileSystemLoader
from werkzeug.routing import Map
from werkzeug.routing import Rule

HERE = Path(__file__).resolve().parent
# blog/content.py alone: the package's __init__ would import a framework.
spec = importlib.util.spec_from_file_location("blog_content", HERE / "blog" / "content.py")
content = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(content)

started = time.process_time()
config = {"SITE_TITLE": "The Bench Blog", "SITE_AUTHOR": "A. Writer", "PER_PAGE": 20}
posts = content.load_posts(HERE / "content")
loaded = time.process_time()

urls = Map(
    [
        Rule("/", endpoint="blog.index"),
        Rule("/posts/<slug>/", endpoint="blog.post"),
        Rule("/tags/<tag>/", endpoint="blog.tag"),
        Rule("/archive/", defaults={"page": 1}, endpoint="blog.archive"),
        Rule("/archive/page/<int:page>/", endpoint="blog.archive"),
        Rule("/about/", endpoint="about"),
        Rule("/feed.xml", endpoint="feed"),
        Rule("/static/<path:filename>", endpoint="static"),
    ]
).bind("localhost")


def url_for(endpoint, _external=False, **values):
    return urls.build(endpoint, values, force_external=_external)


env = Environment(
    loader=FileSystemLoader(HERE / "blog" / "templates"),
    autoescape=lambda name: name is not None and name.endswith((".html", ".xml")),
)
env.globals.update(url_for=url_for, config=config, site_title=config["SITE_TITLE"])
env.filters["isodate"] = lambda value: value.strftime("%Y-%m-%dT00:00:00Z")
env.filters["longdate"] = lambda value: f"{value:%B} {value.day}, {value.year}"


def pages():
    items = posts.items
    tags = [(tag, len(tagged)) for tag, tagged in posts.by_tag.items()]
    yield "/", "index.html", {"posts": items[:10], "tags": tags}
    yield "/about/", "about.html", {"count": len(items)}
    yield "/feed.xml", "feed.xml", {"entries": items[:20], "updated": items[0].date}
    for post in items:
        yield url_for("blog.post", slug=post.slug), "post.html", {"post": post}
    for tag, tagged in posts.by_tag.items():
        yield url_for("blog.tag", tag=tag), "tag.html", {"tag": tag, "posts": tagged}
    count = max(1, -(-len(items) // config["PER_PAGE"]))
    for page in range(1, count + 1):
        shown = items[(page - 1) * config["PER_PAGE"] : page * config["PER_PAGE"]]
        context = {"posts": shown, "page": page, "pages": count}
        yield url_for("blog.archive", page=page), "archive.html", context


bodies = {url: env.get_template(name).render(context) for url, name, context in pages()}
rendered = time.process_time()

dest = Path(sys.argv[1])
for url, body in bodies.items():
    file = dest / (url.lstrip("/") + ("index.html" if url.endswith("/") else ""))
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(body, encoding="utf-8")
for source in (HERE / "blog" / "static").iterdir():
    (dest / "static").mkdir(exist_ok=True)
    (dest / "static" / source.name).write_bytes(source.read_bytes())
written = time.process_time()
phases = {"load": loaded - started, "render": rendered - loaded, "write": written - rendered}
print(json.dumps(phases))
'''


def source_hash() -> str:
    """Changes whenever this generator could write something else."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(str(FORMAT).encode())
    return digest.hexdigest()[:16]


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(6, 16))
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    sentences = [_sentence(rng) for _ in range(rng.randint(3, 6))]
    # Wrapped like hand-written text, so the converter has lines to join.
    lines, line = [], ""
    for word in " ".join(sentences).split():
        if line and len(line) + len(word) > 78:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def write_posts(folder: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    start = datetime.date(2010, 1, 1)
    seen: set[str] = set()
    for number in range(count):
        title_words = rng.sample(_WORDS, rng.randint(2, 5))
        title = " ".join(title_words).capitalize()
        slug = "-".join(title_words)
        if slug in seen:
            slug = f"{slug}-{number}"
        seen.add(slug)
        # Some days have several posts, so ordering by (date, slug) matters.
        date = start + datetime.timedelta(days=number * 3 // 4)
        tags = sorted(rng.sample(_TAGS, rng.randint(1, 3)))
        body = "\n\n".join(_paragraph(rng) for _ in range(rng.randint(3, 6)))
        # A title with markup characters now and then, to check escaping matches.
        if number % 97 == 0:
            title += " & <more>"
        (folder / f"{slug}.txt").write_text(
            f"---\ntitle: {title}\ndate: {date.isoformat()}\ntags: {', '.join(tags)}\n---\n"
            f"{body}\n",
            encoding="utf-8",
        )


def generate(dest: Path, posts: int, seed: int = 1) -> Path:
    """Write the project into ``dest`` (emptied first) and return ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    package = dest / "blog"
    for folder in (package / "templates", package / "static", dest / "content"):
        folder.mkdir(parents=True)
    (dest / "pyproject.toml").write_text(_PYPROJECT)
    (dest / "freeze.py").write_text(_FREEZE)
    (dest / "floor.py").write_text(_FLOOR)
    (package / "__init__.py").write_text(_INIT)
    (package / "content.py").write_text(_CONTENT)
    (package / "views.py").write_text(_VIEWS)
    for name, text in _TEMPLATES.items():
        (package / "templates" / name).write_text(text)
    for name, text in _STATIC.items():
        (package / "static" / name).write_text(text)
    write_posts(dest / "content", posts, seed)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="folder to write (emptied first)")
    parser.add_argument("--posts", type=int, default=1000, help="number of posts (1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    args = parser.parse_args(argv)
    generate(args.dest, args.posts, args.seed)
    print(f"wrote a blog of {args.posts} posts to {args.dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
