"""Screenshots of the example site and of its build report, taken in headless Chromium.

    python screenshots.py [--out screenshots] [--chromium /usr/bin/chromium]

Run it in ``example_site/``. It runs ``sitec build`` and ``sitec build --explain``
in a pseudo-terminal (so the report keeps its colours), turns each report into an
HTML page, serves the app with sitec's runtime on a free
local port, and has Chromium's own ``--screenshot`` flag take each picture. It needs
Chromium (on Debian: ``apt-get install chromium``) and nothing else beyond sitec.
"""

from __future__ import annotations

import argparse
import html
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--hide-scrollbars",
    "--no-first-run",
]
_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_OTHER_CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]")
_COLOURS = {"31": "#ff7b72", "32": "#7ee787", "33": "#e3b341"}


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    width: int
    height: int
    scale: int = 1


SHOTS = [
    Shot("home-desktop", "/", 1280, 1000),
    Shot("home-phone", "/", 390, 844, scale=2),
    Shot("post-desktop", "/posts/writing-an-atom-feed-by-hand/", 1280, 1000),
    Shot("search-desktop", "/search?q=cache+headers", 1280, 760),
]


def build_report(*flags: str) -> str:
    """What ``sitec build`` prints in a terminal here, colours included.

    It runs exactly as a reader would run it, so it writes ``_site/`` (git ignores it);
    ``_site/`` and the build record are removed first, so the report is the one of a
    first build, as on a fresh checkout.
    """
    shutil.rmtree(HERE / "_site", ignore_errors=True)
    shutil.rmtree(HERE / ".sitec-cache", ignore_errors=True)
    sitec = Path(sys.executable).with_name("sitec")
    leader, follower = pty.openpty()
    env = dict(os.environ, COLUMNS="220", TERM="xterm-256color")
    command = [str(sitec), "build", *flags]
    with subprocess.Popen(command, cwd=HERE, stdout=follower, stderr=follower, env=env) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the build has ended
                break
            if not chunk:
                break
            chunks.append(chunk)
    os.close(leader)
    output = b"".join(chunks).decode()
    if proc.returncode != 0:
        raise SystemExit(f"sitec build failed:\n{output}")
    return terminal_text(output)


def terminal_text(output: str) -> str:
    """What a terminal shows of ``output``: a carriage return lets the rest of the
    line overwrite it (the build's progress counter), cursor moves are dropped."""
    output = _OTHER_CSI.sub("", output.replace("\r\n", "\n"))
    return "\n".join(line.rsplit("\r", 1)[-1] for line in output.split("\n"))


def ansi_to_html(text: str) -> str:
    """Terminal text with bold and colour escapes as HTML spans."""
    out: list[str] = []
    bold, colour = False, None
    position = 0
    for match in _SGR.finditer(text + "\x1b[0m"):
        piece = html.escape(text[position : match.start()])
        if piece:
            style = ";".join(
                part
                for part in ("font-weight:700" if bold else "", f"color:{colour}" if colour else "")
                if part
            )
            out.append(f'<span style="{style}">{piece}</span>' if style else piece)
        for code in match.group(1).split(";") or ["0"]:
            if code in {"", "0"}:
                bold, colour = False, None
            elif code == "1":
                bold = True
            elif code == "22":
                bold = False
            elif code == "39":
                colour = None
            elif code in _COLOURS:
                colour = _COLOURS[code]
        position = match.end()
    return "".join(out)


def report_page(report: str, command: str) -> str:
    body = ansi_to_html(report.rstrip("\n"))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{command}</title>
<style>
  body {{ margin: 0; background: #0d1117; }}
  .window {{ margin: 24px; border-radius: 10px; overflow: hidden; background: #161b22;
             box-shadow: 0 8px 30px rgb(0 0 0 / 50%); }}
  .bar {{ padding: 10px 14px; background: #21262d; color: #8b949e;
          font: 13px system-ui, sans-serif; }}
  pre {{ margin: 0; padding: 16px 20px; color: #e6edf3;
         font: 13px/1.45 "DejaVu Sans Mono", ui-monospace, monospace; }}
</style></head>
<body><div class="window"><div class="bar">example_site $ {command}</div>
<pre>{body}</pre></div></body></html>
"""


def serve_app() -> str:
    """Start the example app on a free local port, in a daemon thread; its base URL."""
    import sitec.runtime

    sitec.runtime.install_flask_alias()
    sys.path.insert(0, str(HERE))
    from publication import create_app
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def screenshot(chromium: str, url: str, out: Path, width: int, height: int, scale: int) -> None:
    with tempfile.TemporaryDirectory(prefix="sitec-chromium-") as profile:
        command = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--force-device-scale-factor={scale}",
            f"--screenshot={out}",
            url,
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or not out.is_file():
        raise SystemExit(f"chromium could not take {out.name}:\n{result.stderr}")
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "screenshots")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    if not Path(args.chromium).is_file():
        raise SystemExit(f"no Chromium at {args.chromium}; on Debian: apt-get install chromium")
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="sitec-screenshots-") as tmp:
        for name, flags in (("build-report", ()), ("build-explain", ("--explain",))):
            report = build_report(*flags)
            page = Path(tmp) / f"{name}.html"
            page.write_text(report_page(report, " ".join(["sitec build", *flags])), "utf-8")
            width = 100 + int(max(map(len, report.splitlines())) * 8)
            height = 110 + int((report.count("\n") + 1) * 13 * 1.45)
            screenshot(args.chromium, page.as_uri(), args.out / f"{name}.png", width, height, 1)

    base = serve_app()
    for shot in SHOTS:
        out = args.out / f"{shot.name}.png"
        screenshot(args.chromium, base + shot.path, out, shot.width, shot.height, shot.scale)


if __name__ == "__main__":
    main()
