"""When is an analytic gradient "equal" to a numeric one?

An entry passes when::

    |analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|)

(the rule of ``numpy.isclose``, made symmetric). The defaults depend on the
dtype the layer computes in, because the numeric derivative is only as good
as the forward pass it differences:

=========  ======  ======  ==============================================
dtype      rtol    atol    a correct gradient typically shows
=========  ======  ======  ==============================================
float64    1e-6    1e-8    relative errors of 1e-11 to 1e-9
float32    2e-3    1e-4    relative errors of 1e-5 to 1e-3 (h ≈ 5e-3)
=========  ======  ======  ==============================================

A wrong gradient (a flipped sign, a missing factor 2, a transpose) is off by
order 1, so it fails either way. ``atol`` is raised to the rounding noise of
the difference quotient when that is larger (large outputs, huge batches),
see :func:`rounding_noise`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from layers.errors import HyperparameterError

DEFAULTS: dict[str, tuple[float, float]] = {
    "float64": (1e-6, 1e-8),
    "float32": (2e-3, 1e-4),
}


@dataclass(frozen=True)
class Tolerance:
    """``rtol`` and ``atol`` of the pass rule, and whether they are the defaults."""

    rtol: float
    atol: float
    dtype: str

    def allowed(
        self,
        analytic: npt.NDArray[Any],
        numeric: npt.NDArray[Any],
        noise: npt.NDArray[Any] | float = 0.0,
    ) -> npt.NDArray[Any]:
        """Largest difference each entry may show: ``max(atol, noise) + rtol·max(|a|, |n|)``."""
        scale = np.maximum(np.abs(analytic), np.abs(numeric))
        allowed: npt.NDArray[Any] = np.maximum(self.atol, noise) + self.rtol * scale
        return allowed

    def close(
        self,
        analytic: npt.NDArray[Any],
        numeric: npt.NDArray[Any],
        noise: npt.NDArray[Any] | float = 0.0,
    ) -> npt.NDArray[Any]:
        """Entry-wise pass mask; a NaN or inf in ``analytic`` never passes."""
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(analytic - numeric)
            ok: npt.NDArray[Any] = (diff <= self.allowed(analytic, numeric, noise)) & np.isfinite(
                analytic
            )
        return ok

    def describe(self) -> str:
        return (
            f"|analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|) "
            f"with rtol = {self.rtol:.3g}, atol = {self.atol:.3g} ({self.dtype})"
        )


def resolve(dtype: npt.DTypeLike, rtol: float | None, atol: float | None) -> Tolerance:
    """The dtype's defaults, overridden by any ``rtol``/``atol`` the caller gave."""
    name = np.dtype(dtype).name
    default_rtol, default_atol = DEFAULTS.get(name, DEFAULTS["float64"])
    for what, value in (("rtol", rtol), ("atol", atol)):
        if value is not None and not (np.isfinite(value) and value >= 0):
            raise HyperparameterError(
                f"gradcheck: {what} must be a finite number ≥ 0, got {value!r}"
            )
    return Tolerance(
        default_rtol if rtol is None else float(rtol),
        default_atol if atol is None else float(atol),
        name,
    )


def rounding_noise(
    weights: npt.NDArray[Any],
    plus: npt.NDArray[Any],
    minus: npt.NDArray[Any],
    h: float,
    dtype: npt.DTypeLike,
) -> float:
    """Rounding noise of ``Σ G ∘ (y(θ+h) − y(θ−h)) / 2h``.

    Each output ``y_k`` the step changed carries a rounding error of about
    ``ε |y_k|``; differencing and dividing by ``2h`` leaves about
    ``ε Σ_k |G_k y_k| / h`` (outputs the step did not change cancel exactly).
    A factor 4 covers the rounding inside the forward pass itself.
    """
    eps = float(np.finfo(np.dtype(dtype)).eps)
    changed = plus != minus
    size = np.maximum(np.abs(plus), np.abs(minus))
    return 4.0 * eps * float(np.sum(np.abs(weights) * size, where=changed)) / h
