"""``chainrule assignment make|grade``: the instructor's two commands.

``register(subparsers)`` plugs them into the ``chainrule`` command line;
``main(argv)`` (and ``python -m chainrule.assignment``) runs them alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.grade import DEFAULT_TIMEOUT, DEFAULT_TOTAL_TIMEOUT, grade
from chainrule.assignment.results import clean_text, failure, write


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout", type=_positive, default=DEFAULT_TIMEOUT,
        help=f"seconds per test (default {DEFAULT_TIMEOUT:g}; @points(timeout=) overrides)",
    )  # fmt: skip
    parser.add_argument("--jobs", type=int, default=None, help="tests run side by side")
    parser.add_argument(
        "--total-timeout", type=_positive, default=DEFAULT_TOTAL_TIMEOUT,
        help=f"seconds for the whole grading (default {DEFAULT_TOTAL_TIMEOUT:g}); tests not "
        "started by then fail as 'not run', and results.json is still written",
    )  # fmt: skip


def _run_make(args: argparse.Namespace) -> int:
    from chainrule.assignment.make import make
    from chainrule.assignment.wheel import parse_target

    print(f"making {args.src} -> {args.out} (grading the solution first)...", flush=True)
    try:
        report = make(
            Path(args.src), Path(args.out), wheel=args.wheel, no_wheel=args.no_wheel,
            index_url=args.index_url, timeout=args.timeout, jobs=args.jobs, force=args.force,
            check_starter=not args.no_starter_check, grader_wheels=not args.no_grader_wheels,
            student_targets=[parse_target(t) for t in args.student_wheels],
            notebook=args.notebook,
        )  # fmt: skip
    except AssignmentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out)
    print(
        f"ok: {report.solutions} solutions stubbed; {report.tests} tests "
        f"({report.hidden} hidden), {report.points:g} points; the solution scores full marks"
    )
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    print(f"  student version:  {out / 'student'}")
    print(f"  autograder:       {out / 'autograder'}")
    print(f"  Gradescope zip:   {out / 'autograder' / 'autograder.zip'}", end="")
    if report.wheel:
        deps = " with NumPy, pytest, hypothesis" if report.grader_wheels else ""
        print(f" (framework wheel {report.wheel}{deps})")
        print(f"  student wheels:   {', '.join(report.student_wheels)}")
    else:
        print(f" (installs chainrule from {args.index_url})")
    return 0


def grade_into(
    results_path: Path, submission: Path, tests: Path, starter: Path | None,
    reference: Path | None, args: argparse.Namespace, private: list[Path],
) -> dict[str, Any] | None:  # fmt: skip
    """Grade and write ``results_path``; on any failure write a failing result saying why."""
    start = time.perf_counter()
    results_path.unlink(missing_ok=True)  # nothing planted there survives a grading
    try:
        results = grade(
            submission, tests, starter=starter, reference=reference, timeout=args.timeout,
            total_timeout=args.total_timeout, jobs=args.jobs, only=getattr(args, "only", ()),
            private=[results_path.parent, *private],
        )  # fmt: skip
    except Exception as exc:
        why = str(exc) if isinstance(exc, AssignmentError) else f"{type(exc).__name__}: {exc}"
        write(failure(f"The autograder could not finish: {clean_text(why)}; tell the course "
                      f"staff.", time.perf_counter() - start), results_path)  # fmt: skip
        print(f"error: {why}", file=sys.stderr)
        return None
    write(results, results_path)
    return results


def _run_grade(args: argparse.Namespace) -> int:
    tests = Path(args.tests)
    starter = args.starter
    if starter is None and (tests.parent / "starter").is_dir():
        starter = tests.parent / "starter"  # the autograder layout make writes
    results = grade_into(Path(args.results), Path(args.submission), tests, starter,
                          args.reference, args, [])  # fmt: skip
    if results is None:
        return 2
    if not args.quiet:
        _print_summary(results)
    return 0


def _run_gradescope(args: argparse.Namespace) -> int:
    """Gradescope's layout, every path from ``$AUTOGRADER_ROOT`` (none on the command line)."""
    import os

    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    source = root / "source"
    solution = source / "solution"
    results = grade_into(
        root / "results" / "results.json", root / "submission", source / "tests",
        source / "starter", solution if solution.is_dir() else None, args, [source],
    )  # fmt: skip
    return 0 if results is not None else 2


