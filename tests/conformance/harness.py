"""Run Flask's own test suite against ``sitec.runtime`` and count what passes.

The suite comes from the Flask sdist, downloaded from the package registry into a
cache outside the repo; only its ``tests/`` folder is extracted. It runs in a
subprocess pytest whose plugin (``alias_plugin``) installs the ``flask`` alias
first, so the alias never leaks into the calling process. The plugin writes one
JSON record per test phase; this module folds them into per-test outcomes, a
per-file table and a summary checked against ``floor.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

FLASK_VERSION = "3.1.3"
HERE = Path(__file__).resolve().parent
FLOOR_FILE = HERE / "floor.txt"
KNOWN_FAILURES_FILE = HERE / "known_failures.txt"

#: The settings of Flask's own ``[tool.pytest.ini_options]`` that change outcomes.
PYTEST_INI = """\
[pytest]
testpaths = tests
filterwarnings =
    error
"""

OUTCOMES = ("passed", "failed", "skipped", "xfailed", "xpassed")


class DownloadError(Exception):
    """The Flask sdist could not be fetched (usually: no network)."""


class HarnessError(Exception):
    """Flask's suite did not run, or did not run against ``sitec.runtime``."""


@dataclass
class TestResult:
    outcome: str
    message: str = ""


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def cache_dir() -> Path:
    """``$SITEC_CONFORMANCE_CACHE``, else ``$XDG_CACHE_HOME/sitec/conformance``."""
    explicit = os.environ.get("SITEC_CONFORMANCE_CACHE")
    if explicit:
        return Path(explicit).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser().resolve() / "sitec" / "conformance"


def fetch_suite(cache: Path) -> Path:
    """Return a folder holding Flask's ``tests/``, downloading the sdist if needed."""
    root = cache / f"flask-{FLASK_VERSION}"
    if not (root / ".complete").exists():
        _extract_tests(_download_sdist(cache), cache, root)
    (root / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    return root


def _download_sdist(cache: Path) -> Path:
    dest = cache / "sdist"
    archive = dest / f"flask-{FLASK_VERSION}.tar.gz"
    if archive.exists():
        return archive
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--disable-pip-version-check",
        f"flask=={FLASK_VERSION}",
        "-d",
        str(dest),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DownloadError(f"`pip download flask=={FLASK_VERSION}` did not finish: {exc}")
    if proc.returncode != 0 or not archive.exists():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise DownloadError(
            f"`pip download flask=={FLASK_VERSION}` failed (exit {proc.returncode}):\n{tail}"
        )
    return archive


def _extract_tests(archive: Path, cache: Path, root: Path) -> None:
    """Unpack only ``flask-X/tests/`` into ``root``, atomically."""
    prefix = f"flask-{FLASK_VERSION}/tests/"
    with tarfile.open(archive) as tar:
        members = [
            m
            for m in tar.getmembers()
            if m.name.startswith(prefix)
            and ".." not in Path(m.name).parts
            and (m.isfile() or m.isdir())
        ]
        if not members:
            raise DownloadError(f"{archive} has no {prefix} folder")
        staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=cache))
        try:
            extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(staging, members=members, **extra)
            (staging / f"flask-{FLASK_VERSION}" / ".complete").touch()
            shutil.rmtree(root, ignore_errors=True)
            os.replace(staging / f"flask-{FLASK_VERSION}", root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def read_floor() -> int:
    return int(FLOOR_FILE.read_text(encoding="utf-8").strip() or 0)


def read_known_failures(path: Path = KNOWN_FAILURES_FILE) -> dict[str, str]:
    """Parse ``<node id> -- <reason>`` lines; ``#`` starts a comment line."""
    known: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        nodeid, sep, reason = line.partition(" -- ")
        if not sep or not reason.strip():
            raise ValueError(f"{path}:{number}: expected '<node id> -- <reason>', got {raw!r}")
        known[nodeid.strip()] = reason.strip()
    return known


def _known_entry(nodeid: str, known: dict[str, str]) -> str | None:
    """The entry of ``known`` that covers ``nodeid``: itself, its file/class, or all params."""
    for entry in known:
        if nodeid == entry or nodeid.startswith((entry + "::", entry + "[")):
            return entry
    return None


def run_suite(
    root: Path, cache: Path, pytest_args: t.Sequence[str] = (), timeout: float | None = None
) -> tuple[list[dict[str, t.Any]], int | None, Path]:
    """Run Flask's suite in a subprocess; return its records, exit code and log file.

    The exit code is ``None`` when the run was killed for exceeding ``timeout``.
    """
    log = cache / "last-run.log"
    if timeout is None:
        timeout = float(os.environ.get("SITEC_CONFORMANCE_TIMEOUT", "300"))
    with tempfile.TemporaryDirectory(prefix="sitec-conformance-") as work:
        report = Path(work) / "report.jsonl"
        env = dict(os.environ)
        env.pop("PYTEST_ADDOPTS", None)
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
        # Only the entries that provide ``sitec``: other tests put their apps'
        # folders on sys.path, and Flask's CLI tests must not find an ``app.py``.
        env["SITEC_CONFORMANCE_SYSPATH"] = os.pathsep.join(
            os.path.abspath(p) for p in sys.path if os.path.isdir(os.path.join(p or ".", "sitec"))
        )
        env["SITEC_CONFORMANCE_REPORT"] = str(report)
        env.setdefault("SITEC_CONFORMANCE_TEST_TIMEOUT", "30")
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "alias_plugin",
            "-p",
            "no:cacheprovider",
            "-c",
            str(root / "pytest.ini"),
            "--rootdir",
            str(root),
            "-o",
            "addopts=",
            "--basetemp",
            str(Path(work) / "basetemp"),
            "--continue-on-collection-errors",
            "-q",
            *(pytest_args or ["tests"]),
        ]
        with open(log, "w", encoding="utf-8") as out:
            proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
            try:
                code: int | None = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                code = None
        records = []
        if report.exists():
            for line in report.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    records.append(json.loads(line))
    return records, code, log


