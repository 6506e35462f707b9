"""``Sigmoid``: the notes' element-wise nonlinearity, ``h = σ(z)``."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from layers import Layer

Array = npt.NDArray[np.float64]


class Sigmoid(Layer):
    r"""``h = σ(z) = 1 / (1 + e^{-z})``, element-wise.

    Backward: the notes' "Pass gradient through nonlinearity" line,
    ``∇_z L = (∇_h L) ∘ σ'(z)``. Write ``σ'(z)`` with what ``forward`` kept,
    so that it stays finite for any finite ``z`` (``z = ±1000`` included).
    """

    def __init__(self) -> None:
        super().__init__()
        self._h: Array | None = None

    def forward(self, x: npt.ArrayLike) -> Array:
        """``h = σ(z)``, computed without overflow; keeps ``h`` for backward."""
        z = np.asarray(x, dtype=np.float64)
        e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
        h: Array = np.where(z >= 0, 1.0, e) / (1.0 + e)
        self._h = h
        return h

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        """Return ``∇_z L`` given ``∇_h L``."""
        g = np.asarray(grad_out, dtype=np.float64)
        h = self._h
        assert h is not None, "call forward before backward"
        grad_z: Array = g * h * (1.0 - h)  # SOLUTION
        return grad_z
