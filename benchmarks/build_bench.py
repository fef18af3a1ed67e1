"""Pages per second and peak memory of ``sitec build`` against Frozen-Flask, on one site.

Run ``python benchmarks/build_bench.py`` (with the python whose ``sitec`` command is to
be measured, e.g. ``/work/venv/bin/python``). For each size (``--posts``, default 1000
and 10000) it writes a blog with ``sitegen.py`` once into the cache folder, then runs,
interleaved round by round, Frozen-Flask (``python freeze.py DEST`` in the bench's own
virtualenv, where real Flask and Frozen-Flask are installed: neither is ever a
dependency of sitec), ``sitec build --jobs 0 -o DEST`` in the site's folder, and the
Jinja floor (``python floor.py DEST``: the same pages with Jinja and werkzeug's URL map
alone, in one process). Each run is a fresh process into an empty output folder, timed
by the wall clock from spawn to exit, so every side pays for interpreter start-up,
importing the app and loading the posts.

Memory, two numbers per run (see README.md): the peak of the summed proportional set
size (PSS) of the whole process tree, sampled from ``/proc`` every ``--sample`` seconds,
and the exact high-water RSS of the largest single process, from ``wait4``.

After the runs, the three output trees must hold the same files with the same bytes;
a difference is printed (first differing file, with a diff) and fails the run.
Results go to a JSON file.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
import typing as t
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import sitegen
from benchenv import CACHE
from benchenv import DEFAULT_VENV
from benchenv import FLASK_VERSION
from benchenv import FROZEN_FLASK_VERSION
from benchenv import ensure_pinned
from benchenv import make_venv
from benchenv import probe
from benchenv import repo_revision

WORK = CACHE / "build-bench"
PAGE_SUFFIXES = (".html", ".xml")
TOOLS = ("frozen-flask", "sitec", "jinja-floor")
#: Where, under the outputs folder, earlier output trees wait until the next benchmark
#: starts: deleting thousands of files slows the file creation that follows for a while
#: on some file systems (ext4 without a journal rechecks recently freed inodes).
TRASH = "trash"


# --- running one build and measuring it ------------------------------------------------------


@dataclass
class Run:
    """One build: how long it took, how much memory it held, what it wrote."""

    tool: str
    round: int
    returncode: int
    wall: float
    #: Peak over the samples of the summed PSS of the process and all its descendants.
    peak_tree_kib: int
    #: ``ru_maxrss`` from ``wait4``: the high-water RSS of the largest single process
    #: among the child and the descendants it waited for. Exact, not sampled.
    largest_rss_kib: int
    samples: int
    #: User plus system CPU seconds of the child and the descendants it waited for.
    cpu: float = 0.0
    pages: int = 0
    files: int = 0
    log: str = ""
    #: The Jinja floor's own CPU seconds per phase (load, render, write).
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(child) for child in f.read().split())
        except OSError:
            pass
    return found


def _pss_kib(pid: int) -> int:
    """The process's proportional set size: shared pages count once across the tree."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_pss_kib(root: int) -> int:
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss_kib(pid)
        todo.extend(_children(pid))
    return total


