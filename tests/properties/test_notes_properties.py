"""The notes' calculus, as properties over drawn points and directions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from gradcheck import directional_derivative, partial_derivative
from gradcheck.strategies import arrays, sequential_cases, unit_vectors
from losses import MSELoss
from optim import SGD

coords = st.floats(-3.0, 3.0)


def f(x: float, y: float) -> float:
    """The notes' example ``f(x, y) = x² cos(xy)``."""
    return x**2 * math.cos(x * y)


def grad_f(x: float, y: float) -> np.ndarray[Any, Any]:
    """``∇f = [2x cos(xy) − x² sin(xy) y,  −x³ sin(xy)]``."""
    return np.array(
        [2 * x * math.cos(x * y) - x**2 * math.sin(x * y) * y, -(x**3) * math.sin(x * y)]
    )


@given(coords, coords)
def test_partial_x_of_x2_cos_xy(x: float, y: float) -> None:
    """∂/∂x x² cos(xy) = 2x cos(xy) − x² sin(xy) y, against a numeric partial."""
    expected = 2 * x * math.cos(x * y) - x**2 * math.sin(x * y) * y
    assert partial_derivative(f, [x, y], 0) == pytest_approx(expected)


@given(coords, coords, unit_vectors(2))
def test_directional_derivative_is_gradient_dot_u(x: float, y: float, u: Any) -> None:
    """D_u f = ∇f · u for a unit u (the notes' limit, computed numerically)."""
    assert directional_derivative(f, [x, y], u) == pytest_approx(float(grad_f(x, y) @ u))


@given(coords, coords, unit_vectors(2))
def test_gradient_is_the_steepest_ascent(x: float, y: float, u: Any) -> None:
    """No unit direction increases f faster than ∇f/‖∇f‖, where D = ‖∇f‖."""
    g = grad_f(x, y)
    norm = float(np.linalg.norm(g))
    assume(norm > 1e-6)
    steepest = directional_derivative(f, [x, y], g / norm)
    assert steepest == pytest_approx(norm)
    assert directional_derivative(f, [x, y], u) <= steepest + 1e-6 * max(1.0, norm)


@given(sequential_cases(max_depth=2), st.data())
def test_small_sgd_step_lowers_the_loss(case: tuple[Any, Any], data: st.DataObject) -> None:
    """One step along −∇L with a small learning rate lowers L (the notes' descent)."""
    net, x = case
    y = net.forward(x)
    t = data.draw(arrays(y.shape))
    loss = MSELoss()
    before = loss.forward(y, t)
    net.backward(loss.backward())
    sq_norm = sum(float(np.sum(p.grad**2)) for p in net.parameters())
    assume(sq_norm > 1e-6)
    lr = 1e-3 / max(1.0, sq_norm**0.5)
    SGD(net.parameters(), lr=lr).step()
    after = loss.forward(net.forward(x), t)
    assert after < before
    # First order: the loss falls by about lr·‖∇L‖² (the notes' D_{−∇L} L = −‖∇L‖²).
    assert abs((before - after) - lr * sq_norm) <= 0.1 * lr * sq_norm


@given(sequential_cases(max_depth=2), st.data())
def test_network_directional_derivative_is_backward_dot_u(
    case: tuple[Any, Any], data: st.DataObject
) -> None:
    """For a whole net: the numeric D_u L along a drawn unit u equals ∇_x L · u from backward."""
    net, x = case
    t = data.draw(arrays(net.forward(x).shape))
    loss = MSELoss()
    loss.forward(net.forward(x), t)
    grad_x = net.backward(loss.backward())
    u = data.draw(unit_vectors(x.size)).reshape(x.shape)

    def along(*flat: float) -> float:
        return loss.forward(net.forward(np.array(flat).reshape(x.shape)), t)

    numeric = directional_derivative(along, x.ravel(), u.ravel())
    assert numeric == pytest_approx(float(np.sum(grad_x * u)), scale=float(np.linalg.norm(grad_x)))


def pytest_approx(expected: float, scale: float = 0.0) -> Any:
    """Central differences in float64: agree to ~1e-8 relative, ~1e-9 absolute."""
    import pytest

    return pytest.approx(expected, rel=1e-7, abs=1e-8 * max(1.0, scale))
