"""``grade-all``: grade a whole class, each submission as ``grade`` would, side by side.

Each submission is graded by a process of its own (``python -m
chainrule.assignment.grade_all``, orders on stdin, never on the command line)
that runs :func:`chainrule.assignment.grade.grade`: the same trusted test
processes and sandboxed worker as a single ``grade``. One submission at a time
per core (each grading its tests one after the other) keeps every core busy
without two gradings fighting over one.

What a run leaves in ``OUT`` (mode 700: grades are private)::

    students/<id>/results.json   Gradescope's results, as `grade` writes them
    students/<id>/grader.log     what the grading process printed (for the staff)
    students/<id>/fingerprint.txt  what the result was graded from (SHA-256, see below)
    grades.csv, report.md, failures.png   see :mod:`chainrule.assignment.class_report`

Beside each ``results.json`` a ``fingerprint.txt`` records what the grading
depended on (:mod:`chainrule.assignment.fingerprint`: the tests, starter and
reference files, the submission's files, the time limits). A submission whose
results exist with the same fingerprint is not graded again, so an
interrupted run resumes where it stopped; one whose tests or files changed
since (fixed tests, a resubmission) is regraded, and the run says how many.
An empty submission, a zip that cannot be unpacked safely, a grading
that crashes or overruns its time: each gets a ``results.json`` with score 0
and the reason, and the run goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.fingerprint import (
    assignment_digest,
    fingerprint,
    read_fingerprint,
    write_fingerprint,
)
from chainrule.assignment.grade import (
    DEFAULT_TIMEOUT,
    DEFAULT_TOTAL_TIMEOUT,
    closed_to_others,
    default_reference,
)
from chainrule.assignment.results import failure, write
from chainrule.assignment.runner import FRAMEWORK_ROOT, wait_then_end_group
from chainrule.assignment.sandbox import (
    become_subreaper,
    children_of,
    is_root,
    namespaces_work,
    sweep_descendants,
)
from chainrule.assignment.submissions import Submission, find_submissions, is_empty, unpack_zip
from chainrule.assignment.testfiles import discover

RESULTS = "results.json"
# Beyond the grading's own budget, what a grading process gets to finish writing.
GRACE_SECONDS = 60.0
MAX_ORDERS = 1 << 16


@dataclass
class ClassRun:
    """What a ``grade-all`` run did, for the command line to print."""

    graded: int = 0
    resumed: int = 0  # already graded by an earlier run, same fingerprint: not graded again
    regraded: int = 0  # graded by an earlier run, but the tests or the submission changed
    failed: int = 0  # got a results.json with the reason they could not be graded
    seconds: float = 0.0
    notes: list[str] | None = None


def results_path(out: Path, sub: Submission) -> Path:
    return out / "students" / sub.id / RESULTS


def read_results(path: Path) -> dict[str, Any] | None:
    """A finished grading's results, or None when there is none (or it is not one)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "score" in data else None


