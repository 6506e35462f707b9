"""Every loss, either reduction, labels or one-hot targets, passes check_loss (float64)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradcheck import check_layer, check_loss
from gradcheck.strategies import LOSSES, arrays, loss_cases, sizes, targets
from layers import Softmax
from losses import CrossEntropyLoss, SoftmaxCrossEntropyLoss


@pytest.mark.parametrize("name", sorted(LOSSES))
@given(data=st.data())
def test_loss_gradient_matches_numeric(name: str, data: st.DataObject) -> None:
    loss, y, t = data.draw(loss_cases(name))
    check_loss(loss, y, t)


@given(data=st.data())
def test_softmax_then_cross_entropy_is_the_fused_loss(data: st.DataObject) -> None:
    """Chaining Softmax's backward with CrossEntropy's gives the fused ``p − T``."""
    n, k = data.draw(sizes(2, 4)), data.draw(sizes(2, 5))
    z, t = data.draw(arrays((n, k))), data.draw(targets(n, k))
    softmax, ce, fused = Softmax(), CrossEntropyLoss(), SoftmaxCrossEntropyLoss()
    ce.forward(softmax.forward(z), t)
    chained = softmax.backward(ce.backward())
    fused.forward(z, t)
    np.testing.assert_allclose(chained, fused.backward(), rtol=1e-9, atol=1e-12)
    check_loss(fused, z, t)
    check_layer(softmax, z)
