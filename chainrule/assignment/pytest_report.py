"""A pytest plugin the grader loads into each test's subprocess.

It writes one JSON file saying whether the test passed and, if not, what a
student may see: the exception's type and message (a gradcheck report names
the wrong gradient), any notes (hypothesis's falsifying example), the frames
of the *student's* files in the traceback, and the warnings raised. It never
writes pytest's own failure report, which quotes the test's source: a hidden
test's code must not reach the student.

Loaded with ``-p chainrule.assignment.pytest_report --chainrule-report FILE
--chainrule-student-dir DIR --chainrule-tests-dir DIR``.
"""

from __future__ import annotations

import json
import linecache
import re
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

_STATE: dict[str, Any] = {"phases": {}, "errors": [], "warnings": [], "output": ""}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chainrule")
    group.addoption("--chainrule-report", default=None, help="write the outcome as JSON here")
    group.addoption("--chainrule-student-dir", default=None, help="root of the student's files")
    group.addoption("--chainrule-tests-dir", default=None, help="root of the test files")
    group.addoption(
        "--chainrule-hypothesis", action="store_true", help="load the grader's hypothesis profile"
    )


def _hypothesis_profile() -> None:
    """Deterministic hypothesis: the same examples for every student, every run.

    ``derandomize`` draws examples from a seed fixed by the test itself; no
    example database, no deadline and no health check (a slow grading machine
    must not fail a student), and no "explain" phase (it lists lines of the
    grader's files, which tell a student nothing).
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


def _is_student_file(filename: str, config: pytest.Config) -> bool:
    student = config.getoption("--chainrule-student-dir")
    tests = config.getoption("--chainrule-tests-dir")
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return False
    if student is None or not path.is_relative_to(Path(student).resolve()):
        return False
    return tests is None or not path.is_relative_to(Path(tests).resolve())


def _student_frames(tb: TracebackType | None, config: pytest.Config) -> list[str]:
    root = Path(config.getoption("--chainrule-student-dir") or ".").resolve()
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if _is_student_file(code.co_filename, config):
            rel = Path(code.co_filename).resolve().relative_to(root).as_posix()
            source = linecache.getline(code.co_filename, tb.tb_lineno).strip()
            frames.append(f'  File "{rel}", line {tb.tb_lineno}, in {code.co_name}\n    {source}')
        tb = tb.tb_next
    return frames


def _describe(exc: BaseException, config: pytest.Config) -> str:
    text = f"{type(exc).__name__}: {exc}".rstrip()
    notes = getattr(exc, "__notes__", None)
    if notes:
        text += "\n" + "\n".join(str(n) for n in notes)
    frames = _student_frames(exc.__traceback__, config)
    if frames:
        text += "\n\nWhere, in your code (most recent call last):\n" + "\n".join(frames)
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None and _student_frames(cause.__traceback__, config):
        text += "\n\nThis was caused by:\n" + _describe(cause, config)
    return text


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    _STATE["phases"][report.when] = report.outcome
    if report.failed and call.excinfo is not None:
        _STATE["errors"].append(_describe(call.excinfo.value, item.config))
    if report.failed:
        _STATE["output"] += "".join(content for _, content in report.sections)


_LOCATION = re.compile(r"^(?P<file>[^\s:]+\.py):(?P<line>\d+)")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A test file that cannot be imported: keep the error lines and student locations."""
    if not report.failed:
        return
    _STATE["phases"]["collect"] = "failed"
    config = _STATE["config"]
    root = str(Path(config.getoption("--chainrule-student-dir") or ".").resolve())
    kept = []
    for line in str(report.longrepr).splitlines():
        text = line.strip()
        if line.startswith("E "):
            kept.append(line[1:].strip().replace(root + "/", ""))
        elif (m := _LOCATION.match(text)) and _is_student_file(str(Path(root, m["file"])), config):
            kept.append(f"  at {text.replace(root + '/', '')}")
    body = "\n".join(kept) or "the test file could not be imported"
    _STATE["errors"].append("The tests could not import your code:\n" + body)


def pytest_warning_recorded(warning_message: Any, when: str, nodeid: str, location: Any) -> None:
    message = f"{warning_message.category.__name__}: {warning_message.message}"
    config = _STATE.get("config")
    if config is not None and _is_student_file(str(warning_message.filename), config):
        root = Path(config.getoption("--chainrule-student-dir")).resolve()
        rel = Path(warning_message.filename).resolve().relative_to(root).as_posix()
        message += f" ({rel}, line {warning_message.lineno})"
    if message not in _STATE["warnings"]:
        _STATE["warnings"].append(message)


def pytest_configure(config: pytest.Config) -> None:
    _STATE["config"] = config
    if config.getoption("--chainrule-hypothesis"):
        _hypothesis_profile()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("--chainrule-report")
    if path is None:
        return
    phases = _STATE["phases"]
    passed = phases.get("call") == "passed" and all(v != "failed" for v in phases.values())
    errors = list(_STATE["errors"])
    if not phases:
        errors.append(f"pytest ran no test (exit status {int(exitstatus)})")
    result = {
        "passed": passed,
        "skipped": phases.get("setup") == "skipped" or phases.get("call") == "skipped",
        "errors": errors,
        "warnings": _STATE["warnings"],
        "output": _STATE["output"][-4000:],
    }
    Path(path).write_text(json.dumps(result), encoding="utf-8")
