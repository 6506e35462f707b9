"""``Sequential``: layers applied one after another, the chain rule run backwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from layers._checks import as_float_array, require_finite, shape_str
from layers.errors import ChainruleError, HyperparameterError, OrderError, ShapeError
from layers.layer import Array, Layer, has_fast_path
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
    input_grad : bool, default True
        Set it to False when nobody needs ``∇_x L`` (a training loop never
        does): ``backward`` then skips the first layer's ``G W`` product and
        returns an empty array; every parameter's ``grad`` is the same. A
        Sequential nested in another one follows its container instead: below
        position 0 its ``∇_x L`` is always computed, since the layers before
        it need it.

    Notes
    -----
    Speed without surprises. The input is checked once (by the first layer's
    rules) and the output once; between our own layers nothing is checked
    twice. Results only the next layer reads live in buffers reused from call
    to call; what ``forward`` and ``backward`` return is always a new array,
    and no caller's array is ever written to.
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
        self.input_grad = True  # False: backward skips ∇_x L of the first layer
        self._y: Array | None = None  # the last output, to check grad_out against

    def forward(self, x: npt.ArrayLike) -> Array:
        # Layers with a fast path (see has_fast_path) trust each other: the
        # input is checked once, by the first layer's rules, and an output that
        # only the next such layer reads lives in a reused buffer (scratch).
        # What the caller gets back is always a new array.
        self._y = None
        layers, last = self.layers, len(self.layers) - 1
        fast = self._fast_paths()
        h: Any = x
        for i, layer in enumerate(layers):
            try:
                if fast[i] and (i == 0 or fast[i - 1]):
                    if i == 0:
                        h = layer._checked_input(h)
                    scratch = i < last and fast[i + 1]
                    h = layer._forward_trusted(h, scratch)  # h_l = f_l(h_{l−1})
                else:
                    h = layer.forward(h)  # h_l = f_l(h_{l−1}), with the layer's own checks
            except ChainruleError as exc:
                raise type(exc)(f"Sequential layer ({i}): {exc}") from exc
        y = as_float_array(h, "Sequential", "output")
        # NaN or inf can still arise inside from diverged weights: one check at the end.
        require_finite(y, "Sequential", "output (the weights may have diverged)")
        self._y = y
        return y

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        """Fill every parameter's ``grad`` and return ``∇_x L``.

        With ``input_grad = False`` the first layer's ``∇_x L`` is not computed
        (for a ``Linear`` first, that saves one of the five matrix products of
        a training step) and an empty array of shape ``(0,)`` is returned.
        """
        g: Any = self._checked_grad_out(grad_out)
        g_dtype = g.dtype
        layers, last = self.layers, len(self.layers) - 1
        fast = self._fast_paths()
        for i in reversed(range(len(layers))):
            layer = layers[i]
            try:
                if fast[i] and (i == last or fast[i + 1]):
                    scratch = i > 0 and fast[i - 1]
                    g = layer._backward_trusted(g, scratch, i > 0 or self.input_grad)
                    if g is None:  # the first layer skipped ∇_x L, as asked
                        return np.empty(0, g_dtype)
                else:
                    if i > 0 and isinstance(layer, Sequential) and not layer.input_grad:
                        raise HyperparameterError(
                            f"{layer!r} has input_grad = False, but the layers before it "
                            f"need its ∇_x L; only a first layer may skip it"
                        )
                    g = layer.backward(g)  # with the layer's own checks
            except ChainruleError as exc:
                raise type(exc)(f"Sequential layer ({i}): {exc}") from exc
        result: Array = g  # ∇_{h_{l−1}} L = backward_l(∇_{h_l} L), down to ∇_x L
        return result

    def _fast_paths(self) -> list[bool]:
        """``has_fast_path`` of each layer, asked every call: a method may be patched."""
        return [has_fast_path(layer) for layer in self.layers]

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

    def _checked_input(self, x: npt.ArrayLike) -> Any:
        return self.layers[0]._checked_input(x) if self.layers else x

    def _forward_trusted(self, x: Any, scratch: bool) -> Array:
        return self.forward(x)  # a nested Sequential checks its (small) output once more

    def _backward_trusted(self, g: Array, scratch: bool, input_grad: bool) -> Array | None:
        # Nested, it is the container that knows whether ∇_x L is needed: below
        # position 0 always, whatever this Sequential's own flag says.
        saved, self.input_grad = self.input_grad, input_grad
        try:
            return self.backward(g)
        finally:
            self.input_grad = saved

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
