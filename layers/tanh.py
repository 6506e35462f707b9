"""``Tanh``: hyperbolic tangent, element-wise."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from layers.layer import Array, Layer


class Tanh(Layer):
    r"""Hyperbolic tangent, element-wise.

    Forward::

        h = tanh(z)

    Backward::

        ∇_z L = (∇_h L) ∘ (1 − h²)        since tanh'(z) = 1 − tanh²(z)

    Shape
    -----
    - Input: ``(D,)`` or ``(N, D)``, float32 or float64 (kept).
    - Output: same shape and dtype as the input.
    """

    def __init__(self) -> None:
        super().__init__()
        self._h: Array | None = None

    def forward(self, x: npt.ArrayLike) -> Array:
        self._h = None  # a forward that fails leaves nothing for backward
        z = self._input(x)
        h = np.tanh(z)  # h = tanh(z); saturates to ±1 without overflow
        self._h = h
        return h

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        g = self._grad_out(grad_out, self._h)
        h = self._h
        assert h is not None
        return g * (1 - h * h)  # ∇_z L = ∇_h L ∘ (1 − h²)
