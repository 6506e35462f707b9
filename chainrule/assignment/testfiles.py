"""Read an assignment's test files without importing them.

Every ``test_*`` function at the top level of a ``test_*.py`` file must carry
``@points(...)`` with literal arguments. Reading them from the source (with
:mod:`ast`) means the grader knows every test and its points before any
student code runs, and can strip hidden tests from the student's copy.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.partial import PARTIAL_WITH_GIVEN
from chainrule.assignment.settings import FEEDBACK_LEVELS


@dataclass(frozen=True)
class GradedTest:
    """One graded test, as declared in its file."""

    file: str  # path relative to the tests directory, with "/" separators
    function: str
    points: float
    hidden: bool
    timeout: float | None
    doc: str  # first line of the docstring, "" if none
    first: int  # first line, decorators included
    last: int
    uses_hypothesis: bool  # the file imports hypothesis (or gradcheck.strategies)
    feedback: str | None = None  # "hints", "full" or "minimal"; None: the assignment's setting
    partial: bool = False  # a failed gradient check earns the share of its right tensors

    @property
    def node_id(self) -> str:
        """pytest's id for the test, relative to the tests directory."""
        return f"{self.file}::{self.function}"


def _points_call(func: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Call | None:
    for deco in func.decorator_list:
        if isinstance(deco, ast.Call):
            name = deco.func
            if (isinstance(name, ast.Name) and name.id == "points") or (
                isinstance(name, ast.Attribute) and name.attr == "points"
            ):
                return deco
    return None


def _literal(node: ast.expr, where: str) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError as exc:
        raise AssignmentError(
            f"{where}: the arguments of @points must be literals (e.g. @points(2, "
            f"hidden=True)), got {ast.unparse(node)!r}"
        ) from exc


def _uses_given(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """The test is decorated with hypothesis's ``@given`` (``given(...)``, ``hypothesis.given``)."""
    for deco in func.decorator_list:
        call = deco.func if isinstance(deco, ast.Call) else deco
        if (isinstance(call, ast.Name) and call.id == "given") or (
            isinstance(call, ast.Attribute) and call.attr == "given"
        ):
            return True
    return False


def _imports_hypothesis(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        if any(n.split(".")[0] == "hypothesis" or n.startswith("gradcheck.strat") for n in names):
            return True
    return False


def read_test_file(path: Path, rel: str) -> list[GradedTest]:
    """The graded tests of one file, in source order."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        raise AssignmentError(f"{path}:{exc.lineno}: not valid Python: {exc.msg}") from exc
    hypothesis = _imports_hypothesis(tree)
    specs = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            raise AssignmentError(
                f"{path}:{node.lineno}: test classes are not graded; write the tests of "
                f"{node.name} as top-level test_* functions, each with @points(...)"
            )
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if not node.name.startswith("test"):
            continue
        where = f"{path}:{node.lineno}"
        call = _points_call(node)
        if call is None:
            raise AssignmentError(
                f"{where}: {node.name} has no @points(...); every test needs one "
                f"(use @points(0) for an ungraded check)"
            )
        if len(call.args) != 1:
            raise AssignmentError(f"{where}: @points takes one positional argument, the points")
        value = _literal(call.args[0], where)
        options = {str(kw.arg): _literal(kw.value, where) for kw in call.keywords}
        unknown = set(options) - {"hidden", "timeout", "feedback", "partial"}
        if unknown:
            raise AssignmentError(f"{where}: @points got unknown argument(s) {sorted(unknown)}")
        hidden, timeout = options.get("hidden", False), options.get("timeout")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise AssignmentError(f"{where}: points must be a number ≥ 0, got {value!r}")
        if not isinstance(hidden, bool):
            raise AssignmentError(f"{where}: hidden must be True or False, got {hidden!r}")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise AssignmentError(f"{where}: timeout must be a positive number, got {timeout!r}")
        partial = options.get("partial", False)
        if not isinstance(partial, bool):
            raise AssignmentError(f"{where}: partial must be True or False, got {partial!r}")
        if partial and _uses_given(node):
            raise AssignmentError(f"{where}: {node.name}: {PARTIAL_WITH_GIVEN}")
        feedback = options.get("feedback")
        if feedback is not None and feedback not in FEEDBACK_LEVELS:
            raise AssignmentError(
                f"{where}: feedback must be one of {FEEDBACK_LEVELS}, got {feedback!r}"
            )
        doc = (ast.get_docstring(node) or "").strip().splitlines()
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        specs.append(
            GradedTest(
                file=rel,
                function=node.name,
                points=float(value),
                hidden=hidden,
                timeout=None if timeout is None else float(timeout),
                feedback=feedback,
                partial=partial,
                doc=doc[0] if doc else "",
                first=first,
                last=node.end_lineno or node.lineno,
                uses_hypothesis=hypothesis,
            )
        )
    return specs


def find_test_files(tests_dir: Path) -> list[Path]:
    """The ``test_*.py`` files under ``tests_dir``, sorted."""
    return sorted(p for p in tests_dir.rglob("test_*.py") if "__pycache__" not in p.parts)


def discover(tests_dir: Path) -> list[GradedTest]:
    """Every graded test under ``tests_dir``; :class:`AssignmentError` if none."""
    if not tests_dir.is_dir():
        raise AssignmentError(f"tests directory {tests_dir} does not exist")
    specs = [
        spec
        for path in find_test_files(tests_dir)
        for spec in read_test_file(path, path.relative_to(tests_dir).as_posix())
    ]
    if not specs:
        raise AssignmentError(f"{tests_dir}: found no test_* functions in test_*.py files")
    return specs


def strip_hidden(text: str, specs: list[GradedTest]) -> str:
    """``text`` without the hidden tests among ``specs`` (which must come from it)."""
    lines = text.splitlines(keepends=True)
    for spec in sorted((s for s in specs if s.hidden), key=lambda s: -s.first):
        start = spec.first - 1
        while start > 0 and lines[start - 1].lstrip().startswith("#"):
            start -= 1  # comments just above a hidden test are part of it
        del lines[start : spec.last]
    return re.sub(r"\n{3,}(?=\S)", "\n\n\n", "".join(lines)).rstrip("\n") + "\n"
