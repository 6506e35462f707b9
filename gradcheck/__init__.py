"""gradcheck: prove hand-written gradients right, or show exactly where they are wrong.

>>> import numpy as np
>>> from layers import Linear
>>> from gradcheck import check_layer
>>> check_layer(Linear(3, 2, rng=0), np.arange(6.0).reshape(2, 3))   # quiet when right

``check_layer(layer, x)`` and ``check_loss(loss, y, t)`` return None when every
gradient is right and raise :class:`GradcheckError` (an ``AssertionError``, so
pytest reports it) whose message is a full report otherwise;
:func:`report_text` gives the same report without the answer's equations
(``"hints"``) or as one line per problem (``"minimal"``), for graders. The numeric
derivatives they use are public too (:mod:`gradcheck.numeric`). Hypothesis
strategies live in :mod:`gradcheck.strategies` (imported only on request, so
this package needs nothing but NumPy).
"""

from gradcheck.errors import GradcheckError, NondifferentiableError, report_text
from gradcheck.layer_check import check_layer
from gradcheck.loss_check import check_loss
from gradcheck.numeric import (
    directional_derivative,
    numeric_gradient,
    partial_derivative,
    step_size,
)
from gradcheck.tolerance import DEFAULTS as DEFAULT_TOLERANCES

__all__ = [
    "DEFAULT_TOLERANCES",
    "GradcheckError",
    "NondifferentiableError",
    "check_layer",
    "check_loss",
    "directional_derivative",
    "numeric_gradient",
    "partial_derivative",
    "report_text",
    "step_size",
]