def _run_grade_all(args: argparse.Namespace) -> int:
    from chainrule.assignment.grade_all import grade_all

    try:
        run = grade_all(
            Path(args.submissions), Path(args.tests), Path(args.out), starter=args.starter,
            reference=args.reference, timeout=args.timeout, total_timeout=args.total_timeout,
            parallel=args.parallel, jobs=args.jobs or 1,
            progress=lambda text: print(clean_text(text), flush=True),
        )  # fmt: skip
    except AssignmentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: run the same command again to grade the rest", file=sys.stderr)
        return 130
    for note in run.notes or []:
        print(f"note: {clean_text(note)}")
    out = Path(args.out)
    regraded = f" ({run.regraded} regraded: tests or submission changed)" if run.regraded else ""
    print(f"graded {run.graded}{regraded}, could not grade {run.failed}, kept {run.resumed} "
          f"from an earlier run, in {run.seconds:.1f} s")  # fmt: skip
    print(f"  grades:        {out / 'grades.csv'}")
    print(f"  class report:  {out / 'report.md'} (chart {out / 'failures.png'})")
    print(f"  per student:   {out / 'students'}/<id>/results.json")
    return 0


def _print_summary(results: dict[str, Any]) -> None:
    for test in results["tests"]:
        mark = "PASS" if test["status"] == "passed" else "FAIL"
        hidden = " (hidden)" if test["visibility"] != "visible" else ""
        print(f"{mark} {test['score']:g}/{test['max_score']:g}  {clean_text(test['name'])}{hidden}")
        if test["status"] == "failed":
            print("    " + clean_text(test["output"]).replace("\n", "\n    "))
    print(clean_text(results["output"]))
    print(f"Total (hidden tests included): {results['score']:g}")


_DESCRIPTION = (
    "Course assignments: student skeletons from marked solutions (make), and a "
    "grader that writes Gradescope's results.json (grade). See docs/assignments.md."
)


def register(subparsers: Any) -> None:
    """Add ``assignment make`` and ``assignment grade`` to a ``chainrule`` parser."""
    parser = subparsers.add_parser(
        "assignment",
        help="make a course assignment from marked solutions, or grade a submission",
        description=_DESCRIPTION,
    )
    _add_commands(parser)


