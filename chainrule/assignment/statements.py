"""Where a marked solution sits in the code: its function, and whole statements.

Helpers of :mod:`chainrule.assignment.markers`, on the file's :mod:`ast`:
which function a line belongs to (for the stub's ``Class.method:`` prefix),
and whether a region of lines holds whole statements (so replacing it by one
line leaves valid Python).
"""

from __future__ import annotations

import ast

from chainrule.assignment.errors import MarkerError


def function_spans(tree: ast.AST) -> list[tuple[int, int, str]]:
    """``(first, last, qualified name)`` of every function, outermost first."""
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def owner_of(spans: list[tuple[int, int, str]], first: int) -> str:
    # A function's AST ends at its last statement, before a trailing END
    # SOLUTION comment, so only the region's first line decides.
    inside = [s for s in spans if s[0] < first <= s[1]]
    return max(inside, key=lambda s: s[0])[2] if inside else "<module>"


def check_statements(tree: ast.AST, first: int, last: int, where: str) -> ast.stmt | None:
    """Refuse a region that cuts a statement; return the outermost one on line ``first``.

    A statement must lie wholly inside the region, wholly outside it, or be a
    compound statement (``def``, ``if``, ``for``...) whose body holds it.
    """
    outermost: ast.stmt | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        lo, hi = node.lineno, node.end_lineno or node.lineno
        if hi < first or lo > last:
            continue
        if first <= lo and hi <= last:
            if lo == first and (outermost is None or node.col_offset < outermost.col_offset):
                outermost = node
            continue
        if lo < first and hi >= last and hasattr(node, "body"):
            continue  # a compound statement around the region
        raise MarkerError(
            f"{where}: the solution cuts the statement on lines {lo}-{hi} in two; "
            f"mark whole statements (use a BEGIN/END SOLUTION block for several lines)"
        )
    return outermost
