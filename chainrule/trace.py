"""The worked example: every intermediate of a net's forward and backward pass.

The notes' net, for one sample ``x`` with target ``t``::

    z = W⁽¹⁾x,   h = σ(z),   y = W⁽²⁾h,   L = ‖y − t‖²

and its backward pass::

    ∇_y L = 2(y − t)
    ∇_h L = ((∇_y L)ᵀ W⁽²⁾)ᵀ
    ∇_W⁽²⁾ L = (∇_y L) hᵀ
    ∇_z L = (∇_h L) ∘ σ'(z)
    ∇_W⁽¹⁾ L = (∇_z L) xᵀ

:func:`trace` runs the notes' net above through the framework's own layers
(with :func:`chainrule.tracer.trace_net`, which does the same for any
``Sequential`` and loss) and :func:`trace_markdown` writes any trace as a
Markdown table for a handout.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.tracer import Trace, trace_net
from layers import Linear, Sequential, Sigmoid
from layers.errors import ShapeError
from losses import MSELoss

# The default example: small, and with z = (0, ln 3) so that σ(z) = (1/2, 3/4)
# and σ'(z) = (1/4, 3/16) can be checked by hand.
DEFAULT_X = [1.0, 2.0]
DEFAULT_W1 = [[1.0, -0.5], [np.log(3.0), 0.0]]
DEFAULT_W2 = [[1.0, -1.0], [2.0, 0.0]]
DEFAULT_T = [0.0, 1.0]
NOTES_TITLE = "the notes' 1-hidden-layer net"


def notes_net(W1: npt.ArrayLike = DEFAULT_W1, W2: npt.ArrayLike = DEFAULT_W2) -> Sequential:
    """The notes' net ``Linear(bias=False) → Sigmoid → Linear(bias=False)`` with these weights."""
    W1_a, W2_a = np.asarray(W1, np.float64), np.asarray(W2, np.float64)
    if W1_a.ndim != 2 or W2_a.ndim != 2:
        raise ShapeError(
            f"trace: expected W1 (H, D) and W2 (M, H), got {W1_a.shape} and {W2_a.shape}"
        )
    (H, D), (M, _) = W1_a.shape, W2_a.shape
    first, second = Linear(D, H, bias=False), Linear(H, M, bias=False)
    first.W.value, second.W.value = W1_a.copy(), W2_a.copy()
    return Sequential(first, Sigmoid(), second)


def trace(
    x: npt.ArrayLike = DEFAULT_X,
    W1: npt.ArrayLike = DEFAULT_W1,
    W2: npt.ArrayLike = DEFAULT_W2,
    t: npt.ArrayLike = DEFAULT_T,
) -> dict[str, Any]:
    """Every intermediate of one forward and backward pass of the notes' net.

    Shapes: ``x (D,)``, ``W1 (H, D)``, ``W2 (M, H)``, ``t (M,)``. Returns a
    dict with ``x, t, W1, W2, z, h, y, L, grad_y, grad_h, grad_W2, grad_z,
    grad_W1`` (arrays, and ``L`` a float). :func:`trace_net` does the same
    for any net and loss.
    """
    return notes_trace(x, W1, W2, t).as_dict()


def notes_trace(
    x: npt.ArrayLike = DEFAULT_X,
    W1: npt.ArrayLike = DEFAULT_W1,
    W2: npt.ArrayLike = DEFAULT_W2,
    t: npt.ArrayLike = DEFAULT_T,
) -> Trace:
    """:func:`trace` as a :class:`Trace` (steps, equations and graph)."""
    x_a, t_a = np.asarray(x, np.float64), np.asarray(t, np.float64)
    W1_a, W2_a = np.asarray(W1, np.float64), np.asarray(W2, np.float64)
    if x_a.ndim != 1 or W1_a.ndim != 2 or W2_a.ndim != 2 or t_a.ndim != 1:
        raise ShapeError("trace: expected x (D,), W1 (H, D), W2 (M, H) and t (M,)")
    (H, D), (M, H2) = W1_a.shape, W2_a.shape
    if len(x_a) != D or H2 != H or len(t_a) != M:
        raise ShapeError(
            f"trace: shapes do not chain: x {x_a.shape}, W1 {W1_a.shape}, "
            f"W2 {W2_a.shape}, t {t_a.shape}; need x (D,), W1 (H, D), W2 (M, H), t (M,)"
        )
    return trace_net(notes_net(W1_a, W2_a), x_a, t_a, MSELoss(), NOTES_TITLE)


def _fmt(value: Any, digits: int) -> str:
    """A number or a vector/matrix in the notes' bracket style, rows separated by ``;``."""
    a = np.asarray(value, dtype=np.float64)

    def num(v: float) -> str:
        return f"{v:.{digits}g}"

    if a.ndim == 0:
        return num(float(a))
    if a.ndim == 1:
        return "[" + ", ".join(num(v) for v in a) + "]"
    return "[" + "; ".join(", ".join(num(v) for v in row) for row in a) + "]"


def trace_markdown(result: Trace | dict[str, Any] | None = None, digits: int = 6) -> str:
    """The trace as a Markdown table (inputs first, then one row per step).

    ``result`` is a :class:`Trace`, or the dict :func:`trace` returns (the
    notes' net, traced again from its ``x, W1, W2, t``); default the notes'
    example.
    """
    if result is None:
        tr = notes_trace()
    elif isinstance(result, Trace):
        tr = result
    else:
        tr = notes_trace(result["x"], result["W1"], result["W2"], result["t"])
    size = f"a batch of {len(tr.inputs[0][2])}" if tr.batch else "one sample"
    inputs = ", ".join(f"{name} = {_fmt(value, digits)}" for _, name, value in tr.inputs)
    lines = [
        f"Worked example: {tr.title}, {size}.",
        "",
        f"Inputs: {inputs} (matrices row by row, rows separated by ';').",
        "",
        "| step | quantity | shape | value | what happens |",
        "|---:|---|---|---|---|",
    ]
    for i, step in enumerate(tr.steps, start=1):
        shape = "scalar" if step.key == "L" else str(tuple(np.shape(step.value)))
        lines.append(
            f"| {i} | {step.equation} | {shape} | {_fmt(step.value, digits)} | {step.note} |"
        )
    return "\n".join(lines) + "\n"
