"""The losses' backward passes, checked against numeric derivatives by gradcheck."""

import numpy as np
from backprop.losses import MSELoss, SoftmaxCrossEntropyLoss

from chainrule.assignment import points
from gradcheck import check_loss

RNG = np.random.default_rng(4)
Y, T = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
Z, LABELS = RNG.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])


@points(2)
def test_mse_backward_mean() -> None:
    """MSELoss(reduction="mean"): ∇_Y L on a (5, 3) batch."""
    check_loss(MSELoss(reduction="mean"), Y, T)


@points(1)
def test_mse_backward_sum() -> None:
    """MSELoss(reduction="sum"): ∇_Y L on a (5, 3) batch."""
    check_loss(MSELoss(reduction="sum"), Y, T)


@points(2)
def test_softmax_cross_entropy_backward_mean() -> None:
    """SoftmaxCrossEntropyLoss(reduction="mean"): ∇_Z L on (5, 4) logits."""
    check_loss(SoftmaxCrossEntropyLoss(reduction="mean"), Z, LABELS)


@points(1)
def test_softmax_cross_entropy_backward_sum() -> None:
    """SoftmaxCrossEntropyLoss(reduction="sum"): ∇_Z L on (5, 4) logits."""
    check_loss(SoftmaxCrossEntropyLoss(reduction="sum"), Z, LABELS)
