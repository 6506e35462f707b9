"""Grade a submission: each test in its own subprocess, results in Gradescope's format.

The grader builds a fresh workspace: the student's files (only those the
assignment expects, found wherever the student put them; a missing one is
replaced by the starter stub, so it costs only its own tests), and a copy of
the tests. Nothing else from the submission is copied, so a stray
``conftest.py`` or ``pytest.ini`` cannot change how tests run.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.runner import Outcome, run_test
from chainrule.assignment.testfiles import GradedTest, discover

DEFAULT_TIMEOUT = 60.0
_SKIP_DIRS = {"__pycache__", ".git", ".hypothesis", ".pytest_cache", "__MACOSX", "tests"}


def _files(root: Path) -> list[Path]:
    """Regular files under ``root`` (no symlinks, no caches), relative, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_symlink() and path.is_file():
                found.append(path.relative_to(root))
    return sorted(found)


def _locate(rel: Path, submission: Path, candidates: list[Path]) -> Path | None:
    """Where the student put ``rel``: its own place, else a unique match by suffix or name."""
    if (submission / rel).is_file() and not (submission / rel).is_symlink():
        return submission / rel
    by_suffix = [c for c in candidates if c.parts[-len(rel.parts) :] == rel.parts]
    if len(by_suffix) == 1:
        return submission / by_suffix[0]
    if rel.name != "__init__.py":  # every package has one: a name alone says nothing
        by_name = [c for c in candidates if c.name == rel.name]
        if len(by_name) == 1:
            return submission / by_name[0]
    return None


def collect_submission(submission: Path, starter: Path | None, dest: Path) -> list[str]:
    """Copy the student's files into ``dest``; return notes for the student."""
    if not submission.is_dir():
        raise AssignmentError(f"submission {submission} is not a directory")
    candidates = _files(submission)
    notes = []
    if starter is None:  # no list of expected files: take the student's Python files
        expected = [c for c in candidates if c.suffix == ".py" and not c.name.startswith("test_")]
        expected = [c for c in expected if c.name not in ("conftest.py", "setup.py")]
        sources = {rel: submission / rel for rel in expected}
    else:
        sources = {}
        for rel in _files(starter):
            found = _locate(rel, submission, candidates)
            if found is None:
                if rel.suffix == ".py" and rel.name != "__init__.py":
                    notes.append(
                        f"{rel.as_posix()} is missing from the submission; the starter "
                        f"version was used, so its tests fail."
                    )
                found = starter / rel
            elif found != submission / rel:
                notes.append(
                    f"Using {found.relative_to(submission).as_posix()} as {rel.as_posix()}."
                )
            sources[rel] = found
    for rel, src in sources.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest / rel)
    return notes


def _test_name(test: GradedTest) -> str:
    return f"{test.function}: {test.doc}" if test.doc else test.function


def _test_result(test: GradedTest, outcome: Outcome) -> dict[str, Any]:
    output = outcome.output if outcome.output or not outcome.passed else ""
    return {
        "name": _test_name(test),
        "score": test.points if outcome.passed else 0.0,
        "max_score": test.points,
        "status": "passed" if outcome.passed else "failed",
        "output": output or "Passed.",
        "output_format": "text",
        "visibility": "after_published" if test.hidden else "visible",
        "extra_data": {"file": test.file, "seconds": round(outcome.seconds, 3)},
    }


def grade(
    submission: Path,
    tests_dir: Path,
    *,
    starter: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int | None = None,
    only: Sequence[str] = (),
) -> dict[str, Any]:
    """Grade ``submission`` against the tests in ``tests_dir``; return the results.

    Parameters
    ----------
    submission : Path
        The student's directory (Gradescope: ``/autograder/submission``).
    tests_dir : Path
        The assignment's tests, hidden ones included.
    starter : Path, optional
        The starter files: they list the files a submission must provide and
        stand in for any it lacks.
    timeout : float
        Seconds per test, unless its ``@points(timeout=...)`` says otherwise.
    jobs : int, optional
        Tests run side by side (default: the number of CPUs, at most 4).
    only : sequence of str
        Glob patterns on ``file::function`` or ``file``: grade just these tests.
    """
    start = time.perf_counter()
    tests = discover(tests_dir)
    if only:
        tests = [
            t for t in tests if any(fnmatch.fnmatch(t.node_id, p) or t.file == p for p in only)
        ]
        if not tests:
            raise AssignmentError(f"no test matches {list(only)}")
    jobs = jobs or min(4, os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="chainrule-grade-") as tmp:
        workspace = Path(tmp)
        shutil.copytree(
            tests_dir, workspace / "tests", ignore=shutil.ignore_patterns("__pycache__")
        )
        (workspace / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        notes = collect_submission(submission, starter, workspace)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(lambda t: run_test(t, workspace, t.timeout or timeout), tests))
    entries = [_test_result(t, o) for t, o in zip(tests, outcomes, strict=True)]
    score = sum(e["score"] for e in entries)
    total = sum(t.points for t in tests)
    failed = [t.function for t, e in zip(tests, entries, strict=True) if e["status"] == "failed"]
    hidden = {t.function for t in tests if t.hidden}
    summary = f"Score: {score:g} / {total:g} over {len(tests)} tests."
    if set(failed) - hidden:
        summary += f" Not passed: {', '.join(f for f in failed if f not in hidden)}."
    if set(failed) & hidden:  # their names wait, like their results, for publication
        summary += f" Hidden tests not passed: {len(set(failed) & hidden)}."
    return {
        "score": score,
        "execution_time": round(time.perf_counter() - start, 3),
        "output": "\n".join([summary, *notes]),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": entries,
    }
