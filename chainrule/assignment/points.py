"""``@points``: how many points a test is worth, and whether students see it.

Used in an assignment's test files::

    from chainrule.assignment import points

    @points(3)
    def test_linear_backward(): ...

    @points(2, hidden=True, timeout=20)
    def test_linear_many_shapes(): ...

    @points(3, partial=True)  # W wrong, b and the input right: 2 of 3 points
    def test_linear_backward_partial(): ...

The grader reads these arguments from the file's source (they must be plain
literals), without importing the test file, so it can list every test and its
points even when a student's code cannot be imported. At run time the
decorator only checks its arguments and returns the test unchanged: pytest
runs it as usual, on an instructor's or a student's machine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.partial import PARTIAL_WITH_GIVEN
from chainrule.assignment.settings import FEEDBACK_LEVELS

F = TypeVar("F", bound=Callable[..., object])


def points(
    value: float,
    *,
    hidden: bool = False,
    timeout: float | None = None,
    feedback: str | None = None,
    partial: bool = False,
) -> Callable[[F], F]:
    """Mark a test as worth ``value`` points.

    Parameters
    ----------
    value : float
        Points for passing; ``0`` makes an ungraded check.
    hidden : bool, default False
        Remove the test from the student's copy; its result shows on
        Gradescope only after the grades are published.
    timeout : float, optional
        Seconds this test may run (default: the grader's ``--timeout``).
    feedback : {"hints", "full", "minimal"}, optional
        How much a failed gradient check tells the student (default: the
        assignment's ``grading.json``, else ``"hints"``; see
        :mod:`chainrule.assignment.settings`).
    partial : bool, default False
        When the test fails on a gradient check, give the share of that
        check's tensors (the input, ``W``, ``b``...) whose gradients are
        right: ``value × right / checked``. Any other failure earns 0. Not
        allowed on a hypothesis test (``@given``): the reported failure is the
        shrunk example, where wrong code is often nearly right. See
        :mod:`chainrule.assignment.partial`.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise AssignmentError(f"points: value must be a number ≥ 0, got {value!r}")
    if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
        raise AssignmentError(f"points: timeout must be a positive number, got {timeout!r}")
    if not isinstance(partial, bool):
        raise AssignmentError(f"points: partial must be True or False, got {partial!r}")
    if feedback is not None and feedback not in FEEDBACK_LEVELS:
        raise AssignmentError(
            f"points: feedback must be one of {FEEDBACK_LEVELS}, got {feedback!r}"
        )

    def mark(test: F) -> F:
        # @points above @given: the test is hypothesis's wrapper, which says so.
        if partial and getattr(test, "is_hypothesis_test", False):
            raise AssignmentError(f"points: {PARTIAL_WITH_GIVEN}")
        return test

    return mark
