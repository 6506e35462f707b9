"""Gradescope's ``results.json``: build it, and check it against the specification.

The fields follow Gradescope's autograder specification
(gradescope/autograder_samples, ``docs/specs.md``). Top level: ``score``
(number; when present it is the submission's score), ``execution_time``
(seconds, a number: gradescope-utils writes a string, which the spec does
not allow), ``output``, ``output_format``, ``visibility``,
``stdout_visibility``, ``tests``. Each test: ``score``, ``max_score``,
``status`` (``passed`` / ``failed``), ``name``, ``output``, ``visibility``
and a few optional fields.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
FORMATS = ("text", "simple_format", "html", "md", "ansi")
STATUSES = ("passed", "failed")

_TOP_KEYS = {
    "score", "execution_time", "output", "output_format", "test_output_format",
    "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard",
}  # fmt: skip
_TEST_KEYS = {
    "score", "max_score", "status", "name", "name_format", "number", "output",
    "output_format", "tags", "visibility", "extra_data",
}  # fmt: skip


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate(data: Any) -> list[str]:
    """Every way ``data`` breaks Gradescope's results specification ([] if none)."""
    if not isinstance(data, dict):
        return [f"results must be a JSON object, got {type(data).__name__}"]
    problems = [f"unknown top-level key {k!r}" for k in sorted(set(data) - _TOP_KEYS)]
    if "score" not in data and "tests" not in data:
        problems.append("results need a 'score' or a 'tests' list")
    for key in ("score", "execution_time"):
        if key in data and not _number(data[key]):
            problems.append(f"{key} must be a finite number, got {data[key]!r}")
    for key in ("output", "test_output_format", "test_name_format"):
        if key in data and not isinstance(data[key], str):
            problems.append(f"{key} must be a string")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data and data[key] not in FORMATS:
            problems.append(f"{key} must be one of {FORMATS}, got {data[key]!r}")
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in VISIBILITIES:
            problems.append(f"{key} must be one of {VISIBILITIES}, got {data[key]!r}")
    tests = data.get("tests", [])
    if not isinstance(tests, list):
        return [*problems, "tests must be a list"]
    for i, test in enumerate(tests):
        problems += [f"tests[{i}]: {p}" for p in _validate_test(test)]
    return problems


def _validate_test(test: Any) -> list[str]:
    if not isinstance(test, dict):
        return ["must be an object"]
    problems = [f"unknown key {k!r}" for k in sorted(set(test) - _TEST_KEYS)]
    for key in ("score", "max_score"):
        if key in test and not _number(test[key]):
            problems.append(f"{key} must be a finite number, got {test[key]!r}")
    if "score" not in test and "status" not in test:
        problems.append("needs a 'score' or a 'status'")
    if "status" in test and test["status"] not in STATUSES:
        problems.append(f"status must be 'passed' or 'failed', got {test['status']!r}")
    for key in ("name", "output", "number"):
        if key in test and not isinstance(test[key], str):
            problems.append(f"{key} must be a string")
    for key in ("output_format", "name_format"):
        if key in test and test[key] not in FORMATS:
            problems.append(f"{key} must be one of {FORMATS}, got {test[key]!r}")
    if "visibility" in test and test["visibility"] not in VISIBILITIES:
        problems.append(f"visibility must be one of {VISIBILITIES}, got {test['visibility']!r}")
    if "tags" in test and not (
        isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])
    ):
        problems.append("tags must be a list of strings")
    return problems


def write(data: dict[str, Any], path: Path) -> None:
    """Write ``data`` to ``path`` (parents created), refusing invalid results."""
    problems = validate(data)
    if problems:
        raise ValueError("invalid Gradescope results: " + "; ".join(problems))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def failure(message: str, seconds: float = 0.0) -> dict[str, Any]:
    """Results for a submission the grader could not grade at all (score 0)."""
    return {
        "score": 0.0,
        "execution_time": round(seconds, 3),
        "output": message,
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }
