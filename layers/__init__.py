"""Layers whose forward and backward passes are derived by hand in the notes' notation.

>>> from layers import Linear, Sigmoid, Sequential
>>> net = Sequential(Linear(4, 3, rng=0), Sigmoid(), Linear(3, 2, rng=1))
>>> net.forward([[1.0, 2.0, 3.0, 4.0]]).shape
(1, 2)
"""

from layers.errors import (
    ChainruleError,
    DomainError,
    DtypeError,
    HyperparameterError,
    LabelError,
    NonFiniteError,
    OrderError,
    ShapeError,
)
from layers.layer import Layer
from layers.linear import Linear
from layers.parameter import Parameter
from layers.relu import ReLU
from layers.sequential import Sequential
from layers.sigmoid import Sigmoid
from layers.softmax import Softmax
from layers.tanh import Tanh

__all__ = [
    "ChainruleError",
    "DomainError",
    "DtypeError",
    "HyperparameterError",
    "LabelError",
    "Layer",
    "Linear",
    "NonFiniteError",
    "OrderError",
    "Parameter",
    "ReLU",
    "Sequential",
    "ShapeError",
    "Sigmoid",
    "Softmax",
    "Tanh",
]
