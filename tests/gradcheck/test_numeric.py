"""Numeric derivatives: the notes' definitions, their step sizes and accuracy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradcheck import directional_derivative, numeric_gradient, partial_derivative, step_size
from layers.errors import DomainError, ShapeError


def f(x: float, y: float) -> float:
    return x**2 * math.cos(x * y)


def test_partial_of_the_notes_example_at_a_worked_point() -> None:
    # At (1, 2): 2·1·cos 2 − 1·sin 2·2 = 2 cos 2 − 2 sin 2 ≈ −2.6510430
    expected = 2 * math.cos(2.0) - 2 * math.sin(2.0)
    assert partial_derivative(f, [1.0, 2.0], 0) == pytest.approx(expected, rel=1e-9)


def test_numeric_gradient_of_a_quadratic_is_exact_to_rounding() -> None:
    # f(w) = (wᵀx − t)², the notes' linear regression: ∇_w L = 2(y − t)x
    x, t = np.array([0.5, -1.5, 2.0]), 0.25

    def loss(*w: float) -> float:
        return (float(np.dot(w, x)) - t) ** 2

    w = np.array([0.1, 0.2, -0.3])
    expected = 2 * (w @ x - t) * x
    np.testing.assert_allclose(numeric_gradient(loss, w), expected, rtol=1e-9)


def test_step_is_cube_root_of_eps_scaled_by_theta() -> None:
    assert step_size(0.0) == pytest.approx(np.cbrt(np.finfo(np.float64).eps))
    assert step_size(np.array([3.0, -100.0])) == pytest.approx(100 * np.cbrt(2.0**-52))
    assert step_size(1.0, np.float32) == pytest.approx(np.cbrt(2.0**-23))
    assert step_size(1.0, richardson=True) == pytest.approx(2.0 ** (-52 / 5))


def test_richardson_is_more_accurate_than_central_differences() -> None:
    g = math.exp
    h = 1e-2  # a large step, where the O(h²) error of central differences shows
    central = partial_derivative(g, [1.0], 0, h=h)
    five_point = partial_derivative(g, [1.0], 0, h=h, richardson=True)
    assert abs(five_point - math.e) < abs(central - math.e) / 1000


def test_directional_derivative_needs_a_unit_vector_of_the_right_shape() -> None:
    with pytest.raises(DomainError, match="unit vector"):
        directional_derivative(f, [1.0, 2.0], [1.0, 1.0])
    with pytest.raises(ShapeError):
        directional_derivative(f, [1.0, 2.0], [1.0, 0.0, 0.0])


def test_directional_derivative_along_an_axis_is_the_partial() -> None:
    assert directional_derivative(f, [0.3, -1.2], [0.0, 1.0]) == pytest.approx(
        partial_derivative(f, [0.3, -1.2], 1), rel=1e-12
    )
