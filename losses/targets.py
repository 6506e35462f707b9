"""Classification targets: integer labels ``(N,)`` or one-hot rows ``(N, K)``.

Both forms are turned into the notes' matrix ``T`` (one row per sample, one
column per class) so that every loss is written once, as ``−Σ T ∘ log p``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from layers._checks import require_finite, shape_str
from layers.errors import LabelError

Array = npt.NDArray[np.floating[Any]]


def as_target_array(t: npt.ArrayLike, owner: object) -> npt.NDArray[Any]:
    """``t`` as an ndarray, or a :class:`LabelError` (ragged lists, objects) that says so."""
    try:
        return np.asarray(t)
    except (TypeError, ValueError) as exc:
        raise LabelError(
            f"{owner}: targets t must be integer labels or rows of numbers with a regular "
            f"shape, got {type(t).__name__} ({exc})"
        ) from exc


def as_target_matrix(t: npt.ArrayLike, y: Array, owner: str) -> Array:
    """Return ``T`` with ``y``'s shape and dtype from labels or one-hot targets.

    Parameters
    ----------
    t : array_like
        Integer class labels in ``0..K−1``, of shape ``(N,)`` for ``y`` of
        shape ``(N, K)`` (a scalar for ``y`` of shape ``(K,)``); or targets of
        ``y``'s shape whose rows are probability distributions (one-hot rows
        are the usual case).
    y : ndarray
        The predictions, ``(K,)`` or ``(N, K)``.
    owner : str
        Who asks, for the error message.
    """
    t_arr = as_target_array(t, owner)
    k = y.shape[-1]
    if t_arr.shape == y.shape[:-1]:  # integer labels, one per sample
        if t_arr.dtype.kind not in "iu":
            raise LabelError(
                f"{owner}: labels of shape {shape_str(t_arr.shape)} must be integers, got "
                f"dtype {t_arr.dtype}; use t.astype(int), or pass one-hot targets of "
                f"shape {shape_str(y.shape)}"
            )
        bad = (t_arr < 0) | (t_arr >= k)
        if bad.any():
            first = int(np.asarray(t_arr)[bad].ravel()[0])
            raise LabelError(
                f"{owner}: labels must lie in 0..{k - 1} for {k} classes, got {first} "
                f"({int(bad.sum())} label(s) out of range)"
            )
        T = np.zeros_like(y)
        np.put_along_axis(T, t_arr[..., None], 1.0, axis=-1)
        return T
    if t_arr.shape == y.shape:  # one-hot (or probability) rows
        if t_arr.dtype.kind not in "biuf":
            raise LabelError(f"{owner}: targets must hold numbers, got dtype {t_arr.dtype}")
        T = t_arr.astype(y.dtype)
        require_finite(T, owner, "targets t")
        row_sums = T.sum(axis=-1)
        tolerance = 1e-6 if y.dtype == np.float64 else 1e-4
        if (T < 0).any() or not np.allclose(row_sums, 1.0, atol=tolerance):
            raise LabelError(
                f"{owner}: one-hot targets of shape {shape_str(t_arr.shape)} must have "
                f"non-negative rows that sum to 1"
            )
        return T
    raise LabelError(
        f"{owner}: for predictions of shape {shape_str(y.shape)} expected integer labels "
        f"of shape {shape_str(y.shape[:-1])} or one-hot targets of shape "
        f"{shape_str(y.shape)}, got {shape_str(t_arr.shape)}"
    )
