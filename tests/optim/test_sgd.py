"""SGD: the update worked by hand, and bad hyper-parameters refused."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from layers import HyperparameterError, Linear, Parameter
from optim import SGD


def param(values: list[float], grad: list[float]) -> Parameter:
    p = Parameter(np.array(values), "w")
    p.grad[...] = grad
    return p


def test_plain_step() -> None:
    p = param([1.0, -2.0], [0.5, 1.0])
    SGD([p], lr=0.1).step()
    assert_allclose(p.value, [0.95, -2.1], rtol=1e-15)


def test_momentum_by_hand() -> None:
    # v1 = g = 1 → w = 1 − 0.1·1 = 0.9; v2 = 0.9·1 + 1 = 1.9 → w = 0.9 − 0.19 = 0.71.
    p = param([1.0], [1.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    assert_allclose(p.value, [0.9], rtol=1e-15)
    opt.step()
    assert_allclose(p.value, [0.71], rtol=1e-15)


def test_nesterov_and_weight_decay_by_hand() -> None:
    # g = 1 + 0.5·2 = 2; v = 2; Nesterov step uses g + μv = 2 + 0.5·2 = 3 → w = 2 − 0.3 = 1.7.
    p = param([2.0], [1.0])
    SGD([p], lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.5).step()
    assert_allclose(p.value, [1.7], rtol=1e-15)


def test_step_updates_in_place_and_zero_grad() -> None:
    layer = Linear(3, 2, bias=False, rng=0)
    before = layer.W.value
    layer.W.grad[...] = 1.0
    opt = SGD([*layer.parameters(), None], lr=0.5)  # None (no bias) is skipped
    opt.step()
    assert layer.W.value is before  # the same array: views stay valid
    opt.zero_grad()
    assert not layer.W.grad.any()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -0.1}, "lr must be ≥ 0"),
        ({"lr": 0.1, "momentum": 1.0}, r"momentum must lie in \[0, 1\)"),
        ({"lr": 0.1, "momentum": -0.5}, r"momentum must lie in \[0, 1\)"),
        ({"lr": 0.1, "nesterov": True}, "nesterov=True needs momentum > 0"),
        ({"lr": 0.1, "weight_decay": -1.0}, "weight_decay must be ≥ 0"),
        ({"lr": float("nan")}, "lr must be finite"),
        ({"lr": "0.1"}, "lr must be a number"),
    ],
)
def test_bad_hyperparameters(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(HyperparameterError, match=message):
        SGD([param([1.0], [0.0])], **kwargs)  # type: ignore[arg-type]


def test_bad_parameter_lists() -> None:
    with pytest.raises(HyperparameterError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(HyperparameterError, match="single Parameter"):
        SGD(param([1.0], [0.0]), lr=0.1)  # type: ignore[arg-type]
    with pytest.raises(HyperparameterError, match="must be a Parameter"):
        SGD([np.zeros(3)], lr=0.1)  # type: ignore[list-item]


def test_passing_a_net_instead_of_its_parameters() -> None:
    from layers import Sequential, Sigmoid

    net = Sequential(Linear(2, 2, rng=0), Sigmoid())
    for wrong in (net, net[0]):
        with pytest.raises(HyperparameterError, match=r"net\.parameters\(\)"):
            SGD(wrong, lr=0.1)  # type: ignore[arg-type]
