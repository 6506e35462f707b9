"""Learning-rate schedules: change an optimizer's ``lr`` once per epoch.

Call ``schedule.step()`` at the end of every epoch, as with PyTorch's
``torch.optim.lr_scheduler``; the schedule writes the new rate into
``optimizer.lr``. Each schedule is a closed-form function of the epoch
count, so ``lr_at(epoch)`` can be read without stepping.
"""

from __future__ import annotations

import math
from typing import Protocol

from layers.errors import HyperparameterError


class HasLearningRate(Protocol):
    """Any optimizer with a writable ``lr`` (``SGD``, ``Adam``)."""

    lr: float


class LRSchedule:
    """Base class: remembers the optimizer's starting rate ``η₀`` and the epoch count."""

    def __init__(self, optimizer: HasLearningRate) -> None:
        if not hasattr(optimizer, "lr"):
            raise HyperparameterError(
                f"{type(self).__name__}: expected an optimizer with an lr attribute, "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.epoch = 0

    def lr_at(self, epoch: int) -> float:
        """The learning rate for ``epoch`` (0 is the start)."""
        raise NotImplementedError(f"{type(self).__name__} must implement lr_at(epoch)")

    def step(self) -> float:
        """Advance one epoch, set ``optimizer.lr`` and return it."""
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr


class StepLR(LRSchedule):
    r"""Multiply the rate by ``γ`` every ``step_size`` epochs (PyTorch's ``StepLR``)::

        η_e = η₀ · γ^⌊e / step_size⌋

    Parameters
    ----------
    optimizer : SGD, Adam or any object with ``lr``
    step_size : int
        Epochs between two decays, ``≥ 1``.
    gamma : float, default 0.1
        Decay factor ``γ > 0``.
    """

    def __init__(self, optimizer: HasLearningRate, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise HyperparameterError(f"StepLR: step_size must be an int ≥ 1, got {step_size!r}")
        if not (isinstance(gamma, (int, float)) and math.isfinite(gamma) and gamma > 0):
            raise HyperparameterError(f"StepLR: gamma must be a finite number > 0, got {gamma!r}")
        self.step_size = step_size
        self.gamma = float(gamma)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)

    def __repr__(self) -> str:
        return f"StepLR(step_size={self.step_size}, gamma={self.gamma})"


class CosineAnnealingLR(LRSchedule):
    r"""Half a cosine from ``η₀`` down to ``η_min`` over ``T_max`` epochs
    (``torch.optim.lr_scheduler.CosineAnnealingLR``, without restarts)::

        η_e = η_min + (η₀ − η_min) · (1 + cos(π e / T_max)) / 2

    Past ``T_max`` the cosine continues (it rises again), as PyTorch's does.

    Parameters
    ----------
    optimizer : SGD, Adam or any object with ``lr``
    T_max : int
        Epochs from ``η₀`` to ``η_min``, ``≥ 1``.
    eta_min : float, default 0
        The final rate, ``≥ 0``.
    """

    def __init__(self, optimizer: HasLearningRate, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer)
        if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max < 1:
            raise HyperparameterError(f"CosineAnnealingLR: T_max must be an int ≥ 1, got {T_max!r}")
        if not (isinstance(eta_min, (int, float)) and math.isfinite(eta_min) and eta_min >= 0):
            raise HyperparameterError(
                f"CosineAnnealingLR: eta_min must be a finite number ≥ 0, got {eta_min!r}"
            )
        self.T_max = T_max
        self.eta_min = float(eta_min)

    def lr_at(self, epoch: int) -> float:
        cosine = (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0
        return self.eta_min + (self.base_lr - self.eta_min) * cosine

    def __repr__(self) -> str:
        return f"CosineAnnealingLR(T_max={self.T_max}, eta_min={self.eta_min})"
