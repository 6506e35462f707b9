"""``Linear``: the notes' linear transformation ``y = W x + b``."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from layers._checks import resolve_dtype, shape_str
from layers.errors import HyperparameterError, ShapeError
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
        (PyTorch's default for ``nn.Linear``). Stored column-major (Fortran
        order) for speed: index it (``W.value[i, j] += h``) rather than writing
        through ``W.value.reshape(-1)``, which is a copy.
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
        weights = generator.uniform(-bound, bound, shape_w).astype(self.dtype)
        # Stored column-major: Wᵀ is then a plain row-major array, and BLAS runs
        # X Wᵀ and Gᵀ X (the two products every step makes) up to 2x faster than
        # with row-major W at small sizes (benchmarks/README.md). W keeps its
        # shape (M, D); only W.value.reshape(-1) is a copy, not a view.
        self.W = Parameter(np.asfortranarray(weights), "W")
        self.b: Parameter | None = None
        if bias:
            self.b = Parameter(
                generator.uniform(-bound, bound, self.out_features).astype(self.dtype), "b"
            )
        self._x: Array | None = None  # the input, kept for ∇_W L = Gᵀ X
        self._y: Array | None = None  # the output, kept to check grad_out's shape
        self._ones_n: Array = np.ones(0, self.dtype)  # see _ones

    def forward(self, x: npt.ArrayLike) -> Array:
        """``Y = X Wᵀ + b``; the equation is in ``_forward_trusted``, after the input checks.

        (``Sequential`` checks its input once and calls the ``_trusted`` methods.)
        """
        self._x = self._y = None  # a forward that fails leaves nothing for backward
        return self._forward_trusted(self._checked_input(x), scratch=False)

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        """``∇_W L = Gᵀ X``, ``∇_b L = Σ_i g_i``, ``∇_X L = G W``: the lines are in
        ``_backward_trusted``, after the check of ``grad_out``."""
        grad_x = self._backward_trusted(self._grad_out(grad_out, self._y), False, True)
        assert grad_x is not None  # input_grad=True always gives it
        return grad_x

    def _checked_input(self, x: npt.ArrayLike) -> Array:
        return self._input(x, self.dtype)  # finite, (D,) or (N, D), of our dtype

    def _forward_trusted(self, x: Array, scratch: bool) -> Array:
        if x.ndim not in (1, 2) or x.shape[-1] != self.in_features or x.dtype != self.dtype:
            self._x = self._y = None  # a failed call leaves nothing for backward
            self._checked_input(x)  # raises the error that names what is wrong
            expected = f"({self.in_features},) or (N, {self.in_features})"
            raise ShapeError(
                f"{self!r}: expected input of shape {expected}, got {shape_str(x.shape)}"
            )
        out = self._scratch("y", (*x.shape[:-1], self.out_features), self.dtype, scratch)
        y: Array = np.matmul(x, self.W.value.T, out=out)  # y = W x  (batched: Y = X Wᵀ)
        if self.b is not None:
            y += self.b.value  # + b
        self._x, self._y = x, y
        return y

    def _backward_trusted(self, g: Array, scratch: bool, input_grad: bool) -> Array | None:
        x, y = self._x, self._y
        if x is None or y is None or g.shape != y.shape:
            self._grad_out(g, y)  # raises OrderError or ShapeError
        assert x is not None
        if x.ndim == 2 and x.shape[0] != 1:
            np.matmul(g.T, x, out=self.W.grad)  # ∇_W L = Gᵀ X  (Σ_i g_i x_iᵀ)
            if self.b is not None:
                np.matmul(self._ones(len(g)), g, out=self.b.grad)  # ∇_b L = Σ_i g_i = 1ᵀ G
        else:  # one sample: NumPy's matmul would not call BLAS for a column times a row
            np.einsum("i,j->ij", g.reshape(-1), x.reshape(-1), out=self.W.grad)  # ∇_W L = g xᵀ
            if self.b is not None:
                self.b.grad[...] = g.reshape(-1)  # ∇_b L = g
        if not input_grad:
            return None
        out = self._scratch("grad_x", x.shape, self.dtype, scratch)
        grad_x: Array = np.matmul(g, self.W.value, out=out)  # ∇_x L = ((∇_y L)ᵀ W)ᵀ = G W
        return grad_x

    def _ones(self, n: int) -> Array:
        """A cached vector of ``n`` ones: ``1ᵀ G`` is one BLAS call, faster than a sum."""
        if self._ones_n.shape != (n,):
            self._ones_n = np.ones(n, self.dtype)
        return self._ones_n

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
