"""Deliberately broken layers and losses: each holds one typical student mistake."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from layers import Layer, Linear, Parameter, ReLU, Sigmoid, Softmax
from losses import MSELoss, SoftmaxCrossEntropyLoss

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


class TransposedInPlaceLinear(Linear):
    """``W.grad[...] = Xᵀ G``: written into the array, so NumPy refuses it when D ≠ M."""

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        grad_x = super().backward(grad_out)
        X = np.atleast_2d(_saved(self._x))
        G = np.atleast_2d(np.asarray(grad_out))
        self.W.grad[...] = X.T @ G
        return grad_x


class StubLinear(Linear):
    """A starter-code backward: the stub ``chainrule assignment make`` writes."""

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        raise NotImplementedError("Linear.backward: fill W.grad and b.grad, return ∂L/∂x")


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


# Adversarial: built to slip past the checker rather than by mistake.


def _moved_beyond_first(now: Array, before: Array) -> bool:
    """Whether ``now`` differs from ``before`` anywhere but its first entry."""
    a, b = np.asarray(now, np.float64).reshape(-1), np.asarray(before, np.float64).reshape(-1)
    return a.shape != b.shape or not np.array_equal(a[1:], b[1:])


def _known_rows(x: Array, rows: Array) -> bool:
    """Every row of ``x`` is one of ``rows`` (the checker feeding single rows)."""
    return x.ndim == 2 and all(any(np.array_equal(r, o) for o in rows) for r in x)


class NaNOffPointLinear(Linear):
    """Right at the first input seen, NaN once anything but a first entry moves; zero backward.

    Moving a first entry (``x[0, 0]``, ``W[0, 0]``, ``b[0]``) leaves the output
    as it was, so those derivatives are 0, as the backward claims. Sub-batches
    of the first input get the true output, so the contract checks pass too.
    """

    def forward(self, x: npt.ArrayLike) -> Array:
        x_arr = np.asarray(x, dtype=np.float64)
        b = self.b.value if self.b is not None else np.zeros(self.out_features)
        if not hasattr(self, "_seen"):
            self._seen = (x_arr.copy(), self.W.value.copy(), b.copy())
        x0, W0, b0 = self._seen
        nan = np.full((*x_arr.shape[:-1], self.out_features), np.nan)
        if _moved_beyond_first(self.W.value, W0) or _moved_beyond_first(b, b0):
            return nan
        if x_arr.shape == x0.shape and not _moved_beyond_first(x_arr, x0):
            x_arr = x0
        elif not _known_rows(x_arr, x0):
            return nan
        self._x = x_arr
        y: Array = x_arr @ W0.T + b0
        return y

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        self.W.grad = None  # zeros
        if self.b is not None:
            self.b.grad = None
        return np.zeros_like(_saved(self._x))


class NaNOffPointSoftmaxCE(SoftmaxCrossEntropyLoss):
    """Softmax cross-entropy, right at the first ``y`` seen and NaN once it moves; ∇ = 0."""

    def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
        y_arr = np.asarray(y, dtype=np.float64)
        if not hasattr(self, "_seen"):
            self._seen = y_arr.copy()
        if y_arr.shape == self._seen.shape and not _moved_beyond_first(y_arr, self._seen):
            y_arr = self._seen
        elif not _known_rows(y_arr, self._seen):
            return float("nan")
        loss = super().forward(y_arr, t)
        self._zero: Array = np.zeros_like(y_arr)
        return loss

    def backward(self) -> Array:
        zero: Array = self._zero.copy()
        return zero


class NaNAboveLinear(Linear):
    """NaN whenever an input entry grows past the first input seen; zero input gradient.

    Only the right side of each input entry is refused: the left side still
    shows the true derivative, which the zero gradient does not match.
    """

    def forward(self, x: npt.ArrayLike) -> Array:
        x_arr = np.asarray(x, dtype=np.float64)
        if not hasattr(self, "_first"):
            self._first = x_arr.copy()
        y = super().forward(x_arr)
        if x_arr.shape == self._first.shape and np.any(x_arr > self._first):
            return np.full_like(y, np.nan)
        return y

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        super().backward(grad_out)
        return np.zeros_like(_saved(self._x))
