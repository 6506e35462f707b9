"""Record a net's forward and backward pass, step by step, with the notes' equations.

:func:`trace_net` runs any ``Sequential`` (or single layer) and a loss
through the framework's own ``forward`` and ``backward``, one layer at a
time, and returns a :class:`Trace`: for every step the equation in the notes'
notation (:mod:`chainrule.equations`), the numbers that go into it and the
value the framework computed. The Markdown table and JSON of ``chainrule
trace`` (:mod:`chainrule.trace`) and the page of ``chainrule explain``
(:mod:`chainrule.explainer`) are all written from a :class:`Trace`, so a
handout and the page agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.equations import (
    Array,
    Names,
    activation_backward,
    forward_equation,
    grad,
    linear_backward,
    loss_equations,
)
from layers import Layer, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from layers.errors import ChainruleError, HyperparameterError
from losses import CrossEntropyLoss, Loss, SoftmaxCrossEntropyLoss
from losses.targets import as_target_matrix

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass
class Step:
    """One line of the worked example: ``value`` is what the framework computed.

    ``node`` is the position in the graph (0 the input, ``1..L`` the layers,
    ``L + 1`` the loss); ``operands`` are the named numbers that the equation
    combines, in the order it writes them.
    """

    phase: str  # "forward" or "backward"
    node: int
    key: str  # a plain name for programs: "z", "grad_W1"
    name: str  # as the notes write it: "z", "∇_W⁽¹⁾ L"
    equation: str
    note: str
    operands: list[tuple[str, Any]]
    value: Any  # an array, or the loss as a float


@dataclass
class Node:
    """A box of the graph: the input, a layer or the loss, and the tensor it gives."""

    label: str  # "input", "Linear(2, 2, bias=False)", "MSELoss(reduction='sum')"
    output: str  # "x", "z", "L"
    shape: tuple[int, ...]
    params: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)  # (name, shape)


@dataclass
class Trace:
    """A net's forward and backward pass on one input, step by step."""

    title: str
    batch: bool
    inputs: list[tuple[str, str, Any]]  # (key, name, value): x, t and every parameter
    nodes: list[Node]
    steps: list[Step]

    def as_dict(self) -> dict[str, Any]:
        """Every input and every step's value by key: ``{"x": ..., "z": ..., "grad_W1": ...}``."""
        return {key: value for key, _, value in self.inputs} | {s.key: s.value for s in self.steps}


def _flatten(net: Layer) -> list[Layer]:
    if isinstance(net, Sequential):
        return [leaf for layer in net.layers for leaf in _flatten(layer)]
    return [net]


def _names(layers: list[Layer], batch: bool) -> tuple[list[tuple[str, str]], list[int]]:
    """(key, name) of every layer's output and the number ``k`` of each layer's ``W⁽ᵏ⁾``.

    The notes' letters: ``z`` after a linear map, ``h`` after a nonlinearity,
    ``p`` after a softmax, ``y`` for the net's output; superscripts ``⁽ᵏ⁾``
    only when there is more than one hidden layer. A batch uses capitals.
    """
    n_linear = sum(isinstance(layer, Linear) for layer in layers)
    numbered = n_linear > 2
    outs: list[tuple[str, str]] = []
    linear_no: list[int] = []
    k = 0
    for i, layer in enumerate(layers):
        if isinstance(layer, Linear):
            k += 1
        linear_no.append(k)
        if i == len(layers) - 1:
            letter = "y"
        elif isinstance(layer, Linear):
            letter = "z"
        elif isinstance(layer, (Sigmoid, Tanh, ReLU)):
            letter = "h"
        elif isinstance(layer, Softmax):
            letter = "p"
        else:
            letter = "a"
        suffix = str(k) if numbered and letter != "y" else ""
        key = letter + suffix
        if letter == "a" or key in {o[0] for o in outs}:
            key, suffix = f"a{i + 1}", str(i + 1)
        name = (key[0].upper() if batch else key[0]) + (
            f"⁽{suffix.translate(SUPERSCRIPT)}⁾" if suffix else ""
        )
        outs.append((key, name))
    return outs, linear_no


