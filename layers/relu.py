"""``ReLU``: rectified linear unit, element-wise."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from layers.layer import Array, Layer


class ReLU(Layer):
    r"""Rectified linear unit, element-wise.

    Forward::

        h = max(0, z)

    Backward::

        ∇_z L = (∇_h L) ∘ 1[z > 0]

    ReLU has no derivative at ``z = 0``; like PyTorch we use 0 there.

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
        h = np.maximum(z, 0)  # h = max(0, z)
        self._h = h
        return h

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        g = self._grad_out(grad_out, self._h)
        h = self._h
        assert h is not None
        return g * (h > 0)  # ∇_z L = ∇_h L ∘ 1[z > 0]   (h > 0 exactly when z > 0)
