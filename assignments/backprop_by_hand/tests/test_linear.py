"""Linear.backward: every gradient checked against numeric derivatives by gradcheck."""

import numpy as np
from backprop.linear import Linear
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.assignment import points
from gradcheck import check_layer


@points(3)
def test_linear_backward() -> None:
    """Linear(5, 3) on a batch of 4: ∇_W L, ∇_b L and ∇_X L."""
    X = np.random.default_rng(1).standard_normal((4, 5))
    check_layer(Linear(5, 3, rng=0), X)


@points(2, hidden=True)
@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 6), d=st.integers(1, 7), m=st.integers(1, 7), seed=st.integers(0, 2**16))
def test_linear_many_shapes(n: int, d: int, m: int, seed: int) -> None:
    """Linear.backward for batches and layer sizes that hypothesis draws."""
    X = np.random.default_rng(seed).standard_normal((n, d))
    check_layer(Linear(d, m, rng=seed), X)