def trace_net(net: Layer, x: npt.ArrayLike, t: npt.ArrayLike, loss: Loss, title: str = "") -> Trace:
    """Run ``x`` through ``net`` and ``loss`` and back, recording every step.

    Each layer's own ``forward`` and ``backward`` compute the values (the
    same calls ``Sequential`` makes, one layer at a time); the equations are
    the notes'. ``x`` is one sample ``(D,)`` or a batch ``(N, D)``; ``t``
    what ``loss`` takes. A layer of the input's own (not one of the
    framework's) is shown as ``f`` and its own backward.
    """
    if not isinstance(net, Layer):
        raise HyperparameterError(f"trace: net must be a Layer, got {type(net).__name__}")
    if not isinstance(loss, Loss):
        raise HyperparameterError(f"trace: loss must be a Loss, got {type(loss).__name__}")
    layers = _flatten(net)
    if not layers:
        raise HyperparameterError("trace: the net has no layers")
    x_a = np.asarray(x, dtype=np.float64)
    batch = x_a.ndim == 2
    x_name = "X" if batch else "x"
    outs, linear_no = _names(layers, batch)
    sup = [f"⁽{str(k).translate(SUPERSCRIPT)}⁾" for k in linear_no]
    names = [
        Names(x_name if i == 0 else outs[i - 1][1], outs[i][1], "W" + sup[i], "b" + sup[i])
        for i in range(len(layers))
    ]
    t_name = "T" if batch else "t"
    inputs: list[tuple[str, str, Any]] = [("x", x_name, x_a), ("t", t_name, np.asarray(t))]
    nodes = [Node("input", x_name, x_a.shape)]
    steps: list[Step] = []

    def run(i: int, call: Any, arg: Any) -> Any:
        try:
            return call(arg)
        except ChainruleError as exc:
            raise type(exc)(f"trace: layer ({i}) {layers[i]!r}: {exc}") from exc

    # Forward: h_l = f_l(h_{l−1}).
    values: list[Array] = [x_a]
    for i, layer in enumerate(layers):
        n, inp = names[i], values[-1]
        params: list[tuple[str, tuple[int, ...]]] = []
        operands: list[tuple[str, Any]] = [(n.inp, inp)]
        if isinstance(layer, Linear):
            k = linear_no[i]
            inputs.append((f"W{k}", n.W, layer.W.value.copy()))
            params.append((n.W, layer.W.value.shape))
            operands = [(n.W, layer.W.value.copy()), (n.inp, inp)]
            if layer.b is not None:
                inputs.append((f"b{k}", n.b, layer.b.value.copy()))
                params.append((n.b, layer.b.value.shape))
                operands.append((n.b, layer.b.value.copy()))
            if batch:
                operands = [operands[1], operands[0], *operands[2:]]
        out = run(i, layer.forward, inp)
        eq = forward_equation(layer, n, batch)
        steps.append(Step("forward", i + 1, outs[i][0], n.out, eq.text, eq.note, operands, out))
        nodes.append(Node(repr(layer), n.out, out.shape, params))
        values.append(out)

    # The loss, and the gradient it starts the backward pass with.
    y, y_name, loss_node = values[-1], names[-1].out, len(layers) + 1
    t_a = np.asarray(t)
    try:
        L = loss.forward(y, t_a)
        g = loss.backward()
    except ChainruleError as exc:
        raise type(exc)(f"trace: {exc}") from exc
    eq_L, eq_g = loss_equations(loss, y_name, t_name, batch)
    steps.append(
        Step("forward", loss_node, "L", "L", eq_L.text, eq_L.note, [(y_name, y), (t_name, t_a)], L)
    )
    nodes.append(Node(repr(loss), "L", ()))
    steps.append(Step("backward", loss_node, f"grad_{outs[-1][0]}", grad(y_name), eq_g.text,
                      eq_g.note, _loss_operands(loss, y, t_a, y_name, t_name), g))  # fmt: skip

    # Backward: ∇_{h_{l−1}} L = backward_l(∇_{h_l} L), from the last layer to the first.
    for i in reversed(range(len(layers))):
        g_in = run(i, layers[i].backward, g)
        in_key = "x" if i == 0 else outs[i - 1][0]
        steps += _backward_steps(layers[i], names[i], i, linear_no[i], in_key, batch,
                                 values[i], values[i + 1], g, g_in)  # fmt: skip
        g = g_in
    return Trace(title or " → ".join(map(repr, layers)), batch, inputs, nodes, steps)


