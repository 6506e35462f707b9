"""Metrics: accuracy and confusion matrix for classes, MSE and R² for regression."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from layers.errors import ShapeError


def _same_length(a: npt.NDArray[Any], b: npt.NDArray[Any], who: str) -> None:
    if len(a) != len(b) or len(a) == 0:
        raise ShapeError(
            f"{who}: expected two non-empty arrays of one length, got {len(a)} and {len(b)}"
        )


def accuracy(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """Fraction of samples whose predicted class is the true class."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    _same_length(t, p, "accuracy")
    return float(np.mean(t == p))


def confusion_matrix(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, n_classes: int | None = None
) -> npt.NDArray[np.int64]:
    """``C[i, j]`` = number of samples of true class ``i`` predicted as class ``j``.

    Rows are true classes and columns predictions, as in scikit-learn; the
    diagonal holds the correct ones.
    """
    t, p = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    _same_length(t, p, "confusion_matrix")
    k = int(max(t.max(), p.max()) + 1) if n_classes is None else n_classes
    C = np.zeros((k, k), dtype=np.int64)
    np.add.at(C, (t, p), 1)
    return C


def mean_squared_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """``(1/(N·M)) Σ (y − t)²``: the usual MSE, averaged over every entry.

    (The loss ``MSELoss`` sums over the ``M`` outputs instead, as the notes do.)
    """
    t, p = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    _same_length(t, p, "mean_squared_error")
    return float(np.mean((p.reshape(t.shape) - t) ** 2))


def r2_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """``R² = 1 − Σ(t − y)² / Σ(t − t̄)²``, averaged over outputs (scikit-learn's default).

    1 is a perfect fit; 0 is no better than predicting the mean.
    """
    t, p = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    _same_length(t, p, "r2_score")
    t2, p2 = t.reshape(len(t), -1), p.reshape(len(t), -1)
    residual = np.sum((t2 - p2) ** 2, axis=0)
    total = np.sum((t2 - t2.mean(axis=0)) ** 2, axis=0)
    safe = np.where(total > 0, total, 1.0)
    scores = np.where(total > 0, 1.0 - residual / safe, np.where(residual == 0, 1.0, 0.0))
    return float(np.mean(scores))
