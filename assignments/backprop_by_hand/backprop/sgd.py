"""``SGD``: move every parameter along its negative gradient, with momentum."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from layers import Parameter
from optim import Optimizer


class SGD(Optimizer):
    r"""Stochastic gradient descent with momentum ``μ`` and learning rate ``η``.

    The notes: minimise the loss "by moving in the direction −∇_w L". With a
    velocity ``v`` per parameter (zero at the start), each step does::

        v ← μ v + ∇_w L
        w ← w − η v

    (``μ = 0`` is plain gradient descent.) This is PyTorch's ``torch.optim.SGD``
    update with dampening 0 and no weight decay.
    """

    def __init__(self, params: Iterable[Parameter], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params)
        self.lr = float(lr)
        self.momentum = float(momentum)
        self._velocity = [np.zeros_like(p.value) for p in self.params]

    def step(self) -> None:
        """Update every parameter in place (``p.value`` and ``v``) from ``p.grad``."""
        for p, v in zip(self.params, self._velocity, strict=True):
            # BEGIN SOLUTION update v, then p.value, in place
            v *= self.momentum  # v ← μ v + ∇_w L
            v += p.grad
            p.value -= self.lr * v  # w ← w − η v
            # END SOLUTION
