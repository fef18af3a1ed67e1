"""Rebuild speed: from saving a file to the rebuilt page on disk, ``sitec serve --watch``
and ``sitec build`` against a full Frozen-Flask freeze, on the generated blog.

Run ``python benchmarks/serve_bench.py`` with the python whose ``sitec`` command is to
be measured. On a fresh copy of the ``sitegen.py`` blog (1,000 posts by default) it
measures, round by round:

- *no-op*: ``sitec build`` when nothing changed (the app is not imported), also on the
  10,000-post blog (``--noop-posts``);
- *watch*: with ``sitec serve --watch`` running, the time from writing a file to the
  moment the rebuilt page holds the new bytes on disk (polled every 2 ms), for three
  changes: one post's data file, the post template, the about page's template;
- *build*: the same three changes with ``sitec build`` in a fresh process (start-up,
  no-op check, app import and the incremental build), and the post template change
  again with unchanged files copied instead of hard-linked;
- *Frozen-Flask*: ``python freeze.py`` after the same post data change, a full freeze
  (it has no incremental mode), in the benchmarks' own virtualenv.

Every change writes new bytes (a round number), so every round really rebuilds. The
load average before and after is printed with the table; results go to a JSON file.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from benchenv import CACHE
from benchenv import DEFAULT_VENV
from benchenv import FLASK_VERSION
from benchenv import FROZEN_FLASK_VERSION
from benchenv import ensure_pinned
from benchenv import make_venv
from benchenv import probe
from benchenv import repo_revision
from build_bench import ensure_site
from build_bench import sitec_command

#: Where the sites are copied and built: the system's temporary folder, as a project
#: folder would be, not the cache folder the generated sites are kept in.
WORK = Path(tempfile.gettempdir()) / "sitec-serve-bench"
POLL = 0.002
#: sitec with unchanged files copied into the new tree instead of hard-linked.
COPYING_SITEC = (
    "from sitec.compiler.output import StagedOutput; StagedOutput.link_unchanged = False;"
    " from sitec.compiler.cli import main; main()"
)


@dataclass
class Change:
    """A file edit, and the output file that shows it."""

    name: str
    source: str
    old: str
    new: str
    #: The page, relative to ``public/``; ``{slug}`` is the edited post.
    page: str
    #: What the page holds after round ``{n}``.
    shows: str
    #: What the last round wrote in place of ``old``.
    last: str | None = None

    def apply(self, site: Path, number: int, slug: str) -> bytes:
        """Write round ``number``'s bytes; what the rebuilt page will hold."""
        written = self.new.format(n=number)
        path = site / self.source.format(slug=slug)
        text = path.read_text(encoding="utf-8")
        if self.last is not None:
            text = text.replace(self.last, self.old, 1)
        path.write_text(text.replace(self.old, written, 1), encoding="utf-8")
        self.last = written
        return self.shows.format(n=number).encode()


CHANGES = [
    Change(
        "post data",
        "content/{slug}.txt",
        "\n\n",
        "\n\nEdited in round {n}.\n\n",
        "posts/{slug}/index.html",
        "Edited in round {n}.",
    ),  # fmt: skip
    Change(
        "post template",
        "blog/templates/post.html",
        "<article>",
        '<article data-round="{n}">',
        "posts/{slug}/index.html",
        'data-round="{n}"',
    ),  # fmt: skip
    Change(
        "about template",
        "blog/templates/about.html",
        "<h1>About</h1>",
        "<h1>About, round {n}</h1>",
        "about/index.html",
        "About, round {n}",
    ),  # fmt: skip
]


@dataclass
class Timings:
    rows: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.rows.setdefault(name, []).append(seconds)

    def median(self, name: str) -> float:
        return statistics.median(self.rows[name])


def fresh_site(posts: int, seed: int, work: Path, settle: float) -> Path:
    """A fresh copy of the generated blog, once the file system settled from deleting
    the last one (see build_bench's ``--settle``)."""
    site = work / f"site-{posts}"
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(ensure_site(posts, seed, 0), site)  # one settle, after both
    time.sleep(settle)
    return site


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"[bench] {' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return seconds


def first_slug(site: Path) -> str:
    return sorted(path.stem for path in (site / "content").glob("*.txt"))[0]


def wait_for(path: Path, marker: bytes, deadline: float) -> float:
    """The moment ``path`` holds ``marker``."""
    while True:
        try:
            if marker in path.read_bytes():
                return time.perf_counter()
        except OSError:
            pass
        if time.perf_counter() > deadline:
            sys.exit(f"[bench] {path} never showed {marker!r}")
        time.sleep(POLL)


