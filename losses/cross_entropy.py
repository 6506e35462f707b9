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
    - p: ``(K,)`` or ``(N, K)``, entries ``≥ 0``; a true class needs ``p > 0``.
    - t: integer labels ``()`` / ``(N,)`` in ``0..K−1``, or one-hot ``(K,)`` / ``(N, K)``.
    """

    def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
        p = self._predictions(y)
        if (p < 0).any():
            raise DomainError(
                f"{self!r}: expected probabilities p ≥ 0 of shape {shape_str(p.shape)}, "
                f"got a negative entry {float(p.min())}; pass logits to "
                f"SoftmaxCrossEntropyLoss instead"
            )
        T = as_target_matrix(t, p, repr(self))
        scale = self._scale(p)
        counts = T != 0  # only the terms with T_ik ≠ 0 contribute (0·log 0 := 0)
        # A true class with p = 0 gives log 0 = −inf: _finish reports it as our error.
        with np.errstate(divide="ignore"):
            log_p = np.log(p, out=np.zeros_like(p), where=counts)
            loss = -scale * float(np.sum(T * log_p))  # L_CE = −Σ_i Σ_k T_ik log p_ik
            grad = np.divide(-scale * T, p, out=np.zeros_like(p), where=counts)  # −T/p
        return self._finish(loss, grad)
