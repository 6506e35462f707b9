"""Optimizers: they step each ``Parameter`` along its negative gradient."""

from optim.optimizer import Optimizer
from optim.sgd import SGD

__all__ = ["SGD", "Optimizer"]
