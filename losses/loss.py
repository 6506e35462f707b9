"""``Loss``: the base class of every loss; the loss starts the backward pass."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from layers._checks import as_float_array, require_finite, shape_str
from layers.display import loss_html
from layers.errors import HyperparameterError, NonFiniteError, OrderError, ShapeError

Array = npt.NDArray[np.floating[Any]]

REDUCTIONS = ("mean", "sum")


class Loss:
    """Base class of losses.

    ``forward(y, t)`` returns the loss as a Python float and keeps what
    ``backward`` needs; ``backward()`` returns ``∂L/∂y``, of ``y``'s shape and
    dtype. Over a batch of ``N`` samples the per-sample losses are summed
    (``reduction="sum"``, the notes' ``L_CE``) or averaged
    (``reduction="mean"``, the default, which divides the sum by ``N``).

    Parameters
    ----------
    reduction : {"mean", "sum"}, default "mean"
    """

    # What can make this loss infinite, for the error message.
    _non_finite_cause = "predictions or targets too large overflow it"

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in REDUCTIONS:
            raise HyperparameterError(
                f"{type(self).__name__}: reduction must be 'mean' or 'sum', got {reduction!r}"
            )
        self.reduction = reduction
        self._grad: Array | None = None  # ∂L/∂y from the last forward

    def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
        """Return the loss of predictions ``y`` against targets ``t``."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(y, t)")

    def __call__(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
        return self.forward(y, t)

    def backward(self) -> Array:
        """Return ``∂L/∂y`` for the ``y`` of the last ``forward``.

        A fresh array every call: the caller may modify it freely.
        """
        if self._grad is None:
            raise OrderError(
                f"{self!r}: backward() was called before forward(); run forward(y, t) first"
            )
        grad: Array = self._grad.copy()
        return grad

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"

    def _repr_html_(self) -> str:  # shown by Jupyter: the formula, gradient and reduction
        return loss_html(self)

    # Helpers for subclasses.

    def _predictions(self, y: npt.ArrayLike) -> Array:
        """Check ``y`` is a finite float array of shape ``(M,)`` or ``(N, M)``."""
        self._grad = None  # a forward that fails leaves nothing for backward
        arr = as_float_array(y, self, "predictions y")
        if arr.ndim not in (1, 2) or arr.shape[-1] == 0 or arr.shape[0] == 0:
            raise ShapeError(
                f"{self!r}: expected predictions y of shape (M,) or (N, M) with N, M ≥ 1, "
                f"got {shape_str(arr.shape)}"
            )
        require_finite(arr, self, "predictions y")
        return arr

    def _scale(self, y: Array) -> float:
        """``1/N`` for ``reduction="mean"`` (``N = 1`` for a single sample), else 1."""
        n = y.shape[0] if y.ndim == 2 else 1
        return 1.0 / n if self.reduction == "mean" else 1.0

    def _finish(self, per_sample_total: float, grad: Array) -> float:
        """Store ``grad`` for ``backward`` and return the loss, refusing NaN/inf."""
        if not (math.isfinite(per_sample_total) and np.isfinite(grad).all()):
            self._grad = None
            raise NonFiniteError(
                f"{self!r}: the loss is {per_sample_total} (or its gradient is not finite); "
                f"{self._non_finite_cause}. "
                f"Check the data, or lower the learning rate if training diverged"
            )
        self._grad = grad
        return float(per_sample_total)
