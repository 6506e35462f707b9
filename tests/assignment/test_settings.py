"""`tests/grading.json` and `@points(feedback=...)`: every level the grader can show is
accepted, anything else is refused with the levels it could have been."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from broken_layers import SignFlippedLinear

from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.points import points
from chainrule.assignment.settings import FEEDBACK_LEVELS, read_settings
from gradcheck import check_layer, report_text


def _write(tmp_path: Path, settings: object) -> Path:
    (tmp_path / "grading.json").write_text(json.dumps(settings), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("level", FEEDBACK_LEVELS)
def test_every_feedback_level_is_one_report_text_knows(tmp_path: Path, level: str) -> None:
    assert read_settings(_write(tmp_path, {"feedback": level})).feedback == level
    points(1, feedback=level)  # accepted per test too
    failed = check_layer(SignFlippedLinear(3, 2, rng=0), np.ones((2, 3)), raise_on_failure=False)
    assert failed is not None and failed.error is not None
    text = report_text(failed.error, level)
    # What a student reads never holds the answer's example below the full level.
    assert ("(t − y) where (y − t)" in text) == (level == "full")
    assert ("Hint" in text) == (level in ("full", "hints", "slip"))


def test_an_unknown_level_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(AssignmentError, match=r"feedback must be one of .*'none'.*got 'all'"):
        read_settings(_write(tmp_path, {"feedback": "all"}))
    with pytest.raises(AssignmentError, match=r"feedback must be one of .*got 'verbose'"):
        points(1, feedback="verbose")


def test_no_settings_file_means_the_default_hints(tmp_path: Path) -> None:
    assert read_settings(tmp_path).feedback == "hints"
