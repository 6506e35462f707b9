"""Seeds: ``rng=`` accepts an int seed, a ``numpy.random.Generator`` or None."""

from __future__ import annotations

import numpy as np

from layers.errors import HyperparameterError

RngLike = int | np.random.Generator | None


def as_generator(rng: RngLike) -> np.random.Generator:
    """Return a Generator: ``rng`` itself, a new one seeded by it, or a fresh one."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)) or rng < 0:
        raise HyperparameterError(
            f"rng must be a non-negative int seed, a numpy.random.Generator or None, got {rng!r}"
        )
    return np.random.default_rng(int(rng))
