"""Deliberately broken layers and losses: each holds one typical student mistake."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from layers import Layer, Linear, Parameter, ReLU, Sigmoid, Softmax
from losses import MSELoss

Array = npt.NDArray[Any]


def _saved(x: Array | None) -> Array:
    assert x is not None, "forward must run first"
    return x


class SignFlippedLinear(Linear):
    """∇_W L = −Gᵀ X."""

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        grad_x = super().backward(grad_out)
        self.W.grad *= -1
        return grad_x


class TransposedLinear(Linear):
    """∇_W L = Xᵀ G (the transpose): the right shape only when D = M."""

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        grad_x = super().backward(grad_out)
        X = np.atleast_2d(_saved(self._x))
        G = np.atleast_2d(np.asarray(grad_out))
        self.W.grad = X.T @ G
        return grad_x


class NoBiasGradLinear(Linear):
    """Forgets ∇_b L = Σ_i g_i."""

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        G = np.atleast_2d(np.asarray(grad_out))
        self.W.grad[...] = G.T @ np.atleast_2d(_saved(self._x))
        grad_x: Array = np.asarray(grad_out) @ self.W.value
        return grad_x


class AccumulatingLinear(Linear):
    """``W.grad += …``: right after zero_grad, wrong on the second call."""

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        G = np.atleast_2d(np.asarray(grad_out))
        self.W.grad += G.T @ np.atleast_2d(_saved(self._x))
        if self.b is not None:
            self.b.grad[...] = G.sum(axis=0)
        grad_x: Array = np.asarray(grad_out) @ self.W.value
        return grad_x


class MeanInsideLinear(Linear):
    """Divides the parameter gradients by the batch size (the loss already did)."""

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        grad_x = super().backward(grad_out)
        n = np.atleast_2d(np.asarray(grad_out)).shape[0]
        self.W.grad /= n
        if self.b is not None:
            self.b.grad /= n
        return grad_x


class DiagonalSoftmax(Softmax):
    """Keeps only the diagonal of the softmax Jacobian: ``g ∘ p(1 − p)``."""

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        p = self._p
        assert p is not None
        return np.asarray(grad_out) * p * (1 - p)


class IgnoresGradOutSigmoid(Sigmoid):
    """Returns σ'(z), forgetting to multiply by ∇_h L."""

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        h = self._h
        assert h is not None
        return h * (1 - h)


class InPlaceReLU(ReLU):
    """Zeroes the caller's array in place."""

    def forward(self, x: npt.ArrayLike) -> Array:
        z = np.asarray(x)
        z[z < 0] = 0
        self._h = z
        return z


class NoneReturningSigmoid(Sigmoid):
    """Forgets to ``return`` the input gradient."""

    def backward(self, grad_out: npt.ArrayLike) -> Any:
        super().backward(grad_out)
        return None


class HalfMSELoss(MSELoss):
    """Backward is ``(y − t)/N``: the 2 of ``∇‖y − t‖² = 2(y − t)`` is missing."""

    def backward(self) -> Array:
        return super().backward() / 2


class SumBackwardMSELoss(MSELoss):
    """Forward takes the mean over the batch, backward forgets the ``1/N``."""

    def backward(self) -> Array:
        grad = super().backward()
        return grad * (grad.shape[0] if grad.ndim == 2 else 1)


class ElementMeanMSELoss(MSELoss):
    """Forward divides by ``N·M`` (PyTorch's mean), backward only by ``N``."""

    def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
        total = super().forward(y, t)
        return total / int(np.shape(y)[-1])


class Scale(Layer):
    """A user's custom layer ``y = a ∘ x`` with a learnable ``a`` (correct)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.a = Parameter(np.linspace(0.5, 1.5, d), "a")
        self._x: Array | None = None

    def forward(self, x: npt.ArrayLike) -> Array:
        self._x = np.asarray(x, dtype=float)
        y: Array = self._x * self.a.value
        return y

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        g = np.asarray(grad_out)
        assert self._x is not None
        self.a.grad[...] = (g * self._x).reshape(-1, self.a.shape[0]).sum(axis=0)
        grad_x: Array = g * self.a.value
        return grad_x


class BuggyScale(Scale):
    """The same layer with ``∇_a L`` forgetting ``x``."""

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        g = np.asarray(grad_out)
        self.a.grad[...] = g.reshape(-1, self.a.shape[0]).sum(axis=0)
        grad_x: Array = g * self.a.value
        return grad_x
