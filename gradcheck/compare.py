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
from gradcheck.probe import Probe, UnevaluableError
from gradcheck.tolerance import Tolerance

KINK_MODES = ("accept", "raise", "off")
# One-sided steps h, h/10, …: an entry's step is exact however small, while
# θ + s·u rounds each entry of a direction, turning u a little below h/100.
ENTRY_SHRINKS = tuple(10.0**k for k in range(7))
DIRECTION_SHRINKS = (1.0, 10.0, 100.0)
UNEVALUABLE = "forward fails at θ ± h"


def where_of(shape: tuple[int, ...], flat_index: int) -> str:
    idx = np.unravel_index(flat_index, shape) if shape else ()
    return "(" + ", ".join(str(int(i)) for i in idx) + ("," if len(idx) == 1 else "") + ")"


def _close(tol: Tolerance, analytic: float, numeric: float, noise: float) -> bool:
    return bool(tol.close(np.float64(analytic), np.float64(numeric), noise))


def _resolves(tol: Tolerance, analytic: float, numeric: float, noise: float) -> bool:
    """Whether an estimate is precise enough to judge by: noise within 1 % of the values.

    The rounding noise of a small step grows like ``1/h`` and widens the pass
    rule with it; an estimate that noisy would let any value pass.
    """
    return noise <= tol.atol + 0.01 * max(abs(analytic), abs(numeric))


def _from_one_side(
    probe: Probe,
    v: int | npt.NDArray[Any],
    where: str,
    analytic: float,
    tol: Tolerance,
    refused: UnevaluableError,
    result: TensorResult,
    fallback: EntryRow | None = None,
) -> EntryRow:
    """Judge an entry whose forward pass is refused on one side, by the other side alone.

    Tries the right, then the left derivative with steps ``h, h/10, …``
    (a point near the edge of the domain needs a step small beside its
    distance to the edge: ``−log p`` at ``p = 1e-7``), down to where the
    rounding noise would swamp the estimate. A match passes; otherwise ``fallback`` (the
    central difference, when there was one) or the one-sided value is
    reported wrong. If neither side can be evaluated the entry fails as
    unevaluable: a gradient nobody can check must not pass.
    """
    best: EntryRow | None = None
    shrinks = ENTRY_SHRINKS if isinstance(v, (int, np.integer)) else DIRECTION_SHRINKS
    for sign, side in ((1.0, "right"), (-1.0, "left")):
        for shrink in shrinks:
            try:
                numeric, noise = probe.side(v, sign, shrink)
            except UnevaluableError:
                continue  # the edge is nearer than 2h: try a smaller step
            if not _resolves(tol, analytic, numeric, noise):
                break  # smaller steps are only noisier
            step = "h" if shrink == 1 else f"h/{shrink:g}"
            note = f"{side} side only, step {step}"
            if _close(tol, analytic, numeric, noise):
                result.one_sided.append(f"{where}: {refused}")
                return EntryRow(where, numeric, analytic, ok=True, note=note)
            best = EntryRow(where, numeric, analytic, ok=False, note=note)
    if fallback is not None:
        return fallback
    if best is not None:
        return best
    result.unevaluable.append(f"{where}: {refused}")
    return EntryRow(where, float("nan"), analytic, False, note=UNEVALUABLE, evaluated=False)


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
    except UnevaluableError as exc:  # the forward pass refused θ + h or θ − h
        return _from_one_side(probe, v, where, analytic, tol, exc, result)
    if _close(tol, analytic, numeric, noise):
        return EntryRow(where, numeric, analytic, ok=True)
    try:
        numeric, noise = probe.derivative(v, richardson=True)
    except UnevaluableError as exc:  # θ ± 2h is out of reach: only one side can say more
        wrong = EntryRow(where, numeric, analytic, ok=False)
        return _from_one_side(probe, v, where, analytic, tol, exc, result, wrong)
    ok = _close(tol, analytic, numeric, noise)
    if ok or kinks == "off":
        return EntryRow(where, numeric, analytic, ok)
    wrong = EntryRow(where, numeric, analytic, ok=False)
    try:
        for shrink in (10.0, 100.0):  # a kink within h of θ spoils θ ± h, not θ ± h/100
            small, small_noise = probe.derivative(v, shrink=shrink)
            if _close(tol, analytic, small, small_noise):
                return EntryRow(where, small, analytic, ok=True, note=f"needed step h/{shrink:g}")
        left, right = probe.one_sided(v)
    except UnevaluableError as exc:
        return _from_one_side(probe, v, where, analytic, tol, exc, result, wrong)
    gap = abs(left - right)
    if gap <= float(tol.allowed(np.float64(left), np.float64(right), noise)):
        return wrong  # smooth here: simply wrong
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
        where = where_of(shape, int(i))
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
