"""The project's Python source: which files belong to it, their parsed ASTs,
and the AST node of a live function object.

Everything here is cached per file or folder, because the analysis asks the
same questions for thousands of routes that share a handful of modules.
"""

from __future__ import annotations

import ast
import os
import sys
import time
import types
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from ..graph.stamps import size_and_mtime
from ..graph.stamps import still_as_read

#: Top-level folders of a project that hold build output, not the app's code.
OUTPUT_FOLDERS = frozenset({"build", "dist", "_site"})
SKIPPED_PARTS = frozenset({"site-packages", "dist-packages", "__pycache__", "node_modules"})

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


class RealPaths:
    """``os.path.realpath(path)``, resolving each folder once: the files asked about
    (every module of the process, the ten thousand posts an app loads) live in few
    folders, and resolving every component of every path again is most of the cost."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        folder, name = os.path.split(path)
        if name in ("", ".", ".."):
            return os.path.realpath(path)
        if not os.path.isabs(folder):
            folder = os.path.join(os.getcwd(), folder)  # as realpath does
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = os.path.realpath(folder)
        full = os.path.join(real, name)
        return os.path.realpath(full) if os.path.islink(full) else full


class ProjectFiles:
    """Decides whether a file is the user's code and names it for evidence."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._inside: dict[str, bool] = {}
        self._real = RealPaths()
        self._venv_dirs: dict[Path, bool] = {}
        self._display: dict[str, str] = {}

    def contains(self, filename: str | None) -> bool:
        """True for a source file under the project root, outside virtualenvs,
        site-packages, hidden folders and build output."""
        if not filename or filename.startswith("<"):
            return False
        known = self._inside.get(filename)
        if known is None:
            known = self._inside[filename] = self._check(Path(filename))
        return known

    def _check(self, path: Path) -> bool:
        try:
            path = Path(self._real(str(path)))
            relative = path.relative_to(self.root)
        except (OSError, ValueError):
            return False
        parts = relative.parts
        if not parts or parts[0] in OUTPUT_FOLDERS:
            return False
        if any(part.startswith(".") or part in SKIPPED_PARTS for part in parts[:-1]):
            return False
        folder = self.root
        for part in parts[:-1]:
            folder = folder / part
            if self._is_venv(folder):
                return False
        return True

    def _is_venv(self, folder: Path) -> bool:
        known = self._venv_dirs.get(folder)
        if known is None:
            known = self._venv_dirs[folder] = (folder / "pyvenv.cfg").exists()
        return known

    def display(self, filename: str) -> str:
        """Relative to the project root, or to the ``sys.path`` entry holding it."""
        known = self._display.get(filename)
        if known is None:
            known = self._display[filename] = self._relative(filename)
        return known

    def _relative(self, filename: str) -> str:
        path = Path(filename)
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except (OSError, ValueError):
            pass
        best: str | None = None
        for entry in sys.path:
            if entry and filename.startswith(entry.rstrip("/") + "/"):
                candidate = filename[len(entry.rstrip("/")) + 1 :]
                if best is None or len(candidate) < len(best):
                    best = candidate
        return best or filename


@dataclass
class ParsedModule:
    """One parsed source file and an index of its function nodes."""

    filename: str
    tree: ast.Module
    #: ``(name, first line)`` -> nodes, first line as a code object reports it.
    functions: dict[tuple[str, int], list[FunctionNode]] = field(default_factory=dict)


class SourceCache:
    """Parses each file once and finds the AST node of a code object."""

    def __init__(self) -> None:
        self._modules: dict[str, ParsedModule | None] = {}
        #: Each parsed file's size and mtime before it was read, and when.
        self._read_as: dict[str, tuple[tuple[int, int] | None, int]] = {}

    def forget_changed(self) -> None:
        """Forget the files that changed on disk since they were parsed, and those whose
        mtime was within a tick of the file system's clock of the read (a write in the
        same tick would keep it)."""
        for filename, (seen, read_ns) in list(self._read_as.items()):
            if not still_as_read(filename, seen, read_ns):
                del self._modules[filename], self._read_as[filename]

    def parse(self, filename: str) -> ParsedModule | None:
        if filename in self._modules:
            return self._modules[filename]
        parsed: ParsedModule | None = None
        self._read_as[filename] = (size_and_mtime(filename), time.time_ns())
        try:
            source = Path(filename).read_text(encoding="utf-8")
            tree = ast.parse(source, filename)
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            tree = None
        if tree is not None:
            parsed = ParsedModule(filename, tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                    parsed.functions.setdefault((node.name, first), []).append(node)
                elif isinstance(node, ast.Lambda):
                    parsed.functions.setdefault(("<lambda>", node.lineno), []).append(node)
        self._modules[filename] = parsed
        return parsed

    def function_nodes(self, code: types.CodeType) -> list[FunctionNode]:
        """The nodes a code object was compiled from; several lambdas on one
        line all come back, since their code objects cannot be told apart."""
        parsed = self.parse(code.co_filename)
        if parsed is None:
            return []
        return parsed.functions.get((code.co_name, code.co_firstlineno), [])


def function_code(obj: object) -> types.CodeType | None:
    """The code object of a plain Python function, else ``None``."""
    code = getattr(obj, "__code__", None) if isinstance(obj, types.FunctionType) else None
    return code if isinstance(code, types.CodeType) else None


def unwrap_callable(obj: object) -> object:
    """Through bound methods, ``staticmethod``/``classmethod`` and ``functools.partial``."""
    for _ in range(20):
        if isinstance(obj, types.MethodType | staticmethod | classmethod):
            obj = obj.__func__
        elif type(obj).__name__ == "partial" and hasattr(obj, "func"):
            obj = obj.func  # type: ignore[attr-defined]
        else:
            return obj
    return obj


def loaded_modules_in(files: ProjectFiles) -> list[types.ModuleType]:
    """The project's modules the app has imported."""
    found = []
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if isinstance(module, types.ModuleType) and filename and files.contains(filename):
            found.append(module)
    return found
