"""The application's own errors, extending the core's in ``layers.errors``.

Both are ``ValueError`` subclasses (a bad file is a bad value) and
``ChainruleError`` subclasses, so ``except ChainruleError`` catches everything
chainrule raises.
"""

from __future__ import annotations

from layers.errors import ChainruleError, NonFiniteError


class DataError(ChainruleError, ValueError):
    """A data set cannot be loaded: unknown name, malformed file, missing column."""


class CheckpointError(ChainruleError, ValueError):
    """A checkpoint file is refused: not ours, truncated, tampered or of an unknown layer."""


class DivergenceError(NonFiniteError):
    """Training produced a NaN or infinite loss; the message names the epoch."""


__all__ = ["CheckpointError", "DataError", "DivergenceError"]
