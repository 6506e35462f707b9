"""Notebook assignments: the notebook edition of backprop_by_hand is made from the same
sources, and a student's notebook gets the scores and feedback of the same code as .py
files; magics and shell escapes are refused with a clear message."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.grade import grade
from chainrule.assignment.make import MakeReport, make
from chainrule.assignment.notebook import MODULE_LINE, notebook_modules, split_module

SRC = Path(__file__).resolve().parents[2] / "assignments" / "backprop_by_hand"
TESTS = SRC / "tests"
WRONG = ("self.W.grad[...] = G.T @ X", "self.W.grad[...] = -(G.T @ X)")


def _notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True),
         **({"outputs": [], "execution_count": None} if kind == "code" else {})}
        for kind, source in cells
    ]}))  # fmt: skip
    return path


def test_cells_become_modules_and_magics_are_refused(tmp_path: Path) -> None:
    assert split_module(f"{MODULE_LINE}pkg/mod.py\nx = 1\n") == ("pkg/mod.py", "x = 1\n")
    for unsafe in ("../x.py", "/etc/x.py", "pkg/mod", "pkg\\mod.py", "a b.py"):
        assert split_module(f"{MODULE_LINE}{unsafe}\nx = 1")[0] is None
    nb = _notebook(tmp_path / "hw.ipynb", [
        ("markdown", f"{MODULE_LINE}pkg/not_code.py"),
        ("code", f"{MODULE_LINE}pkg/a.py\ndef f():\n    return 1"),
        ("code", "print('my experiment')"),
        ("code", f"{MODULE_LINE}pkg/a.py\ndef g():\n    return 2"),
        ("code", f"{MODULE_LINE}pkg/b.py\nimport numpy\n%timeit numpy.ones(3)"),
        ("code", f"{MODULE_LINE}pkg/c.py\nx = 1\n  !rm -rf /"),
    ])  # fmt: skip
    modules, notes = notebook_modules(nb)
    assert modules["pkg/a.py"] == "def f():\n    return 1\n\n\ndef g():\n    return 2\n"
    assert set(modules) == {"pkg/a.py", "pkg/b.py", "pkg/c.py"}
    assert modules["pkg/b.py"].startswith("raise ImportError(")
    assert notes[0] == (
        "hw.ipynb, cell 5, line 2 ('%timeit numpy.ones(3)'): IPython magics and shell escapes "
        "(%magic, %%magic, !cmd, x = !cmd, get_ipython()) are not run by the grader; remove "
        "them in the cells of pkg/b.py."
    )
    assert "cell 6, line 2 ('!rm -rf /')" in notes[1]
    assert notes[2] == "hw.ipynb: 1 code cell(s) without a module are not run by the grader."
    (tmp_path / "bad.ipynb").write_text('{"cells": 3}')
    with pytest.raises(AssignmentError, match="not a Jupyter notebook"):
        notebook_modules(tmp_path / "bad.ipynb")


def test_valid_python_is_never_taken_for_a_magic(tmp_path: Path) -> None:
    """Lines starting with % or ! inside valid Python (a continued expression, % formatting,
    a docstring) are Python; IPython syntax is looked for only in a cell that does not parse,
    and any other SyntaxError is reported with its cell and line."""
    nb = _notebook(tmp_path / "hw.ipynb", [
        ("code", f"{MODULE_LINE}pkg/a.py\ndef differ(a, b):\n    return (\n        a\n"
                 f"        != b\n    )"),
        ("code", f"{MODULE_LINE}pkg/a.py\ndef show(x):\n    return (\"loss %.3f\"\n"
                 f"            % x)"),
        ("code", f'{MODULE_LINE}pkg/a.py\ndef doc():\n    """Percent:\n%d is a format.\n    """'),
        ("code", f"{MODULE_LINE}pkg/b.py\nx = 1\nfiles = !ls"),
        ("code", f"{MODULE_LINE}pkg/c.py\nenv = %env"),
        ("code", f"{MODULE_LINE}pkg/d.py\nx = 1\ndef f(:\n    pass"),
        ("code", f"{MODULE_LINE}pkg/e.py\nshell = get_ipython()"),
    ])  # fmt: skip
    modules, notes = notebook_modules(nb)
    namespace: dict[str, Any] = {}
    exec(modules["pkg/a.py"], namespace)
    assert namespace["differ"](1, 2) is True and namespace["show"](0.5) == "loss 0.500"
    for module in ("pkg/b.py", "pkg/c.py", "pkg/d.py", "pkg/e.py"):
        assert modules[module].startswith("raise ImportError(")
    assert not any("pkg/a.py" in note for note in notes)
    assert notes[0].startswith("hw.ipynb, cell 4, line 2 ('files = !ls'): IPython magics")
    assert notes[1].startswith("hw.ipynb, cell 5, line 1 ('env = %env'): IPython magics")
    assert notes[2] == (
        "hw.ipynb, cell 6, line 2 ('def f(:'): SyntaxError: invalid syntax; fix it in the "
        "cells of pkg/d.py."
    )
    assert notes[3].startswith("hw.ipynb, cell 7, line 1 ('shell = get_ipython()'): IPython")


def test_enable_in_jupyter_lets_cells_import_each_other() -> None:
    # IPython is Jupyter's, not a dependency of ours: without it there is nothing to test.
    interactive: Any = pytest.importorskip("IPython.core.interactiveshell")
    InteractiveShell = interactive.InteractiveShell
    shell = InteractiveShell.instance()
    try:
        assert shell.run_cell("from chainrule.assignment.notebook import enable_in_jupyter\n"
                              "enable_in_jupyter()").success  # fmt: skip
        assert shell.run_cell(f"{MODULE_LINE}nbpkg/first.py\ndef f():\n    return 41").success
        assert shell.run_cell("from nbpkg.first import f as g\nanswer = g() + 1").success
        assert shell.user_ns["answer"] == 42 and shell.user_ns["f"]() == 41
    finally:
        for name in ("nbpkg", "nbpkg.first"):
            sys.modules.pop(name, None)
        InteractiveShell.clear_instance()


@pytest.fixture(scope="module")
def notebook_dist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MakeReport]:
    out = tmp_path_factory.mktemp("nb") / "dist"
    return out, make(SRC, out, notebook=True, grader_wheels=False, check_starter=False)


def test_the_notebook_edition_is_made_from_the_same_sources(
    notebook_dist: tuple[Path, MakeReport],
) -> None:
    out, report = notebook_dist
    assert (report.solutions, report.tests, report.hidden, report.points) == (7, 14, 4, 27)
    student = json.loads((out / "student" / "backprop.ipynb").read_text())
    code = ["".join(c["source"]) for c in student["cells"] if c["cell_type"] == "code"]
    marked = {split_module(c)[0]: split_module(c)[1] for c in code if split_module(c)[0]}
    assert set(marked) == {f"backprop/{p.name}" for p in (SRC / "backprop").glob("[!_]*.py")}
    assert "raise NotImplementedError(" in marked["backprop/linear.py"]
    assert "BEGIN SOLUTION" not in json.dumps(student) and "G.T @ X" not in json.dumps(student)
    # Cells come after the modules they import: train.py last.
    assert list(marked)[-1] == "backprop/train.py"
    assert all(c.get("outputs") == [] and c.get("execution_count") is None
               for c in student["cells"] if c["cell_type"] == "code")  # fmt: skip
    readme = (out / "student" / "README.md").read_text()
    assert readme.startswith("# Backprop by hand (notebook edition)\n\n## Install\n")
    assert "python -m chainrule.assignment grade . --tests tests" in readme
    assert sorted(p.name for p in (out / "autograder" / "tests").glob("test_*.py")) == sorted(
        p.name for p in TESTS.glob("test_*.py")
    )


def _submissions(out: Path, tmp_path: Path, wrong: tuple[str, str] | None) -> tuple[Path, Path]:
    """The same code as a notebook and as .py files (the solution, or with ``wrong``)."""
    py = tmp_path / "py"
    shutil.copytree(SRC / "backprop", py / "backprop")
    nb = tmp_path / "nb"
    nb.mkdir()
    text = (out / "autograder" / "solution" / "backprop.ipynb").read_text()
    if wrong is not None:
        linear = py / "backprop" / "linear.py"
        linear.write_text(linear.read_text().replace(*wrong))
        assert text.count(json.dumps(wrong[0])[1:-1]) == 1
        text = text.replace(json.dumps(wrong[0])[1:-1], json.dumps(wrong[1])[1:-1])
    (nb / "hw1").mkdir()
    (nb / "hw1" / "backprop.ipynb").write_text(text)  # found inside an extra folder too
    return py, nb


@pytest.mark.parametrize("wrong", [None, WRONG], ids=["correct", "W negated"])
def test_a_notebook_gets_the_scores_and_feedback_of_the_same_py_files(
    notebook_dist: tuple[Path, MakeReport], tmp_path: Path, wrong: tuple[str, str] | None
) -> None:
    out, _ = notebook_dist
    py, nb = _submissions(out, tmp_path, wrong)
    only = ["test_linear.py", "test_sigmoid.py"] if wrong else []
    auto = out / "autograder"
    from_nb = grade(nb, auto / "tests", starter=auto / "starter", only=only)
    from_py = grade(py, TESTS, reference=SRC, only=only)
    # The correct code earns full marks; W negated loses exactly Linear's tests.
    kept = [
        t for t in from_py["tests"] if wrong is None or t["extra_data"]["file"] != "test_linear.py"
    ]
    assert from_nb["score"] == from_py["score"] == sum(t["max_score"] for t in kept)
    assert from_py["score"] == 27.0 or wrong is not None

    def view(results: dict[str, object]) -> list[tuple[object, ...]]:
        return [(t["name"], t["score"], t["status"], t["output"])
                for t in results["tests"]]  # type: ignore[attr-defined]  # fmt: skip

    assert view(from_nb) == view(from_py)
    assert "Using hw1/backprop.ipynb as backprop.ipynb." in from_nb["output"]


def test_a_magic_in_a_module_cell_fails_its_tests_with_the_reason(
    notebook_dist: tuple[Path, MakeReport], tmp_path: Path
) -> None:
    out, _ = notebook_dist
    line = "grad_z: Array = g * h * (1.0 - h)  # SOLUTION"
    _, nb = _submissions(out, tmp_path, (line, line + "\n        %time 1"))
    auto = out / "autograder"
    results = grade(nb, auto / "tests", starter=auto / "starter", only=["test_sigmoid.py"])
    assert results["score"] == 0.0
    first = results["tests"][0]["output"]
    assert "The tests could not import your code" in first
    assert "IPython magics and shell escapes" in first and "'%time 1'" in first
