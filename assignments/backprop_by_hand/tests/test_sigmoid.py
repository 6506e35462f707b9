"""Sigmoid.backward, checked against numeric derivatives by gradcheck."""

import numpy as np
from backprop.sigmoid import Sigmoid

from chainrule.assignment import points
from gradcheck import check_layer


@points(2)
def test_sigmoid_backward() -> None:
    """Sigmoid on a (4, 6) batch: ∇_z L = ∇_h L ∘ σ'(z)."""
    Z = np.random.default_rng(2).normal(0.0, 2.0, (4, 6))
    check_layer(Sigmoid(), Z)


@points(1, hidden=True)
def test_sigmoid_backward_extreme_inputs() -> None:
    """Sigmoid.backward stays finite, and zero, far out in the tails (z = ±1000)."""
    layer = Sigmoid()
    Z = np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]])
    layer.forward(Z)
    grad = layer.backward(np.ones_like(Z))
    assert np.all(np.isfinite(grad)), f"∇_z L is not finite for z = {Z[0]}: {grad[0]}"
    assert abs(grad[0, 2] - 0.25) < 1e-12, f"σ'(0) should be 1/4, got {grad[0, 2]}"
    assert np.all(np.abs(grad[0, [0, 4]]) < 1e-300), f"σ'(±1000) should be 0, got {grad[0]}"
