"""Requests per CPU-second of ``sitec.runtime`` against real Flask, in one process.

Run ``python benchmarks/runtime_bench.py``. Real Flask must never be a dependency
of sitec, so the script first makes (or reuses) its own virtualenv under the
cache folder with ``flask==3.1.3`` and sitec installed editable from this repo,
then runs itself again inside it with ``--in-venv``. There both frameworks are
imported side by side (``flask`` and ``sitec.runtime``; no alias), each scenario
app in ``scenarios.py`` is built once per framework, and the WSGI callables are
called directly with a prepared environ. Before any timing, every scenario's
answers are compared (status, body, headers); a difference aborts the run.
Rounds alternate between the frameworks so drift in the machine hits both.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import io
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import typing as t
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from types import ModuleType

from benchenv import CACHE
from benchenv import DEFAULT_VENV
from benchenv import FLASK_VERSION
from benchenv import HERE
from benchenv import REPO
from benchenv import ensure_pinned
from benchenv import make_venv
from benchenv import pip_install
from benchenv import probe
from benchenv import repo_revision

if t.TYPE_CHECKING:
    from scenarios import Scenario

#: Calls between two reads of the CPU clock: keeps the clock out of the timing.
BATCH = range(25)

WSGIApp = t.Callable[[dict[str, t.Any], t.Callable[..., t.Any]], t.Iterable[bytes]]


# --- the virtualenv ---------------------------------------------------------------------------


def run_in_venv(args: argparse.Namespace, argv: list[str]) -> int:
    """Make sure the bench venv has Flask and sitec, then run this script inside it."""
    venv = Path(args.venv).expanduser()
    python = make_venv(venv)
    found = probe(python, "flask", "sitec")
    ensure_pinned(python, found, "flask", FLASK_VERSION)

    installed = (found["sitec"] or {}).get("url") == REPO.as_uri()
    wanted = not (args.sitec_path or args.flask_both or installed)
    if wanted and not pip_install(python, "-e", str(REPO)):
        sys.exit(
            f"[bench] 'pip install -e {REPO}' failed. Fix the packaging, or point the bench"
            " at a folder holding sitec/runtime with --sitec-path (e.g. /work/pyroot)."
        )
    env = dict(os.environ)
    if args.sitec_path:
        paths = [str(Path(args.sitec_path).resolve()), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return subprocess.call(
        [str(python), str(Path(__file__).resolve()), "--in-venv", *argv], env=env
    )


# --- the frameworks and their prepared requests ----------------------------------------------


def load_frameworks(flask_both: bool) -> list[tuple[str, ModuleType]]:
    """The two contenders, the one under test first; the last one is the reference."""
    try:
        import flask
    except ImportError:
        sys.exit(
            "[bench] real Flask is not importable; run without --in-venv to get the bench's venv"
        )
    if flask.__name__ != "flask":
        sys.exit("[bench] 'flask' is aliased to something else: the bench needs real Flask")
    if flask_both:
        return [("flask-A", flask), ("flask", flask)]
    try:
        import sitec.runtime as runtime
    except Exception as error:  # the runtime being broken is worth one clear line
        sys.exit(f"[bench] sitec.runtime does not import: {type(error).__name__}: {error}")
    return [("sitec", runtime), ("flask", flask)]


@dataclass
class Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)


def call_once(app: WSGIApp, environ: dict[str, t.Any], body: bytes) -> Answer:
    """Call the app the way the timed loop does, and keep what it answered."""
    seen: list[t.Any] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Any:
        seen[:] = [status, list(headers)]
        return lambda data: None

    env = environ.copy()
    env["wsgi.input"] = io.BytesIO(body)
    iterable = app(env, start_response)
    try:
        data = b"".join(iterable)
    finally:
        if hasattr(iterable, "close"):
            iterable.close()
    return Answer(seen[0], seen[1], data)


def make_runner(app: WSGIApp, environ: dict[str, t.Any], body: bytes) -> t.Callable[[], None]:
    """One request, as cheaply as the harness can make it: the same harness for everyone."""

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Any:
        return None

    def run() -> None:
        env = environ.copy()
        env["wsgi.input"] = io.BytesIO(body)
        iterable = app(env, start_response)
        for _ in iterable:
            pass
        if hasattr(iterable, "close"):
            iterable.close()

    return run


def build_environ(
    path: str, method: str, body: bytes | None, content_type: str | None, cookie: str | None
) -> dict[str, t.Any]:
    from werkzeug.test import EnvironBuilder

    headers = {"Cookie": cookie} if cookie else None
    builder = EnvironBuilder(
        path=path, method=method, data=body, content_type=content_type, headers=headers
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


@dataclass
class Target:
    """One framework's app for one scenario, with the exact request the bench sends it."""

    label: str
    app: WSGIApp
    environ: dict[str, t.Any]
    body: bytes
    cookie: str | None = None
    rates: list[float] = field(default_factory=list)
    requests: int = 0
    cpu: float = 0.0


