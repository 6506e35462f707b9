"""``explain``: one self-contained HTML page that walks a net's forward and backward pass.

The page shows the graph (input, each layer, the loss) with every tensor's
shape; a step control walks the forward pass (values appear on each node)
and then the backward pass (each gradient appears with the notes' equation
and the numbers plugged in); matrices are heat maps with exact values on
hover; a toggle switches between one sample and a small batch.

Every number comes from :func:`chainrule.tracer.trace_net` (the framework's
own ``forward`` and ``backward``), embedded as JSON; the page's short
script only shows them. No network: the style and script are inlined from
``page.css`` and ``page.js`` beside this file.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.trace import NOTES_TITLE, notes_net
from chainrule.tracer import trace_json, trace_net
from layers import Layer
from layers.errors import ShapeError
from losses import Loss, MSELoss

# The notes' example, and a batch whose first row is the notes' sample.
DEFAULT_BATCH_X = [[1.0, 2.0], [-1.0, 1.0], [2.0, 0.0]]
DEFAULT_BATCH_T = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]


def script_safe_json(data: Any) -> str:
    """JSON that cannot end or confuse the ``<script>`` element holding it.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e``, ``\\u0026``
    (so no ``</script>`` or ``<!--`` can appear) and the line separators
    U+2028/U+2029 as escapes; ``JSON.parse`` reads all of them back unchanged.
    """
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(char, escape)
    return text


MAX_NUMBERS = 20_000  # parameters and inputs one page may show


def page_data(
    net: Layer, x: npt.ArrayLike, t: npt.ArrayLike, loss: Loss, title: str = ""
) -> dict[str, Any]:
    """The data the page embeds: one view for ``x[0]``, and one for the batch ``x`` if 2-D.

    The net's parameter gradients are restored afterwards: explaining a net
    leaves it as it was.
    """
    x_a, t_a = np.asarray(x), np.asarray(t)
    # The page shows every number of every step: beyond a small net it is megabytes no one
    # reads (3000-3000-10 would write 1.2 GB), so refuse before computing anything.
    numbers = sum(p.value.size for p in net.parameters()) + x_a.size
    if numbers > MAX_NUMBERS:
        raise ShapeError(
            f"explain: the net and x hold {numbers:,} numbers; the page shows every one of them "
            f"at each step, so it takes at most {MAX_NUMBERS:,} (e.g. --net 64-32-10, batch ≤ 16)"
        )
    if x_a.ndim not in (1, 2):
        raise ShapeError(f"explain: expected x of shape (D,) or (N, D), got {x_a.shape}")
    if x_a.ndim == 2 and len(t_a) != len(x_a):
        raise ShapeError(
            f"explain: x has {len(x_a)} samples but t has {len(t_a)}; give one target per row"
        )
    saved = [p.grad.copy() for p in net.parameters()]
    try:
        if x_a.ndim == 1:
            views = [("one sample", trace_net(net, x_a, t_a, loss, title))]
        else:
            views = [
                ("one sample", trace_net(net, x_a[0], t_a[0], loss, title)),
                (f"batch of {len(x_a)}", trace_net(net, x_a, t_a, loss, title)),
            ]
    finally:
        for p, grad in zip(net.parameters(), saved, strict=True):
            p.grad = grad
    return {
        "title": views[0][1].title,
        "loss": repr(loss),
        "views": [{"label": label, "trace": trace_json(tr)} for label, tr in views],
    }


def render_page(data: dict[str, Any]) -> str:
    """The HTML page for :func:`page_data`'s data: template, style and script inlined."""
    from importlib import resources  # here: 30 ms that ``import chainrule`` need not pay

    folder = resources.files(__package__)
    parts = {
        "title": html.escape(f"{data['title']} with {data['loss']}"),
        "style": folder.joinpath("page.css").read_text(encoding="utf-8"),
        "script": folder.joinpath("page.js").read_text(encoding="utf-8"),
        "data": script_safe_json(data),
    }
    template = folder.joinpath("page.html").read_text(encoding="utf-8")
    # One pass, so a value that happens to contain "{{...}}" is never substituted again.
    return re.sub(r"\{\{(title|style|script|data)\}\}", lambda m: parts[m.group(1)], template)


def notes_example() -> tuple[Layer, npt.NDArray[Any], npt.NDArray[Any], Loss, str]:
    """The notes' net and numbers; the batch view adds two more samples (summed loss)."""
    x, t = np.array(DEFAULT_BATCH_X), np.array(DEFAULT_BATCH_T)
    return notes_net(), x, t, MSELoss(reduction="sum"), NOTES_TITLE


def explain(
    net: Layer | None = None,
    x: npt.ArrayLike | None = None,
    t: npt.ArrayLike | None = None,
    loss: Loss | None = None,
    *,
    path: str | Path | None = None,
    title: str = "",
) -> str:
    """The page for ``net`` on ``(x, t)`` with ``loss``, as HTML text (also written to ``path``).

    With no ``net`` it is the notes' 1-hidden-layer example with the notes'
    numbers. ``x`` is one sample ``(D,)`` or a batch ``(N, D)`` (then the
    page can switch between the first sample and the batch); ``loss``
    defaults to ``MSELoss()``.
    """
    if net is None:
        net, x_d, t_d, loss_d, title_d = notes_example()
        x = x_d if x is None else x
        t = t_d if t is None else t
        loss, title = loss or loss_d, title or title_d
    if x is None or t is None:
        raise ShapeError("explain: give both x and t for your net (or neither, with no net)")
    page = render_page(page_data(net, x, t, loss or MSELoss(), title))
    if path is not None:
        Path(path).write_text(page, encoding="utf-8")
    return page
