"""``MSELoss``: the notes' squared error ``L = ‖y − t‖²``."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from layers._checks import as_float_array, require_finite, shape_str
from layers.errors import LabelError
from losses.loss import Loss


class MSELoss(Loss):
    r"""Squared error summed over outputs, as in the notes: ``L = ‖y − t‖²``.

    Forward, one sample::

        L = ‖y − t‖² = Σ_k (y_k − t_k)²          (no ½, no division by M)

    Backward (notes: "pass gradient through loss function")::

        ∇_y L = 2(y − t)

    A batch adds the per-sample losses (``reduction="sum"``) or averages them
    over the ``N`` samples (``"mean"``): then ``∇_Y L = 2(Y − T) / N``.

    Note: PyTorch's ``nn.MSELoss`` averages over *every element* (``N·M``);
    ours averages over samples only, so ours equals PyTorch's times ``M``.

    Shape
    -----
    - y: ``(M,)`` or ``(N, M)``.
    - t: the same shape as ``y``. (For one output use ``y`` of shape
      ``(N, 1)`` and ``t.reshape(-1, 1)``.)
    """

    def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
        y_arr = self._predictions(y)
        t_arr = as_float_array(t, repr(self), "targets t")
        if t_arr.shape != y_arr.shape:
            hint = (
                "; reshape the targets with t.reshape(-1, 1)"
                if y_arr.ndim == 2 and y_arr.shape[1] == 1 and t_arr.shape == y_arr.shape[:1]
                else ""
            )
            raise LabelError(
                f"{self!r}: expected targets of the predictions' shape "
                f"{shape_str(y_arr.shape)}, got {shape_str(t_arr.shape)}{hint}"
            )
        require_finite(t_arr, repr(self), "targets t")
        scale = self._scale(y_arr)
        residual = y_arr - t_arr.astype(y_arr.dtype, copy=False)  # y − t
        with np.errstate(over="ignore"):  # an overflow to inf is reported by _finish
            loss = scale * float(np.sum(residual * residual))  # Σ_i ‖y_i − t_i‖²  (× 1/N)
        grad = (2.0 * scale) * residual  # ∇_y L = 2(y − t)  (× 1/N)
        return self._finish(loss, grad.astype(y_arr.dtype, copy=False))