def session_cookie(app: WSGIApp, path: str) -> str:
    answer = call_once(app, build_environ(path, "GET", None, None, None), b"")
    cookie = answer.header("set-cookie")
    if not cookie:
        raise RuntimeError(f"GET {path} set no cookie ({answer.status})")
    return cookie.split(";", 1)[0]


def prepare(scenario: Scenario, label: str, app: WSGIApp) -> Target:
    cookie = session_cookie(app, scenario.cookie_from) if scenario.cookie_from else None
    environ = build_environ(
        scenario.path, scenario.method, scenario.body, scenario.content_type, cookie
    )
    return Target(label, app, environ, scenario.body or b"", cookie)


# --- checking that everyone answers the same -------------------------------------------------


def comparable_headers(answer: Answer) -> list[tuple[str, str]]:
    """Headers as a sorted list; a cookie's signed value differs by timestamp, so it is masked."""
    out = []
    for name, value in answer.headers:
        name = name.lower()
        if name == "set-cookie":
            key, _, rest = value.partition("=")
            value = f"{key}=<signed>;{rest.partition(';')[2]}"
        out.append((name, value))
    return sorted(out)


def differences(label: str, got: Answer, ref_label: str, ref: Answer) -> list[str]:
    diffs = []
    if got.status != ref.status:
        diffs.append(f"status: {label} {got.status!r}, {ref_label} {ref.status!r}")
    if got.body != ref.body:
        diffs.append(f"body: {label} {got.body[:300]!r}\n      {ref_label} {ref.body[:300]!r}")
    mine, theirs = comparable_headers(got), comparable_headers(ref)
    for name, value in mine:
        if (name, value) not in theirs:
            diffs.append(f"header only in {label}: {name}: {value}")
    for name, value in theirs:
        if (name, value) not in mine:
            diffs.append(f"header only in {ref_label}: {name}: {value}")
    return diffs


def check(scenario: Scenario, targets: list[Target], reference: Target) -> list[str]:
    """Everything that differs from the reference's answer, across every target."""
    problems = []
    ref = call_once(reference.app, reference.environ, reference.body)
    if int(ref.status.split()[0]) != scenario.status:
        return [
            f"{reference.label} answered {ref.status}, not {scenario.status}: {ref.body[:200]!r}"
        ]
    for target in targets:
        if target is reference:
            continue
        try:
            got = call_once(target.app, target.environ, target.body)
        except Exception as error:
            problems.append(f"{target.label} raised {type(error).__name__}: {error}")
            continue
        problems += differences(target.label, got, reference.label, ref)
        if target.cookie and reference.cookie:
            # Each framework must accept the session cookie the other one signed.
            swaps = (
                (target, reference.cookie, reference.label),
                (reference, target.cookie, target.label),
            )
            for reader, cookie, signer in swaps:
                environ = build_environ(
                    scenario.path, scenario.method, scenario.body, scenario.content_type, cookie
                )
                crossed = call_once(reader.app, environ, reader.body)
                if (crossed.status, crossed.body) != (ref.status, ref.body):
                    problems.append(
                        f"{reader.label} given {signer}'s session cookie answered"
                        f" {crossed.status} {crossed.body[:200]!r}"
                    )
    return problems


# --- timing ----------------------------------------------------------------------------------


def time_round(run: t.Callable[[], None], seconds: float) -> tuple[int, float]:
    """Requests done and CPU seconds spent, running for about ``seconds`` of CPU time."""
    gc.collect()
    clock = time.process_time
    done = 0
    start = now = clock()
    deadline = start + seconds
    while now < deadline:
        for _ in BATCH:
            run()
        done += len(BATCH)
        now = clock()
    return done, now - start


def bench_scenario(targets: list[Target], seconds: float, rounds: int) -> None:
    runners = [make_runner(tg.app, tg.environ, tg.body) for tg in targets]
    for run in runners:  # warm caches (templates, routing) before anything counts
        time_round(run, min(0.2, seconds / 4))
    pairs = list(zip(targets, runners, strict=True))
    for number in range(rounds):
        # A B W, then W B A, ...: whoever runs first or last in a round takes turns.
        for target, run in pairs if number % 2 == 0 else pairs[::-1]:
            done, cpu = time_round(run, seconds)
            target.rates.append(done / cpu)
            target.requests += done
            target.cpu += cpu


