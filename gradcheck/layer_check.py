"""``check_layer``: prove a layer's backward right, or say exactly what is wrong."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gradcheck import contract
from gradcheck.compare import KINK_MODES, compare_tensor
from gradcheck.errors import GradcheckError, NondifferentiableError
from gradcheck.findings import Finding, TensorResult
from gradcheck.harness import INPUT, Harness
from gradcheck.probe import Probe
from gradcheck.report import render, shape_str, small_input_lines
from gradcheck.tolerance import resolve
from gradcheck.verdict import check_form, numeric_finding
from layers.errors import HyperparameterError


def _float_input(layer: Any, x: npt.ArrayLike) -> npt.NDArray[Any]:
    """A float copy of ``x``: integers become the layer's dtype (float64 if it has none)."""
    arr = np.array(x, copy=True)
    if arr.dtype.kind != "f":
        arr = arr.astype(getattr(layer, "dtype", np.float64))
    return arr


def check_layer(layer: Any, x: npt.ArrayLike, *, seed: int = 0, rtol: float | None = None,
                atol: float | None = None, richardson: bool = False, kinks: str = "accept",
                row_wise: bool | None = None, contract_checks: bool = True,
                max_entries: int = 64, sampled: int = 12, directions: int = 4) -> None:
    """Check every gradient ``layer.backward`` computes at ``x``; raise if one is wrong.

    The checked scalar is ``L = Σ G ∘ layer(x)`` with a random upstream
    gradient ``G ~ N(0, 1)`` (never all ones, so a backward that ignores
    ``grad_out`` fails). ``backward(G)`` must return ``∇_x L`` and fill each
    ``Parameter.grad`` with ``∇_θ L``; each is compared, by name, with
    numeric derivatives (see :mod:`gradcheck.compare`). Parameter values are
    restored exactly afterwards.

    Parameters
    ----------
    layer : Layer
        Anything with ``forward(x)``, ``backward(grad_out)`` and (optionally) ``parameters()``.
    x : array_like
        The input, ``(D,)`` or ``(N, D)``; integer input is converted to the layer's dtype.
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

    Raises
    ------
    GradcheckError
        When anything is wrong; ``str(err)`` is the full report.
    """
    if kinks not in KINK_MODES:
        raise HyperparameterError(f"check_layer: kinks must be one of {KINK_MODES}, got {kinks!r}")
    rng = np.random.default_rng(seed)
    x_arr = _float_input(layer, x)
    h = Harness(layer)
    saved = h.snapshot()
    out = h.forward(x_arr.copy())
    G = rng.standard_normal(out.shape).astype(out.dtype if out.dtype.kind == "f" else np.float64)
    G64 = G.astype(np.float64)
    tol = resolve(x_arr.dtype, rtol, atol)
    x_seen, G_seen = x_arr.copy(), G.copy()
    first = h.gradients(x_seen, G_seen)
    findings: list[Finding] = []
    for what, before, after in (("input", x_arr, x_seen), ("grad_out", G, G_seen)):
        changed = contract.untouched(what, before, after)
        if changed:
            findings.append(changed)
    expected = {INPUT: (x_arr.shape, x_arr.dtype, f"the input x {shape_str(x_arr.shape)}")}
    for name, p in h.params:
        expected[name] = (p.shape, p.dtype, f"the parameter {name} {shape_str(p.shape)}")
    well_formed = {}
    for name, (shape, dtype, of) in expected.items():
        problem = check_form(name, first[name], shape, dtype, of)
        if problem:
            findings.append(problem)
        else:
            well_formed[name] = first[name]

    results: list[TensorResult] = []
    batch = x_arr.shape[0] if x_arr.ndim == 2 else None
    width = out.shape[-1] if out.ndim >= 1 else None
    x_run = x_arr.copy()
    try:
        for name, analytic in well_formed.items():
            theta = x_run if name == INPUT else dict(h.params)[name].value
            probe = Probe(theta, lambda: layer.forward(x_run), G64)
            res = compare_tensor(name, probe, analytic, tol, rng, max_entries=max_entries,
                                 sampled=sampled, directions=directions,
                                 richardson=richardson, kinks=kinks)
            results.append(res)
            if not res.ok:
                what = "∂L/∂x" if name == INPUT else f"∂L/∂{name}"
                findings.append(numeric_finding(res, batch=batch, width=width, what=what))
        if contract_checks and len(well_formed) == len(expected):
            broken = contract.repeatable(h, x_arr.copy(), G, first)
            broken += contract.linear(h, x_arr.copy(), G, first, rng)
            broken += contract.row_wise(h, x_arr.copy(), G, first, row_wise)
            for f in findings:  # a contract break often explains a wrong number
                f.hint = f.hint or next((c.hint for c in broken if c.tensor == f.tensor), None)
            findings += broken
    finally:
        h.restore(saved)

    kinked = [f"{r.name} {k}" for r in results for k in r.kinks]
    if kinks == "raise" and kinked:
        findings.insert(0, Finding(kinked[0].split(" ")[0], "non-differentiable point",
                                   f"{len(kinked)} checked value(s) sit at a kink, where the "
                                   f"gradient is not defined:", details=kinked[:5],
                                   hint="draw inputs away from the kink (e.g. |z| > 1e-3 for "
                                        "ReLU), or pass kinks='accept'"))
    if not findings:
        return
    subject = repr(layer)
    setup = [
        f"L = Σ G ∘ layer(x), x of shape {shape_str(x_arr.shape)} ({x_arr.dtype}), "
        f"G ~ N(0, 1) of the output's shape {shape_str(out.shape)} drawn with seed {seed}.",
        "Each gradient that backward(G) gives was compared with central differences "
        "(L(θ + h) − L(θ − h)) / 2h, h ≈ ∛ε·max(1, |θ|).",
    ]
    reproduce = [f"To reproduce: check_layer(layer, x, seed={seed}) with layer = {subject}"
                 f" (same parameter values) and"] + small_input_lines("x", x_arr)
    report = render(subject, setup, findings, results, tol, reproduce)
    error = NondifferentiableError if findings[0].kind == "non-differentiable point" \
        else GradcheckError
    raise error(report, layer=subject, findings=findings, results=results, seed=seed)