def fold(records: t.Iterable[dict[str, t.Any]]) -> dict[str, TestResult]:
    """Turn per-phase records into one outcome per node id (collect errors count as failed)."""
    results: dict[str, TestResult] = {}
    started: list[str] = []
    for rec in records:
        kind = rec["type"]
        if kind == "start":
            started.append(rec["nodeid"])
            continue
        if kind not in ("test", "collect"):
            continue
        nodeid, outcome = rec["nodeid"], rec["outcome"]
        if outcome == "failed":
            new = "failed"
        elif outcome == "skipped":
            new = "xfailed" if rec.get("xfail") else "skipped"
        elif rec.get("when") == "call":
            new = "xpassed" if rec.get("xfail") else "passed"
        else:
            continue
        current = results.get(nodeid)
        if current is None or (new == "failed" and current.outcome != "failed"):
            results[nodeid] = TestResult(new, rec.get("message", ""))
    for nodeid in started:
        if nodeid not in results:
            results[nodeid] = TestResult("failed", "did not finish: the run crashed or timed out")
    return results


def summarize(
    results: dict[str, TestResult], known: dict[str, str], floor: int
) -> dict[str, t.Any]:
    counts = dict.fromkeys(OUTCOMES, 0)
    files: dict[str, dict[str, int]] = {}
    known_report: dict[str, dict[str, t.Any]] = {
        entry: {"reason": reason, "outcomes": {}} for entry, reason in known.items()
    }
    for nodeid, result in sorted(results.items()):
        entry = _known_entry(nodeid, known)
        if entry is not None:
            known_report[entry]["outcomes"][nodeid] = result.outcome
            continue
        counts[result.outcome] += 1
        row = files.setdefault(nodeid.split("::")[0], dict.fromkeys(OUTCOMES, 0))
        row[result.outcome] += 1
    return {
        "flask_version": FLASK_VERSION,
        "floor": floor,
        **counts,
        "total": sum(counts.values()),
        "files": files,
        "known_failures": known_report,
    }


