"""``SoftmaxCrossEntropyLoss``: softmax and cross-entropy fused, on logits."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from losses.loss import Array, Loss
from losses.targets import as_target_array, as_target_matrix


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
        labels = as_target_array(t, self)
        if labels.dtype.kind in "iu" and labels.dtype.isnative and labels.shape == z.shape[:-1]:
            return self._forward_labels(z, labels)
        T = as_target_matrix(t, z, repr(self))
        scale = self._scale(z)
        with np.errstate(over="ignore"):  # a spread past the float range gives −inf
            shifted = z - z.max(axis=-1, keepdims=True)  # z − m
        exp_shifted = np.exp(shifted)
        sum_exp = exp_shifted.sum(axis=-1, keepdims=True)
        log_p = shifted - np.log(sum_exp)  # log p_k = z_k − m − log Σ_j e^{z_j − m}
        # Only the terms with T_ik ≠ 0 count: 0 · log p stays 0 even where log p = −∞.
        T_log_p = np.multiply(T, log_p, out=np.zeros_like(T), where=T != 0)
        loss = -scale * float(np.sum(T_log_p))  # L_CE = −Σ_i Σ_k T_ik log p_ik
        p = exp_shifted / sum_exp
        grad = scale * (p - T)  # ∇_z L = p − T
        # p ∈ [0, 1] and T is checked finite: no need to scan the gradient.
        return self._finish(loss, grad, grad_finite=True)

    def _forward_labels(self, z: Array, labels: npt.NDArray[np.integer[Any]]) -> float:
        """The same for integer labels, without building ``T``: ``T_ik = 1`` iff ``k = t_i``."""
        K = z.shape[-1]
        Z = z.reshape(-1, K)  # a single sample is a batch of one
        # Widened to 64 bits and viewed as unsigned, a negative label becomes at
        # least 2⁶³: one max() checks both ends. (Unwidened, int8 −100 would be
        # 156, a valid class once K > 156.)
        wide = np.int64 if labels.dtype.kind == "i" else np.uint64
        t = labels.reshape(-1).astype(wide, copy=False).view(np.uint64)
        if len(t) and np.maximum.reduce(t) >= K:
            as_target_matrix(labels, z, repr(self))  # raises the LabelError that says which
        flat = self._flat_index(t, K)  # where T_ik = 1 in Z flattened: i K + t_i
        scale = self._scale(z)
        with np.errstate(over="ignore"):  # a spread past the float range gives −inf
            m = np.maximum.reduce(Z, axis=1, keepdims=True)  # m = max_k z_k, per row
            # Row-major whatever z's layout: −T is written at flat places below.
            shifted = np.subtract(Z, m, order="C")  # z − m
        p = np.exp(shifted)  # e^{z_k − m}; divided by its row sum below
        sum_exp = np.add.reduce(p, axis=1, keepdims=True)  # Σ_j e^{z_j − m}
        # L_CE = −Σ_i log p_{i,t_i} = −Σ_i (z_{i,t_i} − m_i − log Σ_j e^{z_ij − m_i})
        loss = -scale * float(np.add.reduce(shifted.take(flat) - np.log(sum_exp[:, 0])))
        grad = np.multiply(p, scale / sum_exp, out=p)  # p / N  (mean) or p  (sum)
        grad.reshape(-1)[flat] -= scale  # ∇_z L = p − T
        # p ∈ [0, 1] (its row sum is at least e⁰ = 1): no need to scan the gradient.
        return self._finish(loss, grad.reshape(z.shape), grad_finite=True)

    def _flat_index(self, t: npt.NDArray[np.uint64], K: int) -> npt.NDArray[Any]:
        """``i K + t_i``: label ``t_i``'s place in row ``i`` of ``Z`` flattened.

        One plain index (``take``, ``[flat]``) is about twice as fast as the
        pair ``[rows, t]``. ``t`` is unsigned, the row starts too: no float.
        The sum is then read as int64 (same bits, every value is below
        ``N K``), because NumPy indexes with its native int64 about 2.5x faster
        than with uint64.
        """
        key = (len(t), K)
        if getattr(self, "_starts_for", None) != key:  # kept for the next batch of this shape
            self._starts_for = key
            self._starts = np.arange(len(t), dtype=np.uint64) * np.uint64(K)
        flat: npt.NDArray[Any] = np.add(self._starts, t).view(np.int64)
        return flat
