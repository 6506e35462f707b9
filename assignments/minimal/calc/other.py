"""A module the tests of test_two.py use, and nothing else."""


def triple(x: float) -> float:
    """Return three times ``x``."""
    return 3 * x  # SOLUTION
