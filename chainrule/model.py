"""Build multi-layer perceptrons, and describe a net as plain JSON (and back).

The description lists each layer by its class name and constructor
arguments, e.g. ``{"type": "Linear", "in": 64, "out": 100, "bias": true}``;
only the classes in :data:`LAYER_TYPES` can be named, so a description can
never make us run anything but these constructors.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from layers import Layer, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from layers.errors import HyperparameterError
from layers.rng import RngLike, as_generator

ACTIVATIONS: dict[str, type[Layer]] = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}
LAYER_TYPES: dict[str, type[Layer]] = {
    "Linear": Linear,
    "ReLU": ReLU,
    "Sigmoid": Sigmoid,
    "Tanh": Tanh,
    "Softmax": Softmax,
}


def mlp(
    n_in: int,
    hidden: int | Sequence[int],
    n_out: int,
    activation: str = "relu",
    *,
    rng: RngLike = 0,
    dtype: npt.DTypeLike = np.float64,
) -> Sequential:
    """``Linear → activation → … → Linear``: one hidden layer per entry of ``hidden``.

    ``mlp(64, 100, 10)`` is the notes' 1-hidden-layer net (with biases):
    ``z = W⁽¹⁾x + b⁽¹⁾, h = σ(z), y = W⁽²⁾h + b⁽²⁾``. The output is left as
    logits (pair it with ``SoftmaxCrossEntropyLoss``) or as regression values.
    """
    sizes = [hidden] if isinstance(hidden, (int, np.integer)) else list(hidden)
    if activation not in ACTIVATIONS:
        raise HyperparameterError(
            f"mlp: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}"
        )
    generator = as_generator(rng)
    layers: list[Layer] = []
    widths = [n_in, *sizes]
    for d, m in itertools.pairwise(widths):
        layers += [Linear(d, m, rng=generator, dtype=dtype), ACTIVATIONS[activation]()]
    layers.append(Linear(widths[-1], n_out, rng=generator, dtype=dtype))
    return Sequential(*layers)


def describe(net: Layer) -> list[dict[str, Any]]:
    """The JSON-able description of ``net`` (a ``Sequential`` or a single layer)."""
    layers = list(net.layers) if isinstance(net, Sequential) else [net]
    out: list[dict[str, Any]] = []
    for i, layer in enumerate(layers):
        kind = type(layer).__name__
        if LAYER_TYPES.get(kind) is not type(layer):
            raise HyperparameterError(
                f"describe: layer ({i}) {layer!r} is not one of {sorted(LAYER_TYPES)}; "
                f"only these can be saved"
            )
        if isinstance(layer, Linear):
            out.append(
                {
                    "type": kind,
                    "in": layer.in_features,
                    "out": layer.out_features,
                    "bias": layer.b is not None,
                    "dtype": str(layer.dtype),
                }
            )
        else:
            out.append({"type": kind})
    return out


def build(spec: list[dict[str, Any]]) -> Sequential:
    """A ``Sequential`` from a description made by :func:`describe` (weights not set).

    Raises ``ValueError`` (``HyperparameterError``) for anything but the
    layer types and arguments :func:`describe` writes.
    """
    if not isinstance(spec, list) or not spec:
        raise HyperparameterError("build: expected a non-empty list of layer descriptions")
    layers: list[Layer] = []
    for i, entry in enumerate(spec):
        if not isinstance(entry, dict) or entry.get("type") not in LAYER_TYPES:
            raise HyperparameterError(
                f"build: layer ({i}) must be one of {sorted(LAYER_TYPES)}, got {entry!r}"
            )
        if entry["type"] != "Linear":
            if set(entry) != {"type"}:
                raise HyperparameterError(f"build: layer ({i}) has unknown fields: {entry!r}")
            layers.append(LAYER_TYPES[entry["type"]]())
            continue
        if set(entry) != {"type", "in", "out", "bias", "dtype"}:
            raise HyperparameterError(f"build: Linear layer ({i}) has wrong fields: {entry!r}")
        if not isinstance(entry["bias"], bool) or entry["dtype"] not in ("float32", "float64"):
            raise HyperparameterError(f"build: Linear layer ({i}) has bad values: {entry!r}")
        layers.append(
            Linear(entry["in"], entry["out"], bias=entry["bias"], rng=0, dtype=entry["dtype"])
        )
    return Sequential(*layers)
