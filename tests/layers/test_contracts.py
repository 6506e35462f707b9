"""What a training loop relies on, checked through a whole net.

- An array that forward/backward returns is never overwritten by a later call.
- A caller's input (data, labels, grad_out) is never modified.
- NaN/inf input or loss, a wrong shape or dtype, a call out of order: our errors.
- A user's subclass or own layer inside a Sequential is called through its own code.
- W is a plain row-major array: views of it, index writes and updates all land.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from layers import (
    DtypeError,
    Layer,
    Linear,
    NonFiniteError,
    OrderError,
    Sequential,
    ShapeError,
    Sigmoid,
)
from layers.errors import LabelError
from losses import SoftmaxCrossEntropyLoss
from optim import SGD


def make_net(dtype: Any = np.float32) -> Sequential:
    return Sequential(Linear(6, 5, rng=1, dtype=dtype), Sigmoid(), Linear(5, 3, rng=2, dtype=dtype))


def batch(seed: int, n: int = 4, dtype: Any = np.float32) -> tuple[npt.NDArray[Any], Any]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 6)).astype(dtype), rng.integers(0, 3, n)


@pytest.mark.parametrize("n", [1, 4])
def test_returned_arrays_are_never_overwritten_and_inputs_never_modified(n: int) -> None:
    net, loss_fn = make_net(), SoftmaxCrossEntropyLoss()
    opt = SGD(net.parameters(), lr=0.1)
    kept: list[tuple[npt.NDArray[Any], npt.NDArray[Any]]] = []  # (returned, its copy then)
    for seed in range(4):  # same shapes each step
        X, t = batch(seed, n)
        X_before, t_before = X.copy(), t.copy()
        y = net.forward(X)
        loss_fn.forward(y, t)
        g = loss_fn.backward()
        g_before = g.copy()
        grad_x = net.backward(g)
        opt.step()
        h = X
        for layer in net:  # each layer called on its own, too
            out = layer.forward(h)
            back = layer.backward(np.ones_like(out))
            kept += [(out, out.copy()), (back, back.copy())]
            h = out
        np.testing.assert_array_equal(X, X_before)
        np.testing.assert_array_equal(t, t_before)
        np.testing.assert_array_equal(g, g_before)
        kept += [(y, y.copy()), (g, g_before), (grad_x, grad_x.copy())]
    for returned, then in kept:
        np.testing.assert_array_equal(returned, then)


def test_parameter_gradients_are_overwritten_not_accumulated() -> None:
    net, loss_fn = make_net(np.float64), SoftmaxCrossEntropyLoss()
    X, t = batch(0, 8, np.float64)
    grads = []
    for _ in range(2):
        loss_fn.forward(net.forward(X), t)
        net.backward(loss_fn.backward())
        grads.append([p.grad.copy() for p in net.parameters()])
    for first, second in zip(*grads, strict=True):
        np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_grad_out_and_logits_raise(bad: float) -> None:
    net, loss_fn = make_net(), SoftmaxCrossEntropyLoss()
    X, t = batch(0)
    X[1, 2] = bad
    with pytest.raises(NonFiniteError, match="input"):
        net.forward(X)
    y = net.forward(batch(0)[0])
    g = np.zeros_like(y)
    g[0, 1] = bad
    with pytest.raises(NonFiniteError, match="grad_out"):
        net.backward(g)
    y[2, 0] = bad  # a non-finite logit, label or not
    with pytest.raises(NonFiniteError):
        loss_fn.forward(y, t)


def test_diverged_weights_raise_instead_of_returning_nan() -> None:
    net = make_net()
    last = net[2]
    assert isinstance(last, Linear)
    last.W.value[0, 0] = np.inf
    with pytest.raises(NonFiniteError, match="output"):
        net.forward(batch(0)[0])


def test_wrong_shapes_dtypes_order_and_labels_raise_our_errors() -> None:
    net, loss_fn = make_net(), SoftmaxCrossEntropyLoss()
    with pytest.raises(OrderError):
        net.backward(np.zeros((4, 3), np.float32))
    with pytest.raises(ShapeError):
        net.forward(np.zeros((4, 7), np.float32))
    with pytest.raises(OrderError):  # a failed forward leaves nothing to go back through
        net.backward(np.zeros((4, 3), np.float32))
    with pytest.raises(DtypeError):
        net.forward(np.zeros((4, 6), np.float64))
    assert net.forward(np.ones((4, 6), np.int64)).dtype == np.float32  # integers are converted
    with pytest.raises(ShapeError):
        net.backward(np.zeros((5, 3), np.float32))
    bad_middle = Sequential(
        Linear(6, 5, dtype=np.float32), Sigmoid(), Linear(4, 3, dtype=np.float32)
    )
    with pytest.raises(ShapeError, match=r"layer \(2\)"):
        bad_middle.forward(np.zeros((2, 6), np.float32))
    y = net.forward(batch(0)[0])
    for dtype in (np.int8, np.int32, np.int64, np.uint8, ">i8"):
        for labels in ([0, 1, 3, 0], [0, -1, 2, 0]):
            if labels[1] < 0 and np.dtype(dtype).kind == "u":
                continue
            with pytest.raises(LabelError):
                loss_fn.forward(y, np.array(labels, dtype))
        good = np.array([0, 1, 2, 1], dtype)
        assert loss_fn.forward(y, good) == loss_fn.forward(y, [0, 1, 2, 1])


class Doubling(Linear):
    """A user's subclass that changes forward only: Sequential must call it."""

    def forward(self, x: npt.ArrayLike) -> npt.NDArray[Any]:
        return 2 * super().forward(x)


