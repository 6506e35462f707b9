"""``SoftmaxCrossEntropyLoss``: softmax and cross-entropy fused, on logits."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from losses.loss import Loss
from losses.targets import as_target_matrix


class SoftmaxCrossEntropyLoss(Loss):
    r"""Cross-entropy of ``softmax(z)`` against targets, taking *logits* ``z``.

    Forward, with ``p = softmax(z)`` per row and the log-sum-exp trick
    (``m = max_k z_k`` keeps every ``exp`` argument ≤ 0)::

        log p_k = z_k − m − log Σ_j e^{z_j − m}
        L_CE    = −Σ_i Σ_k T_ik log p_ik

    Backward: chaining the softmax Jacobian ``p_k(δ_kj − p_j)`` with
    ``−T_k / p_k`` collapses (rows of ``T`` sum to 1) to::

        ∇_z L = p − T

    divided by ``N`` for ``reduction="mean"``. This is PyTorch's
    ``nn.CrossEntropyLoss``.

    Shape
    -----
    - z: ``(K,)`` or ``(N, K)``, any finite values (``1e4`` is fine).
    - t: integer labels ``()`` / ``(N,)`` in ``0..K−1``, or one-hot ``(K,)`` / ``(N, K)``.
    """

    def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
        z = self._predictions(y)
        T = as_target_matrix(t, z, repr(self))  # labels become one-hot rows
        scale = self._scale(z)  # 1/N for "mean", 1 for "sum"
        with np.errstate(over="ignore"):  # a spread past the float range gives −inf
            shifted = z - z.max(axis=-1, keepdims=True)  # z − m
        exp_shifted = np.exp(shifted)  # e^{z_k − m} ≤ 1
        sum_exp = exp_shifted.sum(axis=-1, keepdims=True)  # Σ_j e^{z_j − m} ≥ 1
        log_p = shifted - np.log(sum_exp)  # log p_k = z_k − m − log Σ_j e^{z_j − m}
        # Only the terms with T_ik ≠ 0 count: 0 · log p stays 0 even where log p = −∞.
        T_log_p = np.multiply(T, log_p, out=np.zeros_like(T), where=T != 0)
        loss = -scale * float(np.sum(T_log_p))  # L_CE = −Σ_i Σ_k T_ik log p_ik
        p = exp_shifted / sum_exp  # p = softmax(z)
        grad = scale * (p - T)  # ∇_z L = p − T
        return self._finish(loss, grad)
