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
from chainrule.assignment.gradescope import install_command, scripts, write_zip
from chainrule.assignment.markers import strip_solutions
from chainrule.assignment.notebook import INSTALL_MARK, notebook_edition, student_notebook
from chainrule.assignment.testfiles import discover, find_test_files, strip_hidden
from chainrule.assignment.wheel import (
    GRADESCOPE,
    WheelTarget,
    build_wheel,
    download_dependency_wheels,
    framework_version,
    wheel_targets,
)

_SKIP = shutil.ignore_patterns("__pycache__", ".hypothesis", ".pytest_cache", "*.pyc")
NO_WHEEL_REFUSED = (
    "--no-wheel needs --index-url: chainrule is not on the public package index, so "
    "without a wheel neither the autograder's setup.sh nor a student could install it. "
    "Name an index that serves chainrule=={version} (--index-url URL), or drop --no-wheel "
    "to ship the wheel in the zip and in the student's folder"
)

NO_STUDENT_DEPENDENCIES = (
    "student/wheels holds only the chainrule wheel, not NumPy, pytest and hypothesis: a "
    "student without the package index cannot install (the README's --no-index line fails). "
    "Add their wheels with --student-wheels here|gradescope|PY:PLATFORM (e.g. "
    "--student-wheels 3.12:win_amd64), once for each Python and platform your students use"
)


@dataclass
class MakeReport:
    """What ``make`` did, for the command line to print."""

    solutions: int = 0
    tests: int = 0
    hidden: int = 0
    points: float = 0.0
    wheel: str | None = None
    grader_wheels: list[str] = field(default_factory=list)  # dependency wheels in the zip
    student_wheels: list[str] = field(default_factory=list)  # everything in student/wheels
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
        elif rel.suffix == ".ipynb":
            report.solutions += student_notebook(src / rel, dest / rel, strip_solutions)
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


def install_section(
    wheel_name: str | None,
    version: str,
    index_url: str | None,
    student_targets: list[WheelTarget],
    bundled: list[str] | None = None,
) -> str:
    """The student README's "Install" section: the commands that install from ``wheels/``."""
    venv = (
        "    python -m venv .venv\n"
        "    source .venv/bin/activate          # Windows: .venv\\Scripts\\activate\n"
    )
    if wheel_name is None:
        line = install_command(None, version, index_url, False, python="pip")
        return (
            f"## Install\n\nFrom this folder, in a fresh virtual environment (Python ≥ 3.10):"
            f"\n\n{venv}    {line}\n\nThis installs the course framework (chainrule) with "
            f"NumPy, pytest and hypothesis.\n"
        )
    line = install_command(wheel_name, version, None, False, python="pip")
    text = (
        f"## Install\n\nThe course framework, chainrule, is not on the package index: its "
        f"wheel is in `wheels/`. From this folder, in a fresh virtual environment "
        f"(Python ≥ 3.10):\n\n{venv}    {line}\n\nThis installs chainrule with NumPy, "
        f"pytest and hypothesis, taken from `wheels/` when they are there, else from the "
        f"package index.\n\n"
    )
    offline = line.replace("pip install ", "pip install --no-index ", 1)
    if student_targets:
        # Exactly what the wheels in wheels/ are for, read from their own tags.
        which = "; ".join(wheel_targets(bundled or [])) or "; ".join(
            t.describe() for t in student_targets
        )
        return text + (
            f"Without access to the package index, add `--no-index`; `wheels/` holds NumPy, "
            f"pytest and hypothesis for {which}:\n\n    {offline}\n"
        )
    return text + (
        "Without access to the package index, ask the course staff for the wheels of NumPy, "
        "pytest and hypothesis for your computer, put them in `wheels/` and add "
        f"`--no-index`:\n\n    {offline}\n"
    )


