"""``Sigmoid``: the notes' element-wise nonlinearity ``h = σ(z)``."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from layers.layer import Array, Layer


def sigmoid(z: Array) -> Array:
    """``σ(z) = 1 / (1 + e^{-z})``, computed without overflow for any finite ``z``.

    With ``e = e^{-|z|} ∈ (0, 1]``: ``σ(z) = 1/(1+e)`` for ``z ≥ 0`` and
    ``σ(z) = e/(1+e)`` for ``z < 0``, the same value written so that ``exp``
    never sees a large positive argument.
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


class Sigmoid(Layer):
    r"""Logistic sigmoid, element-wise.

    Forward::

        h = σ(z) = 1 / (1 + e^{-z})

    Backward (notes: "pass gradient through nonlinearity")::

        ∇_z L = (∇_h L) ∘ σ'(z),    σ'(z) = σ(z)(1 − σ(z))

    Shape
    -----
    - Input: ``(D,)`` or ``(N, D)``, float32 or float64 (kept).
    - Output: same shape and dtype as the input.
    """

    def __init__(self) -> None:
        super().__init__()
        self._h: Array | None = None  # σ(z), all backward needs

    def forward(self, x: npt.ArrayLike) -> Array:
        z = self._input(x)
        h = sigmoid(z).astype(z.dtype, copy=False)  # h = σ(z)
        self._h = h
        return h

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        g = self._grad_out(grad_out, self._h)
        h = self._h
        assert h is not None
        return g * (h * (1 - h))  # ∇_z L = ∇_h L ∘ σ(z)(1 − σ(z))
