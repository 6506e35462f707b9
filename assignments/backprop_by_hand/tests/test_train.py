"""Training the notes' 1-hidden-layer net: your train_step, then your whole net."""

from typing import Any

import numpy as np
import numpy.typing as npt
from backprop.train import build_net, fit, train_step

import layers
import losses
import optim
from chainrule.assignment import points

Array = npt.NDArray[Any]


def _circle(n: int, seed: int) -> tuple[Array, Array, Array]:
    """The notes' toy problem, drawn here (not by the code under test): inside ‖x‖² < ½?"""
    X = np.random.default_rng(seed).uniform(-1.0, 1.0, (n, 2))
    labels = ((X**2).sum(axis=1) < 0.5).astype(np.int64)
    return X, np.eye(2)[labels], labels


def _notes_init(D: int, H: int, K: int, seed: int) -> list[Array]:
    """The weights build_net documents: U(−1/√D, 1/√D), W then b, layer by layer."""
    gen, values = np.random.default_rng(seed), list[Array]()
    for fan_in, fan_out in ((D, H), (H, K)):
        bound = 1.0 / np.sqrt(fan_in)
        values.append(gen.uniform(-bound, bound, (fan_out, fan_in)))
        values.append(gen.uniform(-bound, bound, fan_out))
    return values


def _reference_net(net: layers.Sequential) -> layers.Sequential:
    """The framework's own layers, with the same weights as ``net``."""
    lin1, lin2 = net[0], net[2]
    ref = layers.Sequential(
        layers.Linear(lin1.W.shape[1], lin1.W.shape[0]),
        layers.Sigmoid(),
        layers.Linear(lin2.W.shape[1], lin2.W.shape[0]),
    )
    for mine, theirs in zip(ref.parameters(), net.parameters(), strict=True):
        mine.value = theirs.value
    return ref


@points(2)
def test_train_step() -> None:
    """train_step does forward, loss, backward and step (on the framework's own layers)."""
    X, T, _ = _circle(8, seed=3)
    net = layers.Sequential(
        layers.Linear(2, 4, rng=0), layers.Sigmoid(), layers.Linear(4, 2, rng=1)
    )
    ref = _reference_net(net)
    loss = train_step(net, losses.MSELoss(), optim.SGD(net.parameters(), lr=0.5), X, T)
    ref_fn = losses.MSELoss()
    ref_loss = ref_fn.forward(ref.forward(X), T)
    ref.backward(ref_fn.backward())
    optim.SGD(ref.parameters(), lr=0.5).step()
    assert isinstance(loss, float) and abs(loss - ref_loss) < 1e-12, (
        f"train_step should return the batch's loss before the step, {ref_loss}, got {loss!r}"
    )
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        assert np.allclose(p.value, q.value, rtol=0, atol=1e-12), (
            f"after one train_step, parameter {p.name} differs from one step of "
            f"forward, loss, backward, opt.step()"
        )


@points(3, hidden=True)
def test_fit_trains_the_notes_net() -> None:
    """Your layers, loss and SGD train the net exactly as the framework's own do, to ≥ 90%."""
    X, T, _ = _circle(200, seed=0)
    start = _notes_init(2, 16, 2, seed=0)
    mine = build_net(2, 16, 2, seed=0)
    for p, value in zip(mine.parameters(), start, strict=True):
        assert np.array_equal(p.value, value), (
            f"build_net must start from the weights it documents ({p.name} differs)"
        )
    net, history = fit(X, T, epochs=60)
    ref = layers.Sequential(layers.Linear(2, 16), layers.Sigmoid(), layers.Linear(16, 2))
    for p, value in zip(ref.parameters(), start, strict=True):
        p.value = value
    ref_fn = losses.MSELoss()
    ref_opt = optim.SGD(ref.parameters(), lr=0.2, momentum=0.9)
    for epoch in range(60):
        batch_losses = []
        for s in range(0, 200, 20):
            batch_losses.append(ref_fn.forward(ref.forward(X[s : s + 20]), T[s : s + 20]))
            ref.backward(ref_fn.backward())
            ref_opt.step()
        expected = float(np.mean(batch_losses))
        assert abs(history[epoch] - expected) < 1e-8 * max(1.0, expected), (
            f"epoch {epoch + 1}: your net's mean loss is {history[epoch]:.10g}, the framework's "
            f"is {expected:.10g}; one of your backward passes (or SGD.step) is off: the other "
            f"tests say which"
        )
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        assert np.allclose(p.value, q.value, rtol=1e-8, atol=1e-10), (
            f"after 60 epochs your {p.name} differs from the framework's"
        )
    X_test, _, labels = _circle(1000, seed=1)  # your weights are the framework's: its forward
    acc = float(np.mean(np.argmax(ref.forward(X_test), axis=1) == labels))
    assert acc >= 0.9, f"test accuracy after 60 epochs is {acc:.1%}, expected at least 90%"
