"""The notes' equation for each forward and backward step of a layer or loss, as text.

:mod:`chainrule.trace` runs a net through the framework's own layers and
asks this module how to *write* each step: the equation in the notes'
notation, with the names of that net's tensors filled in, and the operands
whose numbers a reader plugs in. Nothing here computes a result the page
shows; the only numbers made here are operands such as ``σ'(z) = h(1 − h)``
that the notes write as a factor of the product.

One sample uses the notes' lower-case vectors (``z = W⁽¹⁾x``); a batch uses
the design matrix, one sample per row (``Z = X W⁽¹⁾ᵀ``), as in DESIGN.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from layers import Linear, ReLU, Sigmoid, Softmax, Tanh
from layers.layer import Layer

Array = npt.NDArray[np.floating[Any]]


@dataclass(frozen=True)
class Names:
    """How one layer's tensors are written: input ``x``, output ``z``, parameters ``W⁽¹⁾``."""

    inp: str
    out: str
    W: str = "W"
    b: str = "b"


@dataclass(frozen=True)
class Equation:
    """One step as the notes write it: ``∇_W⁽¹⁾ L = (∇_z L) xᵀ`` and what happens there."""

    text: str
    note: str


def grad(name: str) -> str:
    """``∇_z L``."""
    return f"∇_{name} L"


def forward_equation(layer: Layer, n: Names, batch: bool) -> Equation:
    """The forward step ``out = f(in)`` of one layer."""
    if isinstance(layer, Linear):
        bias = f" + {n.b}" if layer.b is not None else ""
        text = f"{n.out} = {n.inp} {n.W}ᵀ{bias}" if batch else f"{n.out} = {n.W}{n.inp}{bias}"
        return Equation(text, "linear transformation")
    kinds = {Sigmoid: "σ", Tanh: "tanh", ReLU: "max(0, ·)", Softmax: "softmax"}
    for kind, symbol in kinds.items():
        if isinstance(layer, kind):
            if kind is ReLU:
                return Equation(f"{n.out} = max(0, {n.inp})", "element-wise nonlinearity")
            note = "softmax over each row" if kind is Softmax else "element-wise nonlinearity"
            return Equation(f"{n.out} = {symbol}({n.inp})", note)
    return Equation(f"{n.out} = {layer!r}({n.inp})", "the layer's own forward")


def activation_backward(
    layer: Layer, n: Names, inp: Array, out: Array, g_out: Array
) -> tuple[Equation, list[tuple[str, Array]]]:
    """``∇_z L`` through an element-wise layer: the equation and its operands."""
    g_name = grad(n.out)
    if isinstance(layer, Sigmoid):
        factor = out * (1.0 - out)  # σ'(z) = σ(z)(1 − σ(z)) = h(1 − h)
        eq = Equation(f"{grad(n.inp)} = ({g_name}) ∘ σ'({n.inp})", "through the nonlinearity")
        return eq, [(g_name, g_out), (f"σ'({n.inp}) = {n.out}(1 − {n.out})", factor)]
    if isinstance(layer, Tanh):
        eq = Equation(f"{grad(n.inp)} = ({g_name}) ∘ (1 − {n.out}²)", "through the nonlinearity")
        return eq, [(g_name, g_out), (f"1 − {n.out}²", 1.0 - out * out)]
    if isinstance(layer, ReLU):
        eq = Equation(f"{grad(n.inp)} = ({g_name}) ∘ [{n.inp} > 0]", "through the nonlinearity")
        return eq, [(g_name, g_out), (f"[{n.inp} > 0]", (inp > 0).astype(out.dtype))]
    if isinstance(layer, Softmax):
        text = f"{grad(n.inp)} = {n.out} ∘ ({g_name} − Σ_k ({g_name})_k {n.out}_k)"
        eq = Equation(text, "through the softmax (Jacobian-vector product, per row)")
        return eq, [(g_name, g_out), (n.out, out)]
    eq = Equation(f"{grad(n.inp)} = {layer!r}.backward({g_name})", "the layer's own backward")
    return eq, [(g_name, g_out)]


def linear_backward(layer: Linear, n: Names, batch: bool) -> dict[str, Equation]:
    """The three gradients of ``Linear``: to its input, to ``W``, to ``b``."""
    g = grad(n.out)
    if batch:
        return {
            "inp": Equation(f"{grad(n.inp)} = ({g}) {n.W}", "through the linear map, per row"),
            "W": Equation(f"{grad(n.W)} = ({g})ᵀ {n.inp}", f"to {n.W}: Σ_i g_i x_iᵀ, identity (2)"),
            "b": Equation(f"{grad(n.b)} = Σ_i ({g})_i", f"to {n.b}: the rows of {g} summed"),
        }  # fmt: skip
    return {
        "inp": Equation(f"{grad(n.inp)} = (({g})ᵀ {n.W})ᵀ", "through the linear map, identity (1)"),
        "W": Equation(f"{grad(n.W)} = ({g}) {n.inp}ᵀ", f"to {n.W}, identity (2)"),
        "b": Equation(f"{grad(n.b)} = {g}", f"to {n.b}"),
    }  # fmt: skip


def loss_equations(loss: object, y: str, t: str, batch: bool) -> tuple[Equation, Equation]:
    """The loss ``L`` and ``∇_y L`` for the framework's losses, per the notes."""
    name = type(loss).__name__
    mean = getattr(loss, "reduction", "mean") == "mean" and batch
    total = "(1/N) Σ_i " if mean else ("Σ_i " if batch else "")
    scale = "(1/N) " if mean else ""
    i = "_i" if batch else ""
    k = "_ik" if batch else "_k"
    if name == "MSELoss":
        return (
            Equation(f"L = {total}‖{y.lower()}{i} − {t.lower()}{i}‖²", "loss"),
            Equation(f"{grad(y)} = {scale}2({y} − {t})", "through the loss"),
        )
    if name == "CrossEntropyLoss":
        return (
            Equation(f"L = −{total}Σ_k T{k} log {y.lower()}{k}", "cross-entropy of probabilities"),
            Equation(f"{grad(y)} = −{scale}T / {y}", "through the loss (T one-hot)"),
        )
    if name == "SoftmaxCrossEntropyLoss":
        return (
            Equation(
                f"L = −{total}Σ_k T{k} log softmax({y.lower()}{i})_k", "softmax cross-entropy"
            ),
            Equation(f"{grad(y)} = {scale}(softmax({y}) − T)", "through the loss: p − T"),
        )
    return (
        Equation(f"L = {loss!r}({y}, {t})", "the loss's own forward"),
        Equation(f"{grad(y)} = {loss!r}.backward()", "the loss's own backward"),
    )
