"""``Sigmoid``: the notes' element-wise nonlinearity ``h = σ(z)``."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from layers.layer import Array, Layer


def sigmoid(z: Array) -> Array:
    """``σ(z) = 1 / (1 + e^{-z})``, right for any finite ``z``.

    For ``z`` below about −88 (float32) or −709 (float64) ``e^{-z}`` overflows
    to ``inf``, and ``1 / (1 + inf) = 0`` is the right limit: the overflow is
    expected, so its warning is silenced (the true value there is below the
    smallest normal float: an error of less than 1.2e-38, or 2.3e-308 in
    float64). Elsewhere the formula loses no precision: it never subtracts
    two close numbers.
    """
    with np.errstate(over="ignore"):
        e = np.exp(-z)  # e^{-z}
    h: Array = 1.0 / (1.0 + e)
    return h


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
        self._h = None  # a forward that fails leaves nothing for backward
        z = self._input(x)
        h = sigmoid(z)  # h = σ(z)
        self._h = h
        return h

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        g = self._grad_out(grad_out, self._h)
        h = self._h
        assert h is not None  # _grad_out has checked that forward ran
        sigma_prime = h * (1 - h)  # σ'(z) = σ(z)(1 − σ(z))
        grad_z: Array = g * sigma_prime  # ∇_z L = (∇_h L) ∘ σ'(z)
        return grad_z
