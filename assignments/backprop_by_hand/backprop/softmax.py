"""``Softmax``: scores to probabilities, ``p_k = e^{z_k} / Σ_j e^{z_j}``, per row."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from layers import Layer

Array = npt.NDArray[np.float64]


class Softmax(Layer):
    r"""Softmax over the last axis: ``p(k | x) = e^{z_k} / Σ_j e^{z_j}`` (the notes' classifier).

    Backward: given ``g = ∇_p L`` for one row, return ``∇_z L``. Every
    ``p_k`` depends on every ``z_j``: start from the Jacobian
    ``∂p_k/∂z_j`` and the chain rule ``∂L/∂z_j = Σ_k (∂L/∂p_k)(∂p_k/∂z_j)``,
    then write the result without building the ``K × K`` matrix.
    """

    def __init__(self) -> None:
        super().__init__()
        self._p: Array | None = None

    def forward(self, x: npt.ArrayLike) -> Array:
        """``p = softmax(z)`` per row (max subtracted: no overflow); keeps ``p``."""
        z = np.asarray(x, dtype=np.float64)
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        p: Array = e / e.sum(axis=-1, keepdims=True)
        self._p = p
        return p

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        """Return ``∇_z L`` given ``∇_p L``, row by row."""
        g = np.asarray(grad_out, dtype=np.float64)
        p = self._p
        assert p is not None, "call forward before backward"
        # BEGIN SOLUTION return the gradient w.r.t. z (the full Jacobian, not just its diagonal)
        g_dot_p = np.sum(g * p, axis=-1, keepdims=True)  # Σ_k g_k p_k, per row
        grad_z: Array = p * (g - g_dot_p)  # ∂p_k/∂z_j = p_k (δ_kj − p_j)
        return grad_z
        # END SOLUTION
