"""Losses: each returns a float and starts the backward pass with ``∂L/∂y``."""

from losses.cross_entropy import CrossEntropyLoss
from losses.loss import Loss
from losses.mse import MSELoss
from losses.softmax_cross_entropy import SoftmaxCrossEntropyLoss

__all__ = ["CrossEntropyLoss", "Loss", "MSELoss", "SoftmaxCrossEntropyLoss"]
