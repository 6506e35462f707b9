"""Check against a trusted reference: the numeric side comes from code the checked one can't touch.

In a course grader the checked layer is a proxy to a student's object in
another process. Its forward pass could be doctored, say ``2·(X Wᵀ + b)``
with a backward to match, and every gradient would agree with it. With
``reference=`` (an object of the same class, written by the instructor and
built with the same arguments) the numeric derivatives come from the
reference's forward, given the layer's current parameter values, and the
layer's own forward output must agree with the reference's. The layer's
arrays are only read (a proxy hands out copies), never perturbed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gradcheck.compare import where_of
from gradcheck.findings import EntryRow, Finding
from gradcheck.harness import Harness
from gradcheck.report import WORST, shape_str
from gradcheck.tolerance import Tolerance

FORWARD_CHANGED = "forward differs from the reference"
PARAMETERS_DIFFER = "parameters differ from the reference"


def _shapes(shapes: list[tuple[int, ...]], names: list[str] | None = None) -> str:
    if not shapes:
        return "no Parameter"
    listed = [
        f"{n} {shape_str(s)}" if names else shape_str(s)
        for n, s in zip(names or shapes, shapes, strict=True)
    ]
    return f"{len(shapes)} Parameter{'s' if len(shapes) > 1 else ''}: {', '.join(listed)}"


def adopt_parameters(layer: Harness, reference: Harness) -> Finding | None:
    """Copy the layer's parameter values into the reference's, by position in ``parameters()``.

    Returns a finding naming both lists when their number or shapes differ
    (nothing is copied then).
    """
    values = [np.asarray(p.value) for _, p in layer.params]  # one read each: a proxy copies
    mine = [tuple(v.shape) for v in values]
    theirs = [tuple(p.shape) for _, p in reference.params]
    if mine != theirs:
        names = [name for name, _ in reference.params]
        return Finding(
            "parameters()",
            PARAMETERS_DIFFER,
            f"layer.parameters() lists {_shapes(mine)}; the reference's lists "
            f"{_shapes(theirs, names)}",
            hint="parameters() must list the layer's Parameters in the order and with the "
            "shapes the assignment specifies",
            slip="parameters() lists other Parameters than the reference implementation",
        )
    for value, (_, p) in zip(values, reference.params, strict=True):
        p.value[...] = value
    return None


_FORWARD_HINT = (
    "forward must compute the function the assignment specifies; the gradients are "
    "checked against that function"
)
_FORWARD_SLIP = "the forward pass was changed: it no longer computes the specified function"


def forward_finding(
    tensor: str, mine: npt.ArrayLike, theirs: npt.ArrayLike, tol: Tolerance, at: str
) -> Finding | None:
    """The checked forward output against the reference's, under the pass rule of ``tol``.

    ``at`` says what both were given (``"the same x and parameter values"``).
    """
    a, r = np.asarray(mine, np.float64), np.asarray(theirs, np.float64)
    changed = "the forward pass was changed (the gradients are checked against the reference)"
    if a.shape != r.shape:
        summary = (
            f"forward gives shape {shape_str(a.shape)}, the reference implementation "
            f"{shape_str(r.shape)}, at {at}: {changed}"
        )
        return Finding(tensor, FORWARD_CHANGED, summary, hint=_FORWARD_HINT, slip=_FORWARD_SLIP)
    close = tol.close(a, r)
    if np.all(close):
        return None
    if a.ndim == 0:
        summary = (
            f"forward gives {float(a):.6g}, the reference implementation {float(r):.6g}, "
            f"at {at}: {changed}"
        )
        return Finding(tensor, FORWARD_CHANGED, summary, hint=_FORWARD_HINT, slip=_FORWARD_SLIP)
    rows = [
        EntryRow(where_of(a.shape, i), float(r.flat[i]), float(a.flat[i]), ok=bool(close.flat[i]))
        for i in range(a.size)
    ]
    return Finding(
        tensor,
        FORWARD_CHANGED,
        f"{int(np.sum(~close))} of the {a.size} outputs of forward differ from the reference "
        f"implementation's at {at}: {changed}. Worst:",
        rows=sorted(rows, key=lambda row: (row.ok, -row.abs_err))[:WORST],
        hint=_FORWARD_HINT,
        slip=_FORWARD_SLIP,
        columns=("reference", "forward"),
    )