def _child_environment() -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "HOME", "CHAINRULE_SANDBOX_NAMESPACES")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(PYTHONPATH=str(FRAMEWORK_ROOT), PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    return env


class _Children:
    """The grading processes running now, so an interrupted run can stop them all."""

    def __init__(self) -> None:
        self.live: set[subprocess.Popen[bytes]] = set()
        self.lock = threading.Lock()
        self.stopping = False
        # Processes the caller already had (grade_all called from a program): spared.
        self.before = frozenset(children_of(os.getpid()))

    def sweep(self) -> None:
        sweep_descendants(os.getpid(), keep=self.before)

    def kill_all(self) -> None:
        """Kill every grading, and what its test processes and workers left running.

        Each grading process and its test processes lead sessions of their own;
        they are our descendants (we are a subreaper), so the sweep finds them all.
        """
        with self.lock:
            self.stopping = True
            for proc in self.live:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
        self.sweep()


def _grade_one(
    sub: Submission, folder: Path, orders: dict[str, Any], out: Path, children: _Children
) -> None:
    """Grade ``folder`` (``sub``'s files) in a process of its own into its results.json."""
    dest = results_path(out, sub)
    dest.parent.mkdir(parents=True, exist_ok=True)
    limit = float(orders["total_timeout"]) + GRACE_SECONDS
    start = time.perf_counter()
    with open(dest.parent / "grader.log", "wb") as log, children.lock:
        if children.stopping:
            return
        proc = subprocess.Popen(
            [sys.executable, "-m", "chainrule.assignment.grade_all"],
            cwd=out, env=_child_environment(), stdin=subprocess.PIPE, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        children.live.add(proc)
    assert proc.stdin is not None
    with contextlib.suppress(OSError):
        proc.stdin.write(json.dumps(dict(orders, submission=str(folder),
                                         results=str(dest))).encode())  # fmt: skip
        proc.stdin.close()
    overran = wait_then_end_group(proc, limit)
    with children.lock:
        children.live.discard(proc)
        if children.stopping:
            return  # interrupted: no verdict, so the next run grades it
    seconds = time.perf_counter() - start
    if overran:
        write(failure(f"The grading did not finish within {limit:g} s and was stopped; "
                      f"tell the course staff.", seconds), dest)  # fmt: skip
    elif read_results(dest) is None:
        tail = (dest.parent / "grader.log").read_text(errors="replace")[-500:]
        write(failure(f"The grader stopped without results (exit status {proc.returncode}); "
                      f"tell the course staff.\n{tail}", seconds), dest)  # fmt: skip


def _prepare(sub: Submission, work: Path) -> tuple[Path | None, str | None]:
    """The folder to grade for ``sub`` (a zip unpacked into ``work``), or why there is none."""
    folder = sub.path
    if sub.is_zip:
        folder = work / sub.id
        shutil.rmtree(folder, ignore_errors=True)
        try:
            unpack_zip(sub.path, folder)
        except AssignmentError as exc:
            return None, f"The submitted zip could not be unpacked: {exc}"
    if is_empty(folder):
        return None, "The submission is empty: no file was found in it."
    return folder, None


def grade_all(
    submissions_dir: Path,
    tests_dir: Path,
    out: Path,
    *,
    starter: Path | None = None,
    reference: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
    parallel: int | None = None,
    jobs: int = 1,
    progress: Callable[[str], None] | None = None,
) -> ClassRun:
    """Grade every submission under ``submissions_dir`` into ``out``; write the class report.

    Parameters
    ----------
    submissions_dir : Path
        Gradescope's export (with ``submission_metadata.yml``), or a folder of
        folders or ``.zip`` files, one a student.
    tests_dir, starter, reference, timeout, total_timeout
        As for :func:`chainrule.assignment.grade.grade` (``starter`` defaults
        to ``tests_dir/../starter`` when it exists, as ``make`` lays it out).
    parallel : int, optional
        Submissions graded side by side (default: the number of CPUs).
    jobs : int
        Tests of one submission run side by side (default 1: the cores go to
        the submissions).
    """
    from chainrule.assignment.class_report import write_class_report

    start = time.perf_counter()
    submissions_dir, tests_dir, out = (p.resolve() for p in (submissions_dir, tests_dir, out))
    tests = discover(tests_dir)  # an assignment error stops the run before anything is graded
    if starter is None and (tests_dir.parent / "starter").is_dir():
        starter = tests_dir.parent / "starter"
    # Absolute: each grading runs in its own folder under OUT. And the reference that
    # grading will use is the one the fingerprint hashes (editing solution/ regrades).
    starter = starter.resolve() if starter else None
    reference = reference or default_reference(tests_dir, starter) or None
    reference = reference.resolve() if reference else None
    if out == submissions_dir or submissions_dir in out.parents:
        raise AssignmentError(f"--out {out} must lie outside the submissions {submissions_dir}")
    subs, notes = find_submissions(submissions_dir)
    if not subs:
        raise AssignmentError(f"no submission (folder or .zip) found in {submissions_dir}")
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)  # grades are private; and a student's code must not reach them
    work = out / ".work"
    work.mkdir(exist_ok=True)
    orders = {
        "tests": str(tests_dir), "starter": str(starter) if starter else None,
        "reference": str(reference) if reference else None, "timeout": timeout,
        "total_timeout": total_timeout, "jobs": jobs,
        # Classmates' submissions and everyone's results stay out of the worker's sight.
        "hide": [str(submissions_dir), str(out)],
    }  # fmt: skip
    run = ClassRun(notes=notes)
    limits = {"timeout": float(timeout), "total_timeout": float(total_timeout)}  # 4 == 4.0
    shared = assignment_digest(tests_dir, starter, reference, limits)
    prints = {sub.id: fingerprint(shared, sub.path) for sub in subs}
    todo = []
    for sub in subs:
        dest = results_path(out, sub)
        if read_results(dest) is not None:
            if read_fingerprint(dest.parent) == prints[sub.id]:
                run.resumed += 1
                continue
            run.regraded += 1
        # Stale or partial results go before grading: never kept if this grading fails.
        # The fingerprint is written first, so a results.json that appears later (even
        # just before an interruption) is known to be from these inputs.
        dest.unlink(missing_ok=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_fingerprint(dest.parent, prints[sub.id])
        todo.append(sub)
    say = progress or (lambda text: None)
    if run.resumed:
        say(f"{run.resumed} submission(s) already graded by an earlier run: kept")
    if run.regraded:
        say(f"{run.regraded} submission(s) graded by an earlier run are graded again: "
            f"the tests, the time limits or the submission changed since")  # fmt: skip
    children = _Children()
    become_subreaper()  # what an interrupted grading leaves behind comes to us, to be killed
    count = [0]

    def one(sub: Submission) -> None:
        if children.stopping:
            return
        try:
            folder, why = _prepare(sub, work)
            if folder is None:
                write(failure(str(why)), results_path(out, sub))
            else:
                _grade_one(sub, folder, orders, out, children)
                if sub.is_zip:
                    shutil.rmtree(folder, ignore_errors=True)
        except Exception as exc:  # one bad submission never stops the run
            if children.stopping:
                return
            write(failure(f"The grader failed on this submission ({type(exc).__name__}: "
                          f"{exc}); tell the course staff."), results_path(out, sub))  # fmt: skip
        results = read_results(results_path(out, sub))
        with children.lock:
            count[0] += 1
            if results is None:
                return
            if results.get("tests"):
                run.graded += 1
            else:
                run.failed += 1
            say(f"[{count[0]}/{len(todo)}] {sub.id}: {results['score']:g} points")

    # Without namespaces the worker is kept out by permissions: take "other"'s away from
    # the submissions for the whole run (a grading that restored them midway would let a
    # classmate's worker read them).
    closed = [submissions_dir] if is_root() and not namespaces_work() else []
    workers = max(1, parallel or os.cpu_count() or 1)
    try:
        with closed_to_others(closed):
            pool = ThreadPoolExecutor(max_workers=workers)
            try:
                for future in [pool.submit(one, sub) for sub in todo]:
                    future.result()
            except BaseException:  # Ctrl-C: stop every grading now; the next run resumes
                children.kill_all()
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        children.sweep()  # and reap: nothing of a grading outlives the run
    write_class_report(out, subs, tests, [read_results(results_path(out, s)) for s in subs])
    run.seconds = time.perf_counter() - start
    return run


def _child() -> int:
    """One submission's grading: orders (JSON) on stdin, results.json written by ``grade``."""
    import argparse

    from chainrule.assignment.cli import grade_into

    orders = json.loads(sys.stdin.read(MAX_ORDERS))
    args = argparse.Namespace(timeout=orders["timeout"], total_timeout=orders["total_timeout"],
                              jobs=orders["jobs"], only=())  # fmt: skip
    optional = {k: Path(orders[k]) if orders[k] else None for k in ("starter", "reference")}
    results = grade_into(
        Path(orders["results"]), Path(orders["submission"]), Path(orders["tests"]),
        optional["starter"], optional["reference"], args, [Path(p) for p in orders["hide"]],
    )  # fmt: skip
    return 0 if results is not None else 2


if __name__ == "__main__":
    raise SystemExit(_child())
