"""The steps of :func:`gradcheck.check_layer`, run in order, collecting findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from gradcheck import contract
from gradcheck.compare import compare_tensor
from gradcheck.findings import Finding, TensorResult
from gradcheck.harness import INPUT, Harness
from gradcheck.hints import Diagnosis
from gradcheck.naming import unlisted_parameters
from gradcheck.probe import Probe
from gradcheck.reference import adopt_parameters, forward_finding
from gradcheck.report import shape_str
from gradcheck.tolerance import Tolerance, resolve
from gradcheck.verdict import check_form, numeric_finding, unchecked_finding


@dataclass
class LayerRun:
    """What a check found so far, and where it is (``phase``, for a crash report)."""

    tol: Tolerance
    phase: str = "running forward(x)"
    out_shape: tuple[int, ...] = ()
    findings: list[Finding] = field(default_factory=list)
    results: list[TensorResult] = field(default_factory=list)


def fallback(name: str, input_ok: bool) -> Diagnosis:
    """Where to look when no simple relation (sign, factor, transpose) explains the error."""
    if name == INPUT:
        return Diagnosis(
            "no simple slip (sign, factor, transpose) explains it",
            "re-derive ∂L/∂x: backward must return grad_out times the layer's Jacobian "
            "(the chain rule), one row per sample",
        )
    right = " (the input gradient is right)" if input_ok else ""
    where = " (the input gradient is right, so look there)" if input_ok else ""
    return Diagnosis(
        f"no simple slip (sign, factor, transpose) explains it{right}",
        f"no simple slip (sign, factor, transpose) explains it: re-derive ∂L/∂{name} in "
        f"the line of backward that writes {name}.grad{where}, summing over the samples",
    )


def _against_reference(
    run: LayerRun, h: Harness, ref: Harness, x: npt.NDArray[Any], out: npt.NDArray[Any]
) -> bool:
    """Give ``ref`` the layer's parameter values and compare the two forward outputs.

    Returns whether the reference can stand in for the layer's forward pass
    in the numeric derivatives (the same parameters, the same output shape).
    """
    run.phase = "giving the reference the layer's parameter values"
    problem = adopt_parameters(h, ref)
    usable = problem is None
    if usable:
        run.phase = "running the reference's forward(x)"
        theirs = ref.forward(x.copy())
        problem = forward_finding(
            "forward", out, theirs, run.tol, "the same x and parameter values"
        )
        usable = theirs.shape == out.shape
    if problem:
        run.findings.append(problem)
    return usable


def _numbers(
    run: LayerRun,
    source: Harness,
    grads: dict[str, npt.NDArray[Any]],
    x: npt.NDArray[Any],
    G: npt.NDArray[Any],
    rng: np.random.Generator,
    opts: dict[str, Any],
) -> None:
    """Compare each gradient with numeric derivatives of ``source``'s forward pass."""
    x_run = x.copy()
    params = dict(source.params)
    for name, analytic in grads.items():
        theta = x_run if name == INPUT else params[name].value
        probe = Probe(theta, lambda: source.layer.forward(x_run), G.astype(np.float64))
        res = compare_tensor(name, probe, analytic, run.tol, rng, **opts["compare"])
        run.results.append(res)
        unchecked = unchecked_finding(res)
        if unchecked:
            run.findings.append(unchecked)
        if any(not r.ok and r.evaluated for r in res.rows):
            what = "∂L/∂x" if name == INPUT else f"∂L/∂{name}"
            batch = x.shape[0] if x.ndim == 2 else None
            width = G.shape[-1] if G.ndim >= 1 else None
            finding = numeric_finding(res, batch=batch, width=width, what=what, grad_out=G)
            run.findings.append(finding)


def run_checks(
    run: LayerRun,
    h: Harness,
    x: npt.NDArray[Any],
    rng: np.random.Generator,
    opts: dict[str, Any],
    ref: Harness | None = None,
) -> None:
    """Forward, backward, form, numbers, contract: each step appends to ``run.findings``.

    With a reference ``ref`` (named like ``h``, by position), the numeric
    derivatives perturb the reference's parameters and run its forward pass;
    ``h``'s parameters are only read, and its attributes never walked.
    """
    out = h.forward(x.copy())
    run.out_shape = out.shape
    G = rng.standard_normal(out.shape).astype(out.dtype if out.dtype.kind == "f" else np.float64)
    # The tolerances of the least precise dtype the layer touches (x, output, parameters).
    dtypes = [x.dtype, out.dtype, *(p.dtype for _, p in h.params)]
    if np.dtype(np.float32) in dtypes:
        run.tol = resolve(np.float32, opts["rtol"], opts["atol"])
    numeric_from = h if ref is None else ref
    comparable = ref is None or _against_reference(run, h, ref, x, out)
    run.phase = f"running backward(G) with G of shape {shape_str(G.shape)}"
    x_seen, G_seen = x.copy(), G.copy()
    first = h.gradients(x_seen, G_seen)
    for what, before, after in (("input", x, x_seen), ("grad_out", G, G_seen)):
        changed = contract.untouched(what, before, after)
        if changed:
            run.findings.append(changed)
    expected = {INPUT: (x.shape, x.dtype, f"the input x {shape_str(x.shape)}")}
    for name, p in h.params:
        expected[name] = (p.shape, p.dtype, f"the parameter {name} {shape_str(p.shape)}")
    well_formed = {}
    for name, (shape, dtype, of) in expected.items():
        problem = check_form(name, first[name], shape, dtype, of)
        if problem:
            run.findings.append(problem)
        else:
            well_formed[name] = first[name]

    if comparable:
        run.phase = "computing numeric derivatives (forward at θ ± h)"
        if ref is not None:
            run.phase = "computing numeric derivatives (the reference's forward at θ ± h)"
        _numbers(run, numeric_from, well_formed, x, G, rng, opts)

    if opts["contract_checks"] and len(well_formed) == len(expected):
        run.phase = "repeating forward/backward (contract checks, also on single rows)"
        broken = contract.repeatable(h, x.copy(), G, first)
        broken += contract.linear(h, x.copy(), G, first, rng)
        broken += contract.row_wise(h, x.copy(), G, first, opts["row_wise"])
        for f in run.findings:  # a contract break often explains a wrong number
            cause = next((c for c in broken if c.tensor == f.tensor and c.hint), None)
            if cause and cause.hint and (f.hint is None or "ignores grad_out" in cause.hint):
                f.hint, f.slip = cause.hint, cause.slip
        run.findings += broken
        for path in unlisted_parameters(h.layer) if ref is None else []:
            run.findings.append(
                Finding(
                    path,
                    "missing from parameters()",
                    f"{path} is a Parameter of the layer, but layer.parameters() does not list "
                    f"it: an optimizer would never update it, and its gradient was not checked",
                    hint="override parameters() to return every Parameter, e.g. "
                    "`return self.fc1.parameters() + self.fc2.parameters()`",
                    slip="parameters() does not list it",
                )
            )
    input_ok = any(r.name == INPUT and r.ok for r in run.results)
    for f in run.findings:
        if f.kind == "wrong gradient" and f.hint is None:
            f.slip, f.hint = fallback(f.tensor, input_ok)
