"""``Harness``: run a layer's forward and backward and collect every gradient.

One place knows how to call a layer, so the numeric check and the contract
checks see it the same way: parameter gradients are zeroed first (as after
``optimizer.zero_grad()``), then ``forward(x)`` and ``backward(G)`` run, and
copies of ``∂L/∂x`` and of each ``Parameter.grad`` are returned by name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gradcheck.naming import named_parameters, names_by_position
from layers.parameter import Parameter

Array = npt.NDArray[Any]
INPUT = "input"


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
        return np.asarray(self.layer.forward(x))

    def gradients(self, x: Array, G: Array, *, zero: bool = True) -> dict[str, Array]:
        """``forward(x)`` then ``backward(G)``; copies of every gradient, by name."""
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
