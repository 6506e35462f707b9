"""Errors of the assignment tools (``make`` and ``grade``).

They derive from the framework's :class:`layers.errors.ChainruleError`, so a
caller can catch every chainrule error at once, and from ``ValueError``: a bad
marker or a bad test file is a bad value handed to us by the instructor.
"""

from __future__ import annotations

from layers.errors import ChainruleError


class AssignmentError(ChainruleError, ValueError):
    """An assignment's sources or tests are malformed, or its solution fails."""


class MarkerError(AssignmentError):
    """A solution marker is nested, unclosed, stray or on a line it cannot replace.

    The message starts with ``path:line:`` so editors can jump to it.
    """
