"""``Linear``: the notes' linear transformation, ``y = W x + b``."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from layers import Layer, Parameter

Array = npt.NDArray[np.float64]


class Linear(Layer):
    r"""Affine map ``y = W x + b``, with ``W`` of shape ``(M, D)`` as in the notes.

    Forward, for a batch ``X`` of shape ``(N, D)`` (the notes' design matrix,
    one sample ``xᵀ`` per row)::

        Y = X Wᵀ + b                      one row yᵀ = (W x + b)ᵀ per sample

    Backward: given ``G = ∇_Y L`` of shape ``(N, M)`` (one row ``gᵀ`` per
    sample), compute

    - ``∇_W L``, shape ``(M, D)``: the notes' "Pass gradient to W" line,
      ``g xᵀ`` for one sample, summed over the samples of the batch;
    - ``∇_b L``, shape ``(M,)``;
    - ``∇_X L``, shape ``(N, D)``: the notes' "Pass gradient through linear
      function" line, one row per sample.

    Parameters
    ----------
    in_features, out_features : int
        ``D`` and ``M``.
    rng : int or numpy.random.Generator, optional
        Seed for the initial weights, drawn from ``U(-1/√D, 1/√D)``.
    """

    def __init__(
        self, in_features: int, out_features: int, *, rng: int | np.random.Generator | None = None
    ) -> None:
        super().__init__()
        gen = np.random.default_rng(rng)
        bound = 1.0 / np.sqrt(in_features)
        self.W = Parameter(gen.uniform(-bound, bound, (out_features, in_features)), "W")
        self.b = Parameter(gen.uniform(-bound, bound, out_features), "b")
        self._X: Array | None = None

    def __repr__(self) -> str:
        M, D = self.W.shape
        return f"Linear({D}, {M})"

    def forward(self, x: npt.ArrayLike) -> Array:
        """``Y = X Wᵀ + b`` for ``X`` of shape ``(N, D)``; keeps ``X`` for backward."""
        X = np.asarray(x, dtype=np.float64)
        self._X = X
        Y: Array = X @ self.W.value.T + self.b.value
        return Y

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        """Write ``∇_W L`` into ``W.grad`` and ``∇_b L`` into ``b.grad``; return ``∇_X L``.

        Overwrite the two ``.grad`` arrays (``self.W.grad[...] = ...``): a
        backward pass that adds to what an earlier one left there is wrong.
        """
        G = np.asarray(grad_out, dtype=np.float64)
        X = self._X
        assert X is not None, "call forward before backward"
        # BEGIN SOLUTION fill self.W.grad and self.b.grad, then return the gradient w.r.t. X
        self.W.grad[...] = G.T @ X  # ∇_W L = Σ_i g_i x_iᵀ = Gᵀ X
        self.b.grad[...] = G.sum(axis=0)  # ∇_b L = Σ_i g_i
        grad_X: Array = G @ self.W.value  # ∇_x L = ((∇_y L)ᵀ W)ᵀ, one row per sample
        return grad_X
        # END SOLUTION
