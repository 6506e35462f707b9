"""The backward contract every layer keeps, beyond getting the numbers right.

- **Repeatable**: ``forward``/``backward`` run twice with the same ``x`` and
  ``G`` give the same gradients: ``backward`` overwrites ``.grad``, never
  accumulates into it (no hidden ``+=``).
- **Linear in grad_out**: the gradient is a vector-Jacobian product ``Jᵀ G``,
  so ``backward(αG₁ + βG₂) = α backward(G₁) + β backward(G₂)`` and
  ``backward(0) = 0``. A backward that ignores ``grad_out`` breaks this.
- **Row-wise**: when the forward pass treats each row of ``X`` on its own
  (every layer of the notes does), ``∇_X`` has one row per sample and
  ``∇_θ L`` of a batch is the sum of its samples' (the notes' ``Σ_i g_i x_iᵀ``).
- **Arguments untouched**: neither ``x`` nor ``grad_out`` is modified.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gradcheck.findings import Finding
from gradcheck.harness import INPUT, Harness
from gradcheck.hints import diagnosis

Array = npt.NDArray[Any]


def same(a: Array, b: Array, dtype: Any, scale: float = 0.0) -> bool:
    """``a ≈ b`` up to rounding: ``max|a − b| ≤ 1000 ε · max(|a|, |b|, scale)``.

    ``scale`` is the size of the terms that ``a`` and ``b`` were computed from, when
    they can cancel: their rounding is relative to the terms, not to the result.
    """
    if np.shape(a) != np.shape(b):
        return False
    eps = float(np.finfo(np.dtype(dtype)).eps)
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(
        scale, float(np.max(np.abs(a64), initial=0.0)), float(np.max(np.abs(b64), initial=0.0))
    )
    return float(np.max(np.abs(a64 - b64), initial=0.0)) <= 1e3 * eps * max(scale, 1e-30)


def repeatable(h: Harness, x: Array, G: Array, first: dict[str, Array]) -> list[Finding]:
    """A second forward + backward (no zero_grad between) must give the same gradients."""
    second = h.gradients(x, G, zero=False)
    found = []
    for name, a in first.items():
        if same(second[name], a, x.dtype):
            continue
        if same(second[name], 2 * a, x.dtype):
            found.append(
                Finding(
                    name,
                    "accumulates",
                    f"a second forward/backward with the same x and grad_out doubled {name}'s "
                    f"gradient (largest entry {np.max(np.abs(a)):.6g} became "
                    f"{np.max(np.abs(second[name])):.6g})",
                    hint=f"backward adds to {name}.grad (`+=`) instead of overwriting it (`=`); "
                    f"gradients must not depend on earlier calls",
                    slip=f"backward adds to {name}.grad instead of overwriting it: "
                    f"the gradient grows with every call",
                )
            )
        else:
            found.append(
                Finding(
                    name,
                    "not repeatable",
                    "a second forward/backward with the same x and grad_out gave "
                    "a different gradient",
                    hint="backward must depend only on the last forward's x and "
                    "on grad_out, not on state left by earlier calls",
                    slip="the gradient depends on state left by earlier calls",
                )
            )
    return found


def linear(
    h: Harness, x: Array, G: Array, first: dict[str, Array], rng: np.random.Generator
) -> list[Finding]:
    """``backward(αG₁ + βG₂) = α backward(G₁) + β backward(G₂)``, and ``backward(0) = 0``."""
    G2 = rng.standard_normal(G.shape).astype(G.dtype)
    alpha, beta = 1.5, -0.75
    second = h.gradients(x, G2)
    mixed = h.gradients(x, (alpha * G + beta * G2).astype(G.dtype))
    zero = h.gradients(x, np.zeros_like(G))
    found = []
    for name, a in first.items():
        terms = alpha * np.asarray(a, np.float64), beta * np.asarray(second[name], np.float64)
        expected = terms[0] + terms[1]
        # α·a and β·b may cancel: the rounding of the result is relative to the terms.
        size = max(float(np.max(np.abs(t), initial=0.0)) for t in terms)
        if same(mixed[name], expected, x.dtype, size) and not np.any(zero[name]):
            continue
        ignores = same(second[name], a, x.dtype) and np.any(a)
        what = "the input gradient" if name == INPUT else name + ".grad"
        ignored = f"{what} does not change when grad_out does: backward ignores grad_out"
        found.append(
            Finding(
                name,
                "not linear in grad_out",
                "backward(1.5·G₁ − 0.75·G₂) differs from 1.5·backward(G₁) − 0.75·backward(G₂)"
                if not same(mixed[name], expected, x.dtype, size)
                else "backward(zeros) gave a non-zero gradient",
                hint=f"{ignored}; multiply by it (chain rule: ∇_z L = ∇_h L ∘ σ'(z))"
                if ignores
                else (
                    "the gradient must be a vector-Jacobian product Jᵀ·grad_out: no term may "
                    "be added that does not come from grad_out"
                ),
                slip=ignored if ignores else "part of the gradient does not come from grad_out",
            )
        )
    return found


def row_wise(
    h: Harness, x: Array, G: Array, first: dict[str, Array], required: bool | None
) -> list[Finding]:
    """For a layer whose forward treats rows on their own, a batch's gradient sums its rows'."""
    if x.ndim != 2 or x.shape[0] < 2 or required is False:
        return []
    full = h.forward(x)
    chunks = np.array_split(np.arange(x.shape[0]), min(x.shape[0], 8))
    if not all(same(h.forward(x[c]), full[c], x.dtype) for c in chunks):
        if not required:
            return []  # not a row-wise layer (e.g. batch norm): nothing to expect
        return [
            Finding(
                INPUT,
                "batch is not the sum of its samples",
                "the forward pass of a batch differs from the forward pass of its rows one by one",
                hint="pass row_wise=False if the layer mixes "
                "samples on purpose (as batch norm does)",
                slip="a row's output depends on the other rows of the batch",
            )
        ]
    parts = [h.gradients(x[c], G[c]) for c in chunks]
    found = []
    for name, a in first.items():
        pieces = [np.asarray(p[name], np.float64) for p in parts]
        size = 0.0
        if name != INPUT and all(q.shape == a.shape for q in pieces):
            # The rows' gradients may cancel in the sum: its rounding is relative to them.
            size = float(np.max(sum((np.abs(q) for q in pieces), np.zeros(a.shape)), initial=0.0))
        if name == INPUT:  # one row of ∇_X per sample: the rows are stacked
            rows_ok = all(
                q.shape == (len(c), *a.shape[1:]) for q, c in zip(pieces, chunks, strict=True)
            )
            summed = np.concatenate(pieces) if rows_ok else None
        else:  # ∇_θ L of the batch = Σ over samples
            summed = (
                sum(pieces, np.zeros(a.shape)) if all(q.shape == a.shape for q in pieces) else None
            )
        if summed is not None and same(a, summed, x.dtype, size):
            continue
        of_batch = f"{name}'s gradient of the batch"
        known = None if summed is None else diagnosis(a, summed, name=of_batch, batch=x.shape[0])
        differs = (
            f"the gradient for the batch of {x.shape[0]} rows differs from the sum of the "
            f"gradients of its rows"
        )
        found.append(
            Finding(
                name,
                "batch is not the sum of its samples",
                f"{differs} (the notes: ∇_W L = Σ_i g_i x_iᵀ)",
                hint=known.hint
                if known
                else "each sample's gradient must be added up, and nothing else divides "
                "or mixes them: divide by N only in the loss",
                slip=known.slip if known else "something divides or mixes the samples' gradients",
                bare_summary=differs,
            )
        )
    return found


def untouched(what: str, before: Array, after: Array) -> Finding | None:
    """``x`` and ``grad_out`` must come back from forward/backward unchanged."""
    if np.array_equal(before, after, equal_nan=True):
        return None
    changed = int(np.sum(before != after))
    return Finding(
        what,
        "mutates its argument",
        f"{what} was modified in place ({changed} entr{'y' if changed == 1 else 'ies'} changed)",
        hint="work on a copy (`x = x.copy()`), or write `x * m` "
        "instead of `x *= m`: the caller still needs its array",
        slip=f"{what} is changed in place, but the caller still needs it",
    )
