"""The lecture notes' 1-hidden-layer net, trained on data it makes itself.

    z = W1 x,   h = σ(z),   y = W2 h,   L = ‖y − t‖²

The targets come from a hidden "teacher" net of the same shape plus a little
noise, so a good fit is possible and the loss should fall close to the noise
level. Run:  python examples/notes_net.py
"""

from __future__ import annotations

import numpy as np

from layers import Linear, Sequential, Sigmoid
from losses import MSELoss
from optim import SGD

D, H, M, N = 4, 16, 2, 512  # input size, hidden units, outputs, samples


def make_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs X (N, D) and targets T (N, M) from a random teacher net."""
    rng = np.random.default_rng(seed)
    teacher = Sequential(
        Linear(D, H, bias=False, rng=rng), Sigmoid(), Linear(H, M, bias=False, rng=rng)
    )
    X = rng.normal(size=(N, D))
    T = 3.0 * teacher.forward(X) + 0.01 * rng.normal(size=(N, M))
    return X, T


def main() -> None:
    X, T = make_data(seed=0)
    net = Sequential(Linear(D, H, bias=False, rng=1), Sigmoid(), Linear(H, M, bias=False, rng=2))
    loss_fn = MSELoss()
    opt = SGD(net.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(3)
    print(net)
    for epoch in range(1, 201):
        order = rng.permutation(N)
        for start in range(0, N, 32):
            batch = order[start : start + 32]
            loss_fn.forward(net.forward(X[batch]), T[batch])  # forward: z, h, y, L
            net.backward(loss_fn.backward())  # backward: the notes' five lines
            opt.step()  # w ← w − η v
        if epoch in (1, 10, 50, 100, 200):
            print(f"epoch {epoch:3d}  loss {loss_fn.forward(net.forward(X), T):.5f}")
    final = loss_fn.forward(net.forward(X), T)
    baseline = loss_fn.forward(np.broadcast_to(T.mean(axis=0), T.shape), T)
    print(f"final loss {final:.5f} (predicting the mean gives {baseline:.5f})")


if __name__ == "__main__":
    main()
