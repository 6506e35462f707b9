"""gradcheck's layout, measured: its files, and the import arrows between them.

    python benchmarks/gradcheck_layout.py            # this checkout
    python benchmarks/gradcheck_layout.py ../other   # another checkout, to compare

An arrow is one file importing another of gradcheck's files (at module level or
inside a function), counted once per pair; ``__init__.py`` is left out, as it
only re-exports.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def _imported(node: ast.AST, names: set[str]) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.module:
        if node.module == "gradcheck":
            return [a.name for a in node.names if a.name in names]
        if node.module.startswith("gradcheck."):
            return [node.module.split(".")[1]]
    if isinstance(node, ast.Import):
        return [a.name.split(".")[1] for a in node.names if a.name.startswith("gradcheck.")]
    return []


def layout(root: Path) -> tuple[int, int, int]:
    """``(files, import arrows, lines)`` of ``root/gradcheck``."""
    files = sorted(p for p in (root / "gradcheck").glob("*.py") if p.stem != "__init__")
    names = {p.stem for p in files}
    arrows = {
        (p.stem, target)
        for p in files
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        for target in _imported(node, names)
        if target != p.stem and target in names
    }
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in files)
    return len(files), len(arrows), lines


if __name__ == "__main__":
    where = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    n_files, n_arrows, n_lines = layout(where)
    print(f"gradcheck: {n_files} files, {n_arrows} import arrows between them, {n_lines} lines")
