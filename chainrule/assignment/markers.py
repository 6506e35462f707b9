"""Solution markers: turn an instructor's solution file into a student's stub file.

Two markers, in the convention otter-grader and nbgrader made familiar::

    def backward(self, grad_out):
        '''Docstring the student keeps.'''
        # BEGIN SOLUTION fill W.grad and b.grad, return the input's gradient
        ...solution lines...
        # END SOLUTION

    return g * h * (1 - h)  # SOLUTION

A block (with an optional prompt after ``BEGIN SOLUTION``) and a single line
ending in ``# SOLUTION`` are each replaced by one line,
``raise NotImplementedError("<Class.method>: <prompt>")``, at the indentation
of the code they replace; signatures and docstrings stay. A single line at
module level that assigns a name becomes ``name = ...`` instead, so the module
still imports.

Markers are found with :mod:`tokenize`, so text that merely looks like a
marker inside a string is left alone. Nested, unclosed or stray markers, and
markers that would cut a statement in two, raise :class:`MarkerError` naming
the file and line.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

from chainrule.assignment.errors import MarkerError
from chainrule.assignment.statements import check_statements, function_spans, owner_of

_BEGIN = re.compile(r"#\s*BEGIN SOLUTION\b[:\s]*(?P<prompt>.*?)\s*$")
_END = re.compile(r"#\s*END SOLUTION\s*$")
_LINE = re.compile(r"#\s*SOLUTION\s*$")


@dataclass(frozen=True)
class Solution:
    """One marked solution: where it is (1-based lines) and what replaces it."""

    first: int
    last: int
    owner: str  # "Linear.backward", or "<module>"
    stub: str  # the replacement line, without indentation


def _comments(text: str, path: str) -> list[tuple[int, str, bool]]:
    """``(line, comment, alone_on_its_line)`` for every comment in ``text``."""
    lines = text.splitlines()
    found = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                row, col = tok.start
                found.append((row, tok.string, lines[row - 1][:col].strip() == ""))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise MarkerError(f"{path}: cannot read the file as Python: {exc}") from exc
    return found


def _quote(message: str) -> str:
    """A Python string literal for ``message``, in double quotes as ruff formats them."""
    if '"' in message or "\\" in message or not message.isprintable():
        return repr(message)
    return f'"{message}"'


def _line_stub(stmt: ast.stmt | None, owner: str, where: str) -> str:
    if owner == "<module>":
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            return " = ".join(ast.unparse(t) for t in targets) + " = ...  # your answer here"
        raise MarkerError(
            f"{where}: a # SOLUTION line at module level must assign a name "
            f"(a stub there would break the import); move it into a function"
        )
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        what = f"compute {', '.join(ast.unparse(t) for t in targets)}"
    elif isinstance(stmt, ast.Return):
        what = "return the result"
    else:
        what = "write this line"
    return f"raise NotImplementedError({_quote(f'{owner}: {what}')})"


def find_solutions(text: str, path: str = "<string>") -> list[Solution]:
    """Every solution marked in ``text``, in order; :class:`MarkerError` if malformed."""
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise MarkerError(f"{path}:{exc.lineno}: not valid Python: {exc.msg}") from exc
    spans = function_spans(tree)
    solutions: list[Solution] = []
    open_line: int | None = None
    prompt = ""
    for row, comment, alone in _comments(text, path):
        where = f"{path}:{row}"
        begin, end, line = _BEGIN.match(comment), _END.match(comment), _LINE.match(comment)
        if (begin or end) and not alone:
            raise MarkerError(f"{where}: '{comment}' must be on a line of its own")
        if begin:
            if open_line is not None:
                raise MarkerError(
                    f"{where}: nested BEGIN SOLUTION; the block opened at line "
                    f"{open_line} is not closed yet"
                )
            open_line, prompt = row, begin.group("prompt")
        elif end:
            if open_line is None:
                raise MarkerError(f"{where}: END SOLUTION without a BEGIN SOLUTION before it")
            solutions.append(_block(text, tree, spans, open_line, row, prompt, path))
            open_line = None
        elif line:
            if alone:
                raise MarkerError(f"{where}: a '# SOLUTION' marker must end a line of code")
            if open_line is not None:
                raise MarkerError(
                    f"{where}: '# SOLUTION' inside the BEGIN SOLUTION block opened at "
                    f"line {open_line}; nested solutions are not allowed"
                )
            owner = owner_of(spans, row)
            stmt = check_statements(tree, row, row, where)
            if stmt is None:
                raise MarkerError(f"{where}: '# SOLUTION' must end a line of code")
            solutions.append(Solution(row, row, owner, _line_stub(stmt, owner, where)))
    if open_line is not None:
        raise MarkerError(f"{path}:{open_line}: BEGIN SOLUTION is never closed by END SOLUTION")
    return solutions


def _block(
    text: str,
    tree: ast.AST,
    spans: list[tuple[int, int, str]],
    first: int,
    last: int,
    prompt: str,
    path: str,
) -> Solution:
    where = f"{path}:{first}"
    lines = text.splitlines()[first : last - 1]
    code = [first + 1 + i for i, ln in enumerate(lines) if ln.strip() and ln.strip()[0] != "#"]
    if not code:
        raise MarkerError(f"{where}: the solution block holds no code")
    owner = owner_of(spans, code[0])
    if owner == "<module>":
        raise MarkerError(
            f"{where}: a BEGIN/END SOLUTION block must lie inside a function "
            f"(a stub at module level would break the import)"
        )
    check_statements(tree, code[0], code[-1], where)
    message = f"{owner}: {prompt or 'your code here'}"
    return Solution(first, last, owner, f"raise NotImplementedError({_quote(message)})")


def _indented(stub: str, indent: str, width: int = 99) -> str:
    """``stub`` at ``indent``; a long ``raise X("...")`` is split over three lines."""
    head, paren, rest = stub.partition("(")
    if len(indent) + len(stub) <= width or not paren or not stub.startswith("raise "):
        return f"{indent}{stub}\n"
    return f"{indent}{head}(\n{indent}    {rest[:-1]}\n{indent})\n"


def strip_solutions(text: str, path: str = "<string>") -> tuple[str, list[Solution]]:
    """Return the student's version of ``text`` and the solutions it replaced."""
    solutions = find_solutions(text, path)
    lines = text.splitlines(keepends=True)
    for sol in reversed(solutions):
        body = lines[sol.first : sol.last - 1] if sol.last > sol.first else [lines[sol.first - 1]]
        code = [ln for ln in body if ln.strip() and not ln.lstrip().startswith("#")]
        indent = code[0][: len(code[0]) - len(code[0].lstrip())]
        lines[sol.first - 1 : sol.last] = [_indented(sol.stub, indent)]
    student = "".join(lines)
    try:
        compile(student, path, "exec")
    except SyntaxError as exc:  # e.g. a block that swallowed an ``else:`` line
        raise MarkerError(
            f"{path}:{exc.lineno}: replacing the solutions leaves invalid Python "
            f"({exc.msg}); make each block hold whole statements"
        ) from exc
    return student, solutions
