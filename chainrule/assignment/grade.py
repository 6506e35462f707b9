"""Grade a submission: each test in a trusted process of its own, results in Gradescope's format.

The grader builds a private workspace (mode 700): a copy of the tests, of
the reference code, and of the student's files (only those the assignment
expects, found wherever the student put them; a missing one is replaced by
the starter stub, so it costs only its own tests). Each test runs in a
trusted process (:mod:`chainrule.assignment.trusted`) that reaches the
student's code only through a sandboxed worker
(:mod:`chainrule.assignment.sandbox`), so nothing the student's code does
decides a verdict. See the threat model in ``docs/assignments.md``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import queue
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.notebook import expand_notebooks
from chainrule.assignment.partial import describe, partial_score
from chainrule.assignment.results import clean_text, fit_size
from chainrule.assignment.runner import FRAMEWORK_ROOT, Outcome, run_test
from chainrule.assignment.sandbox import (
    WEAKER_ISOLATION,
    Slot,
    become_subreaper,
    is_root,
    namespaces_work,
)
from chainrule.assignment.settings import Settings, read_settings
from chainrule.assignment.student_modules import top_level_names
from chainrule.assignment.testfiles import GradedTest, discover

DEFAULT_TIMEOUT = 60.0
# Gradescope stops an autograder after its per-assignment limit (10 minutes
# by default, at most 40): stop well before, and still write results.json.
DEFAULT_TOTAL_TIMEOUT = 480.0
MAX_TEST_OUTPUT = 8000  # characters of one test's output
MAX_FILE = 16 * 2**20  # a larger file of a submission is not taken (nor looked for)
_warned = False
NO_PARTIAL_CREDIT = (
    "No partial credit: the test did not fail on a comparison of gradients "
    "(it stopped before one, on another check, or the code raised)."
)
# Folders grading never reads (so a change in them changes no grade, nor a fingerprint).
SKIP_DIRS = {"__pycache__", ".git", ".hypothesis", ".pytest_cache", "__MACOSX", "tests"}


def _files(root: Path) -> list[Path]:
    """Regular files under ``root`` (no symlinks, no caches, none too large), relative, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_symlink() and path.is_file() and path.stat().st_size <= MAX_FILE:
                found.append(path.relative_to(root))
    return sorted(found)


def _locate(rel: Path, submission: Path, candidates: list[Path]) -> Path | None:
    """Where the student put ``rel``: its own place, else a unique match by suffix or name.

    Only ``candidates`` count: regular files found without following a symbolic
    link, so a submitted ``backprop -> /autograder/source/solution/backprop`` finds
    nothing.
    """
    if rel in candidates:
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
    dest.mkdir(parents=True, exist_ok=True)
    notes = []
    if starter is None:  # no list of expected files: take the student's Python files
        expected = [c for c in candidates if c.suffix in (".py", ".ipynb")
                    and not c.name.startswith("test_")]  # fmt: skip
        expected = [c for c in expected if c.name not in ("conftest.py", "setup.py")]
        sources = {rel: submission / rel for rel in expected}
    else:
        sources = {}
        for rel in _files(starter):
            found = _locate(rel, submission, candidates)
            if found is None:
                if rel.suffix in (".py", ".ipynb") and rel.name != "__init__.py":
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


def _cut(text: str, limit: int = MAX_TEST_OUTPUT) -> str:
    text = clean_text(text)
    return text if len(text) <= limit else text[:limit] + f"\n… cut ({len(text) - limit} more)"


