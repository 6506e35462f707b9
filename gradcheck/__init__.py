"""gradcheck: prove hand-written gradients right, or show exactly where they are wrong.

>>> import numpy as np
>>> from layers import Linear
>>> from gradcheck import check_layer
>>> check_layer(Linear(3, 2, rng=0), np.arange(6.0).reshape(2, 3))   # quiet when right

``check_layer(layer, x)``, ``check_loss(loss, y, t)`` and
``check_function(f, x, grad)`` return None when every gradient is right and
raise :class:`GradcheckError` (an ``AssertionError``, so pytest reports it)
whose message is a full report otherwise; with ``raise_on_failure=False``
they return a :class:`CheckResult` instead. How much the report says about
the likely mistake is the hint level (``hints="full"|"slip"|"none"`` per
call, :func:`set_hint_level` or :func:`hint_level` for more);
:func:`report_text` picks a level of a failure's report, for graders.

The chapters, in the order the notes tell the story: :mod:`gradcheck.numeric`
(numeric derivatives), :mod:`gradcheck.compare` (comparison and tolerances),
:mod:`gradcheck.contract` (the backward contract), :mod:`gradcheck.hints`
(every hint), :mod:`gradcheck.checks` (the three checks),
:mod:`gradcheck.report`, :mod:`gradcheck.result` (what a check hands back)
and :mod:`gradcheck.strategies` (hypothesis strategies, imported only on
request, so this package needs nothing but NumPy).
"""

from gradcheck.checks import check_function, check_layer, check_loss
from gradcheck.compare import DEFAULTS as DEFAULT_TOLERANCES
from gradcheck.compare import Options
from gradcheck.hints import HintLevel, get_hint_level, hint_level, set_hint_level
from gradcheck.numeric import (
    directional_derivative,
    numeric_gradient,
    partial_derivative,
    step_size,
)
from gradcheck.report import report_text
from gradcheck.result import (
    CheckResult,
    EntryRow,
    Finding,
    GradcheckError,
    Kind,
    NondifferentiableError,
    TensorResult,
)

__all__ = [
    "DEFAULT_TOLERANCES",
    "CheckResult",
    "EntryRow",
    "Finding",
    "GradcheckError",
    "HintLevel",
    "Kind",
    "NondifferentiableError",
    "Options",
    "TensorResult",
    "check_function",
    "check_layer",
    "check_loss",
    "directional_derivative",
    "get_hint_level",
    "hint_level",
    "numeric_gradient",
    "partial_derivative",
    "report_text",
    "set_hint_level",
    "step_size",
]
