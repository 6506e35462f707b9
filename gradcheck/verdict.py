"""Turn one tensor's gradient into findings: its form first, then its numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gradcheck.findings import Finding, TensorResult
from gradcheck.hints import Diagnosis, diagnosis
from gradcheck.report import WORST, shape_str


def check_form(
    name: str, grad: Any, shape: tuple[int, ...], dtype: np.dtype[Any], of: str
) -> Finding | None:
    """The gradient must exist, have ``of``'s shape and dtype, and be finite."""
    if grad is None or (isinstance(grad, np.ndarray) and grad.dtype == object):
        return Finding(
            name,
            "wrong shape",
            f"got None instead of the gradient of {of}",
            hint="backward must `return` ∂L/∂x (the gradient with respect to its "
            "input), so the layer before it can continue the chain rule",
            slip="backward returns None: nothing is passed on to the layer before it",
        )
    arr = np.asarray(grad)
    if arr.shape != tuple(shape):
        hint = slip = None
        if arr.ndim == 2 and arr.shape == tuple(shape)[::-1]:
            slip = (
                f"it is transposed: a gradient has the shape of what it is the gradient "
                f"of, here {shape_str(shape)}"
            )
            hint = f"{slip} (for ∇_W L: Gᵀ X, not Xᵀ G)"
        elif arr.size == int(np.prod(shape)):
            hint = f"reshape it to {shape_str(shape)}"
            slip = "the right number of values in the wrong shape"
        return Finding(
            name,
            "wrong shape",
            f"the gradient has shape {shape_str(arr.shape)}; expected "
            f"{shape_str(shape)}, the shape of {of}",
            hint=hint,
            slip=slip,
        )
    if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr))) if arr.dtype.kind == "f" else arr.size
        return Finding(
            name,
            "not finite",
            f"the gradient holds {bad} NaN or infinite (or non-float) value(s)",
            hint="look for a division by zero, a log of 0 or an overflowing exp",
            slip="NaN or infinite values (a division by zero, a log of 0 or an overflowing exp?)",
        )
    if arr.dtype != dtype:
        return Finding(
            name,
            "wrong dtype",
            f"the gradient has dtype {arr.dtype}; expected {dtype}, the dtype of {of}",
            hint=f"cast it with .astype(np.{dtype}) or compute it from arrays of that dtype",
            slip=f"computed in {arr.dtype} instead of {dtype}",
        )
    return None


def _elementwise(result: TensorResult, grad_out: npt.NDArray[Any]) -> Diagnosis | None:
    """For an element-wise layer, show the local derivative ∂h/∂z it should have used."""
    rows = result.rows
    if len(result.diagonal) != len(rows) or len(rows) != grad_out.size:
        return None  # not every entry checked one by one
    n = np.array([r.numeric for r in rows])
    if not np.allclose(n, result.diagonal, rtol=1e-4, atol=1e-7):
        return None  # outputs depend on other inputs too: not element-wise
    g = np.asarray(grad_out, dtype=np.float64).reshape(-1)
    bad = [k for k, r in enumerate(rows) if not r.ok and abs(g[k]) > 0.1]
    if not bad:
        return None
    k = max(bad, key=lambda j: rows[j].abs_err)
    at = (
        f"at entry {rows[k].where} the local derivative h'(z) is {rows[k].numeric / g[k]:.6g} "
        f"(numeric) but backward used {rows[k].analytic / g[k]:.6g}"
    )
    return Diagnosis(
        f"the layer acts element-wise, and {at}: the local derivative is wrong",
        f"the layer acts element-wise, so ∂L/∂z = grad_out ∘ h'(z); {at}: check the "
        f"derivative's formula (σ' = σ(1 − σ), tanh' = 1 − tanh², ReLU' = 1[z > 0])",
    )


def numeric_finding(
    result: TensorResult,
    *,
    batch: int | None,
    width: int | None,
    what: str,
    grad_out: npt.NDArray[Any] | None = None,
) -> Finding:
    """The finding for a tensor whose numbers disagree, with the worst rows and a hint.

    Only the values that could be evaluated count here; the others are
    :func:`unchecked_finding`'s.
    """
    keep = [i for i, r in enumerate(result.rows) if r.evaluated]
    rows = [result.rows[i] for i in keep]
    bad = [r for r in rows if not r.ok]
    a = np.array([r.analytic for r in rows])
    n = np.array([r.numeric for r in rows])
    t = np.array(result.transposed) if len(result.transposed) == len(result.rows) else None
    if t is not None:
        t = t[keep]
    name = "the input gradient" if result.name == "input" else f"{result.name}'s gradient"
    found = diagnosis(a, n, name=name, batch=batch, width=width, transposed=t)
    if (
        found is None
        and len(result.diagonal) == len(result.rows)
        and a.size > 1
        and np.allclose(a, np.array(result.diagonal)[keep], rtol=1e-3, atol=1e-9)
    ):
        diagonal_only = (
            f"{name} keeps only the diagonal of the Jacobian "
            f"(∂y_i/∂x_i), but each output also depends on the other inputs of its row"
        )
        found = Diagnosis(
            f"{name} uses only the diagonal of the Jacobian (each output's own input), "
            f"but every output depends on every input of its row",
            f"{diagonal_only}: sum over all of them "
            f"(softmax: ∇_z L = p ∘ (g − Σ_k g_k p_k), not g ∘ p(1 − p))",
        )
    if found is None and grad_out is not None and result.name == "input":
        found = _elementwise(result, grad_out)
    kinked = [r for r in bad if r.note.startswith("kink")]
    if kinked and found is None:
        kink = (
            "the point is a kink of the function (left and right derivatives differ) and "
            "the analytic value lies outside them; any value between the two is accepted"
        )
        found = Diagnosis(kink, kink)
    details = (
        ["(a 'u' row compares D_u L = ∇L · u along a random unit direction u)"]
        if any(r.where.startswith("u") for r in rows)
        else []
    )
    return Finding(
        result.name,
        "wrong gradient",
        f"{len(bad)} of {len(rows)} compared values are out of tolerance "
        f"({what}, shape {shape_str(result.shape)}; checked {result.method}). "
        f"Worst:",
        details=details,
        rows=sorted(rows, key=lambda r: (r.ok, -r.abs_err))[:WORST],
        hint=None if found is None else found.hint,
        slip=None if found is None else found.slip,
    )


def _at(where: str) -> str:
    return f"direction {where}" if where.startswith("u") else f"entry {where}"


def unchecked_finding(result: TensorResult) -> Finding | None:
    """Values whose forward pass fails on both sides of θ have not been checked: a failure.

    A forward pass that gives NaN the moment anything moves would otherwise
    hide any backward at all.
    """
    failed = [r for r in result.rows if not r.evaluated]
    if not failed:
        return None
    if len(failed) == 1:
        at = _at(failed[0].where)
    else:
        listed = ", ".join(r.where for r in failed[:4]) + (", …" if len(failed) > 4 else "")
        at = f"{len(failed)} of the {len(result.rows)} compared values ({listed})"
    return Finding(
        result.name,
        "could not be checked",
        f"the forward pass gives NaN/inf or raises at θ ± h for {at}: "
        f"the gradient there cannot be checked",
        details=result.unevaluable[:3],
        slip="the forward pass is not defined (NaN/inf or an exception) right next to "
        "the checked point",
        hint="the forward pass must be defined a little way around the checked point: "
        "look for a division by zero, a log of 0, an overflowing exp or a value pushed "
        "out of its domain (or, if the point is at the edge of the domain on purpose, "
        "check at one further inside, e.g. probabilities not within 1e-5 of 0)",
    )
