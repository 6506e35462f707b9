"""``Sequential``: layers applied one after another, the chain rule run backwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import overload

import numpy.typing as npt

from layers.errors import ChainruleError, HyperparameterError
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
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise HyperparameterError(
                    f"Sequential: argument {i} must be a Layer, got {type(layer).__name__}"
                )
        self.layers: list[Layer] = list(layers)

    def forward(self, x: npt.ArrayLike) -> Array:
        h: npt.ArrayLike = x
        for i, layer in enumerate(self.layers):
            try:
                h = layer.forward(h)  # h_l = f_l(h_{l−1})
            except ChainruleError as exc:
                raise type(exc)(f"Sequential layer ({i}): {exc}") from exc
        return h  # type: ignore[return-value]  # a Layer returns an array

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        g: npt.ArrayLike = grad_out
        for i in reversed(range(len(self.layers))):
            try:
                g = self.layers[i].backward(g)  # ∇_{h_{l−1}} L = backward_l(∇_{h_l} L)
            except ChainruleError as exc:
                raise type(exc)(f"Sequential layer ({i}): {exc}") from exc
        return g  # type: ignore[return-value]

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
