"""Losses: the notes' squared error, and softmax cross-entropy on logits."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from losses import Loss

Array = npt.NDArray[np.float64]


def _scale(reduction: str, n: int) -> float:
    """``1/N`` for ``reduction="mean"``, ``1`` for ``"sum"``."""
    return 1.0 / n if reduction == "mean" else 1.0


class MSELoss(Loss):
    r"""The notes' squared error ``L = ‖y − t‖²`` per sample (no ½, no division by M).

    Over a batch ``Y, T`` of shape ``(N, M)`` the per-sample losses are summed
    (``reduction="sum"``) or averaged over the ``N`` samples (``"mean"``).
    Backward returns ``∇_Y L``, of ``Y``'s shape: the notes' "Pass gradient
    through loss function" line, for each row, with the reduction applied.
    """

    def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
        """Return the loss; keep what backward needs."""
        Y = np.asarray(y, dtype=np.float64)
        T = np.asarray(t, dtype=np.float64)
        self._Y, self._T = Y, T
        return _scale(self.reduction, Y.shape[0]) * float(np.sum((Y - T) ** 2))

    def backward(self) -> Array:
        """Return ``∇_Y L`` for the last ``forward``."""
        Y, T = self._Y, self._T
        # BEGIN SOLUTION return the gradient w.r.t. Y (mind the reduction)
        grad: Array = 2.0 * (Y - T) * _scale(self.reduction, Y.shape[0])  # 2(y − t)
        return grad
        # END SOLUTION


class SoftmaxCrossEntropyLoss(Loss):
    r"""Cross-entropy of ``p = softmax(z)`` against labels, taking logits ``Z`` of shape ``(N, K)``.

    ``L = −Σ_i Σ_k T_ik log p_ik`` (the notes' ``L_CE``) for ``"sum"``,
    divided by ``N`` for ``"mean"``; ``T`` is one-hot, built from integer
    labels ``t`` of shape ``(N,)``. Backward returns ``∇_Z L``: chain the
    softmax Jacobian with ``∂L/∂p_k = −T_k / p_k``; it simplifies a lot.
    """

    def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
        """Return the loss; keep ``p`` and the one-hot ``T`` for backward."""
        Z = np.asarray(y, dtype=np.float64)
        labels = np.asarray(t, dtype=np.int64)
        shifted = Z - Z.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self._p = np.exp(log_p)
        self._T = np.eye(Z.shape[1])[labels]
        return -_scale(self.reduction, Z.shape[0]) * float(np.sum(self._T * log_p))

    def backward(self) -> Array:
        """Return ``∇_Z L`` for the last ``forward``."""
        p, T = self._p, self._T
        grad: Array = (p - T) * _scale(self.reduction, p.shape[0])  # SOLUTION
        return grad
