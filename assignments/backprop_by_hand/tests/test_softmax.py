"""Softmax.backward, checked against numeric derivatives by gradcheck."""

import numpy as np
from backprop.softmax import Softmax
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.assignment import points
from gradcheck import check_layer


@points(3)
def test_softmax_backward() -> None:
    """Softmax on a (3, 5) batch: the full Jacobian-vector product, row by row."""
    Z = np.random.default_rng(3).standard_normal((3, 5))
    check_layer(Softmax(), Z)


@points(1, hidden=True)
@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 5), k=st.integers(2, 8), seed=st.integers(0, 2**16))
def test_softmax_many_shapes(n: int, k: int, seed: int) -> None:
    """Softmax.backward for batch sizes and class counts that hypothesis draws."""
    Z = np.random.default_rng(seed).normal(0.0, 3.0, (n, k))
    check_layer(Softmax(), Z)
