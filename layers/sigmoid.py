"""``Sigmoid``: the notes' element-wise nonlinearity ``h = σ(z)``."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from layers.layer import Array, Layer


def sigmoid(z: Array, out: Array | None = None) -> Array:
    """``σ(z) = 1 / (1 + e^{-z})``, right for any finite ``z``, into ``out`` if given.

    For ``z`` below about −88 (float32) or −709 (float64) ``e^{-z}`` overflows
    to ``inf``, and ``1 / (1 + inf) = 0`` is the right limit: the overflow is
    expected, so its warning is silenced (the true value there is below the
    smallest normal float: an error of less than 1.2e-38, or 2.3e-308 in
    float64). Elsewhere the formula loses no precision: it never subtracts
    two close numbers.
    """
    e: Array = np.negative(z, out=out)  # a new array when out is None: z is never written
    with np.errstate(over="ignore"):
        np.exp(e, out=e)  # e^{-z}
    e += 1.0  # 1 + e^{-z}
    return np.divide(1.0, e, out=e)  # 1 / (1 + e^{-z})


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
        """``h = σ(z)``; the equation is in ``_forward_trusted``, after the input checks."""
        self._h = None  # a forward that fails leaves nothing for backward
        return self._forward_trusted(self._checked_input(x), scratch=False)

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        """``∇_z L = ∇_h L ∘ σ(z)(1 − σ(z))``; the lines are in ``_backward_trusted``."""
        grad_z = self._backward_trusted(self._grad_out(grad_out, self._h), False, True)
        assert grad_z is not None
        return grad_z

    def _checked_input(self, x: npt.ArrayLike) -> Array:
        return self._input(x)

    def _forward_trusted(self, x: Any, scratch: bool) -> Array:
        # Fresh output unless scratch: sigmoid() never writes into its input z.
        h = sigmoid(x, out=self._scratch("h", x.shape, x.dtype, scratch))  # h = σ(z)
        self._h = h
        return h

    def _backward_trusted(self, g: Array, scratch: bool, input_grad: bool) -> Array | None:
        h = self._h
        if h is None or g.shape != h.shape:
            self._grad_out(g, h)  # raises OrderError or ShapeError
        assert h is not None
        if not input_grad:
            return None
        out = self._scratch("grad_z", h.shape, h.dtype, scratch)
        s = np.subtract(1.0, h, out=out)  # 1 − σ(z)
        s *= h  # σ'(z) = σ(z)(1 − σ(z))
        return np.multiply(g, s, out=s)  # ∇_z L = ∇_h L ∘ σ'(z)
