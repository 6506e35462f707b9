"""Splitting by seed (stratified for classes) and standardisation fitted on train only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.errors import DataError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def split_indices(
    y: npt.NDArray[Any], fraction: float, seed: int, stratify: bool
) -> tuple[IntArray, IntArray]:
    """Split ``range(len(y))`` into ``(keep, held_out)`` with ``fraction`` held out.

    With ``stratify`` every class is held out in the same proportion (rounded
    per class), as scikit-learn's ``train_test_split(stratify=y)`` aims to, so
    a 25 % test set of digits has about 45 of each digit. The same ``seed``
    gives the same split.
    """
    if not 0.0 < fraction < 1.0:
        raise DataError(f"split: the held-out fraction must lie in (0, 1), got {fraction!r}")
    n = len(y)
    rng = np.random.default_rng(seed)
    if not stratify:
        order = rng.permutation(n)
        n_out = max(1, round(n * fraction))
        return np.sort(order[n_out:]), np.sort(order[:n_out])
    held: list[IntArray] = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        rng.shuffle(members)
        held.append(members[: round(len(members) * fraction)])
    out = np.sort(np.concatenate(held))
    keep = np.setdiff1d(np.arange(n), out)
    if len(out) == 0 or len(keep) == 0:
        raise DataError(f"split: {n} samples are too few to hold out {fraction:.0%} of every class")
    return keep, out


@dataclass
class Standardizer:
    """``x ↦ (x − μ) / s`` per feature, with ``μ, s`` fitted on the training split only.

    Fitting on train only keeps the test set unseen; a constant feature
    (``s = 0``, e.g. a digits corner pixel) gets ``s = 1`` instead of a
    division by zero.
    """

    mean: FloatArray
    scale: FloatArray

    @classmethod
    def fit(cls, X: FloatArray) -> Standardizer:
        """Fit ``μ`` and ``s`` to the rows of ``X``."""
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[scale == 0] = 1.0  # a constant feature stays constant (at 0)
        return cls(mean=mean, scale=scale)

    def transform(self, X: npt.ArrayLike) -> FloatArray:
        """Return ``(X − μ) / s``."""
        X_arr = np.asarray(X, dtype=np.float64)
        if X_arr.ndim != 2 or X_arr.shape[1] != len(self.mean):
            raise DataError(
                f"expected features of shape (N, {len(self.mean)}): {len(self.mean)} per sample, "
                f"got an array of shape {X_arr.shape}"
            )
        out: FloatArray = (X_arr - self.mean) / self.scale
        return out

    def inverse_transform(self, Z: npt.ArrayLike) -> FloatArray:
        """Return ``Z s + μ``: back to the original units."""
        out: FloatArray = np.asarray(Z, dtype=np.float64) * self.scale + self.mean
        return out
