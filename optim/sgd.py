"""``SGD``: stochastic gradient descent, moving along the negative gradient."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from layers.errors import HyperparameterError
from layers.parameter import Parameter
from optim.optimizer import Optimizer


def _check_number(owner: str, name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise HyperparameterError(f"{owner}: {name} must be a number, got {value!r}")
    if not np.isfinite(value):
        raise HyperparameterError(f"{owner}: {name} must be finite, got {value!r}")
    return float(value)


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum, Nesterov and weight decay.

    The notes: "we move in the opposite direction of the gradient". Plain SGD
    with learning rate ``η``::

        w ← w − η ∇_w L

    With weight decay ``λ`` and momentum ``μ`` (dampening 0), each step does,
    exactly as PyTorch's ``torch.optim.SGD`` documents::

        g ← ∇_w L + λ w
        v ← g                 on the first step,   v ← μ v + g   after it
        w ← w − η v           (Nesterov: w ← w − η (g + μ v))

    Parameters
    ----------
    params : iterable of Parameter
        Usually ``net.parameters()``.
    lr : float
        Learning rate ``η ≥ 0``.
    momentum : float, default 0
        ``μ`` in ``[0, 1)``.
    nesterov : bool, default False
        Use Nesterov momentum (needs ``momentum > 0``).
    weight_decay : float, default 0
        ``λ ≥ 0``: adds ``λ w`` to the gradient (an L2 penalty ``λ‖w‖²/2``).
    """

    def __init__(
        self,
        params: Iterable[Parameter | None],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _check_number("SGD", "lr", lr)
        self.momentum = _check_number("SGD", "momentum", momentum)
        self.weight_decay = _check_number("SGD", "weight_decay", weight_decay)
        if self.lr < 0:
            raise HyperparameterError(f"SGD: lr must be ≥ 0, got {lr!r}")
        if not 0.0 <= self.momentum < 1.0:
            raise HyperparameterError(f"SGD: momentum must lie in [0, 1), got {momentum!r}")
        if self.weight_decay < 0:
            raise HyperparameterError(f"SGD: weight_decay must be ≥ 0, got {weight_decay!r}")
        if nesterov and self.momentum == 0:
            raise HyperparameterError(
                "SGD: nesterov=True needs momentum > 0 (Nesterov momentum is a "
                "correction to momentum); set momentum, e.g. momentum=0.9"
            )
        self.nesterov = bool(nesterov)
        self._velocity: list[npt.NDArray[np.floating[Any]] | None] = [None] * len(self.params)

    def step(self) -> None:
        """Apply one update to every parameter, in place."""
        for i, p in enumerate(self.params):
            g = p.grad  # ∇_w L
            if self.weight_decay:
                g = g + self.weight_decay * p.value  # g ← ∇_w L + λ w
            if self.momentum:
                v = self._velocity[i]
                v = g.copy() if v is None else self.momentum * v + g  # v ← μ v + g  (first: v ← g)
                self._velocity[i] = v
                g = g + self.momentum * v if self.nesterov else v  # Nesterov: g + μ v
            p.value -= self.lr * g  # w ← w − η v

    def __repr__(self) -> str:
        extras = "".join(
            f", {name}={value}"
            for name, value in (
                ("momentum", self.momentum),
                ("nesterov", self.nesterov),
                ("weight_decay", self.weight_decay),
            )
            if value
        )
        return f"SGD(lr={self.lr}{extras})"