class Identity(Layer):
    """A user's layer that hands back its input itself."""

    def forward(self, x: npt.ArrayLike) -> npt.NDArray[Any]:
        return np.asarray(x)

    def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[Any]:
        return np.asarray(grad_out)


def test_user_layers_inside_sequential_keep_their_own_code_and_results() -> None:
    X = batch(0)[0]
    plain = Sequential(Linear(6, 3, rng=1, dtype=np.float32))
    doubled = Sequential(Doubling(6, 3, rng=1, dtype=np.float32))
    np.testing.assert_allclose(doubled.forward(X), 2 * plain.forward(X))
    net = Sequential(Linear(6, 5, rng=1, dtype=np.float32), Sigmoid(), Identity())
    first = net.forward(X)
    kept = first.copy()
    net.forward(batch(1)[0])
    np.testing.assert_array_equal(first, kept)
    g1 = net.backward(np.ones((4, 5), np.float32))
    kept_g = g1.copy()
    net.backward(np.full((4, 5), 2, np.float32))
    np.testing.assert_array_equal(g1, kept_g)


def test_huge_finite_values_are_not_mistaken_for_infinite() -> None:
    """The sum of squares of 3e38 overflows in float32; the check must look closer, quietly."""
    net = Sequential(Sigmoid())
    x = np.full((2, 3), 3e38, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(net.forward(x), np.ones((2, 3), np.float32))
        x[0, 0] = np.inf
        with pytest.raises(NonFiniteError):
            net.forward(x)


def test_weights_are_a_plain_array_whose_views_behave() -> None:
    """W is row-major: a reshape is a view, and every write through it lands."""
    layer = Linear(4, 3, rng=0, dtype=np.float32)
    W = layer.W.value
    assert W.shape == (3, 4) and W.flags.c_contiguous
    new = np.arange(12, dtype=np.float32).reshape(3, 4)
    layer.W.value = new  # copied in place: same object
    assert layer.W.value is W
    np.testing.assert_array_equal(W, new)
    x = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(layer.forward(x), x @ new.T + layer.b.value)  # type: ignore[union-attr]
    opt = SGD(layer.parameters(), lr=0.5)
    layer.backward(np.ones((2, 3), np.float32))
    opt.step()  # ∇_W L = Gᵀ X = 2 everywhere
    np.testing.assert_array_equal(W, new - 1.0)
    flat = W.reshape(-1)
    assert np.shares_memory(flat, W)  # a view, not a copy
    flat[1 * 4 + 2] += 10.0  # entry (1, 2), written through the flat view
    assert layer.forward(x)[0, 1] == pytest.approx((new - 1.0)[1].sum() + 10.0 + layer.b.value[1])  # type: ignore[union-attr]


def test_sgd_sees_values_and_gradients_assigned_to_a_parameter() -> None:
    """Assigning a Parameter's value or grad copies into its arrays: the next step sees it."""
    net = make_net()
    opt = SGD(net.parameters(), lr=0.1)
    W = net[0].W  # type: ignore[attr-defined]
    W.value = np.zeros((5, 6), np.float32)
    W.grad = np.ones((5, 6), np.float32)
    opt.step()
    np.testing.assert_allclose(W.value, -0.1, rtol=1e-6)
    W.grad = None  # PyTorch's habit: zeros
    opt.step()
    np.testing.assert_allclose(W.value, -0.1, rtol=1e-6)


def test_an_optimizers_parameter_list_cannot_change_under_its_state() -> None:
    """SGD and Adam keep state per position: their params are a tuple, so no edit goes unseen."""
    first, second = Linear(2, 2, rng=0), Linear(2, 2, rng=1)
    opt = SGD(first.parameters(), lr=1.0, momentum=0.5)
    assert isinstance(opt.params, tuple)
    with pytest.raises(AttributeError):
        opt.params.append(second.W)  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        opt.params[0] = second.W  # type: ignore[index]


@pytest.mark.parametrize(
    ("dtype", "classes", "bad"),
    [(np.int8, 200, -100), (np.int8, 300, -1), (np.int16, 40_000, -1), (np.int32, 3, -1)],
)
def test_negative_labels_of_narrow_integer_types_are_refused(
    dtype: type[np.integer[Any]], classes: int, bad: int
) -> None:
    """A negative int8 label viewed as uint8 is 156: below 200 classes, it must still fail."""
    z = np.zeros((3, classes))
    labels = np.array([0, bad, 1], dtype=dtype)
    with pytest.raises(LabelError, match="labels must lie in"):
        SoftmaxCrossEntropyLoss().forward(z, labels)
