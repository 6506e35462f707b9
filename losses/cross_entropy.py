"""``CrossEntropyLoss``: the notes' ``L_CE = −Σ_i Σ_k T_ik log p(k | x_i)``."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from layers._checks import shape_str
from layers.errors import DomainError
from losses.loss import Loss
from losses.targets import as_target_matrix

# Rows of p must sum to 1 up to this much: loose enough for float32 and for the
# small nudges of a numeric gradient check, tight enough to catch logits.
ROW_SUM_TOLERANCE = 1e-3


class CrossEntropyLoss(Loss):
    r"""Cross-entropy of predicted *probabilities* ``p`` (e.g. a ``Softmax`` output).

    Forward, as in the notes (``T`` one-hot, one row per sample)::

        L_CE = −Σ_i Σ_k T_ik log p_ik

    For a one-hot row only the true class counts: ``L = −log p_{i, t_i}``.

    Backward::

        ∂L/∂p_ik = −T_ik / p_ik

    (zero wherever ``T_ik = 0``; divided by ``N`` for ``reduction="mean"``).
    Feeding logits through ``Softmax`` then this loss is exact but slower and
    less stable than :class:`SoftmaxCrossEntropyLoss`, which fuses the two.

    Note: PyTorch's ``nn.CrossEntropyLoss`` takes *logits*; ours takes
    probabilities, like ``nn.NLLLoss`` applied to ``log p``.

    Shape
    -----
    - p: ``(K,)`` or ``(N, K)``, entries ``≥ 0``, rows summing to 1; a true class
      needs ``p > 0``.
    - t: integer labels ``()`` / ``(N,)`` in ``0..K−1``, or one-hot ``(K,)`` / ``(N, K)``.
    """

    _non_finite_cause = "a true class has probability 0, and −log 0 = ∞"

    def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
        p = self._predictions(y)
        if (p < 0).any():
            raise DomainError(
                f"{self!r}: expected probabilities p ≥ 0 of shape {shape_str(p.shape)}, "
                f"got a negative entry {float(p.min())}; pass logits to "
                f"SoftmaxCrossEntropyLoss instead"
            )
        row_sums = p.sum(axis=-1)
        if np.any(np.abs(row_sums - 1) > ROW_SUM_TOLERANCE):
            worst = float(row_sums.ravel()[np.argmax(np.abs(row_sums - 1))])
            raise DomainError(
                f"{self!r}: expected probabilities whose rows sum to 1, got a row "
                f"summing to {worst:.6g}; for logits (scores before softmax) use "
                f"SoftmaxCrossEntropyLoss"
            )
        T = as_target_matrix(t, p, repr(self))
        scale = self._scale(p)
        counts = T != 0  # only the terms with T_ik ≠ 0 contribute (0·log 0 := 0)
        # A true class with p = 0 gives log 0 = −inf, and a tiny one an infinite
        # −T/p: _finish reports either as our error.
        with np.errstate(divide="ignore", over="ignore"):
            log_p = np.log(p, out=np.zeros_like(p), where=counts)
            loss = -scale * float(np.sum(T * log_p))  # L_CE = −Σ_i Σ_k T_ik log p_ik
            grad = np.divide(-scale * T, p, out=np.zeros_like(p), where=counts)  # −T/p
        return self._finish(loss, grad)
