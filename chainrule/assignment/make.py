"""``make``: from marked solutions to a student version and an autograder.

The source of an assignment is a directory::

    SRC/README.md        the student's instructions (optional)
    SRC/tests/test_*.py  tests with @points(...), hidden ones included
    SRC/<anything else>  the solution: .py files carry solution markers

``make`` grades the solution against every test first and refuses to write
anything if it does not earn full marks. It then writes::

    DIST/student/        stubs, README, visible tests: what students get
    DIST/autograder/     solution/, tests/, starter/, gradescope/ and the
                         Gradescope zip autograder.zip
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.grade import DEFAULT_TIMEOUT, grade
from chainrule.assignment.gradescope import scripts, write_zip
from chainrule.assignment.markers import strip_solutions
from chainrule.assignment.testfiles import discover, find_test_files, strip_hidden
from chainrule.assignment.wheel import build_wheel, framework_version

_SKIP = shutil.ignore_patterns("__pycache__", ".hypothesis", ".pytest_cache", "*.pyc")


@dataclass
class MakeReport:
    """What ``make`` did, for the command line to print."""

    solutions: int = 0
    tests: int = 0
    hidden: int = 0
    points: float = 0.0
    wheel: str | None = None
    warnings: list[str] = field(default_factory=list)


def _source_files(src: Path) -> list[Path]:
    """Files of the solution (not the tests), relative to ``src``."""
    skip = {"tests", "__pycache__", ".hypothesis", ".pytest_cache", ".git"}
    out = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if d not in skip)
        out += [Path(dirpath, n).relative_to(src) for n in filenames if not n.endswith(".pyc")]
    return sorted(out)


def _write_student_sources(src: Path, dest: Path, report: MakeReport) -> None:
    for rel in _source_files(src):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        if rel.suffix == ".py":
            text, solutions = strip_solutions((src / rel).read_text(encoding="utf-8"), str(rel))
            report.solutions += len(solutions)
            (dest / rel).write_text(text, encoding="utf-8")
        else:
            shutil.copyfile(src / rel, dest / rel)


def _write_student_tests(tests: Path, dest: Path) -> None:
    shutil.copytree(tests, dest, ignore=_SKIP)
    for path in find_test_files(tests):
        rel = path.relative_to(tests)
        specs = [s for s in discover(tests) if s.file == rel.as_posix()]
        if specs and all(s.hidden for s in specs):
            (dest / rel).unlink()  # nothing visible left in it
        else:
            text = strip_hidden(path.read_text(encoding="utf-8"), specs)
            (dest / rel).write_text(text, encoding="utf-8")


def _check_solution(src: Path, timeout: float, jobs: int | None) -> None:
    results = grade(src, src / "tests", timeout=timeout, jobs=jobs)
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    if failed:
        details = "\n\n".join(f"--- {t['name']}\n{t['output']}" for t in failed)
        raise AssignmentError(
            f"the solution fails {len(failed)} of its own tests; nothing was written.\n{details}"
        )


def _check_starter(student: Path, tests: Path, timeout: float, jobs: int | None) -> list[str]:
    """Tests the untouched starter code passes: free points, probably a weak test."""
    results = grade(student, tests, timeout=timeout, jobs=jobs)
    return [
        f"{t['name']} passes on the starter code (free points: does it test anything?)"
        for t in results["tests"]
        if t["status"] == "passed" and t["max_score"] > 0
    ]


def make(
    src: Path,
    out: Path,
    *,
    wheel: Path | None = None,
    no_wheel: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int | None = None,
    force: bool = False,
    check_starter: bool = True,
) -> MakeReport:
    """Write ``out/student`` and ``out/autograder`` from the marked sources in ``src``."""
    src, out = src.resolve(), out.resolve()
    tests = src / "tests"
    specs = discover(tests)
    if out.exists() and any(out.iterdir()) and not force:
        raise AssignmentError(f"{out} is not empty; pass --force to replace it")
    if out == src or src in out.parents:
        raise AssignmentError(f"--out {out} must lie outside the sources {src}")
    report = MakeReport(
        tests=len(specs), hidden=sum(s.hidden for s in specs), points=sum(s.points for s in specs)
    )
    with tempfile.TemporaryDirectory(prefix="chainrule-make-") as tmp:
        stage = Path(tmp)
        student, auto = stage / "student", stage / "autograder"
        _write_student_sources(src, student, report)  # MarkerError stops here
        if report.solutions == 0:
            report.warnings.append("no solution markers found: the student gets the full solution")
        _check_solution(src, timeout, jobs)
        if check_starter:
            report.warnings += _check_starter(student, tests, timeout, jobs)
        starter = auto / "starter"
        # The starter lists the files a submission must hold, and stands in for missing ones.
        shutil.copytree(student, starter, ignore=shutil.ignore_patterns("README*", "*.md"))
        _write_student_tests(tests, student / "tests")
        for rel in _source_files(src):
            (auto / "solution" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / rel, auto / "solution" / rel)
        shutil.copytree(tests, auto / "tests", ignore=_SKIP)
        zip_dir = auto / "gradescope"
        shutil.copytree(tests, zip_dir / "tests", ignore=_SKIP)
        shutil.copytree(starter, zip_dir / "starter")
        shutil.copytree(auto / "solution", zip_dir / "solution")  # gradcheck's reference
        wheel_name = None
        if not no_wheel:
            (zip_dir / "wheels").mkdir(parents=True)
            if wheel is None:
                wheel = build_wheel(zip_dir / "wheels")
            else:
                shutil.copyfile(wheel, zip_dir / "wheels" / wheel.name)
            wheel_name = report.wheel = wheel.name
        for name, text in scripts(wheel_name, framework_version(), timeout).items():
            (zip_dir / name).write_text(text, encoding="utf-8")
            (zip_dir / name).chmod(0o755)
        write_zip(zip_dir, auto / "autograder.zip")
        if force and out.exists():
            for part in ("student", "autograder"):
                shutil.rmtree(out / part, ignore_errors=True)
        out.mkdir(parents=True, exist_ok=True)
        shutil.move(str(student), out / "student")
        shutil.move(str(auto), out / "autograder")
    return report
