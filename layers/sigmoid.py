"""``Sigmoid``: the notes' element-wise nonlinearity ``h = σ(z)``."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from layers.layer import Array, Layer

# Above z = 88, σ(z) ≈ 1 − e^{−z} rounds to 1 in float32 and in float64
# (e^{−88} ≈ 6e−39), while e^{88} ≈ 1.7e38 still fits in float32.
_Z_CAP = 88.0


def sigmoid(z: Array, out: Array | None = None, spare: Array | None = None) -> Array:
    """``σ(z) = 1 / (1 + e^{-z}) = e^z / (1 + e^z)``, right for any finite ``z``.

    Computed as ``e / (1 + e)`` with ``e = e^{min(z, 88)}``: the cap changes
    nothing (σ rounds to 1 there in both float32 and float64) and ``e^z``
    never overflows, so no warning needs silencing. For very negative ``z``,
    ``e`` underflows towards 0 and so does σ, as it should. The formula never
    subtracts two close numbers. ``z`` is never written: the result goes to
    ``out`` (new if None), ``e`` to ``spare`` (a temporary if None).
    """
    e: Array = np.minimum(z, _Z_CAP, out=spare)  # min(z, 88)
    np.exp(e, out=e)  # e = e^z
    h: Array = np.add(e, 1.0, out=out)  # 1 + e^z
    return np.divide(e, h, out=h)  # σ(z) = e^z / (1 + e^z)


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
        out = self._scratch("h", x.shape, x.dtype, scratch)
        spare = self._scratch("e", x.shape, x.dtype, scratch)
        h = sigmoid(x, out=out, spare=spare)  # h = σ(z)
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
