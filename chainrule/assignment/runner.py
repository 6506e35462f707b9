"""Run one test in its own subprocess, with a time limit.

One process per test means an infinite loop, a crash (even a segfault), a
failed import or a call to ``exit()`` in a student's code costs only the
tests that touch it. The child is a plain ``python -m pytest <test>`` with
third-party plugin autoloading switched off (faster, and nothing installed on
the grading machine can change the outcome) and our reporting plugin, which
also makes hypothesis deterministic so every student sees a reproducible
failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from chainrule.assignment.testfiles import GradedTest

# The framework's own packages (layers, gradcheck, chainrule...) are importable
# from here: the source tree in development, site-packages once installed.
FRAMEWORK_ROOT = Path(__file__).resolve().parents[2]

_DROP_ENV = ("PYTHONPATH", "PYTHONWARNINGS", "PYTHONSTARTUP", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")


@dataclass(frozen=True)
class Outcome:
    """What one test's run gave: pass or fail, and what the student may read."""

    passed: bool
    output: str
    seconds: float


def _environment(workspace: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
    env.update(
        PYTHONPATH=os.pathsep.join([str(workspace), str(FRAMEWORK_ROOT)]),
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONFAULTHANDLER="1",
        # One BLAS thread: tests run side by side, and results must not depend
        # on how a sum was split between threads.
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    return env


def _command(test: GradedTest, workspace: Path, report: Path) -> list[str]:
    tests_dir = workspace / "tests"
    cmd = [sys.executable, "-m", "pytest", f"tests/{test.node_id}", "-q", "--tb=short"]
    cmd += ["-c", str(workspace / "pytest.ini"), "--rootdir", str(workspace)]
    cmd += ["-p", "no:cacheprovider", "-p", "chainrule.assignment.pytest_report"]
    cmd += ["--chainrule-report", str(report), "--chainrule-student-dir", str(workspace)]
    cmd += ["--chainrule-tests-dir", str(tests_dir)]
    if test.hidden:
        # pytest's assertion rewriting quotes parts of the assert statement in
        # its message: fine for a test the student can read, not for a hidden one.
        cmd += ["--assert=plain"]
    if test.uses_hypothesis:
        cmd += ["--chainrule-hypothesis"]
    return cmd


def _tail(path: Path, workspace: Path, limit: int = 1500) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return text[-limit:].replace(str(workspace) + os.sep, "")


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: children too
    except (AttributeError, ProcessLookupError, PermissionError):
        proc.kill()


def run_test(test: GradedTest, workspace: Path, timeout: float) -> Outcome:
    """Run ``test`` against the files in ``workspace`` (tests under ``tests/``)."""
    stem = f"_run_{test.file.replace('/', '_')}_{test.function}"
    report, out = workspace / f"{stem}.json", workspace / f"{stem}.log"
    start = time.perf_counter()
    with out.open("wb") as log:
        proc = subprocess.Popen(
            _command(test, workspace, report),
            cwd=workspace,
            env=_environment(workspace),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill(proc)
            code = proc.wait()
            timed_out = True
    seconds = time.perf_counter() - start
    if timed_out:
        return Outcome(
            False,
            f"Timed out after {timeout:g} s and was stopped: an infinite loop, or a "
            f"computation far slower than it should be, in the code this test calls.",
            seconds,
        )
    if not report.exists():
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        return Outcome(
            False,
            f"The test process {how} before the test finished (a crash, or a call to "
            f"exit() in the code under test). Last output:\n{_tail(out, workspace)}",
            seconds,
        )
    data = json.loads(report.read_text(encoding="utf-8"))
    parts = list(data["errors"])
    if data["skipped"] and not data["passed"]:
        parts.append("The test was skipped, so it earns no points.")
    if data["output"] and not data["passed"]:
        parts.append("Captured output:\n" + data["output"].rstrip())
    if data["warnings"]:
        parts.append(
            "Warnings (not penalised, but worth a look):\n"
            + "\n".join(f"  {w}" for w in data["warnings"])
        )
    return Outcome(bool(data["passed"]), "\n\n".join(parts), seconds)
