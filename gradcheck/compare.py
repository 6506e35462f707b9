"""Comparison and tolerances: when is an analytic gradient "equal" to a numeric one?

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
see :func:`gradcheck.numeric.rounding_noise`.

:func:`compare_tensor` compares one tensor's analytic gradient with numeric
derivatives. Small tensors (at most ``max_entries`` entries) are checked entry by entry,
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

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from gradcheck import hints
from gradcheck.hints import Diagnosis, HintLevel, checked_level, diagnosis, get_hint_level
from gradcheck.numeric import Probe, UnevaluableError
from gradcheck.result import EntryRow, Finding, Kind, TensorResult
from layers._checks import shape_str
from layers.errors import HyperparameterError

WORST = 5  # rows of the worst-entries table a finding keeps

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
    """The dtype's defaults, overridden by any ``rtol``/``atol`` given (checked by Options)."""
    name = np.dtype(dtype).name
    default_rtol, default_atol = DEFAULTS.get(name, DEFAULTS["float64"])
    return Tolerance(
        default_rtol if rtol is None else float(rtol),
        default_atol if atol is None else float(atol),
        name,
    )


KinkMode = Literal["accept", "raise", "off"]
KINK_MODES: tuple[KinkMode, ...] = ("accept", "raise", "off")


@dataclass(frozen=True)
class Options:
    """How a check compares: every keyword of ``check_layer``/``check_loss``/``check_function``.

    ``rtol``/``atol`` None take the dtype's defaults (:data:`DEFAULTS`);
    ``hints`` None takes the process-wide level (:func:`gradcheck.set_hint_level`).
    Bad values are refused here, naming the keyword, before anything runs.
    """

    rtol: float | None = None
    atol: float | None = None
    richardson: bool = False
    kinks: KinkMode = "accept"
    row_wise: bool | None = None
    contract_checks: bool = True
    max_entries: int = 64
    sampled: int = 12
    directions: int = 4
    hints: HintLevel | None = None
    who: str = "gradcheck"  # the check's name, for the error messages

    def __post_init__(self) -> None:
        if self.kinks not in KINK_MODES:
            raise HyperparameterError(
                f"{self.who}: kinks must be one of {KINK_MODES}, got {self.kinks!r}"
            )
        for what in ("rtol", "atol"):
            value = getattr(self, what)
            if value is not None and not (np.isfinite(value) and value >= 0):
                raise HyperparameterError(
                    f"{self.who}: {what} must be a finite number ≥ 0, got {value!r}"
                )
        for what in ("max_entries", "sampled", "directions"):
            value = getattr(self, what)
            if not isinstance(value, (int, np.integer)) or value < 0:
                raise HyperparameterError(
                    f"{self.who}: {what} must be a whole number ≥ 0, got {value!r}"
                )
        if self.hints is not None:
            checked_level(self.hints, self.who)

    @property
    def level(self) -> HintLevel:
        """The hint level of this check: ``hints``, else the process-wide one."""
        return self.hints if self.hints is not None else get_hint_level()

    def tolerance(self, dtype: npt.DTypeLike) -> Tolerance:
        return resolve(dtype, self.rtol, self.atol)


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
    opts: Options,
) -> TensorResult:
    """Check ``analytic`` (the gradient of ``probe.theta``) against numeric derivatives."""
    max_entries, sampled, directions = opts.max_entries, opts.sampled, opts.directions
    richardson, kinks = opts.richardson, opts.kinks
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
    flat_t = a.T.reshape(-1) if square else None  # a copy: made once, not per entry
    for i in indices:
        where = where_of(shape, int(i))
        if flat_t is not None:  # what a transposed gradient would show here, for the hint
            result.transposed.append(float(flat_t[i]))
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
    return hints.elementwise(at)


def numeric_finding(
    result: TensorResult,
    *,
    batch: int | None,
    width: int | None,
    what: str,
    grad_out: npt.NDArray[Any] | None = None,
    named: str | None = None,
    function: bool = False,
) -> Finding:
    """The finding for a tensor whose numbers disagree, with the worst rows and a hint.

    Only the values that could be evaluated count here; the others are
    :func:`unchecked_finding`'s. ``named`` is how the hint names the tensor
    (default: ``"W's gradient"``, ``"the input gradient"``).
    """
    keep = [i for i, r in enumerate(result.rows) if r.evaluated]
    rows = [result.rows[i] for i in keep]
    bad = [r for r in rows if not r.ok]
    a = np.array([r.analytic for r in rows])
    n = np.array([r.numeric for r in rows])
    t = np.array(result.transposed) if len(result.transposed) == len(result.rows) else None
    if t is not None:
        t = t[keep]
    name = named or (
        "the input gradient" if result.name == "input" else f"{result.name}'s gradient"
    )
    found = diagnosis(a, n, name=name, batch=batch, width=width, transposed=t, function=function)
    if (
        found is None
        and len(result.diagonal) == len(result.rows)
        and a.size > 1
        and np.allclose(a, np.array(result.diagonal)[keep], rtol=1e-3, atol=1e-9)
    ):
        found = hints.diagonal_only(name)
    if found is None and grad_out is not None and result.name == "input":
        found = _elementwise(result, grad_out)
    kinked = [r for r in bad if r.note.startswith("kink")]
    if kinked and found is None:
        found = hints.KINK_OUTSIDE
    details = (
        ["(a 'u' row compares D_u L = ∇L · u along a random unit direction u)"]
        if any(r.where.startswith("u") for r in rows)
        else []
    )
    return Finding(
        result.name,
        Kind.WRONG_GRADIENT,
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
        Kind.UNCHECKABLE,
        f"the forward pass gives NaN/inf or raises at θ ± h for {at}: "
        f"the gradient there cannot be checked",
        details=result.unevaluable[:3],
        slip=hints.UNCHECKABLE.slip,
        hint=hints.UNCHECKABLE.hint,
    )
