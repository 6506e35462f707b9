"""Run one test in a trusted process of its own, with a time limit, and read its verdict.

One trusted process per test (:mod:`chainrule.assignment.trusted`), each with
a fresh worker for the student's code, means an infinite loop, a crash or a
call to ``exit()`` costs only the tests that meet it, and nothing one test's
student code does can reach another's. The process gets its orders on
stdin, never on its command line or in its environment, and answers through
a pipe that only it holds; third-party pytest plugins are not loaded (nothing installed on the
grading machine can change an outcome).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainrule.assignment.partial import Marks, read_findings, read_marks
from chainrule.assignment.sandbox import (
    Slot,
    sweep_descendants,
    sweep_files,
    sweep_ipc,
    sweep_uid,
)
from chainrule.assignment.testfiles import GradedTest

# The framework's own packages (layers, gradcheck, chainrule...) are importable
# from here: the source tree in development, site-packages once installed.
FRAMEWORK_ROOT = Path(__file__).resolve().parents[2]

_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "HOME", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
MAX_VERDICT = 1 << 20  # bytes read from a test process
_LIVE: set[int] = set()  # trusted processes running now (without root, the sweep spares them)
_LIVE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    """What one test's run gave: pass or fail, and what the student may read."""

    passed: bool
    output: str
    seconds: float
    marks: Marks | None = None  # a failed check's tensors, right or not (partial credit)
    findings: tuple[tuple[str, str, str], ...] = ()  # a failed check's (tensor, kind, slip)


def _environment(orders: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _KEEP_ENV}
    env.update(
        PYTHONPATH=str(FRAMEWORK_ROOT),
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        # One BLAS thread: tests run side by side, and results must not depend
        # on how a sum was split between threads.
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        MPLBACKEND="Agg",
        CHAINRULE_NAMESPACES="1" if orders["worker"]["namespaces"] else "0",
    )
    return env


def _read_all(fd: int, into: list[bytes]) -> None:
    size = 0
    with os.fdopen(fd, "rb") as pipe:
        while chunk := pipe.read(65536):
            size += len(chunk)
            if size <= MAX_VERDICT:
                into.append(chunk)


def wait_then_end_group(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait up to ``timeout`` s for ``proc``, then kill its process group; True if it overran.

    Killing the group even after a normal exit ends what the process left behind.
    """
    try:
        proc.wait(timeout=timeout)
        overran = False
    except subprocess.TimeoutExpired:
        overran = True
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return overran


def run_test(test: GradedTest, orders: dict[str, Any], slot: Slot, timeout: float) -> Outcome:
    """Run ``test`` with the grading ``orders`` (see :mod:`trusted`) in ``slot``."""
    read_end, write_end = os.pipe()
    orders = dict(orders, node=test.node_id, hidden=test.hidden, partial=test.partial,
                  hypothesis=test.uses_hypothesis, verdict_fd=write_end)  # fmt: skip
    orders["worker"] = dict(orders["worker"], uid=slot.uid, cpu_seconds=int(timeout) + 2)
    private = Path(tempfile.mkdtemp(prefix="private-", dir=orders["workspace"]))
    orders["private"] = str(private)
    chunks: list[bytes] = []
    reader = threading.Thread(target=_read_all, args=(read_end, chunks), daemon=True)
    start = time.perf_counter()
    log = open(private / "trusted.log", "wb")  # noqa: SIM115 - closed once the process ends
    with _LIVE_LOCK:
        proc = subprocess.Popen(
            [sys.executable, "-m", "chainrule.assignment.trusted"],
            cwd=orders["workspace"], env=_environment(orders), stdin=subprocess.PIPE,
            stdout=log, stderr=subprocess.STDOUT, pass_fds=(write_end,), start_new_session=True,
        )  # fmt: skip
        _LIVE.add(proc.pid)
    os.close(write_end)
    assert proc.stdin is not None
    with contextlib.suppress(OSError):  # a process that died at once is judged below
        proc.stdin.write(json.dumps(orders).encode())
        proc.stdin.close()
    reader.start()
    timed_out = wait_then_end_group(proc, timeout)
    log.close()
    # Whatever the student's code started, in this test's slot or below us, ends now.
    with _LIVE_LOCK:
        _LIVE.discard(proc.pid)
        if slot.uid is not None:
            sweep_uid(slot.uid)
            sweep_files(slot.uid)
            sweep_ipc(slot.uid)
        else:  # orphans came to us (a subreaper); the other tests' processes stay
            sweep_descendants(os.getpid(), keep=frozenset(_LIVE))
    reader.join(timeout=5)
    seconds = time.perf_counter() - start
    if timed_out:
        return Outcome(
            False,
            f"Timed out after {timeout:g} s and was stopped: an infinite loop, or a "
            f"computation far slower than it should be, in the code this test calls.",
            seconds,
        )
    try:
        data = json.loads(b"".join(chunks).decode("utf-8"))
    except ValueError:
        tail = (private / "trusted.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"the grader's test process failed on {test.node_id}:\n{tail}") from None
    if data.get("sandbox_failed"):  # not the student's doing: stop, and tell the staff
        print(f"the worker's sandbox failed:\n{data['sandbox_failed']}", file=sys.stderr)
        raise RuntimeError("the worker's sandbox could not be set up (details on stderr)")
    return _outcome(data, seconds)


def _outcome(data: dict[str, Any], seconds: float) -> Outcome:
    parts = [str(e) for e in data.get("errors", [])]
    passed = data.get("passed") is True
    if data.get("skipped") and not passed:
        parts.append("The test was skipped, so it earns no points.")
    if data.get("output") and not passed:
        parts.append("Captured output:\n" + str(data["output"]).rstrip())
    if data.get("printed") and not passed:
        parts.append("Your code printed (the end of it):\n" + str(data["printed"]).rstrip())
    if data.get("warnings"):
        parts.append(
            "Warnings (not penalised, but worth a look):\n"
            + "\n".join(f"  {w}" for w in data["warnings"])
        )
    marks = None if passed else read_marks(data.get("marks"))
    findings = tuple((f[0], f[1], f[2]) for f in read_findings(data.get("findings")))
    return Outcome(passed, "\n\n".join(parts), seconds, marks, () if passed else findings)
