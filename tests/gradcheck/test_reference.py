"""``reference=``: numeric derivatives from trusted code, the gradients from the checked code.

A doctored forward pass with a backward to match agrees with itself; only a
reference forward shows it. In a grader the checked layer is a proxy to an
object in another process (``Remote`` below imitates one: calls go through,
every array read is a fresh copy), so the checker must never write into it.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from broken_layers import NoBiasGradLinear, SignFlippedLinear

from gradcheck import GradcheckError, check_layer, check_loss
from layers import Linear, Parameter, Sequential, Tanh
from losses import MSELoss

X = np.random.default_rng(0).normal(size=(4, 3))


def failure(call: object, *args: object, **kwargs: object) -> GradcheckError:
    with pytest.raises(GradcheckError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value


class DoubledLinear(Linear):
    """Forward ``2·(X Wᵀ + b)`` and a backward right for it: consistent, but not a Linear."""

    def forward(self, x: npt.ArrayLike) -> npt.NDArray[Any]:
        return 2 * super().forward(x)

    def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[Any]:
        return super().backward(2 * np.asarray(grad_out))


class DoubledMSE(MSELoss):
    def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
        return 2 * super().forward(y, t)

    def backward(self) -> npt.NDArray[Any]:
        return 2 * super().backward()


class RemoteParameter:
    """A parameter seen from the grading process: reads are copies."""

    def __init__(self, p: Parameter) -> None:
        self._p = p

    value = property(lambda self: self._p.value.copy())
    grad = property(lambda self: self._p.grad.copy())
    shape = property(lambda self: self._p.shape)
    dtype = property(lambda self: self._p.dtype)
    name = property(lambda self: self._p.name)

    def zero_grad(self) -> None:
        self._p.zero_grad()


class Remote:
    """A layer seen from the grading process: calls go through, arrays come back as copies."""

    def __init__(self, layer: Any) -> None:
        self._layer = layer

    def forward(self, x: npt.ArrayLike) -> npt.NDArray[Any]:
        return np.array(self._layer.forward(np.array(x, copy=True)), copy=True)

    def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[Any]:
        return np.array(self._layer.backward(np.array(grad_out, copy=True)), copy=True)

    def parameters(self) -> list[RemoteParameter]:
        return [RemoteParameter(p) for p in self._layer.parameters()]

    def __getattr__(self, name: str) -> Any:
        return copy.deepcopy(getattr(self._layer, name))

    def __repr__(self) -> str:
        return repr(self._layer)


def test_a_doctored_forward_passes_alone_but_not_against_a_reference() -> None:
    check_layer(DoubledLinear(3, 2, rng=0), X)  # self-consistent: nothing to see
    err = failure(check_layer, DoubledLinear(3, 2, rng=0), X, reference=Linear(3, 2))
    assert (err.kind, err.parameter) == ("forward differs from the reference", "forward")
    assert "the forward pass was changed" in str(err)
    assert {f.tensor for f in err.findings if f.kind == "wrong gradient"} == {"input", "W", "b"}


def test_a_correct_layer_passes_and_the_reference_gets_its_values_back() -> None:
    reference = Linear(3, 2, rng=7)  # other values: the layer's are copied in
    before = [p.value.copy() for p in reference.parameters()]
    check_layer(Linear(3, 2, rng=0), X, reference=reference)
    for p, value in zip(reference.parameters(), before, strict=True):
        assert np.array_equal(p.value, value)


@pytest.mark.parametrize("broken", [SignFlippedLinear, NoBiasGradLinear])
def test_a_wrong_backward_gets_the_same_report_with_a_reference(broken: type[Linear]) -> None:
    alone = failure(check_layer, broken(3, 2, rng=0), X)
    with_ref = failure(check_layer, broken(3, 2, rng=0), X, reference=Linear(3, 2))
    assert with_ref.hint == alone.hint and alone.hint
    assert [(f.tensor, f.kind, f.hint) for f in with_ref.findings] == [
        (f.tensor, f.kind, f.hint) for f in alone.findings
    ]


def test_the_layers_parameters_are_never_written() -> None:
    layer = Linear(3, 2, rng=0)
    for p in layer.parameters():
        p.value.flags.writeable = False  # any perturbation of the layer would raise
    check_layer(layer, X, reference=Linear(3, 2))


def test_a_proxied_layer_is_checked_through_the_reference() -> None:
    check_layer(Remote(Linear(3, 2, rng=0)), X, reference=Linear(3, 2))
    err = failure(check_layer, Remote(SignFlippedLinear(3, 2, rng=0)), X, reference=Linear(3, 2))
    assert (err.parameter, err.kind) == ("W", "wrong gradient")
    assert "negated" in (err.hint or "")
    err = failure(check_layer, Remote(DoubledLinear(3, 2, rng=0)), X, reference=Linear(3, 2))
    assert err.kind == "forward differs from the reference"


def test_names_come_from_the_reference_by_position() -> None:
    def net(cls: type[Linear]) -> Sequential:
        return Sequential(Linear(3, 4, rng=0), Tanh(), cls(4, 2, rng=1))

    err = failure(check_layer, Remote(net(SignFlippedLinear)), X, reference=net(Linear))
    assert err.parameter == "layers[2].W"


def test_a_different_parameter_list_is_named_with_both_sides() -> None:
    err = failure(check_layer, Linear(3, 2, bias=False, rng=0), X, reference=Linear(3, 2))
    assert err.kind == "parameters differ from the reference"
    assert "lists 1 Parameter: (2, 3)" in str(err)
    assert "2 Parameters: W (2, 3), b (2,)" in str(err)
    err = failure(check_layer, Linear(2, 3, rng=0), X[:, :2], reference=Linear(3, 2))
    assert err.kind == "parameters differ from the reference"


def test_a_loss_against_a_reference() -> None:
    y, t = X, X[::-1] + 1
    check_loss(DoubledMSE(), y, t)  # self-consistent
    check_loss(MSELoss(), y, t, reference=MSELoss())
    err = failure(check_loss, DoubledMSE(), y, t, reference=MSELoss())
    assert (err.parameter, err.kind) == ("loss value", "forward differs from the reference")
    assert "twice the true one" in (err.findings[1].hint or "")
