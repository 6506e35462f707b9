"""The backward contract: how the checker calls a layer, and what every layer keeps.

The call (:class:`Harness`): parameter gradients are zeroed (as after
``optimizer.zero_grad()``), ``forward(x)`` and ``backward(G)`` run, and copies
of ``∂L/∂x`` and of each ``Parameter.grad`` are taken, by the name a user
reaches the parameter by (``W``, ``layers[2].b``, ``fc1.W``).

Beyond getting the numbers right, every layer keeps:

- **Form**: each gradient exists and has the shape and dtype of what it is
  the gradient of, and is finite.
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
- **Every Parameter listed**: each ``Parameter`` reachable from the layer's
  attributes is in ``parameters()``, or an optimizer would never update it.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from gradcheck import hints
from gradcheck.hints import diagnosis
from gradcheck.result import Finding, Kind
from layers._checks import shape_str
from layers.parameter import Parameter

Array = npt.NDArray[Any]
INPUT = "input"


def _walk(obj: Any, prefix: str, names: dict[int, str], seen: set[int]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    try:
        attributes = vars(obj)
    except TypeError:  # no __dict__ (a number, an array): nothing to find inside
        return
    for attr, value in attributes.items():
        if isinstance(value, Parameter):
            names.setdefault(id(value), f"{prefix}{attr}")
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, Parameter):
                    names.setdefault(id(item), f"{prefix}{attr}[{i}]")
                elif hasattr(item, "backward"):
                    _walk(item, f"{prefix}{attr}[{i}].", names, seen)
        elif hasattr(value, "backward") and hasattr(value, "forward"):
            _walk(value, f"{prefix}{attr}.", names, seen)


def unlisted_parameters(layer: Any) -> list[str]:
    """Paths of Parameters reachable from ``layer``'s attributes that ``parameters()`` omits.

    An optimizer built from ``layer.parameters()`` would never update them,
    and no gradient check would look at them: usually a custom block that
    forgot to override ``parameters()`` to include its sub-layers'.
    """
    listed = {id(p) for p in _listed(layer)}
    paths: dict[int, str] = {}
    _walk(layer, "", paths, set())
    return [path for pid, path in paths.items() if pid not in listed]


def _listed(layer: Any) -> list[Parameter]:
    getter = getattr(layer, "parameters", None)
    return [p for p in (getter() if callable(getter) else []) if p is not None]


def _numbered(params: list[Parameter], names: list[str]) -> list[tuple[str, Parameter]]:
    """Pair each parameter with its name, a repeated name getting ``#2``, ``#3``, …"""
    named: list[tuple[str, Parameter]] = []
    used: dict[str, int] = {}
    for name, p in zip(names, params, strict=True):
        used[name] = used.get(name, 0) + 1
        named.append((name if used[name] == 1 else f"{name}#{used[name]}", p))
    return named


def named_parameters(layer: Any) -> list[tuple[str, Parameter]]:
    """``(name, parameter)`` for each entry of ``layer.parameters()``, names unique.

    The name is the attribute path from the layer (``layers[0].W`` in a
    ``Sequential``), falling back to ``Parameter.name``; a repeated name gets
    ``#2``, ``#3``, … appended. A layer without ``parameters()`` has none.
    """
    params = _listed(layer)
    paths: dict[int, str] = {}
    _walk(layer, "", paths, set())
    return _numbered(params, [paths.get(id(p), getattr(p, "name", "param")) for p in params])


def names_by_position(layer: Any, names: list[str]) -> list[tuple[str, Parameter]]:
    """``layer.parameters()`` named by position from ``names`` (those of a reference).

    Only ``parameters()`` is called: ``layer`` may be a proxy whose attributes
    are not the object's. Parameters past the end of ``names`` keep their own
    ``name``.
    """
    params = _listed(layer)
    extra = [str(getattr(p, "name", "param")) for p in params[len(names) :]]
    return _numbered(params, [*names[: len(params)], *extra])


class Differentiable(Protocol):
    """What the repeatability and linearity checks call: a :class:`Harness`, or a function's."""

    def gradients(self, x: Array, G: Array, *, zero: bool = True) -> dict[str, Array]: ...


class Harness:
    """Calls ``layer`` and returns its gradients as ``{"input": …, "W": …, …}``."""

    def __init__(self, layer: Any, names: list[str] | None = None) -> None:
        """``names``: the parameters' names by position (a reference's), instead of
        looking them up in ``layer``'s attributes (a proxy has none to show)."""
        self.layer = layer
        if names is None:
            self.params: list[tuple[str, Parameter]] = named_parameters(layer)
        else:
            self.params = names_by_position(layer, names)

    def forward(self, x: Array) -> Array:
        __tracebackhide__ = True
        return np.asarray(self.layer.forward(x))

    def gradients(self, x: Array, G: Array, *, zero: bool = True) -> dict[str, Array]:
        """``forward(x)`` then ``backward(G)``; copies of every gradient, by name."""
        __tracebackhide__ = True  # a crash shows the layer's line, not this one
        if zero:
            for _, p in self.params:
                p.zero_grad()
        self.layer.forward(x)
        grad_x = self.layer.backward(G)
        grads = {INPUT: np.array(grad_x, copy=True)}
        for name, p in self.params:
            grads[name] = np.array(p.grad, copy=True)
        return grads

    def restore(self, values: dict[str, Array]) -> None:
        """Put saved parameter values back bit for bit (also after the layer raised)."""
        for name, p in self.params:
            p.value[...] = values[name]

    def snapshot(self) -> dict[str, Array]:
        return {name: p.value.copy() for name, p in self.params}


