"""The pytest plugin of the trusted test process: wires the worker, gradcheck and the verdict.

See :mod:`chainrule.assignment.trusted` for the process around it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chainrule.assignment.partial import Marks, finding_kinds, tensor_marks
from chainrule.assignment.remote import Endpoint, Proxy, WorkerError, format_frames
from chainrule.assignment.sandbox import WorkerProcess
from chainrule.assignment.student_modules import Reference, StudentFinder, install_finder

MAX_MESSAGE = 6000  # characters of one error or report a student gets


def _cut(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n… cut ({len(text) - limit} more)"


def _hypothesis_profile() -> None:
    """Deterministic hypothesis: the same examples for every student, every run.

    ``derandomize`` draws examples from a seed fixed by the test itself; no
    example database, no deadline and no health check (a slow grading machine
    must not fail a student), and no "explain" phase.
    """
    from hypothesis import HealthCheck, Phase, settings

    settings.register_profile(
        "chainrule-grader",
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )
    settings.load_profile("chainrule-grader")


class TrustedPlugin:
    """Wires the student's modules (in the worker) and gradcheck, keeps the verdict."""

    def __init__(self, orders: dict[str, Any], worker: WorkerProcess) -> None:
        self.orders = orders
        self.phases: dict[str, str] = {}
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.output = ""
        self.marks: Marks | None = None  # partial credit: the failed check's tensors
        self.findings: list[list[str]] = []  # the failed check's findings, for the class report
        self.worker = worker  # forked first thing, before the orders were read
        self.endpoint: Endpoint | None = None
        self.finder: StudentFinder | None = None
        self.reference: Reference | None = None

    # -- the worker and the student's modules -------------------------------
    def _endpoint(self) -> Endpoint:
        if self.endpoint is None:
            if not self.worker.wait_ready():
                raise WorkerError(
                    "The grader could not start the sandbox for your code (not your doing); "
                    "tell the course staff."
                )
            self.endpoint = Endpoint(self.worker.sock, strict=True,
                                     on_broken=self.worker.why_broken)  # fmt: skip
        return self.endpoint

    def _patch_gradcheck(self) -> None:
        """gradcheck's checks take the reference's twin of a student's object, when it has one."""
        import gradcheck

        real_layer, real_loss = gradcheck.check_layer, gradcheck.check_loss
        reference = self.reference

        def twin(obj: Any, *inputs: Any) -> Any | None:
            made = reference.twin(obj) if reference is not None else None
            if made is None:
                return None
            try:  # the reference must run where the student's must (not a stub)
                made.forward(*(np.array(a, copy=True) for a in inputs))
            except Exception:
                return None
            return made

        def check_layer(layer: Any, x: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            if isinstance(layer, Proxy) and kwargs.get("reference") is None:
                kwargs["reference"] = twin(layer, x)
            return real_layer(layer, x, **kwargs)  # a CheckResult with raise_on_failure=False

        def check_loss(loss: Any, y: Any, t: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            if isinstance(loss, Proxy) and kwargs.get("reference") is None:
                kwargs["reference"] = twin(loss, y, t)
            return real_loss(loss, y, t, **kwargs)

        gradcheck.check_layer, gradcheck.check_loss = check_layer, check_loss

    # -- pytest hooks ----------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        if self.orders.get("hypothesis"):
            _hypothesis_profile()
        names = set(self.orders["modules"])
        ref = self.orders.get("reference")
        self.reference = Reference(Path(ref) if ref else None, names)
        self.finder = install_finder(names, self._endpoint)
        self._patch_gradcheck()

    def _describe(self, exc: BaseException) -> str:
        """What the student reads of a failure: the message, and where in their code."""
        from gradcheck import GradcheckError, report_text

        cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if isinstance(exc, GradcheckError):
            # The report at the assignment's level of detail; of the exception behind it
            # (a crash in the student's backward) only where it was raised: its own
            # message may carry the framework's advice, which is the answer.
            text = f"GradcheckError: {report_text(exc, self.orders.get('feedback', 'hints'))}"
            frames = getattr(cause, "remote_frames", None)
            if frames:
                text += "\n\nWhere, in your code (most recent call last):\n" + format_frames(frames)
            return _cut(text)
        text = f"{getattr(exc, 'remote_type', type(exc).__name__)}: {exc}".rstrip()
        notes = getattr(exc, "__notes__", None)
        if notes:
            text += "\n" + "\n".join(str(n) for n in notes)
        frames = getattr(exc, "remote_frames", None)
        if frames:
            text += "\n\nWhere, in your code (most recent call last):\n" + format_frames(frames)
        if cause is not None and getattr(cause, "remote_frames", None) and cause is not exc:
            text += "\n\nThis was caused by:\n" + self._describe(cause)
        return _cut(text)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        self.phases[report.when] = report.outcome
        if report.failed and call.excinfo is not None:
            self.errors.append(self._describe(call.excinfo.value))
            if report.when == "call":
                self.findings = finding_kinds(call.excinfo.value)
                if self.orders.get("partial"):
                    self.marks = tensor_marks(call.excinfo.value)
        if report.failed:
            self.output += "".join(content for _, content in report.sections)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if not report.failed:
            return
        self.phases["collect"] = "failed"
        failure = self.finder.failure if self.finder is not None else None
        if failure is not None:
            body = self._describe(failure)
        else:  # the test file itself: tell the student only that, not its source
            body = "the test file could not be imported (tell the course staff)"
        self.errors.append("The tests could not import your code:\n" + body)

    def pytest_warning_recorded(self, warning_message: Any, when: str, nodeid: str,
                                location: Any) -> None:  # fmt: skip
        message = f"{warning_message.category.__name__}: {warning_message.message}"
        if message not in self.warnings and len(self.warnings) < 10:
            self.warnings.append(_cut(message, 500))

    def verdict(self, exitstatus: int) -> dict[str, Any]:
        phases = self.phases
        passed = phases.get("call") == "passed" and all(v != "failed" for v in phases.values())
        # Partial credit only when the test itself failed on a check, and nothing else did.
        failed_phases = [k for k, v in phases.items() if v == "failed"]
        marks = self.marks if failed_phases == ["call"] else None
        errors = list(self.errors)
        if not phases:
            errors.append(f"pytest ran no test (exit status {int(exitstatus)})")
        if self.endpoint is not None and self.endpoint.broken is None:
            with contextlib.suppress(Exception):  # what the student's code warned
                for text in self.endpoint.request("warnings")[:10]:
                    if isinstance(text, str) and text not in self.warnings:
                        self.warnings.append(_cut(text, 500))
        broken_sandbox = self.worker.setup_failed()
        self.worker.stop()
        printed = self.worker.output()
        return {
            "passed": passed,
            "skipped": phases.get("setup") == "skipped" or phases.get("call") == "skipped",
            "errors": errors,
            "warnings": self.warnings,
            "output": _cut(self.output, 2000),
            "printed": printed,
            "sandbox_failed": broken_sandbox,
            "marks": [list(m) for m in marks] if marks and not passed else None,
            "findings": self.findings if not passed else [],
        }
