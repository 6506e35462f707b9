"""The fast path (buffers, fused loss, skipped input gradient) computes the same numbers.

Every gradient of the net Linear → Sigmoid → Linear → softmax cross-entropy is
compared with PyTorch autograd: to 1e-10 in float64, to float32 rounding in
float32. Batch sizes include the batch-1 paths (a vector ``(D,)`` and ``(1, D)``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from layers import Linear, Sequential, Sigmoid
from losses import SoftmaxCrossEntropyLoss
from optim import SGD

torch = pytest.importorskip("torch")

D, H, K = 7, 5, 4
TOL: dict[Any, tuple[float, float]] = {np.float64: (1e-10, 1e-12), np.float32: (2e-5, 2e-6)}


def make_net(dtype: Any) -> Sequential:
    return Sequential(Linear(D, H, rng=1, dtype=dtype), Sigmoid(), Linear(H, K, rng=2, dtype=dtype))


def torch_net(net: Sequential, dtype: Any) -> Any:
    ref = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.Sigmoid(), torch.nn.Linear(H, K))
    dt = torch.float64 if dtype == np.float64 else torch.float32
    ref = ref.to(dt)
    with torch.no_grad():
        for theirs, ours in zip(ref.parameters(), net.parameters(), strict=True):
            theirs.copy_(torch.from_numpy(ours.value.copy()))
    return ref


def data(n: int | None, dtype: Any, seed: int = 0) -> tuple[npt.NDArray[Any], Any]:
    rng = np.random.default_rng(seed)
    if n is None:  # one sample as a vector
        return 3 * rng.standard_normal(D).astype(dtype), np.int64(rng.integers(K))
    return 3 * rng.standard_normal((n, D)).astype(dtype), rng.integers(0, K, n)


def torch_step(ref: Any, X: Any, t: Any, reduction: str) -> tuple[float, Any, list[Any]]:
    x = torch.from_numpy(np.atleast_2d(X).copy()).requires_grad_(True)
    labels = torch.from_numpy(np.atleast_1d(np.asarray(t, dtype=np.int64)))
    loss = torch.nn.functional.cross_entropy(ref(x), labels, reduction=reduction)
    ref.zero_grad()
    loss.backward()
    grad_x = x.grad.numpy().reshape(np.shape(X))
    return float(loss.detach()), grad_x, [p.grad.numpy() for p in ref.parameters()]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [None, 1, 2, 33])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradients_match_torch_autograd(dtype: Any, n: int | None, reduction: str) -> None:
    net = make_net(dtype)
    ref = torch_net(net, dtype)
    loss_fn = SoftmaxCrossEntropyLoss(reduction)
    for seed in range(3):  # later calls reuse the buffers of the first
        X, t = data(n, dtype, seed)
        loss = loss_fn.forward(net.forward(X), t)
        grad_x = net.backward(loss_fn.backward())
        ref_loss, ref_grad_x, ref_grads = torch_step(ref, X, t, reduction)
        np.testing.assert_allclose(loss, ref_loss, rtol=TOL[dtype][0], atol=TOL[dtype][1])
        assert grad_x.dtype == dtype and grad_x.shape == np.shape(X)
        np.testing.assert_allclose(grad_x, ref_grad_x, rtol=TOL[dtype][0], atol=TOL[dtype][1])
        for p, g in zip(net.parameters(), ref_grads, strict=True):
            assert p.grad.dtype == dtype
            np.testing.assert_allclose(
                p.grad, g, rtol=TOL[dtype][0], atol=TOL[dtype][1], err_msg=p.name
            )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 16])
def test_sgd_training_matches_torch(dtype: Any, n: int) -> None:
    """Twenty steps of plain SGD, input gradient skipped: the same weights as PyTorch."""
    net = make_net(dtype)
    net.input_grad = False
    ref = torch_net(net, dtype)
    loss_fn = SoftmaxCrossEntropyLoss()
    opt = SGD(net.parameters(), lr=0.5)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.5)
    for seed in range(20):
        X, t = data(n, dtype, seed)
        loss_fn.forward(net.forward(X), t)
        net.backward(loss_fn.backward())
        opt.step()
        torch_step(ref, X, t, "mean")
        ref_opt.step()
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(
            p.value, q.detach().numpy(), rtol=TOL[dtype][0], atol=TOL[dtype][1], err_msg=p.name
        )


@pytest.mark.parametrize("n", [None, 1, 5])
def test_skipping_the_input_gradient_leaves_parameter_gradients_identical(n: int | None) -> None:
    X, t = data(n, np.float64)
    grads = []
    for input_grad in (True, False):
        net = make_net(np.float64)
        net.input_grad = input_grad
        loss_fn = SoftmaxCrossEntropyLoss()
        loss_fn.forward(net.forward(X), t)
        grad_x = net.backward(loss_fn.backward())
        assert grad_x.shape == (np.shape(X) if input_grad else (0,))
        grads.append([p.grad.copy() for p in net.parameters()])
    for with_x, without_x in zip(*grads, strict=True):
        np.testing.assert_array_equal(with_x, without_x)


def test_integer_labels_and_one_hot_targets_give_the_same_loss_and_gradient() -> None:
    rng = np.random.default_rng(3)
    z = 10 * rng.standard_normal((6, K))
    t = rng.integers(0, K, 6)
    by_label, by_one_hot = SoftmaxCrossEntropyLoss(), SoftmaxCrossEntropyLoss()
    loss = by_label.forward(z, t)
    np.testing.assert_allclose(loss, by_one_hot.forward(z, np.eye(K)[t]), rtol=1e-14)
    np.testing.assert_allclose(by_label.backward(), by_one_hot.backward(), rtol=1e-14, atol=1e-16)


def test_sigmoid_is_exact_at_the_extremes_and_silent() -> None:
    z = np.array([-1000.0, -745.0, -100.0, -30.0, 0.0, 30.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the expected overflow of e^{-z} must stay silent
        h = Sigmoid().forward(z)
    expected = [0.0, 0.0, np.exp(-100.0), 1 / (1 + np.exp(30.0)), 0.5, 1 / (1 + np.exp(-30.0)), 1.0]
    np.testing.assert_allclose(h, expected, rtol=1e-15, atol=0)
    h32 = Sigmoid().forward(z.astype(np.float32))
    assert h32.dtype == np.float32
    # Below z ≈ −88, σ(z) is subnormal in float32 and comes out as 0.
    tiny = np.finfo(np.float32).tiny
    np.testing.assert_allclose(h32, np.array(expected, np.float32), rtol=1e-6, atol=tiny)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_never_decreases(dtype: type[np.floating[Any]]) -> None:
    """σ is increasing; rounding must not make it dip, not even by one ulp near 1.

    (σ = e^z / (1 + e^z) dips by 1 ulp around z ≈ 17 in float32 and 37 in float64.)
    """
    z = np.linspace(-120.0, 120.0, 2_000_001).astype(dtype)
    h = Sigmoid().forward(z)
    assert np.all(np.diff(h) >= 0)