def check_form(
    name: str,
    grad: Any,
    shape: tuple[int, ...],
    dtype: np.dtype[Any] | None,
    of: str,
    subject: str = "layer",
) -> Finding | None:
    """The gradient must exist, have ``of``'s shape and dtype, and be finite.

    ``dtype`` None accepts any float dtype (a plain function's gradient);
    ``subject`` (``"layer"``, ``"loss"``, ``"function"``) words the hint.
    """
    if grad is None or (isinstance(grad, np.ndarray) and grad.dtype == object):
        advice = hints.returns_none(subject)
        return Finding(
            name,
            Kind.WRONG_SHAPE,
            f"got None instead of the gradient of {of}",
            hint=advice.hint,
            slip=advice.slip,
        )
    arr = np.asarray(grad)
    if arr.shape != tuple(shape):
        found = None
        if arr.ndim == 2 and arr.shape == tuple(shape)[::-1]:
            what = "the input gradient" if name == INPUT else f"{name}'s gradient"
            found = hints.transposed_gradient(what, (shape_str(arr.shape), shape_str(shape)))
        elif arr.size == int(np.prod(shape)):
            found = hints.reshape(shape_str(shape))
        return Finding(
            name,
            Kind.WRONG_SHAPE,
            f"the gradient has shape {shape_str(arr.shape)}; expected "
            f"{shape_str(shape)}, the shape of {of}",
            hint=None if found is None else found.hint,
            slip=None if found is None else found.slip,
        )
    if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr))) if arr.dtype.kind == "f" else arr.size
        return Finding(
            name,
            Kind.NOT_FINITE,
            f"the gradient holds {bad} NaN or infinite (or non-float) value(s)",
            hint=hints.NOT_FINITE.hint,
            slip=hints.NOT_FINITE.slip,
        )
    if dtype is not None and arr.dtype != dtype:
        advice = hints.wrong_dtype(arr.dtype, dtype)
        return Finding(
            name,
            Kind.WRONG_DTYPE,
            f"the gradient has dtype {arr.dtype}; expected {dtype}, the dtype of {of}",
            hint=advice.hint,
            slip=advice.slip,
        )
    return None


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


def repeatable(h: Differentiable, x: Array, G: Array, first: dict[str, Array]) -> list[Finding]:
    """A second forward + backward (no zero_grad between) must give the same gradients."""
    second = h.gradients(x, G, zero=False)
    found = []
    for name, a in first.items():
        if same(second[name], a, x.dtype):
            continue
        if same(second[name], 2 * a, x.dtype):
            advice = hints.accumulates(name)
            found.append(
                Finding(
                    name,
                    Kind.ACCUMULATES,
                    f"a second forward/backward with the same x and grad_out doubled {name}'s "
                    f"gradient (largest entry {np.max(np.abs(a)):.6g} became "
                    f"{np.max(np.abs(second[name])):.6g})",
                    hint=advice.hint,
                    slip=advice.slip,
                )
            )
        else:
            found.append(
                Finding(
                    name,
                    Kind.NOT_REPEATABLE,
                    "a second forward/backward with the same x and grad_out gave "
                    "a different gradient",
                    hint=hints.NOT_REPEATABLE.hint,
                    slip=hints.NOT_REPEATABLE.slip,
                )
            )
    return found


def linear(
    h: Differentiable,
    x: Array,
    G: Array,
    first: dict[str, Array],
    rng: np.random.Generator,
    call: str = "backward",
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
        if call != "backward":  # a plain function's vector-Jacobian product
            what = f"{call}(x, g)"
        advice = hints.ignores_grad_out(what) if ignores else hints.NOT_LINEAR
        found.append(
            Finding(
                name,
                Kind.NOT_LINEAR,
                f"{call}(1.5·G₁ − 0.75·G₂) differs from 1.5·{call}(G₁) − 0.75·{call}(G₂)"
                if not same(mixed[name], expected, x.dtype, size)
                else f"{call}(zeros) gave a non-zero gradient",
                hint=advice.hint,
                slip=advice.slip,
                root_cause=bool(ignores),
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
                Kind.BATCH_NOT_SUM,
                "the forward pass of a batch differs from the forward pass of its rows one by one",
                hint=hints.ROWS_MIXED.hint,
                slip=hints.ROWS_MIXED.slip,
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
        advice = known or hints.BATCH_NOT_SUM
        differs = (
            f"the gradient for the batch of {x.shape[0]} rows differs from the sum of the "
            f"gradients of its rows"
        )
        found.append(
            Finding(
                name,
                Kind.BATCH_NOT_SUM,
                f"{differs} (the notes: ∇_W L = Σ_i g_i x_iᵀ)",
                hint=advice.hint,
                slip=advice.slip,
                bare_summary=differs,
            )
        )
    return found


def untouched(what: str, before: Array, after: Array) -> Finding | None:
    """``x`` and ``grad_out`` must come back from forward/backward unchanged."""
    if np.array_equal(before, after, equal_nan=True):
        return None
    changed = int(np.sum(before != after))
    advice = hints.mutates(what)
    return Finding(
        what,
        Kind.MUTATES,
        f"{what} was modified in place ({changed} entr{'y' if changed == 1 else 'ies'} changed)",
        hint=advice.hint,
        slip=advice.slip,
    )


def unlisted(layer: Any) -> list[Finding]:
    """A finding for each Parameter reachable from ``layer`` that ``parameters()`` omits."""
    return [
        Finding(
            path,
            Kind.UNLISTED,
            f"{path} is a Parameter of the layer, but layer.parameters() does not list "
            f"it: an optimizer would never update it, and its gradient was not checked",
            hint=hints.UNLISTED.hint,
            slip=hints.UNLISTED.slip,
        )
        for path in unlisted_parameters(layer)
    ]