def run_conformance(pytest_args: t.Sequence[str] = ()) -> dict[str, t.Any]:
    """Fetch, run and summarize; write ``summary.json`` and ``results.json`` to the cache."""
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    root = fetch_suite(cache)
    started = time.monotonic()
    records, code, log = run_suite(root, cache, pytest_args)
    seconds = round(time.monotonic() - started, 1)
    session = next((r for r in records if r["type"] == "session"), None)
    results = fold(records)
    tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])
    if session is None or not results:
        raise HarnessError(
            f"Flask's suite did not run (pytest exit {code}); last lines of {log}:\n{tail}"
        )
    if not session["flask_is_runtime"]:
        raise HarnessError(f"`flask` resolved to {session['flask_file']}, not sitec.runtime")
    summary = summarize(results, read_known_failures(), read_floor())
    summary.update(
        pytest_args=list(pytest_args),
        exit_code=code,
        timed_out=code is None,
        seconds=seconds,
        summary_file=str(cache / "summary.json"),
        results_file=str(cache / "results.json"),
        log_file=str(log),
    )
    detail = {nodeid: vars(result) for nodeid, result in sorted(results.items())}
    (cache / "results.json").write_text(json.dumps(detail, indent=1) + "\n", encoding="utf-8")
    (cache / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary


def headline(summary: dict[str, t.Any]) -> str:
    extras = [f"{summary[k]} {k}" for k in ("skipped", "xfailed", "xpassed") if summary[k]]
    known = sum(len(k["outcomes"]) for k in summary["known_failures"].values())
    text = f"Flask {summary['flask_version']} suite: {summary['passed']} passed, "
    text += ", ".join([f"{summary['failed']} failed", *extras])
    text += f" (floor {summary['floor']}"
    if known:
        text += f"; {known} known failures not counted"
    if summary.get("timed_out"):
        text += "; TIMED OUT"
    return text + f"; {summary.get('seconds', 0)}s)"


def table(summary: dict[str, t.Any]) -> str:
    width = max([len("file"), *map(len, summary["files"])])
    cols = ("passed", "failed", "skipped")
    lines = [f"{'file':<{width}}  " + "  ".join(f"{c:>7}" for c in cols)]
    for name, row in summary["files"].items():
        skipped = row["skipped"] + row["xfailed"]
        cells = (row["passed"] + row["xpassed"], row["failed"], skipped)
        lines.append(f"{name:<{width}}  " + "  ".join(f"{n:>7}" for n in cells))
    for entry, info in summary["known_failures"].items():
        outcomes = sorted(set(info["outcomes"].values())) or ["no such test (stale entry?)"]
        lines.append(f"known failure {entry}: {'/'.join(outcomes)} -- {info['reason']}")
    return "\n".join(lines)


def main(argv: t.Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.conformance",
        description="Run Flask's test suite against sitec.runtime. Unknown arguments"
        " (e.g. tests/test_basic.py -k json) are passed to the inner pytest.",
    )
    parser.add_argument(
        "--update-floor", action="store_true", help="raise floor.txt to the passed count"
    )
    parser.add_argument(
        "--failures", action="store_true", help="list each failed test with its error"
    )
    args, pytest_args = parser.parse_known_args(argv)
    if args.update_floor and pytest_args:
        parser.error("--update-floor needs the whole suite: pass no pytest arguments")
    try:
        summary = run_conformance(pytest_args)
    except (DownloadError, HarnessError) as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.failures:
        detail = json.loads(Path(summary["results_file"]).read_text(encoding="utf-8"))
        for nodeid, result in detail.items():
            if result["outcome"] == "failed":
                first = (result["message"].splitlines() or [""])[0]
                print(f"FAILED {nodeid}: {first}")
    print(table(summary))
    print(headline(summary))
    print(f"summary: {summary['summary_file']}")
    passed, floor = summary["passed"], summary["floor"]
    if args.update_floor and passed > floor:
        FLOOR_FILE.write_text(f"{passed}\n", encoding="utf-8")
        print(f"floor raised {floor} -> {passed}")
    elif passed > floor and not pytest_args:
        print(f"floor can be raised to {passed}: python -m tests.conformance --update-floor")
    return 0 if passed >= floor and not summary["timed_out"] else 1
