"""What went wrong in a rebuild, as the terminal and the browser's overlay show it:
the message, the place (``file:line``) and that line of the source.

Build problems and app load errors already name their place in their message
(``site_app/views.py:28: TypeError: ...``, see :mod:`sitec.compiler.render` and
:mod:`sitec.compiler.load`) or in their evidence; :func:`report_of` finds it and reads
the line from the file, so the overlay can show it without a traceback.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass
from pathlib import Path

from ..model import Problem

#: ``path:line:`` where a path starts a line or follows a space.
_PLACE = re.compile(r"(?:^|(?<=\s))(?P<file>[^\s:][^:\n]*?):(?P<line>\d+):", re.M)


@dataclass(frozen=True)
class ErrorReport:
    """One error of a rebuild."""

    message: str
    #: Relative to the project (a template's file too), ``None`` when no place is known.
    file: str | None = None
    line: int | None = None
    #: The text of that line, stripped.
    code: str | None = None

    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def to_json(self) -> dict[str, t.Any]:
        return {"message": self.message, "file": self.file, "line": self.line, "code": self.code}

    def terminal_text(self) -> str:
        """The report for the terminal: the message, then the line of code under it."""
        text = self.message
        if self.code:
            text += f"\n    {self.where()}: {self.code}"
        return text


def report_of(message: str, project_root: Path, problem: Problem | None = None) -> ErrorReport:
    """The report of an error message; its place is the first ``file:line`` in it of a
    file in the project, else the problem's evidence."""
    for match in _PLACE.finditer(message):
        path = project_root / match["file"]
        if path.is_file():
            line = int(match["line"])
            return ErrorReport(message, match["file"], line, _line_of(path, line))
    evidence = problem.evidence if problem is not None else None
    if evidence is not None and evidence.file is not None:
        path = project_root / evidence.file
        code = _line_of(path, evidence.line) if evidence.line is not None else None
        return ErrorReport(message, evidence.file, evidence.line, code)
    return ErrorReport(message)


def _line_of(path: Path, line: int) -> str | None:
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            for number, text in enumerate(f, 1):
                if number == line:
                    return text.strip()
    except OSError:
        pass
    return None
