"""Partial credit: the share of a failed gradient check's tensors that are right.

A test marked ``@points(3, partial=True)`` that fails on a gradient check
earns ``points × right / checked``, where the checked tensors are those the
check compared numerically (``GradcheckError.results``: the input's gradient,
``W``, ``b``...) and a tensor is right when its comparison passed *and* no
finding of the check names it (a gradient that is right once but accumulates
across calls is not right). So ``W`` wrong, ``b`` and the input right gives
2 of 3 points.

Rules, chosen so that partial credit is never given for what was not shown:

- Only the check that failed the test counts. A test stops at its first
  failing check, so checks after it never ran. (Write one check per partial
  test when every check should count on its own.)
- Never on a hypothesis test (``@given``): reading the tests refuses
  ``partial=True`` there. Hypothesis reports the *shrunk* failing example,
  the simplest it found (``N=1``, zeros), where wrong code is often nearly
  right: code right only at ``N=1`` would earn most of the points. Partial
  credit goes on a fixed-input test beside the all-or-nothing ``@given`` one.
- A finding that names none of the checked tensors (the forward pass differs
  from the reference, ``parameters()`` lists other tensors) or a crash of the
  student's code voids the whole check: the gradients of a different function,
  or of code that did not run, earn nothing.
- A test that fails in any other way (an ``assert``, an import error, a
  time-out) earns 0.

The marks are computed in the trusted process, from gradcheck's own result
objects, never from anything the student's code returned as a verdict.
"""

from __future__ import annotations

from typing import Any

# Why reading the tests refuses partial=True on a @given test (see the rules above).
PARTIAL_WITH_GIVEN = (
    "partial=True cannot be used on a hypothesis test (@given): hypothesis shrinks a failure "
    "to its simplest example (N=1, zeros, ones), where wrong code is often nearly right, so "
    "the credit would be for the shrunk example, not for the code. Give partial credit on a "
    "fixed-input test instead (one check_layer call on fixed arrays, e.g. from "
    "np.random.default_rng(0)), and keep the @given test all-or-nothing beside it"
)

Marks = list[tuple[str, bool]]  # (tensor name, right?) in gradcheck's order


def tensor_marks(error: BaseException) -> Marks | None:
    """Which tensors of the failed check ``error`` are right; None when none can be credited."""
    from gradcheck import GradcheckError, Kind

    if not isinstance(error, GradcheckError):
        return None
    names = [str(r.name) for r in error.results]
    if not names or len(set(names)) != len(names):
        return None
    named = {str(f.tensor) for f in error.findings}
    # A crash, or a finding about no compared tensor, voids the whole check.
    if any(f.kind == Kind.RAISED for f in error.findings) or not named <= set(names):
        return [(name, False) for name in names]
    return [(str(r.name), bool(r.ok) and str(r.name) not in named) for r in error.results]


def finding_kinds(error: BaseException) -> list[list[str]]:
    """``[tensor, kind, slip]`` of each finding of a failed check (for the class report).

    The slip names the kind of mistake without the answer (see
    :class:`gradcheck.Finding`), so the instructor's summary can count
    "a flipped sign" across the class.
    """
    from gradcheck import GradcheckError

    if not isinstance(error, GradcheckError):
        return []
    return [[str(f.tensor)[:100], str(f.kind)[:100], str(f.slip or "")[:200]]
            for f in error.findings[:10]]  # fmt: skip


def read_findings(data: Any) -> list[list[str]]:
    """Findings as they come back from the trusted process, checked (malformed: none)."""
    if not isinstance(data, list) or len(data) > 10:
        return []
    ok = all(isinstance(f, list) and len(f) == 3 and all(isinstance(s, str) for s in f)
             for f in data)  # fmt: skip
    return [[s[:200] for s in f] for f in data] if ok else []


def read_marks(data: Any) -> Marks | None:
    """Marks as they come back from the trusted process (JSON), checked; None if malformed."""
    if not isinstance(data, list) or not data or len(data) > 1000:
        return None
    marks = []
    for item in data:
        if not (isinstance(item, list) and len(item) == 2):
            return None
        name, right = item
        if not isinstance(name, str) or not isinstance(right, bool):
            return None
        marks.append((name[:200], right))
    return marks


def partial_score(points: float, marks: Marks) -> float:
    """``points × right / checked``, rounded to a thousandth of a point."""
    right = sum(ok for _, ok in marks)
    return round(points * right / len(marks), 3)


def describe(points: float, marks: Marks) -> str:
    """What the student reads: which tensor earned what."""
    share = points / len(marks)
    parts = [
        f"{name} {'right' if ok else 'wrong'} ({share if ok else 0:.3g})" for name, ok in marks
    ]
    right = sum(ok for _, ok in marks)
    return (
        f"Partial credit: {right} of {len(marks)} checked gradients right, "
        f"{partial_score(points, marks):g} of {points:g} points: {'; '.join(parts)}."
    )