def _write_readme(student: Path, section: str) -> None:
    """Put the install section where the README marks it, else after its title."""
    readme = student / "README.md"
    if not readme.is_file():
        readme.write_text(f"# Assignment\n\n{section}", encoding="utf-8")
        return
    text = readme.read_text(encoding="utf-8")
    if INSTALL_MARK in text:
        text = text.replace(INSTALL_MARK, section.rstrip("\n"))
    else:
        title, sep, rest = text.partition("\n")
        text = f"{title}\n\n{section}{sep}{rest}" if title.startswith("#") else section + text
    readme.write_text(text, encoding="utf-8")


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
    index_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int | None = None,
    force: bool = False,
    check_starter: bool = True,
    grader_wheels: bool = True,
    student_targets: list[WheelTarget] | None = None,
    notebook: bool = False,
) -> MakeReport:
    """Write ``out/student`` and ``out/autograder`` from the marked sources in ``src``.

    ``no_wheel`` ships no framework wheel, and needs ``index_url``, an index that
    serves this chainrule version. ``grader_wheels`` puts the wheels of NumPy,
    pytest and hypothesis for Gradescope's Python in the zip (from pip's cache or
    the index; if that fails, a warning, and ``setup.sh`` uses the index).
    ``student_targets`` adds their wheels for those Pythons and platforms to
    ``student/wheels``, so students can install with no index at all.
    ``notebook`` makes the notebook edition of a ``.py`` assignment from the same
    sources (:func:`chainrule.assignment.notebook.notebook_edition`).
    """
    if notebook:
        with tempfile.TemporaryDirectory(prefix="chainrule-notebook-") as tmp:
            if out.resolve() == src.resolve() or src.resolve() in out.resolve().parents:
                raise AssignmentError(f"--out {out} must lie outside the sources {src}")
            edition = notebook_edition(src.resolve(), Path(tmp) / "src")
            return make(edition, out, wheel=wheel, no_wheel=no_wheel, index_url=index_url,
                        timeout=timeout, jobs=jobs, force=force, check_starter=check_starter,
                        grader_wheels=grader_wheels, student_targets=student_targets)  # fmt: skip
    src, out = src.resolve(), out.resolve()
    version = framework_version()
    if no_wheel and not index_url:
        raise AssignmentError(NO_WHEEL_REFUSED.format(version=version))
    if index_url and not no_wheel:
        raise AssignmentError("--index-url goes with --no-wheel (a shipped wheel needs no index)")
    if no_wheel and student_targets:
        raise AssignmentError(
            "--student-wheels ships wheels beside the framework's own: drop --no-wheel"
        )
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
        offline = False
        targets = list(student_targets or [])
        if not no_wheel:
            (zip_dir / "wheels").mkdir(parents=True)
            if wheel is None:
                wheel = build_wheel(zip_dir / "wheels")
            else:
                shutil.copyfile(wheel, zip_dir / "wheels" / wheel.name)
            wheel_name = report.wheel = wheel.name
            (student / "wheels").mkdir()
            shutil.copyfile(zip_dir / "wheels" / wheel_name, student / "wheels" / wheel_name)
            if grader_wheels:
                try:
                    names = download_dependency_wheels(zip_dir / "wheels", GRADESCOPE)
                    report.grader_wheels = [n for n in names if n != wheel_name]
                    offline = True
                except AssignmentError as exc:
                    report.warnings.append(f"{exc}\nsetup.sh will install them from the index")
            for target in targets:  # an error here stops make: the instructor asked for them
                download_dependency_wheels(student / "wheels", target)
            report.student_wheels = sorted(p.name for p in (student / "wheels").glob("*.whl"))
            if not targets:
                report.warnings.append(NO_STUDENT_DEPENDENCIES)
        _write_readme(student, install_section(wheel_name, version, index_url, targets,
                                               report.student_wheels))  # fmt: skip
        for name, text in scripts(
            wheel_name, version, timeout, index_url=index_url, offline=offline
        ).items():
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