class Events:
    """The dev server's event stream, to know when a rebuild has finished."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.connection.request("GET", "/__sitec__/events")
        self.response = self.connection.getresponse()

    def next_built(self) -> dict[str, t.Any]:
        for raw in self.response:
            line = raw.decode()
            if line.startswith("data: "):
                event = json.loads(line[6:])
                if event["type"] == "built":
                    return event
                sys.exit(f"[bench] the rebuild failed: {event}")
        sys.exit("[bench] the event stream ended")


def measure_watch(site: Path, sitec: str, rounds: int, pause: float, timings: Timings) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (site.parent / "serve.log").open("wb")
    server = subprocess.Popen(
        [sitec, "serve", "--watch", "--port", str(port)],
        cwd=site,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        deadline = time.perf_counter() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() > deadline:
                    sys.exit(f"[bench] sitec serve did not start: see {log.name}")
                time.sleep(0.05)
        events = Events(port)
        slug = first_slug(site)
        public = site / "_site" / "public"
        for change in CHANGES:
            page = public / change.page.format(slug=slug)
            for number in range(rounds + 1):  # round 0 warms the session up
                saved = time.perf_counter()
                marker = change.apply(site, number + 100, slug)
                shown = wait_for(page, marker, saved + 120)
                events.next_built()
                if number:
                    timings.add(f"watch: {change.name}", shown - saved)
                time.sleep(pause)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        log.close()


def measure_builds(site: Path, sitec: str, rounds: int, timings: Timings) -> None:
    run([sitec, "build"], site)
    slug = first_slug(site)
    for _ in range(rounds):
        timings.add("build: no-op", run([sitec, "build"], site))
    copying = [sys.executable, "-c", COPYING_SITEC, "build"]
    for change in CHANGES:
        for number in range(rounds):
            change.apply(site, 200 + number, slug)
            timings.add(f"build: {change.name}", run([sitec, "build"], site))
            if change.name == "post template":
                change.apply(site, 300 + number, slug)
                timings.add("build: post template, copying", run(copying, site))


def measure_frozen_flask(site: Path, python: Path, rounds: int, timings: Timings) -> None:
    change = CHANGES[0]
    slug = first_slug(site)
    out = site.parent / "frozen"
    for number in range(rounds):
        change.apply(site, 400 + number, slug)
        timings.add(
            "frozen-flask: post data (full freeze)", run([str(python), "freeze.py", str(out)], site)
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--noop-posts", type=int, default=10000, help="0 to skip")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sitec", help="the sitec command (default: beside this python)")
    parser.add_argument("--venv", default=str(DEFAULT_VENV), help="the anchors' virtualenv")
    parser.add_argument("--output", help="JSON results file")
    parser.add_argument("--work", help=f"where sites are built (default: {WORK})")
    parser.add_argument(
        "--settle",
        type=float,
        default=30.0,
        help="seconds to wait after deleting a copy of a site (30): see build_bench.py",
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=2.0,
        help="seconds between two saves under sitec serve --watch (2)",
    )
    args = parser.parse_args(argv)
    work = Path(args.work) if args.work else WORK
    sitec = sitec_command(args.sitec)
    python = make_venv(Path(args.venv).expanduser())
    found = probe(python, "flask", "frozen-flask")
    ensure_pinned(python, found, "flask", FLASK_VERSION)
    ensure_pinned(python, found, "frozen-flask", FROZEN_FLASK_VERSION)
    work.mkdir(parents=True, exist_ok=True)

    load_before = os.getloadavg()
    timings = Timings()
    site = fresh_site(args.posts, args.seed, work, args.settle)
    print(f"[bench] {args.posts} posts: full build", file=sys.stderr)
    timings.add("build: full (first)", run([sitec, "build", "--jobs", "0"], site))
    print("[bench] sitec serve --watch", file=sys.stderr)
    measure_watch(site, sitec, args.rounds, args.pause, timings)
    print("[bench] sitec build", file=sys.stderr)
    measure_builds(site, sitec, args.rounds, timings)
    print("[bench] Frozen-Flask", file=sys.stderr)
    measure_frozen_flask(site, python, args.rounds, timings)
    if args.noop_posts:
        print(f"[bench] {args.noop_posts} posts: full build, then no-op", file=sys.stderr)
        big = fresh_site(args.noop_posts, args.seed, work, args.settle)
        timings.add(f"build: full (first), {args.noop_posts} posts", run([sitec, "build"], big))
        for _ in range(args.rounds):
            timings.add(f"build: no-op, {args.noop_posts} posts", run([sitec, "build"], big))
    load_after = os.getloadavg()

    width = max(len(name) for name in timings.rows)
    print(f"\n{'measurement':<{width}}  median     min     max  rounds")
    for name, values in timings.rows.items():
        print(
            f"{name:<{width}}  {statistics.median(values):6.3f}s {min(values):6.3f}s"
            f" {max(values):6.3f}s  {len(values)}"
        )
    print(
        f"\nload average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f},"
        f" after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f};"
        f" {os.cpu_count()} CPUs"
    )
    output = (
        Path(args.output)
        if args.output
        else (CACHE / "bench-results" / f"serve-{time.strftime('%Y%m%d-%H%M%S')}.json")
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "posts": args.posts,
                "rounds": args.rounds,
                "timings": timings.rows,
                "load_before": load_before,
                "load_after": load_after,
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "revision": repo_revision(),
            },
            indent=2,
        )
    )
    print(f"results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
