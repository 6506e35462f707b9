"""SGD trajectories agree with torch.optim.SGD step for step, to 1e-10 relative."""

from __future__ import annotations

import numpy as np
import pytest
from torch_reference import assert_rel_close, to_numpy

from layers import Linear, Sequential, Tanh
from losses import SoftmaxCrossEntropyLoss
from optim import SGD

torch = pytest.importorskip("torch")

SETTINGS = [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.01},
    {"lr": 0.05, "momentum": 0.5, "nesterov": True, "weight_decay": 0.001},
]


@pytest.mark.parametrize(
    "settings", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items())
)
def test_trajectory_matches_torch(settings: dict[str, float]) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 5))
    labels = rng.integers(0, 3, size=16)
    net = Sequential(Linear(5, 7, rng=1), Tanh(), Linear(7, 3, rng=2))
    loss_fn = SoftmaxCrossEntropyLoss()
    opt = SGD(net.parameters(), **settings)  # type: ignore[arg-type]

    tnet = torch.nn.Sequential(
        torch.nn.Linear(5, 7, dtype=torch.float64),
        torch.nn.Tanh(),
        torch.nn.Linear(7, 3, dtype=torch.float64),
    )
    with torch.no_grad():
        for ours, theirs in zip(net.parameters(), tnet.parameters(), strict=True):
            theirs.copy_(torch.tensor(ours.value))
    topt = torch.optim.SGD(tnet.parameters(), **settings)
    Xt, tt = torch.tensor(X), torch.tensor(labels)

    for step in range(12):
        batch = slice(4 * (step % 4), 4 * (step % 4) + 4)  # minibatches of 4
        loss = loss_fn.forward(net.forward(X[batch]), labels[batch])
        net.backward(loss_fn.backward())
        opt.step()

        topt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(tnet(Xt[batch]), tt[batch])
        tloss.backward()
        topt.step()
        assert_rel_close(np.float64(loss), np.float64(tloss.item()))
    for ours, theirs in zip(net.parameters(), tnet.parameters(), strict=True):
        assert_rel_close(ours.value, to_numpy(theirs))
