"""Train the notes' 1-hidden-layer net with your layers, loss and optimizer.

Run ``python -m backprop.train`` to watch it learn a toy problem: is a point
of the square ``[-1, 1]²`` inside the circle ``‖x‖² < ½``? A straight line
cannot separate the two classes; one hidden layer can.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from backprop.linear import Linear
from backprop.losses import MSELoss
from backprop.sgd import SGD
from backprop.sigmoid import Sigmoid
from layers import Layer, Sequential
from losses import Loss
from optim import Optimizer

Array = npt.NDArray[np.float64]


def circle_data(n: int, seed: int = 0) -> tuple[Array, Array, npt.NDArray[np.int64]]:
    """``n`` points of ``[-1, 1]²``, one-hot targets ``T`` and labels (1: inside the circle)."""
    X = np.random.default_rng(seed).uniform(-1.0, 1.0, (n, 2))
    labels = ((X**2).sum(axis=1) < 0.5).astype(np.int64)
    return X, np.eye(2)[labels], labels


def build_net(D: int, H: int, K: int, *, seed: int = 0) -> Sequential:
    """The notes' net: ``z = W⁽¹⁾x + b⁽¹⁾, h = σ(z), y = W⁽²⁾h + b⁽²⁾``."""
    gen = np.random.default_rng(seed)
    return Sequential(Linear(D, H, rng=gen), Sigmoid(), Linear(H, K, rng=gen))


def train_step(net: Layer, loss_fn: Loss, opt: Optimizer, X: Array, T: Array) -> float:
    """One step of gradient descent on the batch ``(X, T)``; return the batch's loss.

    The notes' forward pass, the loss, the backward pass (which fills every
    parameter's ``.grad``), then the optimizer's step.
    """
    # BEGIN SOLUTION forward, loss, backward, step; return the loss
    Y = net.forward(X)
    loss = loss_fn.forward(Y, T)
    net.backward(loss_fn.backward())
    opt.step()
    return loss
    # END SOLUTION


def fit(
    X: Array,
    T: Array,
    *,
    hidden: int = 16,
    epochs: int = 100,
    lr: float = 0.2,
    momentum: float = 0.9,
    batch_size: int = 20,
    seed: int = 0,
) -> tuple[Sequential, list[float]]:
    """Train ``build_net`` on ``(X, T)`` with MSE and SGD; return the net and epoch losses.

    The losses are each epoch's mean batch loss. Mini-batches are taken in
    order (no shuffling), so a run is reproducible.
    """
    net = build_net(X.shape[1], hidden, T.shape[1], seed=seed)
    loss_fn, opt = MSELoss(), SGD(net.parameters(), lr=lr, momentum=momentum)
    history = []
    for _ in range(epochs):
        losses = [
            train_step(net, loss_fn, opt, X[s : s + batch_size], T[s : s + batch_size])
            for s in range(0, len(X), batch_size)
        ]
        history.append(float(np.mean(losses)))
    return net, history


def accuracy(net: Layer, X: Array, labels: npt.NDArray[np.int64]) -> float:
    """Fraction of samples whose largest output is the true class."""
    return float(np.mean(net.forward(X).argmax(axis=1) == labels))


if __name__ == "__main__":
    X, T, _ = circle_data(200, seed=0)
    net, history = fit(X, T)
    X_test, _, labels_test = circle_data(1000, seed=1)
    for epoch in (0, 9, 49, len(history) - 1):
        print(f"epoch {epoch + 1:3d}: loss {history[epoch]:.4f}")
    print(f"test accuracy: {accuracy(net, X_test, labels_test):.1%}")