def _test_result(test: GradedTest, outcome: Outcome) -> dict[str, Any]:
    if outcome.passed:
        output = outcome.output or "Passed."
    else:  # a failure always says so, even when the code under test gave no message
        output = outcome.output or "Failed (the test stopped without a message)."
    score = test.points if outcome.passed else 0.0
    if test.partial and not outcome.passed and outcome.marks:
        score = partial_score(test.points, outcome.marks)
        output = describe(test.points, outcome.marks) + "\n\n" + output
    elif test.partial and not outcome.passed:
        output = f"{NO_PARTIAL_CREDIT}\n\n{output}"
    return {
        "name": _test_name(test),
        "score": score,
        "max_score": test.points,
        "status": "passed" if outcome.passed else "failed",
        "output": _cut(output),
        "output_format": "text",
        "visibility": "after_published" if test.hidden else "visible",
        "extra_data": {
            "file": test.file,
            "seconds": round(outcome.seconds, 3),
            # For the instructor's class report (Gradescope does not show extra_data).
            "gradcheck": [{"tensor": t, "kind": k, "slip": s} for t, k, s in outcome.findings],
        },
    }


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _needed_by_worker() -> list[Path]:
    """Folders the worker must still see: its own, Python's, NumPy's and the framework's."""
    import numpy

    needed = [Path(tempfile.gettempdir()), Path(sys.prefix), Path(sys.base_prefix),
              Path(numpy.__file__).parent]  # fmt: skip
    needed += [FRAMEWORK_ROOT / p for p in ("layers", "losses", "optim", "gradcheck", "chainrule")]
    return [p.resolve() for p in needed]


def _private_paths(paths: Sequence[Path | None]) -> list[Path]:
    """The grader's folders to hide from the worker (never one it needs itself)."""
    found = [p.resolve() for p in paths if p is not None and p.exists()]
    if (FRAMEWORK_ROOT / "pyproject.toml").is_file():  # a source tree: solutions, tests, .git
        found += [FRAMEWORK_ROOT / d for d in ("assignments", "tests", "examples", "benchmarks",
                                               "docs", "dist", "runs", ".git")]  # fmt: skip
    needed = _needed_by_worker()
    kept = []
    for p in found:
        p = p if p.is_dir() else p.parent
        if p.is_dir() and not any(_inside(n, p) for n in needed) and p not in kept:
            kept.append(p)
    return kept


@contextlib.contextmanager
def closed_to_others(paths: Sequence[Path]) -> Iterator[None]:
    """Take away the "other" permissions of ``paths`` while grading (root, no namespaces)."""
    saved = []
    try:
        for p in paths:
            mode = p.stat().st_mode & 0o7777
            if mode & 0o007:
                os.chmod(p, mode & ~0o007)
                saved.append((p, mode))
        yield
    finally:
        for p, mode in saved:
            with contextlib.suppress(OSError):
                os.chmod(p, mode)


def default_reference(tests_dir: Path, starter: Path | None) -> Path | None:
    """The instructor's solution beside the tests (make's layout), else the starter."""
    solution = tests_dir.parent / "solution"
    return solution if solution.is_dir() else starter


def _summary(tests: list[GradedTest], entries: list[dict[str, Any]]) -> str:
    """What every student sees at once: the visible tests only (hidden ones wait)."""
    visible = [(t, e) for t, e in zip(tests, entries, strict=True) if not t.hidden]
    got = sum(e["score"] for _, e in visible)
    out_of = sum(t.points for t, _ in visible)
    text = f"Visible tests: {got:g} / {out_of:g} points over {len(visible)} tests."
    failed = [t.function for t, e in visible if e["status"] == "failed"]
    if failed:
        text += f" Not passed: {', '.join(failed)}."
    if len(visible) < len(tests):
        text += " Hidden tests are graded too; their results appear when grades are published."
    return text


