"""``Linear``: the notes' linear transformation ``y = W x + b``."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from layers._checks import resolve_dtype
from layers.errors import HyperparameterError
from layers.layer import Array, Layer
from layers.parameter import Parameter
from layers.rng import RngLike, as_generator


class Linear(Layer):
    r"""Affine map ``y = W x + b`` with ``W`` of shape ``(M, D)``, as in the notes.

    Forward, one sample ``x ∈ R^D`` (the notes' "matrix-vector product")::

        y = W x + b                                  y ∈ R^M

    Backward, with ``g = ∇_y L``::

        ∇_W L = g xᵀ                 (notes, identity (2): ∇_A vᵀAu = v uᵀ)
        ∇_b L = g
        ∇_x L = ((∇_y L)ᵀ W)ᵀ = Wᵀ g (notes, identity (1): ∇_w wᵀx = x)

    Batched, with the design matrix ``X`` (one sample per row) and
    ``G = ∂L/∂Y`` (one ``gᵀ`` per row)::

        Y = X Wᵀ + b
        ∇_W L = Gᵀ X        (Σ_i g_i x_iᵀ: the per-sample gradients add up)
        ∇_b L = Σ_i g_i
        ∇_X L = G W

    Parameters
    ----------
    in_features : int
        ``D``, the size of each input sample.
    out_features : int
        ``M``, the size of each output sample.
    bias : bool, default True
        Learn a bias ``b``. ``bias=False`` gives the notes' ``y = W x`` exactly.
    rng : int, numpy.random.Generator or None
        Seed or generator for the initial weights; the same seed gives the
        same numbers.
    dtype : float32 or float64, default float64
        Dtype of the parameters, and therefore of the inputs it accepts.

    Shape
    -----
    - Input: ``(D,)`` or ``(N, D)``; integer input is converted to ``dtype``.
    - Output: ``(M,)`` or ``(N, M)``.

    Attributes
    ----------
    W : Parameter
        Weights of shape ``(M, D)``, initialised from ``U(-1/√D, 1/√D)``
        (PyTorch's default for ``nn.Linear``).
    b : Parameter or None
        Bias of shape ``(M,)``, same initialisation; ``None`` if ``bias=False``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        rng: RngLike = None,
        dtype: npt.DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise HyperparameterError(f"Linear: {name} must be a positive integer, got {n!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.dtype = resolve_dtype(dtype, repr(self))
        generator = as_generator(rng)
        bound = 1.0 / math.sqrt(self.in_features)
        shape_w = (self.out_features, self.in_features)
        self.W = Parameter(generator.uniform(-bound, bound, shape_w).astype(self.dtype), "W")
        self.b: Parameter | None = None
        if bias:
            self.b = Parameter(
                generator.uniform(-bound, bound, self.out_features).astype(self.dtype), "b"
            )
        self._x: Array | None = None  # the input, kept for ∇_W L = Gᵀ X
        self._y: Array | None = None  # the output, kept to check grad_out's shape

    def forward(self, x: npt.ArrayLike) -> Array:
        self._x = self._y = None  # a forward that fails leaves nothing for backward
        X = self._input(x, self.dtype, features=self.in_features)
        y: Array = X @ self.W.value.T  # y = W x  (batched: Y = X Wᵀ)
        if self.b is not None:
            y = y + self.b.value  # + b
        self._x, self._y = X, y
        return y

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        g = self._grad_out(grad_out, self._y)
        assert self._x is not None  # _grad_out has checked that forward ran
        G = g.reshape(-1, self.out_features)  # one gᵀ per row; a single sample is a batch of one
        X = self._x.reshape(-1, self.in_features)
        self.W.grad = G.T @ X  # ∇_W L = Gᵀ X  (the notes' g xᵀ, summed over samples)
        if self.b is not None:
            self.b.grad = G.sum(axis=0)  # ∇_b L = Σ_i g_i
        grad_x: Array = g @ self.W.value  # ∇_X L = G W  (the notes' ((∇_y L)ᵀ W)ᵀ, per row)
        return grad_x

    def parameters(self) -> list[Parameter]:
        """``[W, b]``, or ``[W]`` without bias."""
        return [self.W] if self.b is None else [self.W, self.b]

    def __repr__(self) -> str:
        return (
            f"Linear({self.in_features}, {self.out_features}"
            + ("" if getattr(self, "b", True) is not None else ", bias=False")
            + ("" if getattr(self, "dtype", np.float64) == np.float64 else ", dtype=float32")
            + ")"
        )


__all__ = ["Linear"]
