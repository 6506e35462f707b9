"""A forward pass that fails next to the checked point never earns a pass.

An entry whose perturbed forward gives NaN/inf or raises is judged from the
side that can be evaluated, or fails; it is not skipped. The attacks below
passed when such entries were skipped (a tensor failed only if all were).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from broken_layers import NaNAboveLinear, NaNOffPointLinear, NaNOffPointSoftmaxCE

from gradcheck import GradcheckError, check_layer, check_loss
from layers import ReLU
from losses import CrossEntropyLoss

X = np.random.default_rng(0).normal(size=(4, 3))


def failure(call: object, *args: object, **kwargs: object) -> GradcheckError:
    with pytest.raises(GradcheckError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value


def test_a_layer_that_is_nan_next_to_the_point_fails() -> None:
    err = failure(check_layer, NaNOffPointLinear(3, 2, rng=0), X)
    assert (err.parameter, err.kind) == ("input", "could not be checked")
    assert {f.tensor for f in err.findings} == {"input", "W", "b"}
    text = str(err)
    assert "the forward pass gives NaN/inf or raises at θ ± h for" in text
    assert "the gradient there cannot be checked" in text
    assert "(0, 1)" in text  # names the entries


def test_one_unevaluable_entry_is_named() -> None:
    err = failure(check_layer, NaNOffPointLinear(3, 2, rng=0), X)
    b = next(f for f in err.findings if f.tensor == "b")
    assert b.summary == (
        "the forward pass gives NaN/inf or raises at θ ± h for entry (1,): "
        "the gradient there cannot be checked"
    )


def test_a_loss_that_is_nan_next_to_the_point_fails() -> None:
    y = np.random.default_rng(1).normal(size=(4, 5))
    err = failure(check_loss, NaNOffPointSoftmaxCE(), y, np.array([0, 4, 2, 1]))
    assert (err.parameter, err.kind) == ("input", "could not be checked")


def test_a_forward_refused_on_one_side_is_judged_by_the_other() -> None:
    err = failure(check_layer, NaNAboveLinear(3, 2, rng=0), X)
    assert (err.parameter, err.kind) == ("input", "wrong gradient")
    assert all(r.note.startswith("left side only") for r in err.findings[0].rows)


def test_a_correct_relu_at_its_kink_still_passes() -> None:
    check_layer(ReLU(), np.array([[-1.5, 0.0, 2.0], [0.0, 0.7, -0.3]]))


@pytest.mark.parametrize("near_one", [1 - 1e-7, 1 - 1e-12, 1.0])
def test_cross_entropy_with_a_probability_near_one_passes(near_one: float) -> None:
    """p + h > 1 is refused, so the true class's ∂L/∂p can only be probed from the left."""
    p = np.array([[near_one, 1 - near_one, 0.0], [0.2, 0.3, 0.5]])
    check_loss(CrossEntropyLoss(), p, np.array([0, 2]))
    check_loss(CrossEntropyLoss(reduction="sum"), p, np.array([[1.0, 0, 0], [0, 1, 0]]))


def test_cross_entropy_with_a_tiny_true_probability_passes() -> None:
    """p = 1e-7 < h: −log p is steep there, so the one-sided step must shrink a lot."""
    check_loss(CrossEntropyLoss(), np.array([[1e-7, 1 - 1e-7], [0.5, 0.5]]), np.array([0, 1]))


def test_a_wrong_gradient_at_the_edge_of_the_domain_is_still_caught() -> None:
    class Flipped(CrossEntropyLoss):
        def backward(self) -> npt.NDArray[Any]:
            return -super().backward()

    p = np.array([[1.0, 0.0], [0.4, 0.6]])
    err = failure(check_loss, Flipped(), p, np.array([0, 1]))
    assert (err.kind, err.parameter) == ("wrong gradient", "input")
    assert "negated" in (err.hint or "")
    assert any("side only" in r.note for r in err.findings[0].rows)
