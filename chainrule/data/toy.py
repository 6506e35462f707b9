"""Toy 2-D classification sets for decision-boundary pictures, generated with NumPy.

Each returns ``X`` of shape ``(N, 2)`` and integer labels ``y`` of shape
``(N,)``; the same seed gives the same points.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

Arrays = tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]


def spirals(n: int = 600, classes: int = 3, noise: float = 0.2, seed: int = 0) -> Arrays:
    """``classes`` interleaved spiral arms (the CS231n picture): not linearly separable."""
    rng = np.random.default_rng(seed)
    per = n // classes
    r = np.tile(np.linspace(0.05, 1.0, per), classes)
    k = np.repeat(np.arange(classes), per)
    theta = k * 2 * np.pi / classes + 4.0 * r + rng.normal(0.0, noise, per * classes)
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return X, k.astype(np.int64)


def xor(n: int = 600, noise: float = 0.1, seed: int = 0) -> Arrays:
    """Four blobs at (±1, ±1); the label is 1 where the signs differ (XOR)."""
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))
    X = (2.0 * corners - 1.0) * 0.5 + rng.normal(0.0, noise, (n, 2)) + 0.0
    return X, (corners[:, 0] ^ corners[:, 1]).astype(np.int64)


def moons(n: int = 600, noise: float = 0.15, seed: int = 0) -> Arrays:
    """Two interleaving half circles (as scikit-learn's ``make_moons``)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, n)
    upper = np.column_stack([np.cos(angle), np.sin(angle)])
    lower = np.column_stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)])
    X = np.where(y[:, None] == 0, upper, lower) + rng.normal(0.0, noise, (n, 2))
    return X, y.astype(np.int64)


def circles(n: int = 600, noise: float = 0.08, factor: float = 0.5, seed: int = 0) -> Arrays:
    """A small circle inside a large one (as scikit-learn's ``make_circles``)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    angle = rng.uniform(0.0, 2 * np.pi, n)
    radius = np.where(y == 1, factor, 1.0)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return X + rng.normal(0.0, noise, (n, 2)), y.astype(np.int64)


TOY_SETS: dict[str, Callable[..., Any]] = {
    "spirals": spirals,
    "xor": xor,
    "moons": moons,
    "circles": circles,
}
