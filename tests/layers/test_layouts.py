"""The memory layout of what a user passes never changes an answer.

Fortran order, transposed copies, strided and reversed views hold the same
numbers as a row-major array; every layer and loss must give the same output
and gradients for them (the softmax-CE label path once wrote ``−T`` into a
copy for column-major logits, a silently wrong gradient).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from layers import Layer, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from losses import CrossEntropyLoss, MSELoss, SoftmaxCrossEntropyLoss
from losses.loss import Loss

Array = npt.NDArray[np.float64]

LAYOUTS: dict[str, Callable[[Array], Array]] = {
    "fortran": np.asfortranarray,
    "transposed copy": lambda a: a.T.copy().T,
    "strided view": lambda a: np.repeat(a, 2, axis=1)[:, ::2],
    "reversed view": lambda a: a[::-1].copy()[::-1],
}

LAYERS: dict[str, Callable[[], Layer]] = {
    "Linear": lambda: Linear(4, 3, rng=0),
    "Sigmoid": Sigmoid,
    "Tanh": Tanh,
    "ReLU": ReLU,
    "Softmax": Softmax,
    "Sequential": lambda: Sequential(Linear(4, 5, rng=0), Sigmoid(), Linear(5, 3, rng=1)),
}


def run_layer(make: Callable[[], Layer], x: Array, g_of: Callable[[Array], Array]) -> list[Array]:
    layer = make()
    y = layer.forward(x)
    grad_x = layer.backward(g_of(np.arange(y.size, dtype=float).reshape(y.shape) / 7 - 1))
    return [y, grad_x, *(p.grad.copy() for p in layer.parameters())]


@pytest.mark.parametrize("where", ["x", "grad_out"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_answer_the_same_whatever_the_layout(name: str, layout: str, where: str) -> None:
    x = np.random.default_rng(0).standard_normal((6, 4))
    expected = run_layer(LAYERS[name], x, lambda g: g)
    lay = LAYOUTS[layout]
    got = run_layer(
        LAYERS[name], lay(x) if where == "x" else x, lay if where == "grad_out" else lambda g: g
    )
    for a, b in zip(got, expected, strict=True):
        # BLAS may add a non-contiguous operand in another order: a few ulp, no more.
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


def loss_inputs(kind: str) -> tuple[Loss, Array, Any]:
    rng = np.random.default_rng(1)
    if kind == "MSE":
        return MSELoss(), rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    p = rng.dirichlet(np.ones(3), size=5)
    labels = np.array([0, 2, 1, 1, 0])
    if kind == "CE one-hot":
        return CrossEntropyLoss(), p, np.eye(3)[labels]
    if kind == "SCE labels":
        return SoftmaxCrossEntropyLoss(), rng.standard_normal((5, 3)), labels
    return SoftmaxCrossEntropyLoss("sum"), rng.standard_normal((5, 3)), np.eye(3)[labels]


@pytest.mark.parametrize("where", ["y", "t"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("kind", ["MSE", "CE one-hot", "SCE labels", "SCE one-hot"])
def test_losses_answer_the_same_whatever_the_layout(kind: str, layout: str, where: str) -> None:
    loss, y, t = loss_inputs(kind)
    expected = (loss.forward(y, t), loss.backward())
    if where == "t" and t.ndim == 1:
        t = t[::-1].copy()[::-1]  # labels: a reversed view is the only other layout
    elif where == "t":
        t = LAYOUTS[layout](t)
    else:
        y = LAYOUTS[layout](y)
    assert loss.forward(y, t) == pytest.approx(expected[0], rel=1e-14)
    np.testing.assert_allclose(loss.backward(), expected[1], rtol=1e-14, atol=1e-15)
