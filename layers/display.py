"""Rich display in notebooks: layers, nets and losses as small HTML tables.

Jupyter shows an object's ``_repr_html_()``; :class:`layers.Layer` and
:class:`losses.Loss` each have a one-line method that calls
:func:`layer_html` or :func:`loss_html` here, so the rendering lives in one
place and the layers stay free of it. Standard library only (``html``).

The tables set no colours of their own: text inherits the notebook theme's,
and lines are ``currentColor`` made faint, so they read in light and dark
themes alike.
"""

from __future__ import annotations

import html
from typing import Any

LINE = "border-bottom: 1px solid color-mix(in srgb, currentColor 25%, transparent)"
TABLE = (
    'style="border-collapse: collapse; color: inherit; background: transparent; font-size: 0.9em"'
)
CELL = f'style="padding: 0.15em 0.7em; text-align: left; {LINE}"'
NUM = (
    f'style="padding: 0.15em 0.7em; text-align: right; font-variant-numeric: tabular-nums; {LINE}"'
)

# How each loss is written in the notes, per sample (DESIGN.md).
LOSS_FORMULAS = {
    "MSELoss": ("L = ‖y − t‖²", "∇_y L = 2(y − t)"),
    "CrossEntropyLoss": ("L = −Σ_k T_k log p_k", "∇_p L = −T / p"),
    "SoftmaxCrossEntropyLoss": ("L = −Σ_k T_k log softmax(y)_k", "∇_y L = softmax(y) − T"),
}


def _shape(dims: tuple[str | int, ...]) -> str:
    return "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"


def _rows(layer: Any) -> list[tuple[str, str, str, int]]:
    """(name, output shape, parameters, count) for each leaf layer, nested nets flattened."""
    from layers.linear import Linear  # here: layers.layer imports this module
    from layers.sequential import Sequential

    rows: list[tuple[str, str, str, int]] = []
    features: int | None = None

    def visit(item: Any, path: tuple[int, ...]) -> None:
        nonlocal features
        if isinstance(item, Sequential):
            for i, inner in enumerate(item.layers):
                visit(inner, (*path, i))
            return
        if isinstance(item, Linear):
            features = item.out_features
        params = item.parameters()
        described = ", ".join(f"{p.name} {_shape(p.value.shape)}" for p in params)
        out = _shape(("N", features)) if features is not None else "same as input"
        where = "(" + ".".join(map(str, path)) + ") " if path else ""
        rows.append((f"{where}{item!r}", out, described or "—",
                     sum(int(p.value.size) for p in params)))  # fmt: skip

    visit(layer, ())
    return rows


def layer_html(layer: Any) -> str:
    """A layer or a ``Sequential`` as a table: layer, output shape, parameters, count."""
    rows = _rows(layer)
    is_net = type(layer).__name__ == "Sequential"
    head = "".join(f"<th {CELL}>{h}</th>" for h in ("layer", "output", "parameters"))
    body = "".join(
        f"<tr><td {CELL}><code>{html.escape(name)}</code></td><td {CELL}>{html.escape(out)}</td>"
        f"<td {CELL}>{html.escape(params)}</td><td {NUM}>{count:,}</td></tr>"
        for name, out, params, count in rows
    )
    total = sum(r[3] for r in rows)
    caption = f"{html.escape(type(layer).__name__)}: {total:,} parameters" if is_net else ""
    return (
        f"<table {TABLE}>"
        + (
            f'<caption style="text-align: left; font-weight: 600">{caption}</caption>'
            if caption
            else ""
        )
        + f"<thead><tr>{head}<th {NUM}>count</th></tr></thead><tbody>{body}</tbody></table>"
    )


def loss_html(loss: Any) -> str:
    """A loss as a table: its formula per sample, its gradient and its reduction."""
    name = type(loss).__name__
    forward, backward = LOSS_FORMULAS.get(name, ("see its docstring", "see its docstring"))
    reduction = getattr(loss, "reduction", "mean")
    over_batch = "÷ N (mean over the batch)" if reduction == "mean" else "Σ over the batch"
    rows = [("loss", f"{loss!r}"), ("per sample", forward), ("gradient", backward),
            ("batch (N, M)", f"reduction={reduction!r}: {over_batch}")]  # fmt: skip
    body = "".join(
        f"<tr><th {CELL}>{html.escape(k)}</th><td {CELL}><code>{html.escape(v)}</code></td></tr>"
        for k, v in rows
    )
    return f"<table {TABLE}><tbody>{body}</tbody></table>"
