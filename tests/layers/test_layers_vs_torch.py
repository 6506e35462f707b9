"""Layers agree with PyTorch autograd to 1e-10 relative in float64."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from torch_reference import assert_rel_close, to_numpy

from layers import Layer, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh

torch = pytest.importorskip("torch")

SHAPES = [(1, 3), (5, 4), (7, 1), (2, 9)]


def torch_function(layer: Layer) -> Any:
    """The PyTorch function that ``layer`` computes."""
    if isinstance(layer, Sigmoid):
        return torch.sigmoid
    if isinstance(layer, Tanh):
        return torch.tanh
    if isinstance(layer, ReLU):
        return torch.relu
    if isinstance(layer, Softmax):
        return lambda z: torch.softmax(z, dim=-1)
    raise AssertionError(layer)


@pytest.mark.parametrize("layer_type", [Sigmoid, Tanh, ReLU, Softmax])
@pytest.mark.parametrize("shape", [*SHAPES, (6,)])
def test_activation_forward_and_backward(layer_type: type[Layer], shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(scale=3.0, size=shape)
    g = rng.normal(size=shape)
    layer = layer_type()
    y = layer.forward(x)
    dx = layer.backward(g)

    xt = torch.tensor(x, requires_grad=True)
    yt = torch_function(layer)(xt)
    yt.backward(torch.tensor(g))
    assert_rel_close(y, to_numpy(yt))
    assert_rel_close(dx, to_numpy(xt.grad))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("n, d, m", [(1, 3, 2), (6, 4, 5), (3, 7, 1)])
def test_linear_forward_and_backward(bias: bool, n: int, d: int, m: int) -> None:
    rng = np.random.default_rng(n * 100 + d * 10 + m)
    layer = Linear(d, m, bias=bias, rng=rng)
    x, g = rng.normal(size=(n, d)), rng.normal(size=(n, m))
    y = layer.forward(x)
    dx = layer.backward(g)

    lin = torch.nn.Linear(d, m, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(layer.W.value))
        if bias:
            assert layer.b is not None
            lin.bias.copy_(torch.tensor(layer.b.value))
    xt = torch.tensor(x, requires_grad=True)
    yt = lin(xt)
    yt.backward(torch.tensor(g))
    assert_rel_close(y, to_numpy(yt))
    assert_rel_close(dx, to_numpy(xt.grad))
    assert_rel_close(layer.W.grad, to_numpy(lin.weight.grad))
    if bias:
        assert layer.b is not None
        assert_rel_close(layer.b.grad, to_numpy(lin.bias.grad))


def test_linear_single_sample_matches_a_batch_of_one() -> None:
    rng = np.random.default_rng(3)
    layer = Linear(4, 3, rng=0)
    x, g = rng.normal(size=4), rng.normal(size=3)
    y1, dx1 = layer.forward(x), layer.backward(g)
    dW1 = layer.W.grad.copy()
    y2, dx2 = layer.forward(x[None]), layer.backward(g[None])
    assert y1.shape == (3,) and dx1.shape == (4,)
    np.testing.assert_array_equal(y1, y2[0])
    np.testing.assert_array_equal(dx1, dx2[0])
    np.testing.assert_array_equal(dW1, layer.W.grad)


@pytest.mark.parametrize("activation", [Sigmoid, Tanh, ReLU])
def test_sequential_one_hidden_layer_net(activation: type[Layer]) -> None:
    rng = np.random.default_rng(11)
    net = Sequential(Linear(5, 8, rng=1), activation(), Linear(8, 3, rng=2), Softmax())
    x, g = rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
    y = net.forward(x)
    dx = net.backward(g)

    lin1, lin2 = (
        torch.nn.Linear(5, 8, dtype=torch.float64),
        torch.nn.Linear(8, 3, dtype=torch.float64),
    )
    with torch.no_grad():
        for ours, theirs in ((net[0], lin1), (net[2], lin2)):
            assert isinstance(ours, Linear) and ours.b is not None
            theirs.weight.copy_(torch.tensor(ours.W.value))
            theirs.bias.copy_(torch.tensor(ours.b.value))
    xt = torch.tensor(x, requires_grad=True)
    act = torch_function(activation())
    yt = torch.softmax(lin2(act(lin1(xt))), dim=-1)
    yt.backward(torch.tensor(g))
    assert_rel_close(y, to_numpy(yt))
    assert_rel_close(dx, to_numpy(xt.grad))
    theirs_grads = [lin1.weight.grad, lin1.bias.grad, lin2.weight.grad, lin2.bias.grad]
    for p, t in zip(net.parameters(), theirs_grads, strict=True):
        assert_rel_close(p.grad, to_numpy(t))
