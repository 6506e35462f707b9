"""Every error chainrule raises, in one module.

A bad *value* (a shape that does not fit, a label out of range, a NaN, a bad
hyper-parameter) raises a ``ValueError`` subclass; a call made *out of order*
(``backward`` before ``forward``) raises a ``RuntimeError`` subclass. So code
that already catches the built-in exceptions keeps working, and code that
wants to be precise can catch ours.

``losses`` and ``optim`` import their errors from here too: one place to look.
"""

from __future__ import annotations


class ChainruleError(Exception):
    """Base class of every error raised by chainrule."""


class ShapeError(ChainruleError, ValueError):
    """An array's shape does not fit what the layer or loss expects."""


class DtypeError(ChainruleError, ValueError):
    """An array's dtype does not fit (e.g. float32 input to a float64 layer)."""


class LabelError(ChainruleError, ValueError):
    """Targets are malformed: a label out of range, or a wrong target shape."""


class NonFiniteError(ChainruleError, ValueError):
    """A NaN or infinite value reached an input, a gradient or a loss."""


class HyperparameterError(ChainruleError, ValueError):
    """A constructor argument is out of its allowed range."""


class OrderError(ChainruleError, RuntimeError):
    """A method was called out of order, e.g. ``backward`` before ``forward``."""


class DomainError(ChainruleError, ValueError):
    """A value outside a function's domain, e.g. a negative probability."""
