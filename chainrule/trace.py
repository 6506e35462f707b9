"""The worked example: every intermediate of the notes' 1-hidden-layer net, as Markdown.

The notes' net, for one sample ``x`` with target ``t``::

    z = W⁽¹⁾x,   h = σ(z),   y = W⁽²⁾h,   L = ‖y − t‖²

and its backward pass::

    ∇_y L = 2(y − t)
    ∇_h L = ((∇_y L)ᵀ W⁽²⁾)ᵀ
    ∇_W⁽²⁾ L = (∇_y L) hᵀ
    ∇_z L = (∇_h L) ∘ σ'(z)
    ∇_W⁽¹⁾ L = (∇_z L) xᵀ

:func:`trace` runs exactly these through the framework's own layers and
loss (``Linear(bias=False)``, ``Sigmoid``, ``MSELoss``) and returns every
quantity, so an instructor can paste the numbers into a handout and a
student can check a hand computation line by line.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from layers import Linear, Sigmoid
from layers.errors import ShapeError
from losses import MSELoss

# The default example: small, and with z = (0, ln 3) so that σ(z) = (1/2, 3/4)
# and σ'(z) = (1/4, 3/16) can be checked by hand.
DEFAULT_X = [1.0, 2.0]
DEFAULT_W1 = [[1.0, -0.5], [np.log(3.0), 0.0]]
DEFAULT_W2 = [[1.0, -1.0], [2.0, 0.0]]
DEFAULT_T = [0.0, 1.0]

ROWS = [
    ("z", "z = W⁽¹⁾x", "linear transformation"),
    ("h", "h = σ(z)", "element-wise nonlinearity"),
    ("y", "y = W⁽²⁾h", "linear transformation"),
    ("L", "L = ‖y − t‖²", "loss"),
    ("grad_y", "∇_y L = 2(y − t)", "through the loss"),
    ("grad_h", "∇_h L = ((∇_y L)ᵀ W⁽²⁾)ᵀ", "through the linear map, identity (1)"),
    ("grad_W2", "∇_W⁽²⁾ L = (∇_y L) hᵀ", "to W⁽²⁾, identity (2)"),
    ("grad_z", "∇_z L = (∇_h L) ∘ σ'(z)", "through the nonlinearity"),
    ("grad_W1", "∇_W⁽¹⁾ L = (∇_z L) xᵀ", "to W⁽¹⁾, identity (2)"),
]


def trace(
    x: npt.ArrayLike = DEFAULT_X,
    W1: npt.ArrayLike = DEFAULT_W1,
    W2: npt.ArrayLike = DEFAULT_W2,
    t: npt.ArrayLike = DEFAULT_T,
) -> dict[str, Any]:
    """Every intermediate of one forward and backward pass of the notes' net.

    Shapes: ``x (D,)``, ``W1 (H, D)``, ``W2 (M, H)``, ``t (M,)``. Returns a
    dict with ``x, t, W1, W2, z, h, y, L, grad_y, grad_h, grad_W2, grad_z,
    grad_W1`` (arrays, and ``L`` a float).
    """
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
    first, act, second = Linear(D, H, bias=False), Sigmoid(), Linear(H, M, bias=False)
    first.W.value, second.W.value = W1_a, W2_a
    loss = MSELoss()
    z = first.forward(x_a)  # z = W⁽¹⁾x
    h = act.forward(z)  # h = σ(z)
    y = second.forward(h)  # y = W⁽²⁾h
    L = loss.forward(y, t_a)  # L = ‖y − t‖²
    grad_y = loss.backward()  # ∇_y L = 2(y − t)
    grad_h = second.backward(grad_y)  # ∇_h L, and ∇_W⁽²⁾ L into second.W.grad
    grad_z = act.backward(grad_h)  # ∇_z L = ∇_h L ∘ σ'(z)
    first.backward(grad_z)  # ∇_W⁽¹⁾ L into first.W.grad
    return {
        "x": x_a, "t": t_a, "W1": W1_a, "W2": W2_a, "z": z, "h": h, "y": y, "L": L,
        "grad_y": grad_y, "grad_h": grad_h, "grad_W2": second.W.grad.copy(),
        "grad_z": grad_z, "grad_W1": first.W.grad.copy(),
    }  # fmt: skip


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


def trace_markdown(result: dict[str, Any] | None = None, digits: int = 6) -> str:
    """The trace as a Markdown table (inputs first, then one row per step)."""
    r = trace() if result is None else result
    lines = [
        "Worked example: the notes' 1-hidden-layer net, one sample.",
        "",
        f"Inputs: x = {_fmt(r['x'], digits)}, t = {_fmt(r['t'], digits)}, "
        f"W⁽¹⁾ = {_fmt(r['W1'], digits)}, W⁽²⁾ = {_fmt(r['W2'], digits)} "
        "(matrices row by row, rows separated by ';').",
        "",
        "| step | quantity | shape | value | what happens |",
        "|---:|---|---|---|---|",
    ]
    for i, (key, equation, note) in enumerate(ROWS, start=1):
        shape = "scalar" if key == "L" else str(tuple(np.shape(r[key])))
        lines.append(f"| {i} | {equation} | {shape} | {_fmt(r[key], digits)} | {note} |")
    return "\n".join(lines) + "\n"
