"""Marked solutions for the grader's tests."""


def double(x: float) -> float:
    """Return twice ``x``."""
    return 2 * x  # SOLUTION


def square(x: float) -> float:
    """Return ``x`` squared."""
    # BEGIN SOLUTION multiply x by itself
    y = x * x
    return y
    # END SOLUTION