def grade(
    submission: Path,
    tests_dir: Path,
    *,
    starter: Path | None = None,
    reference: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
    jobs: int | None = None,
    only: Sequence[str] = (),
    private: Sequence[Path] = (),
) -> dict[str, Any]:
    """Grade ``submission`` against the tests in ``tests_dir``; return the results.

    Parameters
    ----------
    submission : Path
        The student's directory (Gradescope: ``/autograder/submission``).
    tests_dir : Path
        The assignment's tests, hidden ones included, and its ``grading.json``.
    starter : Path, optional
        The starter files: they list the files a submission must provide and
        stand in for any it lacks.
    reference : Path, optional
        Code whose forward passes gradcheck differentiates (default: the
        ``solution/`` beside the tests, else the starter).
    timeout : float
        Seconds per test, unless its ``@points(timeout=...)`` says otherwise.
    total_timeout : float
        Seconds for the whole grading; tests not started by then fail as "not run".
    jobs : int, optional
        Tests run side by side (default: the number of CPUs, at most 4).
    only : sequence of str
        Glob patterns on ``file::function`` or ``file``: grade just these tests.
    private : sequence of Path
        More folders the student's code must not see (the results' folder).
    """
    global _warned
    start = time.perf_counter()
    tests = discover(tests_dir)
    settings: Settings = read_settings(tests_dir)
    if only:
        tests = [
            t for t in tests if any(fnmatch.fnmatch(t.node_id, p) or t.file == p for p in only)
        ]
        if not tests:
            raise AssignmentError(f"no test matches {list(only)}")
    jobs = max(1, min(jobs or min(4, os.cpu_count() or 1), len(tests)))
    if reference is None:
        reference = default_reference(tests_dir, starter)
    if not is_root():
        if not _warned:
            print(WEAKER_ISOLATION, file=sys.stderr)
            _warned = True
        become_subreaper()
    with tempfile.TemporaryDirectory(prefix="chainrule-grade-") as tmp:
        workspace = Path(tmp)
        ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", ".pytest_cache")
        shutil.copytree(tests_dir, workspace / "tests", ignore=ignore)
        (workspace / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        notes = collect_submission(submission, starter, workspace / "submission")
        # A notebook's cells become its modules here, before any student code runs.
        notes += expand_notebooks(workspace / "submission")
        if reference is not None:
            shutil.copytree(reference, workspace / "reference", ignore=ignore)
            expand_notebooks(workspace / "reference")
        names = top_level_names(workspace / "submission")
        if starter is not None:
            names |= top_level_names(starter)
        hidden_paths = _private_paths([workspace, tests_dir, starter, reference, *private])
        use_namespaces = namespaces_work()
        orders: dict[str, Any] = {
            "workspace": str(workspace),
            "modules": sorted(names),
            "reference": str(workspace / "reference") if reference is not None else None,
            "framework_root": str(FRAMEWORK_ROOT),
            "worker": {
                "submission": str(workspace / "submission"),
                "hide": [str(p) for p in hidden_paths],
                "forbid": settings.forbid,
                "forbid_imports": settings.forbid_imports,
                "namespaces": use_namespaces,
            },
        }
        closed = hidden_paths if is_root() and not use_namespaces else []
        slots: queue.Queue[Slot] = queue.Queue()
        taken: set[int] = set()
        for _ in range(jobs):
            slot = Slot.acquire(taken)
            if slot.uid is not None:
                taken.add(slot.uid)
            slots.put(slot)

        def run(test: GradedTest) -> Outcome:
            left = total_timeout - (time.perf_counter() - start)
            if left <= 1:
                return Outcome(False, f"Not run: the grading's time budget "
                                      f"({total_timeout:g} s) was used up.", 0.0)  # fmt: skip
            slot = slots.get()
            try:
                feedback = test.feedback or settings.feedback
                return run_test(test, dict(orders, feedback=feedback), slot,
                                min(test.timeout or timeout, left))  # fmt: skip
            finally:
                slots.put(slot)

        try:
            with closed_to_others(closed), ThreadPoolExecutor(max_workers=jobs) as pool:
                outcomes = list(pool.map(run, tests))
        finally:
            while not slots.empty():
                slots.get().release()
    entries = [_test_result(t, o) for t, o in zip(tests, outcomes, strict=True)]
    results = {
        "score": sum(e["score"] for e in entries),
        "execution_time": round(time.perf_counter() - start, 3),
        "output": _cut("\n".join([_summary(tests, entries), *notes])),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": entries,
    }
    return fit_size(results)
