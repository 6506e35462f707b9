"""The notes' net, trained as the README teaches, computes PyTorch's numbers.

Every gradient of the net Linear → Sigmoid → Linear → softmax cross-entropy is
compared with PyTorch autograd: to 1e-10 in float64, to float32 rounding in
float32. Batch sizes include the batch-1 paths (a vector ``(D,)`` and ``(1, D)``).
"""

from __future__ import annotations

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
    for seed in range(3):  # repeated calls: nothing is left over from the last one
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
    """Twenty steps of plain SGD: the same weights as PyTorch."""
    net = make_net(dtype)
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
