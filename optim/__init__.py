"""Optimizers: they step each ``Parameter`` along its negative gradient."""

from optim.adam import Adam
from optim.optimizer import Optimizer
from optim.schedules import CosineAnnealingLR, LRSchedule, StepLR
from optim.sgd import SGD

__all__ = ["SGD", "Adam", "CosineAnnealingLR", "LRSchedule", "Optimizer", "StepLR"]
