"""``check_layer``: prove a layer's backward right, or say exactly what is wrong."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gradcheck.arrays import own_copy
from gradcheck.compare import KINK_MODES
from gradcheck.crash import crash_finding
from gradcheck.errors import failed_check
from gradcheck.findings import Finding
from gradcheck.harness import Harness
from gradcheck.layer_run import LayerRun, run_checks
from gradcheck.report import render_all, shape_str, small_input_lines, subject_of
from gradcheck.tolerance import resolve
from layers.errors import HyperparameterError


def _float_input(layer: Any, x: npt.ArrayLike) -> npt.NDArray[Any]:
    """A float copy of ``x``: integers become the layer's dtype (float64 if it has none)."""
    arr = own_copy(x)
    if arr.dtype.kind != "f":
        arr = arr.astype(getattr(layer, "dtype", np.float64))
    return arr


def check_layer(
    layer: Any,
    x: npt.ArrayLike,
    *,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
    richardson: bool = False,
    kinks: str = "accept",
    row_wise: bool | None = None,
    contract_checks: bool = True,
    max_entries: int = 64,
    sampled: int = 12,
    directions: int = 4,
    reference: Any = None,
) -> None:
    """Check every gradient ``layer.backward`` computes at ``x``; raise if one is wrong.

    The checked scalar is ``L = Σ G ∘ layer(x)`` with a random upstream
    gradient ``G ~ N(0, 1)`` (never all ones, so a backward that ignores
    ``grad_out`` fails). ``backward(G)`` must return ``∇_x L`` and fill each
    ``Parameter.grad`` with ``∇_θ L``; each is compared, by name, with
    numeric derivatives (see :mod:`gradcheck.compare`), and the backward
    contract is checked (see :mod:`gradcheck.contract`). Parameter values are
    restored exactly afterwards.

    Parameters
    ----------
    layer : Layer
        Anything with ``forward(x)``, ``backward(grad_out)`` and (optionally) ``parameters()``.
    x : array_like
        The input, ``(D,)`` or ``(N, D)``, of the layer's dtype; integers are converted.
    seed : int
        Seeds ``G``, the sampled entries and the random directions: the same seed
        reproduces the same check.
    rtol, atol : float, optional
        Pass rule ``|a − n| ≤ atol + rtol·max(|a|, |n|)``; defaults per dtype
        (float64 1e-6 / 1e-8, float32 2e-3 / 1e-4).
    richardson : bool
        Use the 5-point stencil (error ``O(h⁴)``) for every entry, not only to re-check failures.
    kinks : {"accept", "raise", "off"}
        At a non-differentiable point (ReLU at 0): accept any value between the
        left and right derivatives, raise :class:`NondifferentiableError`, or don't look.
    row_wise : bool or None
        Require (True), skip (False) or, if the forward pass is row-wise, apply
        (None) the check that a batch's gradient is the sum of its rows'.
    contract_checks : bool
        Also check repeatability, linearity in ``grad_out`` and row-wise sums.
    max_entries, sampled, directions : int
        Tensors up to ``max_entries`` entries are checked entry by entry; larger
        ones on ``sampled`` random entries and ``directions`` random directions.
    reference : Layer, optional
        A trusted object of the same kind (the instructor's class, built with
        the same arguments). The numeric derivatives then come from
        ``reference.forward``, after the layer's parameter values are copied
        into the reference's (by position in ``parameters()``; the reference's
        are restored afterwards), and ``layer``'s forward output must match the
        reference's. ``layer`` is then only called and read, never perturbed
        or walked, so it may be a proxy to an object in another process whose
        attributes are copies (it needs ``forward``, ``backward`` and
        ``parameters()``, whose entries have ``value``, ``grad``, ``shape``,
        ``dtype`` and ``zero_grad()``). The gradients still come from its
        ``backward`` and its ``Parameter.grad``, named after the reference's
        parameters.

    Raises
    ------
    GradcheckError
        When anything is wrong, or the layer raises; ``str(err)`` is the full report.
    """
    if kinks not in KINK_MODES:
        raise HyperparameterError(f"check_layer: kinks must be one of {KINK_MODES}, got {kinks!r}")
    rng = np.random.default_rng(seed)
    x_arr = _float_input(layer, x)
    ref = None if reference is None else Harness(reference)
    h = Harness(layer) if ref is None else Harness(layer, [name for name, _ in ref.params])
    perturbed = h if ref is None else ref  # the one whose parameters the probes move
    saved = perturbed.snapshot()
    compare = dict(max_entries=max_entries, sampled=sampled, directions=directions)
    opts: dict[str, Any] = dict(
        rtol=rtol, atol=atol, row_wise=row_wise, contract_checks=contract_checks
    )
    opts["compare"] = dict(compare, richardson=richardson, kinks=kinks)
    run = LayerRun(resolve(x_arr.dtype, rtol, atol))
    crashed: BaseException | None = None
    try:
        run_checks(run, h, x_arr, rng, opts, ref)
    except Exception as exc:  # the checked code raised: that is a failed check too
        run.findings.insert(0, crash_finding(run.phase, exc))
        crashed = exc
    finally:
        perturbed.restore(saved)

    kinked = [f"{r.name} {k}" for r in run.results for k in r.kinks]
    if kinks == "raise" and kinked:
        run.findings.insert(
            0,
            Finding(
                kinked[0].split(" ")[0],
                "non-differentiable point",
                f"{len(kinked)} checked value(s) sit at a kink, where the gradient is not defined:",
                details=kinked[:5],
                hint="draw inputs away from the kink (e.g. |z| > 1e-3 for ReLU), "
                "or pass kinks='accept'",
                slip="the checked point is a kink, where the gradient is not defined",
            ),
        )
    if not run.findings:
        return
    subject = subject_of(layer)
    out = shape_str(run.out_shape) if run.out_shape else "(not computed)"
    setup = [
        f"L = Σ G ∘ layer(x), x of shape {shape_str(x_arr.shape)} ({x_arr.dtype}), "
        f"G ~ N(0, 1) of the output's shape {out} drawn with seed {seed}.",
        "Each gradient that backward(G) gives was compared with central differences "
        "(L(θ + h) − L(θ − h)) / 2h, h ≈ ∛ε·max(1, |θ|).",
    ]
    values = " (with the same parameter values)" if h.params else ""
    call = f"check_layer(layer, x, seed={seed})"
    if reference is not None:
        setup.append(
            f"The numeric derivatives are those of the reference implementation "
            f"{subject_of(reference)}, given the layer's parameter values; the layer's "
            f"forward output must match the reference's."
        )
        call = f"check_layer(layer, x, seed={seed}, reference=reference)"
        values += f", reference = {subject_of(reference)}"
    reproduce = [
        f"To reproduce: {call} with layer = {subject}{values} and",
        *small_input_lines("x", x_arr),
    ]
    texts = render_all(subject, setup, run.findings, run.results, run.tol, reproduce)
    raise failed_check(subject, run.findings, run.results, seed, texts) from crashed