# --- reporting -------------------------------------------------------------------------------


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in ("flask", "werkzeug", "jinja2", "itsdangerous", "sitec"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def print_table(results: dict[str, t.Any], test: str, ref: str) -> None:
    rows = [
        ["scenario", f"{test} req/s", f"{ref} req/s", f"{test}/{ref}", "rounds", "werkzeug req/s"]
    ]
    for name, row in results["scenarios"].items():
        low, high = min(row["ratio_rounds"]), max(row["ratio_rounds"])
        floor = row.get("werkzeug")
        rows.append(
            [
                name,
                f"{row[test]['median_rate']:,.0f}",
                f"{row[ref]['median_rate']:,.0f}",
                f"{row['ratio']:.2f}x",
                f"{low:.2f}-{high:.2f}",
                f"{floor['median_rate']:,.0f}" if floor else "-",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    rule = "-" * len(lines[0])
    print("\n".join([lines[0], rule, *lines[1:], rule]))
    print(f"geometric mean {test}/{ref}: {results['geomean_ratio']:.2f}x")


def run_bench(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(HERE))
    from scenarios import SCENARIOS

    (test_label, test_fw), (ref_label, ref_fw) = load_frameworks(args.flask_both)
    wanted = args.scenario or [s.name for s in SCENARIOS]
    scenarios = [s for s in SCENARIOS if s.name in wanted]

    plans: list[tuple[Scenario, list[Target]]] = []
    problems: dict[str, list[str]] = {}
    for scenario in scenarios:
        try:
            targets = [prepare(scenario, test_label, scenario.make_app(test_fw))]
        except Exception as error:
            problems[scenario.name] = [
                f"{test_label} failed to set up: {type(error).__name__}: {error}"
            ]
            continue
        reference = prepare(scenario, ref_label, scenario.make_app(ref_fw))
        targets.append(reference)
        if scenario.make_werkzeug and not args.no_werkzeug:
            targets.append(prepare(scenario, "werkzeug", scenario.make_werkzeug()))
        found = check(scenario, targets, reference)
        if found:
            problems[scenario.name] = found
        plans.append((scenario, targets))

    if problems:
        print(
            f"[bench] ABORTED: the answers differ from {ref_label}'s; fix these first:",
            file=sys.stderr,
        )
        for name, found in problems.items():
            print(f"  {name}:", file=sys.stderr)
            for line in found:
                print(f"    - {line}", file=sys.stderr)
        return 1

    print(
        f"[bench] {test_fw.__name__} vs {ref_fw.__name__} {versions()['flask']}:"
        f" {args.rounds} rounds x {args.seconds}s CPU per framework per scenario",
        file=sys.stderr,
    )
    results: dict[str, t.Any] = {
        "meta": {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "python": sys.version.split()[0],
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "versions": versions(),
            "runtime_path": getattr(test_fw, "__file__", None),
            "repo_revision": repo_revision(),
            "seconds": args.seconds,
            "rounds": args.rounds,
            "flask_both": args.flask_both,
            "unit": "requests per CPU-second (time.process_time), median over rounds",
            "ratio": "median over rounds of the per-round ratio",
        },
        "scenarios": {},
    }
    for scenario, targets in plans:
        print(f"[bench] {scenario.name}: {scenario.description}", file=sys.stderr)
        bench_scenario(targets, args.seconds, args.rounds)
        test, ref = targets[0], targets[1]
        row: dict[str, t.Any] = {
            "description": scenario.description,
            "request": f"{scenario.method} {scenario.path}",
        }
        for target in targets:
            row[target.label] = {
                "median_rate": statistics.median(target.rates),
                "rates": target.rates,
                "requests": target.requests,
                "cpu_seconds": target.cpu,
            }
        # Each round's two runs sit next to each other in time, so the median of the
        # per-round ratios shrugs off drift that the ratio of two medians would not.
        row["ratio_rounds"] = [a / b for a, b in zip(test.rates, ref.rates, strict=True)]
        row["ratio"] = statistics.median(row["ratio_rounds"])
        results["scenarios"][scenario.name] = row
    ratios = [row["ratio"] for row in results["scenarios"].values()]
    results["geomean_ratio"] = math.exp(statistics.fmean(math.log(r) for r in ratios))

    print()
    print_table(results, test_label, ref_label)
    output = (
        Path(args.output).expanduser()
        if args.output
        else CACHE / "bench-results" / f"runtime-{time.strftime('%Y%m%d-%H%M%S')}.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults: {output}")
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=0.5, help="CPU seconds per framework per round (0.5)"
    )
    parser.add_argument(
        "--rounds", type=int, default=10, help="alternating rounds per scenario (10)"
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=["hello", "json", "template", "hooks", "session", "not_found", "form"],
        help="run only this scenario (repeatable)",
    )
    parser.add_argument(
        "--output", help="where to write the JSON results (default: under the cache folder)"
    )
    parser.add_argument("--venv", default=str(DEFAULT_VENV), help="the bench's own virtualenv")
    parser.add_argument(
        "--sitec-path",
        help="put this folder (it holds sitec/runtime) on PYTHONPATH instead of 'pip install -e'",
    )
    parser.add_argument("--no-werkzeug", action="store_true", help="skip the bare-werkzeug floor")
    parser.add_argument(
        "--flask-both",
        action="store_true",
        help="self-test: real Flask in both slots; the ratios should all be about 1.00",
    )
    parser.add_argument("--in-venv", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.in_venv:
        return run_bench(args)
    return run_in_venv(args, argv)


if __name__ == "__main__":
    sys.exit(main())