class TreeSampler(threading.Thread):
    """Samples the process tree's total PSS until told to stop."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = self.samples = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            size = _tree_pss_kib(self.pid)
            if size:
                self.peak = max(self.peak, size)
                self.samples += 1
            self.done.wait(self.interval)


def measure(tool: str, number: int, cmd: list[str], cwd: Path, log: Path, interval: float) -> Run:
    """Run ``cmd`` to its end; output goes to ``log``."""
    env = dict(os.environ)
    env.pop("FLASK_APP", None)
    # Cache bytecode as an installed package would have it: sitec's editable source and
    # the generated blog are otherwise compiled again on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid, interval)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        tool=tool,
        round=number,
        returncode=proc.returncode,
        wall=wall,
        peak_tree_kib=sampler.peak,
        largest_rss_kib=usage.ru_maxrss,  # KiB on Linux
        samples=sampler.samples,
        cpu=usage.ru_utime + usage.ru_stime,
        log=str(log),
    )


# --- the two output trees --------------------------------------------------------------------


def tree_files(root: Path) -> dict[str, Path]:
    """Every file under ``root``, by its relative path with ``/`` separators."""
    if not root.is_dir():
        return {}
    return {path.relative_to(root).as_posix(): path for path in root.rglob("*") if path.is_file()}


def count(root: Path) -> tuple[int, int]:
    files = tree_files(root)
    return sum(name.endswith(PAGE_SUFFIXES) for name in files), len(files)


def compare(frozen: Path, built: Path, tool: str, shown: int = 40) -> dict[str, t.Any]:
    """Where ``tool``'s tree differs from Frozen-Flask's: file names, then bytes.
    Nothing is normalised.

    Frozen-Flask, sitec and the floor name files the same way for every URL of this site
    (``/a/`` -> ``a/index.html``, ``/feed.xml`` -> ``feed.xml``, static files by their
    path), so names compare as they are.
    """
    ours, theirs = tree_files(built), tree_files(frozen)
    common = sorted(ours.keys() & theirs.keys())
    differing = [name for name in common if ours[name].read_bytes() != theirs[name].read_bytes()]
    result: dict[str, t.Any] = {
        "same": not differing and ours.keys() == theirs.keys(),
        "files": len(common),
        "only_frozen_flask": sorted(theirs.keys() - ours.keys()),
        f"only_{tool}": sorted(ours.keys() - theirs.keys()),
        "differing": differing,
    }
    if differing:
        name = differing[0]
        diff = difflib.unified_diff(
            theirs[name].read_text("utf-8", "replace").splitlines(),
            ours[name].read_text("utf-8", "replace").splitlines(),
            f"frozen-flask/{name}",
            f"{tool}/{name}",
            lineterm="",
        )
        result["first_diff"] = list(diff)[:shown]
    return result


def print_comparison(posts: int, tool: str, found: dict[str, t.Any]) -> None:
    if found["same"]:
        print(
            f"[bench] {posts} posts: {tool} and frozen-flask wrote the same tree"
            f" ({found['files']} files, same bytes)"
        )
        return
    print(f"[bench] {posts} posts: THE TREES OF {tool} AND frozen-flask DIFFER", file=sys.stderr)
    for key in ("only_frozen_flask", f"only_{tool}", "differing"):
        names = found[key]
        if names:
            more = f" (+{len(names) - 5} more)" if len(names) > 5 else ""
            print(f"  {key} ({len(names)}): {', '.join(names[:5])}{more}", file=sys.stderr)
    for line in found.get("first_diff", []):
        print(f"    {line}", file=sys.stderr)


# --- the benchmark ---------------------------------------------------------------------------


@dataclass
class Size:
    posts: int
    site: Path
    runs: dict[str, list[Run]] = field(default_factory=lambda: {tool: [] for tool in TOOLS})


def pages_root(dest: Path, tool: str) -> Path:
    """Where a tool's output folder ``dest`` holds its pages: sitec's are in public/."""
    return dest / "public" if tool == "sitec" else dest


def ensure_site(posts: int, seed: int, settle: float) -> Path:
    """The generated site, written again only when the generator changed (replacing
    the old one, whose deletion the file system is then given time to settle from)."""
    site = WORK / f"site-{posts}-seed{seed}"
    marker = site / ".sitegen"
    if marker.is_file() and marker.read_text() == sitegen.source_hash():
        return site
    print(f"[bench] generating a blog of {posts} posts in {site}", file=sys.stderr)
    sitegen.generate(site, posts, seed)
    marker.write_text(sitegen.source_hash())
    time.sleep(settle)
    return site


def sitec_command(given: str | None) -> str:
    if given:
        return given
    beside = Path(sys.executable).with_name("sitec")
    found = str(beside) if beside.exists() else shutil.which("sitec")
    if not found:
        sys.exit("[bench] no 'sitec' command beside this python nor on PATH; pass --sitec")
    return found


def tail(log: str, lines: int = 15) -> str:
    text = Path(log).read_text("utf-8", "replace").splitlines()
    return "\n".join(f"    {line}" for line in text[-lines:])


def move_to_trash(folder: Path, trash: Path) -> None:
    if folder.exists():
        trash.mkdir(parents=True, exist_ok=True)
        folder.rename(trash / f"{folder.parent.name}-{folder.name}-{time.time_ns()}")


def empty_trash(trash: Path, settle: float) -> None:
    """Delete the trees earlier benchmarks left, then let the file system settle."""
    if not trash.exists():
        return
    shutil.rmtree(trash, ignore_errors=True)
    print(f"[bench] deleted earlier trees; waiting {settle:.0f} s before the first run")
    time.sleep(settle)


def floor_phases(log: str) -> dict[str, float]:
    """The JSON line ``floor.py`` prints last."""
    lines = Path(log).read_text("utf-8", "replace").strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def one_round(size: Size, number: int, args: argparse.Namespace, python: Path) -> None:
    out = args.outputs / f"out-{size.posts}"
    commands = {
        "frozen-flask": (out / "frozen-flask", [str(python), "freeze.py"]),
        "sitec": (out / "sitec", [args.sitec, "build", "--jobs", str(args.jobs), "-o"]),
        "jinja-floor": (out / "jinja-floor", [str(python), "floor.py"]),
    }
    tools = [tool for tool in TOOLS if tool in args.tool]
    # Whoever goes first takes turns, so drift in the machine hits both.
    for tool in tools if number % 2 == 0 else tools[::-1]:
        dest, cmd = commands[tool]
        move_to_trash(dest, args.outputs / TRASH)
        # Cold builds: sitec's incremental record of the last round goes too.
        move_to_trash(dest.parent / ".sitec-cache", args.outputs / TRASH)
        log = WORK / "logs" / f"{size.posts}-{tool}-{number}.log"
        run = measure(tool, number, [*cmd, str(dest)], size.site, log, args.sample)
        run.pages, run.files = count(pages_root(dest, tool)) if run.ok else (0, 0)
        if run.ok and tool == "jinja-floor":
            run.phases = floor_phases(run.log)
        size.runs[tool].append(run)
        if run.ok:
            print(
                f"[bench] {size.posts} posts, round {number + 1}, {tool}: {run.pages} pages"
                f" in {run.wall:.2f}s, peak {run.peak_tree_kib / 1024:.0f} MiB",
                file=sys.stderr,
            )
        else:
            print(
                f"[bench] {size.posts} posts, round {number + 1}, {tool} FAILED"
                f" (exit {run.returncode}); {log}:\n{tail(run.log)}",
                file=sys.stderr,
            )


def summarise(size: Size, cores: int) -> dict[str, t.Any]:
    row: dict[str, t.Any] = {"posts": size.posts, "site": str(size.site)}
    for tool, runs in size.runs.items():
        good = [run for run in runs if run.ok]
        summary: dict[str, t.Any] = {"runs": [asdict(run) for run in runs]}
        if good:
            wall = statistics.median(run.wall for run in good)
            summary.update(
                ok=len(good) == len(runs),
                pages=good[-1].pages,
                median_wall=wall,
                median_cpu=statistics.median(run.cpu for run in good),
                pages_per_second=good[-1].pages / wall,
                peak_tree_mib=max(run.peak_tree_kib for run in good) / 1024,
                largest_rss_mib=max(run.largest_rss_kib for run in good) / 1024,
            )
        else:
            summary["ok"] = False
        row[tool] = summary
    pairs = [
        (mine.pages / mine.wall) / (ref.pages / ref.wall)
        for mine, ref in zip(size.runs["sitec"], size.runs["frozen-flask"], strict=False)
        if mine.ok and ref.ok and ref.pages
    ]
    if pairs:
        # Each round's two runs sit next to each other in time: the median of the
        # per-round ratios shrugs off drift that a ratio of medians would not.
        row["ratio_rounds"] = pairs
        row["ratio"] = statistics.median(pairs)
    floors = [run for run in size.runs["jinja-floor"] if run.ok and run.phases]
    if floors and row["frozen-flask"].get("median_wall"):
        row["floor_bound"] = floor_bound(floors, row["frozen-flask"]["median_wall"], cores)
    return row


def floor_bound(floors: list[Run], frozen_wall: float, cores: int) -> dict[str, float]:
    """The best wall time the floor's work allows on ``cores`` cores, and its ratio.

    Rendering and writing split perfectly over the cores; start-up, imports and loading
    the posts stay on one. No tool that renders these templates can do better.
    """
    phase = {
        name: statistics.median(run.phases[name] for run in floors)
        for name in ("load", "render", "write")
    }
    wall = statistics.median(run.wall for run in floors)
    parallel = phase["render"] + phase["write"]
    best = wall - parallel + parallel / cores
    return {**phase, "cores": cores, "best_wall": best, "ratio": frozen_wall / best}


def print_table(rows: list[dict[str, t.Any]]) -> None:
    table = [
        ["posts", "tool", "pages", "wall s", "cpu s", "pages/s", "peak tree PSS", "largest RSS"]
    ]
    for row in rows:
        for tool in TOOLS:
            got = row.get(tool)
            if got is None or "runs" in got and not got["runs"]:
                continue
            if "pages" not in got:
                table.append([str(row["posts"]), tool, "FAILED", *["-"] * 5])
                continue
            table.append(
                [
                    str(row["posts"]),
                    tool,
                    f"{got['pages']:,}",
                    f"{got['median_wall']:.2f}",
                    f"{got['median_cpu']:.2f}",
                    f"{got['pages_per_second']:,.0f}",
                    f"{got['peak_tree_mib']:,.0f} MiB",
                    f"{got['largest_rss_mib']:,.0f} MiB",
                ]
            )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = [
        "  ".join(
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in table
    ]
    rule = "-" * len(lines[0])
    print("\n".join([lines[0], rule, *lines[1:], rule]))
    for row in rows:
        if "ratio" in row:
            low, high = min(row["ratio_rounds"]), max(row["ratio_rounds"])
            trees = row.get("trees", {})
            same = "trees match" if all(t["same"] for t in trees.values()) else "TREES DIFFER"
            print(
                f"{row['posts']} posts: sitec/frozen-flask pages/s {row['ratio']:.2f}x"
                f" (rounds {low:.2f}-{high:.2f}); {same}"
            )
        bound = row.get("floor_bound")
        if bound:
            print(
                f"{row['posts']} posts: jinja floor CPU s: load {bound['load']:.2f},"
                f" render {bound['render']:.2f}, write {bound['write']:.2f}; rendering and"
                f" writing on {bound['cores']} cores at best {bound['best_wall']:.2f} s wall,"
                f" {bound['ratio']:.2f}x frozen-flask"
            )


def run_bench(args: argparse.Namespace) -> int:
    python = make_venv(Path(args.venv).expanduser())
    found = probe(python, "flask", "frozen-flask")
    ensure_pinned(python, found, "flask", FLASK_VERSION)
    ensure_pinned(python, found, "frozen-flask", FROZEN_FLASK_VERSION)
    if "sitec" in args.tool:
        args.sitec = sitec_command(args.sitec)

    empty_trash(args.outputs / TRASH, args.settle)
    rows, failed = [], False
    for posts in args.posts or [1000, 10000]:
        size = Size(posts, ensure_site(posts, args.seed, args.settle))
        rounds = args.rounds or (3 if posts < 5000 else 1)
        for number in range(rounds):
            one_round(size, number, args, python)
        row = summarise(size, os.cpu_count() or 1)
        if all(row[tool]["ok"] for tool in args.tool):
            out = args.outputs / f"out-{posts}"
            row["trees"] = {}
            if "frozen-flask" in args.tool:
                for tool in args.tool:
                    if tool != "frozen-flask":
                        found = compare(out / "frozen-flask", pages_root(out / tool, tool), tool)
                        row["trees"][tool] = found
                        print_comparison(posts, tool, found)
                        failed |= not found["same"]
        else:
            failed = True
        rows.append(row)

    print()
    print_table(rows)
    results = {
        "meta": {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "repo_revision": repo_revision(),
            "sitec_command": args.sitec,
            "outputs": str(args.outputs),
            "jobs": args.jobs,
            "bench_venv": str(python),
            "versions": {"flask": FLASK_VERSION, "frozen-flask": FROZEN_FLASK_VERSION},
            "seed": args.seed,
            "wall": "seconds from spawn to exit of a fresh process, median over rounds",
            "cpu": "user + system seconds of the process tree (wait4), median over rounds",
            "pages": "HTML and XML files written",
            "peak_tree_mib": (
                f"max over samples (every {args.sample}s) of the summed PSS of the"
                " process tree, from /proc/<pid>/smaps_rollup"
            ),
            "largest_rss_mib": "ru_maxrss from wait4: the largest single process, exact",
            "ratio": "median over rounds of sitec pages/s / frozen-flask pages/s",
            "floor_bound": (
                "the jinja floor's wall time with its render and write CPU seconds split"
                " over the cores: the best any tool rendering these templates can do"
            ),
        },
        "sizes": rows,
    }
    output = (
        Path(args.output).expanduser()
        if args.output
        else CACHE / "bench-results" / f"build-{time.strftime('%Y%m%d-%H%M%S')}.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults: {output}")
    return 1 if failed else 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--posts",
        type=int,
        action="append",
        help="site size in posts (repeatable; default 1000 and 10000)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="interleaved rounds per size (default: 3 below 5000 posts, else 1)",
    )
    parser.add_argument(
        "--tool",
        action="append",
        choices=TOOLS,
        help="run only this side (repeatable; default both)",
    )
    parser.add_argument("--sitec", help="the sitec command (default: beside this python)")
    parser.add_argument("--jobs", type=int, default=0, help="sitec build --jobs (0: one per core)")
    parser.add_argument(
        "--sample", type=float, default=0.05, help="seconds between memory samples (0.05)"
    )
    parser.add_argument("--seed", type=int, default=1, help="the generator's random seed (1)")
    parser.add_argument(
        "--outputs",
        type=Path,
        default=WORK,
        help=(
            "folder for the output trees (default: the cache folder); a tmpfs such as"
            " /dev/shm/sitec-bench takes the disk's noise out"
        ),
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=30,
        help="seconds to wait after deleting the trees of earlier benchmarks (30)",
    )
    parser.add_argument(
        "--output", help="where to write the JSON results (default: under the cache folder)"
    )
    parser.add_argument(
        "--venv", default=str(DEFAULT_VENV), help="the bench's own virtualenv (Frozen-Flask)"
    )
    args = parser.parse_args(argv)
    args.tool = args.tool or list(TOOLS)
    return args


def main(argv: list[str] | None = None) -> int:
    if not Path("/proc/self/smaps_rollup").exists():
        sys.exit("[bench] the build benchmark measures memory through /proc: it needs Linux")
    return run_bench(parse_args(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
