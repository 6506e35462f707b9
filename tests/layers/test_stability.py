"""Numerically stable for any finite input: no overflow, no NaN, no NumPy warning."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

from layers import Sigmoid, Softmax, Tanh
from losses import CrossEntropyLoss, SoftmaxCrossEntropyLoss


@pytest.fixture(autouse=True)
def numpy_warnings_are_errors() -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Underflow to 0 is the right answer (σ(−1000) = 0 in floating point), and
        # NumPy ignores it by default; overflow, division by zero and NaN must not happen.
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_at_plus_minus_1000(dtype: type) -> None:
    layer = Sigmoid()
    z: np.ndarray = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0], dtype=dtype)
    h = layer.forward(z)
    assert h.dtype == dtype
    assert_allclose(h[[0, 2, 4]], [0.0, 0.5, 1.0])
    assert 0 < h[1] < 1e-17 or dtype == np.float32
    dz = layer.backward(np.ones_like(z))
    assert np.all(np.isfinite(dz))
    assert dz[0] == 0.0 and dz[4] == 0.0 and dz[2] == 0.25


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_at_huge_logits(dtype: type) -> None:
    layer = Softmax()
    z: np.ndarray = np.array([[1000.0, -1000.0, 999.0], [-1000.0, -1000.0, -1000.0]], dtype=dtype)
    p = layer.forward(z)
    e = np.exp(-1.0)
    assert_allclose(p[0], [1 / (1 + e), 0.0, e / (1 + e)], rtol=1e-6)
    assert_allclose(p[1], [1 / 3] * 3, rtol=1e-6)
    assert np.all(np.isfinite(layer.backward(np.ones_like(z))))


def test_tanh_saturates() -> None:
    layer = Tanh()
    assert_allclose(layer.forward(np.array([-1000.0, 1000.0])), [-1.0, 1.0])
    assert_allclose(layer.backward(np.ones(2)), [0.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_at_logits_of_1e4(dtype: type) -> None:
    loss = SoftmaxCrossEntropyLoss(reduction="sum")
    z: np.ndarray = np.array([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4]], dtype=dtype)
    # Row 0 is right (loss ≈ 0), row 1 is wrong by 1e4 (loss = 1e4 exactly).
    value = loss.forward(z, np.array([0, 1]))
    assert_allclose(value, 1e4, rtol=1e-6)
    grad = loss.backward()
    assert grad.dtype == dtype
    assert_allclose(grad, [[0.0, 0.0, 0.0], [1.0, -1.0, 0.0]], atol=1e-6)


def test_cross_entropy_with_zero_probability_off_target_is_finite() -> None:
    loss = CrossEntropyLoss()
    assert_allclose(loss.forward(np.array([1.0, 0.0]), np.array(0)), 0.0)
    assert_allclose(loss.backward(), [-1.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logits_spread_past_the_float_range(dtype: type) -> None:
    big = np.finfo(dtype).max / 1.5  # max − min overflows to inf
    z: np.ndarray = np.array([[big, -big]], dtype=dtype)
    assert_allclose(Softmax().forward(z), [[1.0, 0.0]])
    for target in (np.array([0]), np.array([[1.0, 0.0]])):
        loss = SoftmaxCrossEntropyLoss(reduction="sum")
        assert loss.forward(z, target) == 0.0
        assert_allclose(loss.backward(), [[0.0, 0.0]])


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
