"""Bad input gets one of our errors, naming the layer, what it expected and what came."""

from __future__ import annotations

import numpy as np
import pytest

from layers import (
    ChainruleError,
    DtypeError,
    HyperparameterError,
    Layer,
    Linear,
    NonFiniteError,
    OrderError,
    ReLU,
    Sequential,
    ShapeError,
    Sigmoid,
    Softmax,
    Tanh,
)

ALL_LAYERS = [lambda: Linear(3, 2, rng=0), Sigmoid, Tanh, ReLU, Softmax]


def test_error_hierarchy() -> None:
    assert issubclass(ShapeError, ValueError) and issubclass(ShapeError, ChainruleError)
    assert issubclass(NonFiniteError, ValueError)
    assert issubclass(HyperparameterError, ValueError)
    assert issubclass(OrderError, RuntimeError) and issubclass(OrderError, ChainruleError)


def test_linear_wrong_feature_count_names_layer_expected_and_got() -> None:
    with pytest.raises(ShapeError) as info:
        Linear(64, 32, rng=0).forward(np.zeros((10, 63)))
    message = str(info.value)
    assert "Linear(64, 32)" in message
    assert "(N, 64)" in message and "(10, 63)" in message


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_three_dimensional_input_is_refused(make: type[Layer]) -> None:
    with pytest.raises(ShapeError, match=r"\(2, 3, 3\)"):
        make().forward(np.zeros((2, 3, 3)))


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_backward_before_forward(make: type[Layer]) -> None:
    layer = make()
    with pytest.raises(OrderError, match="before forward"):
        layer.backward(np.zeros(2))


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_grad_out_of_the_wrong_shape(make: type[Layer]) -> None:
    layer = make()
    y = layer.forward(np.ones((4, 3)))
    with pytest.raises(ShapeError, match="grad_out") as info:
        layer.backward(np.ones((y.shape[0] + 1, y.shape[1])))
    assert str(y.shape[1]) in str(info.value)


@pytest.mark.parametrize("make", ALL_LAYERS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input(make: type[Layer], bad: float) -> None:
    x = np.ones((2, 3))
    x[1, 2] = bad
    with pytest.raises(NonFiniteError, match="finite"):
        make().forward(x)


def test_non_finite_grad_out() -> None:
    layer = Sigmoid()
    layer.forward(np.zeros(3))
    with pytest.raises(NonFiniteError, match="grad_out"):
        layer.backward(np.array([0.0, np.nan, 1.0]))


def test_non_numeric_input() -> None:
    with pytest.raises(DtypeError, match="numbers"):
        Sigmoid().forward(np.array(["a", "b"]))


def test_float32_input_to_a_float64_linear_is_refused_not_upcast() -> None:
    with pytest.raises(DtypeError, match="float32"):
        Linear(3, 2, rng=0).forward(np.ones((1, 3), dtype=np.float32))


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((0, 3), {}),
        ((3, -1), {}),
        ((2.5, 3), {}),
        ((3, 3), {"dtype": np.int32}),
        ((3, 3), {"rng": -1}),
    ],
)
def test_bad_linear_hyperparameters(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    with pytest.raises(HyperparameterError):
        Linear(*args, **kwargs)  # type: ignore[arg-type]


def test_sequential_names_the_failing_position() -> None:
    net = Sequential(Linear(4, 3, rng=0), Sigmoid(), Linear(2, 1, rng=0))
    with pytest.raises(ShapeError, match=r"Sequential layer \(2\).*Linear\(2, 1\)"):
        net.forward(np.ones((5, 4)))


def test_sequential_refuses_non_layers() -> None:
    with pytest.raises(HyperparameterError, match="argument 1 must be a Layer"):
        Sequential(Sigmoid(), "relu")  # type: ignore[arg-type]


def test_parameter_value_assignment_keeps_shape() -> None:
    layer = Linear(3, 2, rng=0)
    with pytest.raises(ShapeError, match=r"\(2, 3\)"):
        layer.W.value = np.zeros((3, 2))


def test_a_layer_object_at_two_positions_is_refused() -> None:
    act = Sigmoid()
    with pytest.raises(HyperparameterError, match=r"same Sigmoid\(\) object.*\(1\).*\(3\)"):
        Sequential(Linear(2, 3, rng=0), act, Linear(3, 3, rng=1), act)
    inner = Sequential(Linear(2, 2, rng=0), ReLU())
    with pytest.raises(HyperparameterError, match=r"position \(0\)\[0\].*position \(1\)"):
        Sequential(inner, inner[0])


def test_parameter_grad_assignment() -> None:
    layer = Linear(3, 2, rng=0)
    grad_array = layer.W.grad
    layer.W.grad = np.ones((2, 3))  # copied into place: layers keep writing there
    assert layer.W.grad is grad_array and grad_array.sum() == 6
    layer.W.grad = None  # PyTorch's set_to_none habit: means zeros here
    assert layer.W.grad is grad_array and not grad_array.any()
    with pytest.raises(ShapeError, match="looks transposed"):
        layer.W.grad = np.ones((3, 2))
    with pytest.raises(ShapeError, match=r"\(2, 3\).*got \(4,\)"):
        layer.W.grad = np.ones(4)


def test_a_failed_forward_leaves_nothing_for_backward() -> None:
    for layer in (Linear(3, 2, rng=0), Sigmoid(), Tanh(), ReLU(), Softmax()):
        layer.forward(np.ones((2, 3)))
        with pytest.raises(ShapeError):
            layer.forward(np.ones((2, 3, 1)))
        with pytest.raises(OrderError):
            layer.backward(np.ones((2, 2)))


def test_methods_patched_on_an_instance_are_called_by_sequential() -> None:
    net = Sequential(Linear(2, 3, rng=0), Sigmoid(), Linear(3, 1, rng=1))
    calls: list[str] = []
    sigmoid = net[1]
    original_forward, original_backward = sigmoid.forward, sigmoid.backward

    def logged_forward(x: np.ndarray) -> np.ndarray:
        calls.append("forward")
        return original_forward(x)

    def logged_backward(g: np.ndarray) -> np.ndarray:
        calls.append("backward")
        return original_backward(g)

    net.forward(np.ones((4, 2)))  # before the patch
    sigmoid.forward = logged_forward  # type: ignore[method-assign, assignment]
    sigmoid.backward = logged_backward  # type: ignore[method-assign, assignment]
    net.forward(np.ones((4, 2)))
    net.backward(np.ones((4, 1)))
    assert calls == ["forward", "backward"]
