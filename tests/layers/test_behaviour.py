"""The layer contract: shapes, dtypes, seeds, no hidden state leaks, Sequential's API."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from layers import Layer, Linear, Parameter, ReLU, Sequential, Sigmoid, Softmax, Tanh

ELEMENTWISE = [Sigmoid, Tanh, ReLU, Softmax]


def test_same_seed_same_weights_and_generator_accepted() -> None:
    a, b = Linear(5, 4, rng=42), Linear(5, 4, rng=42)
    assert_array_equal(a.W.value, b.W.value)
    assert a.b is not None and b.b is not None
    assert_array_equal(a.b.value, b.b.value)
    assert not np.array_equal(a.W.value, Linear(5, 4, rng=43).W.value)
    gen1, gen2 = np.random.default_rng(1), np.random.default_rng(1)
    assert_array_equal(Linear(5, 4, rng=gen1).W.value, Linear(5, 4, rng=gen2).W.value)


def test_linear_init_is_pytorch_default_uniform() -> None:
    layer = Linear(400, 300, rng=0)
    bound = 1 / np.sqrt(400)
    assert layer.W.shape == (300, 400) and layer.parameters() == [layer.W, layer.b]
    assert np.abs(layer.W.value).max() <= bound
    assert np.abs(layer.W.value).max() > 0.99 * bound  # really uses the range
    assert abs(layer.W.value.std() - bound / np.sqrt(3)) < 0.01 * bound  # U(−a, a) has sd a/√3


def test_linear_without_bias() -> None:
    layer = Linear(3, 2, bias=False, rng=0)
    assert layer.b is None and layer.parameters() == [layer.W]
    assert repr(layer) == "Linear(3, 2, bias=False)"
    x = np.array([1.0, 2.0, 3.0])
    assert_array_equal(layer.forward(x), layer.W.value @ x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_in_equals_dtype_out(dtype: type) -> None:
    net = Sequential(Linear(4, 3, rng=0, dtype=dtype), Sigmoid(), Linear(3, 2, rng=1, dtype=dtype))
    x: np.ndarray = np.ones((5, 4), dtype=dtype)
    y = net.forward(x)
    assert y.dtype == dtype
    dx = net.backward(np.ones_like(y, dtype=np.float64))  # a float64 grad_out is brought down
    assert dx.dtype == dtype
    assert all(p.grad.dtype == dtype and p.value.dtype == dtype for p in net.parameters())


@pytest.mark.parametrize("layer_type", ELEMENTWISE)
def test_activation_keeps_float32(layer_type: type[Layer]) -> None:
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    layer = layer_type()
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(np.ones((3, 4), dtype=np.float32)).dtype == np.float32


def test_integer_input_is_converted() -> None:
    layer = Linear(3, 2, rng=0, dtype=np.float32)
    assert layer.forward(np.array([[1, 2, 3]])).dtype == np.float32
    assert Sigmoid().forward([1, 2]).dtype == np.float64


def test_backward_overwrites_and_is_repeatable() -> None:
    layer = Linear(3, 2, rng=0)
    x, g = np.arange(6.0).reshape(2, 3), np.array([[1.0, -1.0], [0.5, 2.0]])
    layer.forward(x)
    dx1 = layer.backward(g)
    dW1 = layer.W.grad.copy()
    dx2 = layer.backward(g)
    assert_array_equal(dx1, dx2)
    assert_array_equal(dW1, layer.W.grad)  # overwritten, never accumulated


@pytest.mark.parametrize("layer_type", [*ELEMENTWISE, lambda: Linear(4, 4, rng=0)])
def test_inputs_and_returned_arrays_are_never_modified(layer_type: type[Layer]) -> None:
    layer = layer_type()
    x = np.linspace(-2, 2, 8).reshape(2, 4)
    x_copy = x.copy()
    y1 = layer.forward(x)
    y1_copy = y1.copy()
    g = np.ones_like(y1)
    dx1 = layer.backward(g)
    dx1_copy = dx1.copy()
    layer.forward(x * 3)
    layer.backward(g * 2)
    assert_array_equal(x, x_copy)
    assert_array_equal(y1, y1_copy)
    assert_array_equal(dx1, dx1_copy)
    assert_array_equal(g, np.ones_like(y1))


def test_sequential_container() -> None:
    l1, act, l2 = Linear(4, 3, rng=0), ReLU(), Linear(3, 2, rng=1)
    net = Sequential(l1, act, l2)
    assert len(net) == 3 and net[0] is l1 and net[-1] is l2 and list(net) == [l1, act, l2]
    assert net.parameters() == [l1.W, l1.b, l2.W, l2.b]
    assert isinstance(net[:2], Sequential) and len(net[:2]) == 2
    assert repr(net) == "Sequential(\n  (0): Linear(4, 3)\n  (1): ReLU()\n  (2): Linear(3, 2)\n)"
    x = np.ones((2, 4))
    assert_array_equal(net(x), l2.forward(act.forward(l1.forward(x))))


def test_user_layer_subclass_with_plain_super_init() -> None:
    class Scale(Layer):
        """y = a ∘ x, with a learnable a."""

        def __init__(self, size: int) -> None:
            super().__init__()
            self.a = Parameter(np.full(size, 2.0), "a")
            self._x: np.ndarray | None = None

        def forward(self, x: np.ndarray) -> np.ndarray:  # type: ignore[override]
            self._x = np.asarray(x, dtype=float)
            y: np.ndarray = self.a.value * self._x
            return y

        def backward(self, grad_out: np.ndarray) -> np.ndarray:  # type: ignore[override]
            assert self._x is not None
            self.a.grad[...] = (grad_out * self._x).reshape(-1, self.a.shape[0]).sum(axis=0)
            grad_x: np.ndarray = grad_out * self.a.value
            return grad_x

    layer = Scale(3)
    assert layer.parameters() == [layer.a]
    net = Sequential(layer, Sigmoid())
    net.forward(np.ones(3))
    net.backward(np.ones(3))
    assert layer.a.grad.shape == (3,)
