"""Turn one tensor's gradient into findings: its form first, then its numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gradcheck.findings import Finding, TensorResult
from gradcheck.hints import diagnose
from gradcheck.report import WORST, shape_str


def check_form(name: str, grad: Any, shape: tuple[int, ...], dtype: np.dtype[Any],
               of: str) -> Finding | None:
    """The gradient must exist, have ``of``'s shape and dtype, and be finite."""
    if grad is None or (isinstance(grad, np.ndarray) and grad.dtype == object):
        return Finding(name, "wrong shape", f"got None instead of the gradient of {of}",
                       hint="backward must `return` ∂L/∂x (the gradient with respect to its "
                            "input), so the layer before it can continue the chain rule")
    arr = np.asarray(grad)
    if arr.shape != tuple(shape):
        hint = None
        if arr.ndim == 2 and arr.shape == tuple(shape)[::-1]:
            hint = (f"it is transposed: a gradient has the shape of what it is the gradient "
                    f"of, here {shape_str(shape)} (for ∇_W L: Gᵀ X, not Xᵀ G)")
        elif arr.size == int(np.prod(shape)):
            hint = f"reshape it to {shape_str(shape)}"
        return Finding(name, "wrong shape",
                       f"the gradient has shape {shape_str(arr.shape)}; expected "
                       f"{shape_str(shape)}, the shape of {of}", hint=hint)
    if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr))) if arr.dtype.kind == "f" else arr.size
        return Finding(name, "not finite",
                       f"the gradient holds {bad} NaN or infinite (or non-float) value(s)",
                       hint="look for a division by zero, a log of 0 or an overflowing exp")
    if arr.dtype != dtype:
        return Finding(name, "wrong dtype",
                       f"the gradient has dtype {arr.dtype}; expected {dtype}, the dtype "
                       f"of {of}", hint=f"cast it with .astype(np.{dtype}) or compute it "
                                        f"from arrays of that dtype")
    return None


def numeric_finding(result: TensorResult, *, batch: int | None, width: int | None,
                    what: str) -> Finding:
    """The finding for a tensor whose numbers disagree, with the worst rows and a hint."""
    bad = result.bad
    rows = [r for r in result.rows if r.note != "skipped"]
    a = np.array([r.analytic for r in rows])
    n = np.array([r.numeric for r in rows])
    t = np.array(result.transposed) if len(result.transposed) == len(result.rows) else None
    if t is not None:
        t = t[[i for i, r in enumerate(result.rows) if r.note != "skipped"]]
    hint = diagnose(a, n, name=f"{result.name}'s gradient", batch=batch, width=width,
                    transposed=t)
    kinked = [r for r in bad if r.note.startswith("kink")]
    if kinked and hint is None:
        hint = ("the point is a kink of the function (left and right derivatives differ) and "
                "the analytic value lies outside them; any value between the two is accepted")
    details = [f"checked: {result.method}; 'u' rows compare D_u L = ∇L · u along a random "
               f"unit direction u"] if any(r.where.startswith("u") for r in rows) else \
        [f"checked: {result.method}"]
    return Finding(result.name, "wrong gradient",
                   f"{len(bad)} of {len(rows)} compared values are out of tolerance "
                   f"({what}, shape {shape_str(result.shape)}). Worst:",
                   details=details, rows=result.worst(WORST), hint=hint)


def as_array(values: npt.ArrayLike) -> npt.NDArray[Any]:
    return np.asarray(values)
