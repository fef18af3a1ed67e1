"""The benchmarks' own virtualenv, where the anchors (real Flask, Frozen-Flask) live.

Neither may ever be a dependency of sitec, so each benchmark makes (or reuses) one
virtualenv under the cache folder and installs them there with pip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FLASK_VERSION = "3.1.3"
FROZEN_FLASK_VERSION = "1.0.2"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sitec"
DEFAULT_VENV = CACHE / "bench-venv"

#: What :func:`probe` says of one distribution: version and install URL, or None if absent.
Found: t.TypeAlias = dict[str, str | None] | None


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


_PROBE = """
import importlib.metadata as m, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        dist = m.distribution(name)
    except m.PackageNotFoundError:
        out[name] = None
        continue
    url = json.loads(dist.read_text("direct_url.json") or "{}").get("url")
    out[name] = {"version": dist.version, "url": url}
print(json.dumps(out))
"""


def make_venv(venv: Path) -> Path:
    """The venv's python, creating the venv first if it is not there."""
    python = venv_python(venv)
    if not python.exists():
        print(f"[bench] creating the virtualenv {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return python


def probe(python: Path, *names: str) -> dict[str, Found]:
    """Per distribution name: its version and ``direct_url.json`` URL, or None if absent."""
    return json.loads(
        subprocess.run(
            [str(python), "-I", "-c", _PROBE, *names], capture_output=True, text=True, check=True
        ).stdout
    )


def pip_install(python: Path, *requirement: str) -> bool:
    print(f"[bench] pip install {' '.join(requirement)}", file=sys.stderr)
    cmd = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *requirement]
    return subprocess.run(cmd).returncode == 0


def ensure_pinned(python: Path, found: dict[str, Found], name: str, version: str) -> None:
    """Install ``name==version`` unless ``found`` (from :func:`probe`) says it is there."""
    if (found.get(name) or {}).get("version") == version:
        return
    if not pip_install(python, f"{name}=={version}"):
        sys.exit(f"[bench] could not install {name}=={version} into {python.parent.parent}")


def repo_revision() -> str | None:
    """The repo's commit, marked ``+dirty`` when the tree has changes; None outside git."""
    git = ["git", "-C", str(REPO)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return None
    dirty = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True).stdout
    return head.stdout.strip() + ("+dirty" if dirty.strip() else "")
