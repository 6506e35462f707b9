"""The worked-example trace against numbers computed by hand from the notes' equations."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import trace, trace_markdown
from layers.errors import ShapeError


def test_default_example_by_hand() -> None:
    # x = (1, 2), W1 = [[1, −1/2], [ln 3, 0]]  ⇒  z = (0, ln 3), h = σ(z) = (1/2, 3/4)
    # W2 = [[1, −1], [2, 0]]  ⇒  y = (1/2 − 3/4, 1) = (−1/4, 1);  t = (0, 1)
    # L = (−1/4)² = 1/16;  ∇_y L = 2(y − t) = (−1/2, 0)
    # ∇_h L = W2ᵀ ∇_y L = (−1/2, 1/2);  ∇_W2 L = ∇_y L hᵀ = [[−1/4, −3/8], [0, 0]]
    # σ'(z) = h(1 − h) = (1/4, 3/16)  ⇒  ∇_z L = (−1/8, 3/32)
    # ∇_W1 L = ∇_z L xᵀ = [[−1/8, −1/4], [3/32, 3/16]]
    r = trace()
    np.testing.assert_allclose(r["z"], [0.0, np.log(3.0)], rtol=1e-15)
    np.testing.assert_allclose(r["h"], [0.5, 0.75], rtol=1e-15)
    np.testing.assert_allclose(r["y"], [-0.25, 1.0], rtol=1e-15)
    assert r["L"] == pytest.approx(1 / 16, rel=1e-14)
    np.testing.assert_allclose(r["grad_y"], [-0.5, 0.0], atol=1e-15)
    np.testing.assert_allclose(r["grad_h"], [-0.5, 0.5], atol=1e-15)
    np.testing.assert_allclose(r["grad_W2"], [[-0.25, -0.375], [0.0, 0.0]], atol=1e-15)
    np.testing.assert_allclose(r["grad_z"], [-0.125, 3 / 32], atol=1e-15)
    np.testing.assert_allclose(r["grad_W1"], [[-0.125, -0.25], [3 / 32, 3 / 16]], atol=1e-15)


def test_one_output_example_by_hand() -> None:
    # z = 0 everywhere ⇒ h = 1/2, σ' = 1/4; y = 1/2 + 1/2 = 1, t = 0 ⇒ L = 1, ∇_y L = 2
    r = trace(x=[1.0, 2.0], W1=[[2.0, -1.0], [0.0, 0.0]], W2=[[1.0, 1.0]], t=[0.0])
    assert r["L"] == 1.0
    np.testing.assert_array_equal(r["grad_h"], [2.0, 2.0])
    np.testing.assert_array_equal(r["grad_W2"], [[1.0, 1.0]])
    np.testing.assert_array_equal(r["grad_z"], [0.5, 0.5])
    np.testing.assert_array_equal(r["grad_W1"], [[0.5, 1.0], [0.5, 1.0]])


def test_markdown_table_lists_every_step() -> None:
    table = trace_markdown()
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == 9
    assert rows[3] == "| 4 | L = ‖y − t‖² | scalar | 0.0625 | loss |"
    assert "| 9 | ∇_W⁽¹⁾ L = (∇_z L) xᵀ | (2, 2) | [-0.125, -0.25; 0.09375, 0.1875] |" in table


def test_shapes_that_do_not_chain() -> None:
    with pytest.raises(ShapeError, match="do not chain"):
        trace(x=[1.0, 2.0, 3.0])
