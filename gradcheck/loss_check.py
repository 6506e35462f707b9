"""``check_loss``: prove a loss's ``backward`` is ``∂L/∂y``, or say what is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from gradcheck import contract
from gradcheck.arrays import own_copy
from gradcheck.compare import KINK_MODES, compare_tensor
from gradcheck.crash import crash_finding
from gradcheck.errors import failed_check
from gradcheck.findings import Finding, TensorResult
from gradcheck.harness import INPUT
from gradcheck.probe import Probe
from gradcheck.reference import forward_finding
from gradcheck.report import render_all, shape_str, small_input_lines, subject_of
from gradcheck.tolerance import Tolerance, resolve
from gradcheck.verdict import check_form, numeric_finding, unchecked_finding
from layers.errors import HyperparameterError


def _reduction(loss: Any, y: npt.NDArray[Any], t: npt.NDArray[Any], total: float) -> Finding | None:
    """A batch's loss must be the mean (or sum) of its samples' losses."""
    reduction = getattr(loss, "reduction", None)
    if reduction not in ("mean", "sum") or y.ndim != 2 or y.shape[0] < 2:
        return None
    per_sample = np.array([loss.forward(y[i : i + 1], t[i : i + 1]) for i in range(y.shape[0])])
    expected = float(per_sample.mean() if reduction == "mean" else per_sample.sum())
    if contract.same(np.float64(total), np.float64(expected), y.dtype):
        return None
    ratio = total / expected if expected else float("nan")
    return Finding(
        "loss value",
        "wrong reduction",
        f"forward(y, t) of the batch gave {total:.6g}, but the {y.shape[0]} "
        f"samples' losses, one by one, have {reduction} {expected:.6g} "
        f"(ratio {ratio:.4g})",
        hint=f"with reduction={reduction!r} the batch loss is the {reduction} of "
        f"the per-sample losses; divide by the number of samples N only "
        f"(not by N·M) for 'mean', and not at all for 'sum'",
        slip=f"the batch loss is not the {reduction} of the per-sample losses",
    )


@dataclass
class _LossRun:
    phase: str = "running forward(y, t)"
    total: float = float("nan")
    findings: list[Finding] = field(default_factory=list)
    results: list[TensorResult] = field(default_factory=list)


def _run(
    run: _LossRun,
    loss: Any,
    y: npt.NDArray[Any],
    t: npt.NDArray[Any],
    tol: Tolerance,
    rng: np.random.Generator,
    opts: dict[str, Any],
    reference: Any = None,
) -> None:
    """Forward, backward, form, numbers, contract: each step appends to ``run.findings``."""
    y_seen, t_seen = y.copy(), t.copy()
    run.total = float(loss.forward(y_seen, t_seen))
    numeric_from = loss if reference is None else reference
    if reference is not None:
        run.phase = "running the reference's forward(y, t)"
        theirs = np.float64(reference.forward(y.copy(), t.copy()))
        changed = forward_finding("loss value", run.total, theirs, tol, "the same y and t")
        if changed:
            run.findings.append(changed)
    run.phase = "running backward()"
    grad = loss.backward()
    for what, before, after in (("y", y, y_seen), ("t", t, t_seen)):
        changed = contract.untouched(what, before, after)
        if changed:
            run.findings.append(changed)
    form = check_form(INPUT, grad, y.shape, y.dtype, f"the predictions y {shape_str(y.shape)}")
    if form:
        run.findings.append(form)
        return
    run.phase = "computing numeric derivatives (forward at y ± h)"
    if reference is not None:
        run.phase = "computing numeric derivatives (the reference's forward at y ± h)"
    y_run = y.copy()
    probe = Probe(y_run, lambda: np.float64(numeric_from.forward(y_run, t)), np.ones(()))
    res = compare_tensor(INPUT, probe, np.asarray(grad), tol, rng, **opts["compare"])
    run.results.append(res)
    unchecked = unchecked_finding(res)
    if unchecked:
        run.findings.append(unchecked)
    if any(not r.ok and r.evaluated for r in res.rows):
        batch = y.shape[0] if y.ndim == 2 else None
        run.findings.append(numeric_finding(res, batch=batch, width=y.shape[-1], what="∂L/∂y"))
    if opts["contract_checks"]:
        run.phase = "repeating forward/backward (contract checks, also on single rows)"
        loss.forward(y.copy(), t.copy())
        if not contract.same(np.asarray(loss.backward()), np.asarray(grad), y.dtype):
            run.findings.append(
                Finding(
                    INPUT,
                    "not repeatable",
                    "a second forward/backward with the same y and t gave a different ∂L/∂y",
                    hint="backward must depend only on the last forward, not on earlier calls",
                    slip="∂L/∂y depends on state left by earlier calls",
                )
            )
        wrong_total = _reduction(loss, y.copy(), t.copy(), run.total)
        if wrong_total:
            run.findings.append(wrong_total)


def check_loss(
    loss: Any,
    y: npt.ArrayLike,
    t: npt.ArrayLike,
    *,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
    richardson: bool = False,
    kinks: str = "accept",
    contract_checks: bool = True,
    max_entries: int = 64,
    sampled: int = 12,
    directions: int = 4,
    reference: Any = None,
) -> None:
    """Check that ``loss.backward()`` returns ``∂L/∂y`` for ``L = loss.forward(y, t)``.

    Parameters are as for :func:`gradcheck.check_layer` (``seed`` seeds the
    sampled entries and directions for large ``y``); ``t`` is never
    differentiated. Also checked: the gradient's shape and dtype, a repeated
    forward/backward gives the same, ``y`` and ``t`` are not modified, and a
    batch's loss is the mean (or sum) of its samples' for a loss with a
    ``reduction`` attribute.

    ``reference``, a trusted loss of the same kind (see
    :func:`gradcheck.check_layer`), supplies the numeric derivatives instead of
    ``loss.forward``, and ``loss.forward(y, t)`` must match its value.

    Raises
    ------
    GradcheckError
        When anything is wrong, or the loss raises; ``str(err)`` is the full report.
    """
    if kinks not in KINK_MODES:
        raise HyperparameterError(f"check_loss: kinks must be one of {KINK_MODES}, got {kinks!r}")
    rng = np.random.default_rng(seed)
    y_arr = own_copy(y)
    y_arr = y_arr if y_arr.dtype.kind == "f" else y_arr.astype(np.float64)
    t_arr = np.array(t, copy=True)
    tol = resolve(y_arr.dtype, rtol, atol)
    compare = dict(max_entries=max_entries, sampled=sampled, directions=directions)
    opts: dict[str, Any] = dict(contract_checks=contract_checks)
    opts["compare"] = dict(compare, richardson=richardson, kinks=kinks)
    run = _LossRun()
    crashed: BaseException | None = None
    try:
        _run(run, loss, y_arr, t_arr, tol, rng, opts, reference)
    except Exception as exc:  # the checked code raised: that is a failed check too
        run.findings.insert(0, crash_finding(run.phase, exc))
        crashed = exc
    kinked = [k for r in run.results for k in r.kinks]
    if kinks == "raise" and kinked:
        run.findings.insert(
            0,
            Finding(
                INPUT,
                "non-differentiable point",
                f"{len(kinked)} checked value(s) sit at a kink:",
                details=kinked[:5],
                hint="draw y away from the kink",
                slip="the checked point is a kink, where the gradient is not defined",
            ),
        )
    if not run.findings:
        return
    subject = subject_of(loss)
    setup = [
        f"L = loss.forward(y, t) = {run.total:.6g}, y of shape {shape_str(y_arr.shape)} "
        f"({y_arr.dtype}), t of shape {shape_str(t_arr.shape)} ({t_arr.dtype}).",
        "∂L/∂y from backward() was compared with central differences "
        "(L(y + h) − L(y − h)) / 2h, h ≈ ∛ε·max(1, |y|).",
    ]
    call, also = f"check_loss(loss, y, t, seed={seed})", ""
    if reference is not None:
        setup.append(
            f"The numeric derivatives are those of the reference implementation "
            f"{subject_of(reference)}, whose loss value the loss must match."
        )
        call = f"check_loss(loss, y, t, seed={seed}, reference=reference)"
        also = f", reference = {subject_of(reference)}"
    reproduce = [
        f"To reproduce: {call} with loss = {subject}{also} and",
        *small_input_lines("y", y_arr),
        *small_input_lines("t", t_arr),
    ]
    input_label = "∂L/∂y (the array backward() returns)"
    texts = render_all(subject, setup, run.findings, run.results, tol, reproduce, input_label)
    raise failed_check(subject, run.findings, run.results, seed, texts) from crashed
