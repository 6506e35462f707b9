"""Each deliberate mistake is caught on every drawn example, not only on hand-picked data."""

from __future__ import annotations

from typing import Any

import pytest
from broken_layers import (
    AccumulatingLinear,
    DiagonalSoftmax,
    HalfMSELoss,
    IgnoresGradOutSigmoid,
    MeanInsideLinear,
    NoBiasGradLinear,
    SignFlippedLinear,
    SumBackwardMSELoss,
    TransposedLinear,
)
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gradcheck import GradcheckError, check_layer, check_loss
from gradcheck.strategies import activation_cases, linear_cases, loss_cases
from layers import Linear

# A caught mistake costs a full report: 40 examples are plenty (the profile may ask fewer).
few = settings(max_examples=min(settings().max_examples, 40))

BROKEN_LINEARS = [
    SignFlippedLinear,
    TransposedLinear,
    NoBiasGradLinear,
    AccumulatingLinear,
    MeanInsideLinear,
]


@pytest.mark.parametrize("broken", BROKEN_LINEARS, ids=lambda c: c.__name__)
@few
@given(case=linear_cases(), seed=st.integers(0, 2**16))
def test_broken_linear_is_caught(broken: type[Linear], case: tuple[Any, Any], seed: int) -> None:
    good, x = case
    assume(broken is not NoBiasGradLinear or good.b is not None)
    layer = broken(good.in_features, good.out_features, bias=good.b is not None, rng=seed)
    with pytest.raises(GradcheckError):
        check_layer(layer, x, seed=seed)


@few
@given(data=st.data())
def test_diagonal_softmax_and_ignored_grad_out_are_caught(data: st.DataObject) -> None:
    _, z = data.draw(activation_cases("softmax"))
    with pytest.raises(GradcheckError):
        check_layer(DiagonalSoftmax(), z)
    _, z = data.draw(activation_cases("sigmoid"))
    with pytest.raises(GradcheckError):
        check_layer(IgnoresGradOutSigmoid(), z)


@few
@given(data=st.data())
def test_broken_mse_is_caught(data: st.DataObject) -> None:
    good, y, t = data.draw(loss_cases("mse"))
    with pytest.raises(GradcheckError):
        check_loss(HalfMSELoss(reduction=good.reduction), y, t)
    if good.reduction == "mean":  # with "sum" the two agree: there is no 1/N to forget
        with pytest.raises(GradcheckError):
            check_loss(SumBackwardMSELoss(reduction="mean"), y, t)
