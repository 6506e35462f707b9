"""Compare one tensor's analytic gradient with numeric derivatives.

Small tensors (at most ``max_entries`` entries) are checked entry by entry,
each with a central difference: the notes' partial derivative. Larger ones
are checked on a random sample of entries *and* along random unit
directions ``u``, where the notes' identity ``D_u f = ∇f · u`` must hold: a
direction touches every entry at once, so a wrong entry anywhere shows, and
the cost no longer grows with the tensor (a 784×256 ``Linear`` takes about a
hundred forward passes instead of 400 000).

A failing value is looked at again before it is reported:

1. again with the 5-point stencil (error ``O(h⁴)``), so strong curvature
   (``−log p`` at small ``p``) is not mistaken for a wrong gradient;
2. (unless ``kinks="off"``) with steps ``h/10`` and ``h/100``: a kink just
   beside ``θ`` (a ReLU input within ``h`` of 0) spoils ``θ ± h`` only;
3. for a kink: if the left and right derivatives differ, ``θ`` sits at a
   non-differentiable point (ReLU at 0). With ``kinks="accept"`` an analytic
   value between the two one-sided derivatives (a valid subgradient, such as
   ReLU's 0 at 0) passes; with ``kinks="raise"`` the point is reported as a
   kink; with ``kinks="off"`` no such test is made.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gradcheck.findings import EntryRow, TensorResult
from gradcheck.probe import Probe
from gradcheck.tolerance import Tolerance

KINK_MODES = ("accept", "raise", "off")


def _where(shape: tuple[int, ...], flat_index: int) -> str:
    idx = np.unravel_index(flat_index, shape) if shape else ()
    return "(" + ", ".join(str(int(i)) for i in idx) + ("," if len(idx) == 1 else "") + ")"


def _judge(
    probe: Probe,
    v: int | npt.NDArray[Any],
    where: str,
    analytic: float,
    tol: Tolerance,
    richardson: bool,
    kinks: str,
    result: TensorResult,
) -> EntryRow:
    """Compare one number, re-examining it (5-point stencil, kink test) if it fails."""
    try:
        numeric, noise = probe.derivative(v, richardson)
        if not tol.close(np.float64(analytic), np.float64(numeric), noise):
            numeric, noise = probe.derivative(v, richardson=True)
    except (ValueError, ArithmeticError) as exc:  # forward refused θ ± h (e.g. p < 0)
        result.skipped.append(f"{where}: {type(exc).__name__}: {exc}")
        return EntryRow(where, float("nan"), analytic, ok=True, note="skipped")
    if not np.isfinite(numeric):  # forward overflowed at θ ± h: nothing to compare with
        result.skipped.append(f"{where}: the forward pass gave NaN or inf at θ ± h")
        return EntryRow(where, numeric, analytic, ok=True, note="skipped")
    ok = bool(tol.close(np.float64(analytic), np.float64(numeric), noise))
    if ok or kinks == "off":
        return EntryRow(where, numeric, analytic, ok)
    for shrink in (10.0, 100.0):  # a kink within h of θ spoils θ ± h, not θ ± h/100
        small, small_noise = probe.derivative(v, shrink=shrink)
        if tol.close(np.float64(analytic), np.float64(small), small_noise):
            return EntryRow(where, small, analytic, ok=True, note=f"needed step h/{shrink:g}")
    left, right = probe.one_sided(v)
    gap = abs(left - right)
    if gap <= float(tol.allowed(np.float64(left), np.float64(right), noise)):
        return EntryRow(where, numeric, analytic, ok=False)  # smooth here: simply wrong
    note = f"kink: left derivative {left:.6g}, right derivative {right:.6g}"
    result.kinks.append(f"{where} ({note})")
    slack = float(tol.allowed(np.float64(analytic), np.float64(max(abs(left), abs(right))), noise))
    between = min(left, right) - slack <= analytic <= max(left, right) + slack
    return EntryRow(where, numeric, analytic, ok=between and kinks == "accept", note=note)


def compare_tensor(
    name: str,
    probe: Probe,
    analytic: npt.NDArray[Any],
    tol: Tolerance,
    rng: np.random.Generator,
    *,
    max_entries: int = 64,
    sampled: int = 12,
    directions: int = 4,
    richardson: bool = False,
    kinks: str = "accept",
) -> TensorResult:
    """Check ``analytic`` (the gradient of ``probe.theta``) against numeric derivatives."""
    shape = tuple(probe.theta.shape)
    size = int(probe.theta.size)
    a = np.asarray(analytic, dtype=np.float64)
    if size <= max_entries:
        indices = np.arange(size)
        method = f"all {size} entries"
        n_dir = 0
    else:
        indices = np.sort(rng.choice(size, size=min(sampled, size), replace=False))
        n_dir = directions
        method = f"{indices.size} random entries and {n_dir} random unit directions u"
    result = TensorResult(name, shape, method)
    flat_a = a.reshape(-1)
    square = a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] > 1
    for i in indices:
        where = _where(shape, int(i))
        if square:  # what a transposed gradient would show here, for the hint
            result.transposed.append(float(a.T.reshape(-1)[i]))
        probe.diagonal = None
        result.rows.append(
            _judge(probe, int(i), where, float(flat_a[i]), tol, richardson, kinks, result)
        )
        if probe.diagonal is not None:
            result.diagonal.append(probe.diagonal)
    for k in range(n_dir):
        u = rng.standard_normal(shape)
        u /= np.linalg.norm(u)  # a unit vector, as the notes' D_u f requires
        analytic_du = float(np.sum(a * u))  # D_u f = ∇f · u
        if square:
            result.transposed.append(float(np.sum(a.T * u)))
        result.rows.append(
            _judge(probe, u, f"u{k + 1}", analytic_du, tol, richardson, kinks, result)
        )
    return result
