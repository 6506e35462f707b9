"""``Sequential``: layers applied one after another, the chain rule run backwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import overload

import numpy as np
import numpy.typing as npt

from layers._checks import as_float_array, require_finite, shape_str
from layers.errors import ChainruleError, HyperparameterError, OrderError, ShapeError
from layers.layer import Array, Layer
from layers.parameter import Parameter


class Sequential(Layer):
    r"""A chain of layers: ``f = f_L ∘ … ∘ f_2 ∘ f_1``.

    Forward feeds each layer's output to the next::

        h_0 = x,   h_l = f_l(h_{l−1}),   y = h_L

    Backward is the chain rule, run from the last layer to the first::

        ∇_{h_{l−1}} L = backward_l(∇_{h_l} L)

    For the notes' 1-hidden-layer net, ``Sequential(Linear(D, H, bias=False),
    Sigmoid(), Linear(H, M, bias=False))`` computes ``z``, ``h``, ``y`` and its
    ``backward`` gives ``∇_h L``, ``∇_W2 L``, ``∇_z L``, ``∇_W1 L`` in turn.

    Parameters
    ----------
    *layers : Layer
        The layers, in forward order.

    Shape
    -----
    Whatever the first layer takes; whatever the last layer gives.

    Attributes
    ----------
    layers : list of Layer
        The layers, in forward order.

    Notes
    -----
    Each layer checks its own input, so an error names the position that
    failed (``Sequential layer (2): Linear(5, 3): ...``). The output is
    checked once more: NaN or inf can still arise inside from diverged weights.
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise HyperparameterError(
                    f"Sequential: argument {i} must be a Layer, got {type(layer).__name__}"
                )
        _refuse_repeated_layers(layers)
        self.layers: list[Layer] = list(layers)
        self._y: Array | None = None  # the last output, to check grad_out against

    def forward(self, x: npt.ArrayLike) -> Array:
        self._y = None  # a forward that fails leaves nothing for backward
        h: npt.ArrayLike = x  # h_0 = x
        for i, layer in enumerate(self.layers):
            try:
                h = layer.forward(h)  # h_l = f_l(h_{l−1})
            except ChainruleError as exc:
                raise type(exc)(f"Sequential layer ({i}): {exc}") from exc
        y = as_float_array(h, "Sequential", "output")  # y = h_L
        require_finite(y, "Sequential", "output (the weights may have diverged)")
        self._y = y
        return y

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        g: npt.ArrayLike = self._checked_grad_out(grad_out)  # ∇_{h_L} L = ∇_y L
        for i in reversed(range(len(self.layers))):
            try:
                g = self.layers[i].backward(g)  # ∇_{h_{l−1}} L = backward_l(∇_{h_l} L)
            except ChainruleError as exc:
                raise type(exc)(f"Sequential layer ({i}): {exc}") from exc
        return np.asarray(g)  # ∇_{h_0} L = ∇_x L

    def _checked_grad_out(self, grad_out: npt.ArrayLike) -> Array:
        if self._y is None:
            raise OrderError(
                "Sequential: backward() was called before forward() (or after a forward() "
                "that failed); run forward(x) first"
            )
        g = as_float_array(grad_out, "Sequential", "grad_out")
        if g.shape != self._y.shape:
            raise ShapeError(
                f"Sequential: expected grad_out of shape {shape_str(self._y.shape)} (the "
                f"shape of the last output), got {shape_str(g.shape)}"
            )
        require_finite(g, "Sequential", "grad_out")
        return g.astype(self._y.dtype, copy=False)

    def parameters(self) -> list[Parameter]:
        """Every layer's parameters, first layer first."""
        return [p for layer in self.layers for p in layer.parameters()]

    @overload
    def __getitem__(self, index: int) -> Layer: ...
    @overload
    def __getitem__(self, index: slice) -> Sequential: ...
    def __getitem__(self, index: int | slice) -> Layer | Sequential:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        if not self.layers:
            return "Sequential()"
        lines = [f"  ({i}): {layer!r}".replace("\n", "\n  ") for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"


def _refuse_repeated_layers(layers: tuple[Layer, ...]) -> None:
    """Raise if one layer object stands at two positions (nested Sequentials included).

    A layer keeps what its ``backward`` needs from its last ``forward``; at a
    second position the second call would overwrite what the first one kept,
    and the gradients would be silently wrong. (PyTorch can share a stateless
    ``nn.Sigmoid``; here every position needs its own object.)
    """
    seen: dict[int, str] = {}

    def visit(layer: Layer, where: str) -> None:
        if id(layer) in seen:
            raise HyperparameterError(
                f"Sequential: the same {layer!r} object stands at {seen[id(layer)]} and at "
                f"{where}; a layer keeps per-call state, so give each position its own, "
                f"e.g. {type(layer).__name__}(...) twice"
            )
        seen[id(layer)] = where
        if isinstance(layer, Sequential):
            for j, inner in enumerate(layer.layers):
                visit(inner, f"{where}[{j}]")

    for i, layer in enumerate(layers):
        visit(layer, f"position ({i})")
