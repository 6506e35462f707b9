"""The trusted test process: runs one instructor test, decides its verdict.

The grader starts ``python -m chainrule.assignment.trusted`` for each test
and writes its orders (JSON) to its stdin: nothing on the command line, where
any process may read it, nor in the environment. This process
never imports the student's code: it runs pytest on the test, whose imports
of the student's modules reach a worker (:mod:`chainrule.assignment.worker`)
through :mod:`chainrule.assignment.student_modules`. gradcheck, the
comparisons and the verdict stay here; gradcheck's numeric derivatives come
from the reference's forward pass when the reference has a twin of the
checked object.

The verdict goes to the grader through a pipe it inherited (``verdict_fd``),
which the worker never holds: what passed, and what the student may read
(the exception, gradcheck's report at the assignment's level of detail, the
frames of the student's files, what the student's code printed). It never
holds pytest's own failure report, which quotes the test's source.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import sys
from pathlib import Path

from chainrule.assignment.sandbox import WorkerProcess, WorkerSpec, become_subreaper, is_root

NAMESPACES_ENV = "CHAINRULE_NAMESPACES"  # "1": give the worker its own namespaces
MAX_ORDERS = 1 << 20


def _no_peeking() -> None:
    """Make this process non-dumpable: another of the same user cannot ptrace it or open its fds."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(4, 0)  # PR_SET_DUMPABLE


def main() -> int:
    """Run the test named in the orders on stdin and send its verdict down ``verdict_fd``."""
    _no_peeking()
    # The worker is forked before the orders are read: its memory holds NumPy and the
    # framework, loaded once for both, and nothing of the grading.
    import gradcheck  # noqa: F401
    import layers  # noqa: F401
    import losses  # noqa: F401
    import optim  # noqa: F401

    worker = WorkerProcess(namespaces=os.environ.get(NAMESPACES_ENV) == "1")
    orders = json.loads(sys.stdin.read(MAX_ORDERS))
    if not is_root():
        become_subreaper()  # the worker's orphans come to us, to be killed
    verdict_file = os.fdopen(int(orders["verdict_fd"]), "w", encoding="utf-8")
    worker.start(WorkerSpec(**orders["worker"]), Path(orders["private"]))
    import pytest

    from chainrule.assignment.trusted_plugin import TrustedPlugin

    workspace = Path(orders["workspace"])
    args = [f"tests/{orders['node']}", "-q", "--tb=no", "-p", "no:cacheprovider"]
    args += ["-c", str(workspace / "pytest.ini"), "--rootdir", str(workspace)]
    if orders.get("hidden"):
        # pytest's assertion rewriting quotes parts of the assert statement in
        # its message: fine for a test the student can read, not for a hidden one.
        args.append("--assert=plain")
    os.chdir(workspace)
    plugin = TrustedPlugin(orders, worker)
    status = pytest.main(args, plugins=[plugin])
    json.dump(plugin.verdict(int(status)), verdict_file)
    verdict_file.close()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
