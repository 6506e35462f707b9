"""The failure report is self-contained: a student can act on it without the source."""

from __future__ import annotations

import re

import numpy as np
import pytest
from broken_layers import HalfMSELoss, SignFlippedLinear

from gradcheck import GradcheckError, check_layer, check_loss

X = np.random.default_rng(2).uniform(-2, 2, (4, 3))


def report_of(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(GradcheckError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return str(info.value)


def test_layer_report_names_everything_a_student_needs() -> None:
    text = report_of(check_layer, SignFlippedLinear(3, 2, rng=0), X, seed=3)
    assert text.startswith(
        "Gradient check failed for Linear(3, 2) (class SignFlippedLinear): "
        "the gradient of W is wrong."
    )
    for needle in (
        "shape (2, 3)",
        "entry",
        "numeric",
        "analytic",
        "abs error",
        "rel error",
        "rtol = 1e-06",
        "atol = 1e-08",
        "Hint:",
        "negated",
        "seed=3",
        "Every gradient checked:",
        "input",
        "WRONG",
    ):
        assert needle in text, needle
    assert len(re.findall(r"✗", text)) == 5  # the five worst rows, all failing


def test_the_printed_input_reproduces_the_failure() -> None:
    text = report_of(check_layer, SignFlippedLinear(3, 2, rng=0), X)
    literal = text[text.index("x = np.array(") + 4 :]
    x = eval(literal, {"np": np})  # our own report, in a test
    np.testing.assert_array_equal(x, X)


def test_loss_report_prints_y_and_t() -> None:
    text = report_of(check_loss, HalfMSELoss(), X, X[::-1])
    assert text.startswith("Gradient check failed for HalfMSELoss(reduction='mean'): ∂L/∂y")
    assert "y = np.array(" in text and "t = np.array(" in text
    assert "factor 2 is missing" in text


def test_factor_two_hint_names_the_mean_sum_mix_up_when_the_batch_has_two_rows() -> None:
    from gradcheck.hints import diagnose

    numeric = np.array([0.3, -1.2, 0.7, 2.0])
    two_rows = diagnose(numeric / 2, numeric, name="W", batch=2)
    assert two_rows is not None and "factor 2 is missing" in two_rows and "mean/sum" in two_rows
    four_rows = diagnose(numeric / 2, numeric, name="W", batch=4)
    assert four_rows is not None and "mean/sum" not in four_rows