def _add_commands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(
        dest="assignment_command", metavar="{make,grade,grade-all,gradescope}"
    )
    commands.required = True

    make = commands.add_parser(
        "make",
        help="write DIST/student and DIST/autograder (with a Gradescope zip) from SRC",
        description="Strip the solutions marked in SRC (# BEGIN/END SOLUTION blocks and "
        "lines ending in # SOLUTION) into stubs, drop hidden tests from the student's "
        "copy, and build the Gradescope autograder zip. The solution must pass every "
        "test first.",
    )
    make.add_argument("src", metavar="SRC", help="the assignment's marked sources")
    make.add_argument("--out", required=True, metavar="DIST", help="where to write it")
    make.add_argument("--wheel", type=Path, default=None, help="framework wheel to ship")
    make.add_argument(
        "--no-wheel", action="store_true",
        help="ship no framework wheel: needs --index-url (chainrule is not on PyPI)",
    )  # fmt: skip
    make.add_argument(
        "--index-url", default=None, metavar="URL",
        help="with --no-wheel: a package index that serves this chainrule version",
    )  # fmt: skip
    make.add_argument(
        "--no-grader-wheels", action="store_true",
        help="do not put NumPy, pytest, hypothesis wheels for Gradescope in the zip "
        "(setup.sh then installs them from the index)",
    )  # fmt: skip
    make.add_argument(
        "--student-wheels", action="append", default=[], metavar="TARGET",
        help="also put NumPy, pytest, hypothesis wheels in student/wheels for TARGET: 'here' "
        "(this Python and platform), 'gradescope', or PYTHON:PLATFORM such as 3.12:win_amd64 "
        "(repeatable), so students can install with no package index",
    )  # fmt: skip
    make.add_argument("--force", action="store_true", help="replace a non-empty DIST")
    make.add_argument(
        "--notebook", action="store_true",
        help="make the notebook edition: one .ipynb whose cells are SRC's marked modules",
    )  # fmt: skip
    make.add_argument(
        "--no-starter-check", action="store_true",
        help="skip grading the starter code (which warns about tests it passes)",
    )  # fmt: skip
    _common(make)
    make.set_defaults(func=_run_make)

    grade_p = commands.add_parser(
        "grade",
        help="grade SUBMISSION and write Gradescope's results.json",
        description="Run every test against the student's code, each in its own "
        "subprocess with a time limit, and write Gradescope's results.json.",
    )
    grade_p.add_argument("submission", metavar="SUBMISSION", help="the student's directory")
    grade_p.add_argument("--tests", required=True, metavar="DIR", help="the tests (all)")
    grade_p.add_argument("--results", required=True, metavar="FILE", help="results.json path")
    grade_p.add_argument(
        "--starter", type=Path, default=None,
        help="starter files: what a submission must hold (default: DIR/../starter if any)",
    )  # fmt: skip
    grade_p.add_argument(
        "--reference", type=Path, default=None,
        help="code whose forward passes gradcheck differentiates (default: DIR/../solution, "
        "else the starter)",
    )  # fmt: skip
    grade_p.add_argument(
        "--only", action="append", default=[], metavar="PATTERN",
        help="grade only tests matching file::function glob (repeatable)",
    )  # fmt: skip
    grade_p.add_argument("--quiet", action="store_true", help="print nothing on success")
    _common(grade_p)
    grade_p.set_defaults(func=_run_grade)

    every = commands.add_parser(
        "grade-all",
        help="grade every submission in a folder (Gradescope export, folders or zips)",
        description="Grade each submission of SUBMISSIONS_DIR as `grade` would (same sandbox), "
        "several side by side, into OUT/students/<id>/results.json; then write OUT/grades.csv, "
        "OUT/report.md and OUT/failures.png. A submission already graded in OUT is kept, so an "
        "interrupted run resumes.",
    )
    every.add_argument("submissions", metavar="SUBMISSIONS_DIR",
                       help="Gradescope's export (submission_metadata.yml) or a folder of "
                       "folders or .zip files")  # fmt: skip
    every.add_argument("--tests", required=True, metavar="DIR", help="the tests (all)")
    every.add_argument("--out", required=True, metavar="OUT", help="where results go")
    every.add_argument("--starter", type=Path, default=None,
                       help="starter files (default: DIR/../starter if any)")  # fmt: skip
    every.add_argument("--reference", type=Path, default=None,
                       help="gradcheck's reference code (default: DIR/../solution, else the "
                       "starter)")  # fmt: skip
    every.add_argument("--parallel", type=int, default=None,
                       help="submissions graded side by side (default: the CPUs)")  # fmt: skip
    _common(every)
    every.set_defaults(func=_run_grade_all)

    gs = commands.add_parser(
        "gradescope",
        help="grade in Gradescope's layout ($AUTOGRADER_ROOT, default /autograder)",
        description="What run_autograder calls: grade $AUTOGRADER_ROOT/submission with the "
        "tests, starter and solution in $AUTOGRADER_ROOT/source, into "
        "$AUTOGRADER_ROOT/results/results.json. No path is on the command line.",
    )
    _common(gs)
    gs.set_defaults(func=_run_gradescope)


def main(argv: list[str] | None = None) -> int:
    """Run ``assignment make|grade`` as a program of its own."""
    parser = argparse.ArgumentParser(
        prog="python -m chainrule.assignment", description=_DESCRIPTION
    )
    _add_commands(parser)
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
        sys.stdout.flush()  # a closed pipe shows up here at the latest
    except BrokenPipeError:  # `python -m chainrule.assignment grade … | head`
        from chainrule.cli import reader_went_away

        return reader_went_away()
    return result
