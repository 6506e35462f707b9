"""SGD.step against numbers worked by hand and against the framework's optim.SGD."""

import numpy as np
from backprop.sgd import SGD

import optim
from chainrule.assignment import points
from layers import Parameter


@points(2)
def test_sgd_step_plain() -> None:
    """One step without momentum: w ← w − η ∇_w L."""
    w = Parameter(np.array([1.0, -2.0, 3.0]), "w")
    w.grad[...] = [0.5, 0.5, -1.0]
    SGD([w], lr=0.1).step()
    expected = np.array([0.95, -2.05, 3.1])  # by hand: 1 − 0.1·0.5, −2 − 0.1·0.5, 3 + 0.1·1
    assert np.allclose(w.value, expected, rtol=0, atol=1e-15), (
        f"after one step of SGD(lr=0.1) from w = [1, -2, 3] with gradient [0.5, 0.5, -1], "
        f"expected w = {expected}, got {w.value}"
    )


@points(2)
def test_sgd_step_momentum() -> None:
    """Five steps with momentum 0.9 take exactly the framework's optim.SGD path."""
    rng = np.random.default_rng(5)
    start = rng.standard_normal((3, 2))
    mine, ref = Parameter(start, "W"), Parameter(start, "W")
    opt, ref_opt = SGD([mine], lr=0.05, momentum=0.9), optim.SGD([ref], lr=0.05, momentum=0.9)
    for step in range(1, 6):
        g = rng.standard_normal((3, 2))
        mine.grad[...], ref.grad[...] = g, g
        opt.step()
        ref_opt.step()
        assert np.allclose(mine.value, ref.value, rtol=1e-12, atol=1e-12), (
            f"after step {step} of SGD(lr=0.05, momentum=0.9), W should be\n{ref.value}\n"
            f"got\n{mine.value}\n(v ← μ v + ∇_w L, then w ← w − η v)"
        )
