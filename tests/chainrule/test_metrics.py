"""Metrics against numbers worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule import accuracy, confusion_matrix, mean_squared_error, r2_score
from layers.errors import ShapeError


def test_accuracy_and_confusion_matrix_by_hand() -> None:
    t = [0, 0, 1, 2, 2, 2]
    p = [0, 1, 1, 2, 0, 2]
    assert accuracy(t, p) == pytest.approx(4 / 6)
    np.testing.assert_array_equal(confusion_matrix(t, p), [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert confusion_matrix([0], [0], n_classes=3).shape == (3, 3)


def test_regression_metrics_by_hand() -> None:
    t = np.array([[1.0], [2.0], [3.0]])
    y = np.array([[1.0], [2.0], [5.0]])
    assert mean_squared_error(t, y) == pytest.approx(4 / 3)
    # Σ(t − y)² = 4, Σ(t − t̄)² = 2, so R² = 1 − 4/2 = −1
    assert r2_score(t, y) == pytest.approx(-1.0)
    assert r2_score(t, t) == 1.0


def test_length_mismatch() -> None:
    with pytest.raises(ShapeError, match="accuracy"):
        accuracy([0, 1], [0])
