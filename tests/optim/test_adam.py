"""Adam follows torch.optim.Adam step for step, and checks its hyper-parameters."""

from __future__ import annotations

import numpy as np
import pytest

from layers import HyperparameterError, Parameter
from optim import Adam

torch = pytest.importorskip("torch")

SETTINGS = [
    {"lr": 1e-3},
    {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "amsgrad": True},
    {"lr": 0.02, "betas": (0.0, 0.5), "weight_decay": 0.01, "amsgrad": True},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
def test_trajectory_matches_torch(settings: dict[str, object]) -> None:
    rng = np.random.default_rng(0)
    start = [rng.normal(size=(4, 3)), rng.normal(size=5)]
    ours = [Parameter(a, f"p{i}") for i, a in enumerate(start)]
    theirs = [torch.tensor(a, requires_grad=True) for a in start]
    opt = Adam(ours, **settings)  # type: ignore[arg-type]
    topt = torch.optim.Adam(theirs, **settings)
    for _ in range(25):
        # Gradients of wildly different scales per step: the moments must track them.
        grads = [rng.normal(size=a.shape) * 10.0 ** rng.integers(-3, 3) for a in start]
        for p, tp, g in zip(ours, theirs, grads, strict=True):
            p.grad[...] = g
            tp.grad = torch.tensor(g)
        opt.step()
        topt.step()
    for p, tp in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.value, tp.detach().numpy(), rtol=1e-13, atol=1e-15)


def test_first_step_moves_each_coordinate_by_lr() -> None:
    # By hand: m̂ = g and v̂ = g² after one step, so w moves by η g/(|g| + ε) ≈ η sign(g).
    p = Parameter(np.array([1.0, 1.0, 1.0]), "w")
    p.grad[...] = [3.0, -0.002, 500.0]
    Adam([p], lr=0.1, eps=0.0).step()
    np.testing.assert_allclose(p.value, [0.9, 1.1, 0.9], rtol=1e-15)


def test_float32_parameters_stay_float32() -> None:
    p = Parameter(np.ones(3, dtype=np.float32), "w")
    p.grad[...] = 1.0
    Adam([p]).step()
    assert p.value.dtype == np.float32


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": -1.0},
        {"betas": (1.0, 0.9)},
        {"betas": (0.9, -0.1)},
        {"eps": -1e-8},
        {"weight_decay": -0.1},
        {"lr": float("nan")},
        {"betas": (0.9,)},
    ],
)
def test_bad_hyperparameters_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(HyperparameterError, match="Adam"):
        Adam([Parameter(np.zeros(2), "w")], **kwargs)  # type: ignore[arg-type]
