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
import os
import re
import tempfile
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


MAX_RESULTS_BYTES = 1_000_000  # Gradescope's results.json stays under 1 MB

# Control characters (terminal escapes among them) never reach a page or a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """``text`` without control characters (newlines and tabs stay)."""
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)


def fit_size(data: dict[str, Any], limit: int = MAX_RESULTS_BYTES) -> dict[str, Any]:
    """Shorten the tests' outputs until the whole file is under ``limit`` bytes."""
    tests = data.get("tests", [])
    cap = 8000
    while len(json.dumps(data, indent=2, ensure_ascii=False).encode()) > limit and cap > 100:
        cap //= 2
        for test in tests:
            out = test.get("output", "")
            if len(out) > cap:
                test["output"] = out[:cap] + f"\n… cut ({len(out) - cap} more)"
    return data


def write(data: dict[str, Any], path: Path) -> None:
    """Write ``data`` to ``path`` at once (parents created), refusing invalid results.

    The file is written beside ``path`` and renamed over it, so a reader never
    sees half a file, and a planted file or symlink at ``path`` is replaced, never
    written through.
    """
    problems = validate(data)
    if problems:
        raise ValueError("invalid Gradescope results: " + "; ".join(problems))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


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
