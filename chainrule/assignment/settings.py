"""An assignment's grading settings: ``tests/grading.json``, read by the grader only.

Optional; every key may be left out::

    {
      "forbid": ["layers.Linear.backward", "optim.SGD.step"],
      "forbid_imports": ["gradcheck"],
      "feedback": "hints"
    }

- ``forbid``: framework functions (``module.Class.method`` or ``module.function``)
  that raise "not allowed in this assignment" in the student's process, so a
  student cannot hand in the framework's own answer.
- ``forbid_imports``: modules the student's code may not import.
- ``feedback``: how much a failed gradient check tells the student:
  ``"hints"`` (default: which gradient is wrong, its worst entries and the
  kind of slip, never the correct equation or code), ``"full"`` (gradcheck's
  whole report, with the equations) or ``"minimal"`` (which gradient, and the
  kind of finding); gradcheck's hint-level names are accepted too: ``"slip"``
  (the same as ``"hints"``) and ``"none"`` (the report without any hint).
  ``@points(..., feedback=...)`` overrides it for one test.

It lives with the tests, never with the submission, so a student cannot change it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from chainrule.assignment.errors import AssignmentError

# gradcheck's hint levels ("full", "slip", "none") and report_text's two more: "hints" (the
# name "slip" had first, the default) and "minimal" (one line a problem).
FEEDBACK_LEVELS = ("hints", "full", "minimal", "slip", "none")
SETTINGS_FILE = "grading.json"


@dataclass(frozen=True)
class Settings:
    forbid: list[str] = field(default_factory=list)
    forbid_imports: list[str] = field(default_factory=list)
    feedback: str = "hints"


def _names(value: object, key: str, where: Path) -> list[str]:
    if not isinstance(value, list) or not all(
        isinstance(v, str) and all(part.isidentifier() for part in v.split(".")) for v in value
    ):
        raise AssignmentError(f"{where}: {key} must be a list of dotted names, got {value!r}")
    return list(value)


def read_settings(tests_dir: Path) -> Settings:
    """The settings in ``tests_dir/grading.json`` (defaults when there is none)."""
    path = tests_dir / SETTINGS_FILE
    if not path.is_file():
        return Settings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise AssignmentError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AssignmentError(f"{path}: expected a JSON object, got {type(data).__name__}")
    unknown = set(data) - {"forbid", "forbid_imports", "feedback", "comment"}
    if unknown:
        raise AssignmentError(f"{path}: unknown key(s) {sorted(unknown)}")
    feedback = data.get("feedback", "hints")
    if feedback not in FEEDBACK_LEVELS:
        raise AssignmentError(
            f"{path}: feedback must be one of {FEEDBACK_LEVELS}, got {feedback!r}"
        )
    return Settings(
        forbid=_names(data.get("forbid", []), "forbid", path),
        forbid_imports=_names(data.get("forbid_imports", []), "forbid_imports", path),
        feedback=feedback,
    )
