"""``CrossEntropyLoss``: the notes' ``L_CE = −Σ_i Σ_k T_ik log p(k | x_i)``."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from layers._checks import shape_str
from layers.errors import DomainError
from losses.loss import Loss
from losses.targets import as_target_matrix


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
    - p: ``(K,)`` or ``(N, K)``, entries in ``[0, 1]``; a true class needs ``p > 0``.
    - t: integer labels ``()`` / ``(N,)`` in ``0..K−1``, or one-hot ``(K,)`` / ``(N, K)``.
    """

    _non_finite_cause = "a true class has probability 0, and −log 0 = ∞"

    def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
        p = self._predictions(y)
        # A probability lies in [0, 1]; anything else is most likely a logit.
        if p.min() < 0 or p.max() > 1:
            outside = float(p.min()) if p.min() < 0 else float(p.max())
            raise DomainError(
                f"{self!r}: expected probabilities in [0, 1] of shape "
                f"{shape_str(p.shape)}, got an entry {outside:.6g}; for logits "
                f"(scores before softmax) use SoftmaxCrossEntropyLoss"
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
