"""The shuffling minibatch iterator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from layers.errors import HyperparameterError, ShapeError


def minibatches(
    X: npt.NDArray[Any],
    y: npt.NDArray[Any],
    batch_size: int,
    rng: np.random.Generator | None = None,
) -> Iterator[tuple[npt.NDArray[Any], npt.NDArray[Any]]]:
    """Yield ``(X_b, y_b)`` pairs covering every sample once.

    With ``rng`` the order is a fresh permutation drawn from it (one per call,
    so one per epoch); without, the data's order. The last batch holds the
    ``N mod batch_size`` leftovers when ``N`` is not a multiple.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise HyperparameterError(f"minibatches: batch_size must be an int, got {batch_size!r}")
    if batch_size < 1:
        raise HyperparameterError(f"minibatches: batch_size must be ≥ 1, got {batch_size}")
    if len(X) != len(y):
        raise ShapeError(f"minibatches: X has {len(X)} samples but y has {len(y)}")
    n = len(X)
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


def n_batches(n: int, batch_size: int) -> int:
    """How many batches ``minibatches`` yields for ``n`` samples: ``⌈n / batch_size⌉``."""
    return -(-n // batch_size)
