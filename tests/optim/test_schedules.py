"""StepLR and CosineAnnealingLR give PyTorch's learning rates, epoch for epoch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from layers import HyperparameterError, Parameter
from optim import SGD, Adam, CosineAnnealingLR, StepLR

torch = pytest.importorskip("torch")


def _torch_lrs(make_schedule: object, epochs: int, lr: float) -> list[float]:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    schedule = make_schedule(opt)  # type: ignore[operator]
    out = []
    for _ in range(epochs):
        opt.step()
        schedule.step()
        out.append(opt.param_groups[0]["lr"])
    return out


@pytest.mark.parametrize(("step_size", "gamma"), [(1, 0.5), (3, 0.1), (7, 0.9)])
def test_step_lr_matches_torch(step_size: int, gamma: float) -> None:
    opt = SGD([Parameter(np.zeros(1), "w")], lr=0.3)
    schedule = StepLR(opt, step_size=step_size, gamma=gamma)
    ours = [schedule.step() for _ in range(20)]
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size, gamma), 20, 0.3)
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)
    assert opt.lr == ours[-1]


@pytest.mark.parametrize(("T_max", "eta_min"), [(10, 0.0), (5, 0.01), (1, 0.0)])
def test_cosine_matches_torch_including_past_t_max(T_max: int, eta_min: float) -> None:
    opt = Adam([Parameter(np.zeros(1), "w")], lr=0.1)
    schedule = CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min)
    ours = [schedule.step() for _ in range(3 * T_max)]
    theirs = _torch_lrs(
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max, eta_min), 3 * T_max, 0.1
    )
    # torch computes the rate recursively from the previous one, we in closed form:
    # they agree up to the rounding the recursion accumulates.
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_cosine_by_hand() -> None:
    opt = SGD([Parameter(np.zeros(1), "w")], lr=1.0)
    schedule = CosineAnnealingLR(opt, T_max=4, eta_min=0.0)
    # (1 + cos(π e/4))/2 for e = 1..4
    expected = [(1 + math.sqrt(0.5)) / 2, 0.5, (1 - math.sqrt(0.5)) / 2, 0.0]
    np.testing.assert_allclose([schedule.step() for _ in range(4)], expected, atol=1e-15)


def test_bad_arguments_are_refused() -> None:
    opt = SGD([Parameter(np.zeros(1), "w")], lr=0.1)
    with pytest.raises(HyperparameterError, match="step_size"):
        StepLR(opt, step_size=0)
    with pytest.raises(HyperparameterError, match="gamma"):
        StepLR(opt, step_size=2, gamma=-1.0)
    with pytest.raises(HyperparameterError, match="T_max"):
        CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(HyperparameterError, match="lr attribute"):
        StepLR(object(), step_size=1)  # type: ignore[arg-type]
