"""``assignment make``: student version, autograder, zip; refuses a failing solution."""

from __future__ import annotations

import importlib.util
import shutil
import stat
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from chainrule.assignment.cli import main
from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.make import make

MINIMAL = Path(__file__).resolve().parents[2] / "assignments" / "minimal"


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    """A fresh copy of the minimal assignment's marked sources."""
    return Path(shutil.copytree(MINIMAL, tmp_path / "minimal"))


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_round_trip(minimal: Path, tmp_path: Path) -> None:
    (minimal / "tests" / "test_two.py").write_text(
        (minimal / "tests" / "test_two.py").read_text()
        + "\n\n@points(1)\ndef test_free() -> None:\n    assert True\n"
    )
    out = tmp_path / "dist"
    report = make(minimal, out, no_wheel=True, timeout=30)
    assert (report.solutions, report.tests, report.hidden, report.points) == (3, 5, 1, 6.0)
    assert report.warnings == [
        "test_free passes on the starter code (free points: does it test anything?)"
    ]
    student, auto = out / "student", out / "autograder"
    # The student version imports, and its stubs raise NotImplementedError.
    ops = load(student / "calc" / "ops.py")
    with pytest.raises(NotImplementedError, match="square: multiply x by itself"):
        ops.square(3)
    with pytest.raises(NotImplementedError, match="double: return the result"):
        ops.double(3)
    assert ops.double.__doc__ == "Return twice ``x``."
    assert (student / "README.md").is_file()
    # Hidden tests (and the comment above them) are gone from the student's copy only.
    visible = (student / "tests" / "test_one.py").read_text()
    assert "test_double_negative" not in visible and "hidden_detail" not in visible
    assert "A comment above a hidden test" not in visible
    assert "def test_double" in visible and "def test_square" in visible
    assert "test_double_negative" in (auto / "tests" / "test_one.py").read_text()
    # The autograder keeps the solution, and so does the zip: gradcheck differentiates its
    # forward passes in the trusted process, where the student's code cannot reach it.
    assert (auto / "solution" / "calc" / "ops.py").read_text() == (
        minimal / "calc/ops.py"
    ).read_text()
    with zipfile.ZipFile(auto / "autograder.zip") as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        run = zf.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "tests/test_one.py", "starter/calc/ops.py"} <= names
    assert "solution/calc/ops.py" in names
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert "--timeout 30" in run and "chainrule.assignment gradescope" in run
    assert 'rm -f "$RESULTS"' in run  # nothing planted before grading counts


def test_make_refuses_a_solution_that_fails_its_tests(minimal: Path, tmp_path: Path) -> None:
    (minimal / "calc" / "other.py").write_text("def triple(x):\n    return 3 * x + 1  # SOLUTION\n")
    with pytest.raises(AssignmentError, match=r"fails 1 of its own tests(.|\n)*test_triple"):
        make(minimal, tmp_path / "dist", no_wheel=True, timeout=30)
    assert not (tmp_path / "dist").exists()


def test_make_command_line_errors(
    minimal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "old.txt").write_text("an earlier run")
    assert main(["make", str(minimal), "--out", str(tmp_path / "dist"), "--no-wheel"]) == 1
    assert "is not empty; pass --force" in capsys.readouterr().err
    (minimal / "calc" / "other.py").write_text("def f():\n    # BEGIN SOLUTION\n    return 1\n")
    assert main(["make", str(minimal), "--out", str(tmp_path / "d2"), "--no-wheel"]) == 1
    assert "calc/other.py:2: BEGIN SOLUTION is never closed" in capsys.readouterr().err
    assert not (tmp_path / "d2").exists()