def _backward_steps(
    layer: Layer, n: Names, i: int, k: int, in_key: str, batch: bool,
    inp: Array, out: Array, g: Array, g_in: Array,
) -> list[Step]:  # fmt: skip
    """The steps of layer ``i``'s backward: ``g = ∇_out L`` came in, ``g_in = ∇_in L`` went out.

    The first layer's ``∇_x L`` is left out, as in the notes: the data is not learned.
    """
    node, first = i + 1, i == 0
    if isinstance(layer, Linear):
        eqs = linear_backward(layer, n, batch)
        W, x_t = layer.W.value.copy(), n.inp if batch else f"{n.inp}ᵀ"
        steps = [] if first else [
            Step("backward", node, f"grad_{in_key}", grad(n.inp), eqs["inp"].text,
                 eqs["inp"].note, [(grad(n.out), g), (n.W, W)], g_in),
        ]  # fmt: skip
        steps.append(Step("backward", node, f"grad_W{k}", grad(n.W), eqs["W"].text,
                          eqs["W"].note, [(grad(n.out), g), (x_t, inp)],
                          layer.W.grad.copy()))  # fmt: skip
        if layer.b is not None:
            steps.append(Step("backward", node, f"grad_b{k}", grad(n.b), eqs["b"].text,
                              eqs["b"].note, [(grad(n.out), g)], layer.b.grad.copy()))  # fmt: skip
        return steps
    if first and isinstance(layer, (Sigmoid, Tanh, ReLU, Softmax)):
        return []  # nothing to learn before it
    eq, operands = activation_backward(layer, n, inp, out, g)
    return [Step("backward", node, f"grad_{in_key}", grad(n.inp), eq.text, eq.note, operands, g_in)]


def _loss_operands(
    loss: Loss, y: Array, t: npt.NDArray[Any], y_name: str, t_name: str
) -> list[tuple[str, Any]]:
    """The numbers ``∇_y L`` is made of, as the loss's equation writes them."""
    if isinstance(loss, SoftmaxCrossEntropyLoss):
        p = Softmax().forward(y)
        return [(f"softmax({y_name})", p), ("T", as_target_matrix(t, y, repr(loss)))]
    if isinstance(loss, CrossEntropyLoss):
        return [("T", as_target_matrix(t, y, repr(loss))), (y_name, y)]
    return [(y_name, y), (t_name, t)]


def trace_json(tr: Trace) -> dict[str, Any]:
    """The trace as plain JSON data (lists and floats), as the page embeds it.

    Floats are written in full (``json`` writes the shortest text that reads
    back to the same float), so the page shows the framework's numbers exactly.
    """

    def plain(value: Any) -> Any:
        return np.asarray(value).tolist() if not isinstance(value, float) else value

    return {
        "title": tr.title,
        "batch": tr.batch,
        "inputs": [{"key": k, "name": n, "value": plain(v)} for k, n, v in tr.inputs],
        "nodes": [
            {
                "label": n.label,
                "output": n.output,
                "shape": list(n.shape),
                "params": [name for name, _ in n.params],
            }
            for n in tr.nodes
        ],
        "steps": [
            {
                "phase": s.phase,
                "node": s.node,
                "key": s.key,
                "name": s.name,
                "equation": s.equation,
                "note": s.note,
                "value": plain(s.value),
                "operands": [{"name": n, "value": plain(v)} for n, v in s.operands],
            }
            for s in tr.steps
        ],
    }
