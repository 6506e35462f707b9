"""``assignment make``: student version, autograder, zip; refuses a failing solution."""

from __future__ import annotations

import importlib.util
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from chainrule.assignment import make as make_module
from chainrule.assignment.cli import main
from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.make import NO_STUDENT_DEPENDENCIES, make
from chainrule.assignment.notebook import INSTALL_MARK
from chainrule.assignment.wheel import (
    BACKPORTS,
    GRADESCOPE,
    STUDENT_REQUIREMENTS,
    WheelTarget,
    parse_target,
)

MINIMAL = Path(__file__).resolve().parents[2] / "assignments" / "minimal"
INDEX = "https://pypi.example.edu/simple"  # an index the instructor says serves chainrule


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
    report = make(minimal, out, no_wheel=True, index_url=INDEX, timeout=30)
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
        make(minimal, tmp_path / "dist", no_wheel=True, index_url=INDEX, timeout=30)
    assert not (tmp_path / "dist").exists()


def test_make_command_line_errors(
    minimal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "old.txt").write_text("an earlier run")
    assert (
        main(
            [
                "make",
                str(minimal),
                "--out",
                str(tmp_path / "dist"),
                "--no-wheel",
                "--index-url",
                INDEX,
            ]
        )
        == 1
    )
    assert "is not empty; pass --force" in capsys.readouterr().err
    (minimal / "calc" / "other.py").write_text("def f():\n    # BEGIN SOLUTION\n    return 1\n")
    assert (
        main(
            [
                "make",
                str(minimal),
                "--out",
                str(tmp_path / "d2"),
                "--no-wheel",
                "--index-url",
                INDEX,
            ]
        )
        == 1
    )
    assert "calc/other.py:2: BEGIN SOLUTION is never closed" in capsys.readouterr().err
    assert not (tmp_path / "d2").exists()


def test_no_wheel_is_refused_without_an_index(
    minimal: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["make", str(minimal), "--out", str(tmp_path / "d"), "--no-wheel"]) == 1
    err = capsys.readouterr().err
    assert "--no-wheel needs --index-url: chainrule is not on the public package index" in err
    assert not (tmp_path / "d").exists()
    with pytest.raises(AssignmentError, match="goes with --no-wheel"):
        make(minimal, tmp_path / "d", index_url=INDEX)
    with pytest.raises(AssignmentError, match="--student-wheels ships wheels beside"):
        make(minimal, tmp_path / "d", no_wheel=True, index_url=INDEX,
             student_targets=[parse_target("here")])  # fmt: skip
    # With an index named, setup.sh and the student's README install from it.
    make(minimal, tmp_path / "d", no_wheel=True, index_url=INDEX, check_starter=False)
    line = f'install --extra-index-url {INDEX} "chainrule[student]==0.1.0"'
    assert line in (tmp_path / "d" / "autograder" / "gradescope" / "setup.sh").read_text()
    assert f"pip {line}" in (tmp_path / "d" / "student" / "README.md").read_text()


