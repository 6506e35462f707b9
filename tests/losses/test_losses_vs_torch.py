"""Losses agree with PyTorch autograd to 1e-10 relative in float64.

Our conventions differ from PyTorch's by known factors, which these tests
state: ``MSELoss`` sums over outputs per sample (PyTorch's mean over all
``N·M`` elements, times ``M``); ``CrossEntropyLoss`` takes probabilities
(PyTorch's ``nll_loss`` of ``log p``); ``SoftmaxCrossEntropyLoss`` is
PyTorch's ``cross_entropy`` on logits.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_reference import assert_rel_close, to_numpy

from losses import CrossEntropyLoss, MSELoss, SoftmaxCrossEntropyLoss

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("n, m", [(1, 1), (5, 3), (8, 1)])
def test_mse(reduction: str, n: int, m: int) -> None:
    rng = np.random.default_rng(n + m)
    y, t = rng.normal(size=(n, m)), rng.normal(size=(n, m))
    loss = MSELoss(reduction=reduction)
    value = loss.forward(y, t)
    grad = loss.backward()

    yt = torch.tensor(y, requires_grad=True)
    # Per sample ‖y − t‖², then mean or sum over samples.
    per_sample = ((yt - torch.tensor(t)) ** 2).sum(dim=1)
    ref = per_sample.mean() if reduction == "mean" else per_sample.sum()
    ref.backward()
    assert_rel_close(np.float64(value), np.float64(ref.item()))
    assert_rel_close(grad, to_numpy(yt.grad))
    if reduction == "mean":  # the documented factor M against nn.MSELoss
        assert_rel_close(np.float64(value), np.float64(m * F.mse_loss(yt, torch.tensor(t)).item()))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_cross_entropy(reduction: str, one_hot: bool) -> None:
    rng = np.random.default_rng(5)
    z = rng.normal(scale=4.0, size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    targets = np.eye(4)[labels] if one_hot else labels
    loss = SoftmaxCrossEntropyLoss(reduction=reduction)
    value, grad = loss.forward(z, targets), None
    grad = loss.backward()

    zt = torch.tensor(z, requires_grad=True)
    ref = F.cross_entropy(zt, torch.tensor(labels), reduction=reduction)
    ref.backward()
    assert_rel_close(np.float64(value), np.float64(ref.item()))
    assert_rel_close(grad, to_numpy(zt.grad))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_on_probabilities(reduction: str) -> None:
    rng = np.random.default_rng(9)
    p = rng.uniform(0.05, 1.0, size=(5, 3))
    p /= p.sum(axis=1, keepdims=True)
    labels = rng.integers(0, 3, size=5)
    loss = CrossEntropyLoss(reduction=reduction)
    value = loss.forward(p, labels)
    grad = loss.backward()

    pt = torch.tensor(p, requires_grad=True)
    ref = F.nll_loss(torch.log(pt), torch.tensor(labels), reduction=reduction)
    ref.backward()
    assert_rel_close(np.float64(value), np.float64(ref.item()))
    assert_rel_close(grad, to_numpy(pt.grad))


def test_single_sample_softmax_cross_entropy() -> None:
    z = np.array([1.0, -2.0, 0.5])
    loss = SoftmaxCrossEntropyLoss()
    value = loss.forward(z, np.array(2))
    zt = torch.tensor(z, requires_grad=True)
    ref = F.cross_entropy(zt[None], torch.tensor([2]))
    ref.backward()
    assert_rel_close(np.float64(value), np.float64(ref.item()))
    assert_rel_close(loss.backward(), to_numpy(zt.grad))
