"""``Softmax``: turns scores into probabilities over the last axis."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from layers.layer import Array, Layer


def softmax(z: Array) -> Array:
    """``p_k = e^{z_k} / Σ_j e^{z_j}`` over the last axis, for logits of any size.

    Subtracting the row maximum first leaves ``p`` unchanged (it cancels
    between numerator and denominator) and keeps every ``exp`` argument ≤ 0.
    """
    with np.errstate(over="ignore"):  # a spread past the float range gives −inf: e^{−inf} = 0
        e = np.exp(z - z.max(axis=-1, keepdims=True))
    p: Array = e / e.sum(axis=-1, keepdims=True)
    return p


class Softmax(Layer):
    r"""Softmax over the last axis: ``p(k | x) = e^{z_k} / Σ_j e^{z_j}``.

    Forward, one sample::

        p = softmax(z),   p_k = e^{z_k} / Σ_j e^{z_j}

    Backward: the Jacobian is ``∂p_k/∂z_j = p_k (δ_kj − p_j)``, so the
    vector-Jacobian product with ``g = ∇_p L`` is::

        ∇_z L = p ∘ (g − Σ_k g_k p_k)

    applied to each row of a batch. (Keeping only the diagonal ``p ∘ (1 − p)``
    would be wrong: every output depends on every input.)

    Shape
    -----
    - Input: ``(K,)`` or ``(N, K)``, float32 or float64 (kept).
    - Output: same shape and dtype; each row sums to 1.
    """

    def __init__(self) -> None:
        super().__init__()
        self._p: Array | None = None

    def forward(self, x: npt.ArrayLike) -> Array:
        self._p = None  # a forward that fails leaves nothing for backward
        z = self._input(x)
        p = softmax(z)  # p = softmax(z)
        self._p = p
        return p

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        g = self._grad_out(grad_out, self._p)
        p = self._p
        assert p is not None
        g_dot_p = np.sum(g * p, axis=-1, keepdims=True)  # Σ_k g_k p_k, per row
        grad_z: Array = p * (g - g_dot_p)  # ∇_z L = p ∘ (g − Σ_k g_k p_k)
        return grad_z