def test_the_student_and_the_zip_carry_the_wheels(
    minimal: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The framework wheel in student/wheels and the zip, with NumPy, pytest and hypothesis
    for Gradescope in the zip (and for the targets asked, in student/wheels); setup.sh
    installs the core and the student extra from them, without the index."""
    asked: list[tuple[str, WheelTarget]] = []

    def fake_download(dest: Path, target: WheelTarget) -> list[str]:
        asked.append((dest.parent.name if dest.parent.name != "gradescope" else "zip", target))
        (dest / "numpy-2.2.6-cp310-cp310-manylinux_2_17_x86_64.whl").write_bytes(b"")
        return sorted(p.name for p in dest.glob("*.whl"))

    monkeypatch.setattr(make_module, "download_dependency_wheels", fake_download)
    (minimal / "README.md").write_text("# Calc\n\nIntro.\n\n" + INSTALL_MARK + "\n\n## Tasks\n")
    here = parse_target("here")
    report = make(minimal, tmp_path / "d", check_starter=False, student_targets=[here])
    assert asked == [("zip", GRADESCOPE), ("student", here)]
    wheel = str(report.wheel)
    assert wheel.startswith("chainrule-0.1.0-") and wheel.endswith(".whl")
    student = tmp_path / "d" / "student"
    assert sorted(p.name for p in (student / "wheels").iterdir()) == sorted(
        [wheel, "numpy-2.2.6-cp310-cp310-manylinux_2_17_x86_64.whl"]
    )
    assert not (tmp_path / "d" / "autograder" / "starter" / "wheels").exists()
    readme = (student / "README.md").read_text()
    assert readme.startswith("# Calc\n\nIntro.\n\n## Install\n") and INSTALL_MARK not in readme
    assert f'    pip install --find-links wheels "wheels/{wheel}[student]"' in readme
    assert f'    pip install --no-index --find-links wheels "wheels/{wheel}[student]"' in readme
    # Exactly which Python and platform the bundled wheels are for, from their own tags.
    assert "`wheels/` holds NumPy, pytest and hypothesis for CPython 3.10 on " \
           "manylinux_2_17_x86_64:" in readme  # fmt: skip
    assert "this platform" not in readme
    assert NO_STUDENT_DEPENDENCIES not in report.warnings
    assert readme.rstrip().endswith("## Tasks")
    setup = (tmp_path / "d" / "autograder" / "gradescope" / "setup.sh").read_text()
    assert f'pip install --no-index --find-links wheels "wheels/{wheel}[student]"; then' in setup
    assert "[test]" not in setup and "scikit" not in setup
    subprocess.run(["bash", "-n", "-c", setup], check=True)
    with zipfile.ZipFile(tmp_path / "d" / "autograder" / "autograder.zip") as zf:
        assert f"wheels/{wheel}" in zf.namelist()
        assert "wheels/numpy-2.2.6-cp310-cp310-manylinux_2_17_x86_64.whl" in zf.namelist()
    assert report.grader_wheels == ["numpy-2.2.6-cp310-cp310-manylinux_2_17_x86_64.whl"]

    # When the wheels cannot be fetched, make says so and setup.sh uses the index.
    def no_network(dest: Path, target: WheelTarget) -> list[str]:
        raise AssignmentError("downloading the wheels failed: no network")

    monkeypatch.setattr(make_module, "download_dependency_wheels", no_network)
    capsys.readouterr()
    assert main(["make", str(minimal), "--out", str(tmp_path / "d2"), "--no-starter-check"]) == 0
    err = capsys.readouterr().err
    assert "setup.sh will install them from the index" in err
    # By default student/wheels holds chainrule only: make says so on stderr, naming the fix.
    assert f"warning: {NO_STUDENT_DEPENDENCIES}" in err
    assert "--student-wheels here|gradescope|PY:PLATFORM" in err
    setup = (tmp_path / "d2" / "autograder" / "gradescope" / "setup.sh").read_text()
    assert f'"$PY" -m pip install --find-links wheels "wheels/{wheel}[student]"' in setup
    assert "--no-index" not in setup


def test_the_student_extra_is_what_the_wheels_carry() -> None:
    pyproject = (MINIMAL.parents[1] / "pyproject.toml").read_text()
    core = re.search(r"^dependencies = \[(.*)\]$", pyproject, re.MULTILINE)
    student = re.search(r"^student = \[(.*)\]$", pyproject, re.MULTILINE)
    assert core and student
    listed = re.findall(r'"([^"]+)"', core.group(1) + student.group(1))
    assert listed == list(STUDENT_REQUIREMENTS)
    assert all(name.split(">")[0] in ("exceptiongroup", "tomli") for name in BACKPORTS)
    assert parse_target("3.12:win_amd64") == WheelTarget("3.12", ("win_amd64",))
    for bad in ("3:win", "3.12", "3.12:win amd64", "python3.12:x"):
        with pytest.raises(AssignmentError, match="a wheel target is"):
            parse_target(bad)
    assert sys.version_info >= (3, 10)
