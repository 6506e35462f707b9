"""Correct layers and losses pass over many drawn examples, float64 and float32."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck import check_function, check_layer, check_loss
from gradcheck.strategies import arrays, linear_cases, loss_cases, sequential_cases, sizes
from layers import Linear, Sigmoid, Softmax, Tanh
from losses import CrossEntropyLoss


@settings(max_examples=40)
@given(sequential_cases(max_depth=3), st.integers(0, 2**16))
def test_correct_stacks_never_fail(case: tuple[Any, Any], seed: int) -> None:
    check_layer(*case, seed=seed)


@given(linear_cases(dtype=np.float32), st.integers(0, 2**16))
def test_float32_linear_passes_with_float32_tolerances(case: tuple[Any, Any], seed: int) -> None:
    layer, x = case
    check_layer(layer, x, seed=seed)


@given(st.sampled_from([Sigmoid, Tanh, Softmax]), st.data())
def test_float32_activations_pass(cls: type, data: st.DataObject) -> None:
    z = data.draw(arrays((data.draw(sizes(2, 4)), data.draw(sizes(2, 5))), dtype=np.float32))
    check_layer(cls(), z)


@given(st.integers(0, 2**16), sizes(2, 6))
def test_layers_large_enough_for_random_directions(seed: int, n: int) -> None:
    """W of 40×30 = 1200 entries and x of n×30 go through sampled entries + directions."""
    rng = np.random.default_rng(seed)
    check_layer(Linear(30, 40, rng=seed), rng.uniform(-3, 3, (n, 30)), seed=seed)


def test_large_values_do_not_raise_false_alarms() -> None:
    rng = np.random.default_rng(3)
    check_layer(Linear(50, 20, rng=0), rng.uniform(-300, 300, (8, 50)))
    check_loss(CrossEntropyLoss(), np.array([[1e-3, 0.999], [0.5, 0.5]]), np.array([0, 1]))


@given(st.sampled_from(["mse", "cross_entropy", "softmax_cross_entropy"]), st.data())
def test_losses_never_fail(name: str, data: st.DataObject) -> None:
    check_loss(*data.draw(loss_cases(name)))


def test_cancelling_terms_are_judged_by_their_own_size() -> None:
    """Found on a drawn 6-layer stack: 1.5·a − 0.75·b cancelled to 1e-4 from terms of 0.018,
    and a rounding of 3e-17 (8 ε of the terms) was called "not linear in grad_out"."""
    from gradcheck.contract import same

    a, b = 0.01172599, 0.02362811
    expected = np.array([1.5 * a - 0.75 * b])
    mixed = expected + 2.949029909160572e-17
    assert not same(mixed, expected, np.float64)  # relative to the result: a false alarm
    assert same(mixed, expected, np.float64, scale=max(1.5 * a, 0.75 * b))
    assert not same(mixed + 1e-12, expected, np.float64, scale=max(1.5 * a, 0.75 * b))


# Smooth scalar maps φ with their derivatives φ', for drawn plain functions.
Elementwise = Callable[[Any], Any]
PHIS: dict[str, tuple[Elementwise, Elementwise]] = {
    "sin": (np.sin, np.cos),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "softplus": (lambda z: np.log1p(np.exp(z)), lambda z: 1 / (1 + np.exp(-z))),
    "log(1 + z²)": (lambda z: np.log1p(z**2), lambda z: 2 * z / (1 + z**2)),
    "z³": (lambda z: z**3, lambda z: 3 * z**2),
}


@given(st.sampled_from(sorted(PHIS)), st.data())
def test_correct_functions_never_fail(phi_name: str, data: st.DataObject) -> None:
    """f(x) = Σ c ∘ φ(Ax) with ∇f = Aᵀ(c ∘ φ'(Ax)), and y = φ(Ax) with vjp = Aᵀ(g ∘ φ'(Ax))."""
    phi, dphi = PHIS[phi_name]
    d, m = data.draw(sizes(1, 5)), data.draw(sizes(1, 5))
    A = data.draw(arrays((m, d), bound=1.5))
    c = data.draw(arrays((m,)))
    x = data.draw(arrays((d,), bound=2.0))
    seed = data.draw(st.integers(0, 2**16))
    check_function(lambda v: float(c @ phi(A @ v)), x, lambda v: A.T @ (c * dphi(A @ v)), seed=seed)
    check_function(lambda v: phi(A @ v), x, vjp=lambda v, g: A.T @ (g * dphi(A @ v)), seed=seed)
