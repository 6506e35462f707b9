"""Partial credit: ``@points(3, partial=True)`` gives the share of a failed check's
tensors that are right, computed in the trusted process from gradcheck's own results."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.grade import NO_PARTIAL_CREDIT, grade
from chainrule.assignment.partial import describe, partial_score, read_marks, tensor_marks
from chainrule.assignment.points import points
from chainrule.assignment.results import validate
from chainrule.assignment.testfiles import discover, read_test_file
from gradcheck import EntryRow, Finding, GradcheckError, Kind, TensorResult, check_layer

SRC = Path(__file__).resolve().parents[2] / "assignments" / "backprop_by_hand"

PARTIAL_TESTS = """
import numpy as np
from backprop.linear import Linear

from chainrule.assignment import points
from gradcheck import check_layer

X = np.random.default_rng(1).standard_normal((4, 5))


@points(3, partial=True)
def test_partial():
    check_layer(Linear(5, 3, rng=0), X)


@points(3)
def test_all_or_nothing():
    check_layer(Linear(5, 3, rng=0), X)


@points(3, partial=True)
def test_partial_assert():
    layer = Linear(5, 3, rng=0)
    layer.forward(X)
    assert np.allclose(layer.backward(np.ones((4, 3))), np.ones((4, 3)) @ layer.W.value)
    check_layer(layer, X)
"""


def _result(name: str, ok: bool) -> TensorResult:
    return TensorResult(
        name, (2,), "all 2 entries", rows=[EntryRow("[0]", 1.0, 1.0 if ok else -1.0, ok=ok)]
    )


def test_marks_come_from_the_results_and_the_findings() -> None:
    results = [_result("input", True), _result("W", False), _result("b", True)]
    wrong_w = GradcheckError(
        "r", results=results, findings=[Finding("W", Kind.WRONG_GRADIENT, "s")]
    )
    assert tensor_marks(wrong_w) == [("input", True), ("W", False), ("b", True)]
    assert partial_score(3, tensor_marks(wrong_w) or []) == 2.0
    assert describe(3, [("input", True), ("W", False), ("b", True)]) == (
        "Partial credit: 2 of 3 checked gradients right, 2 of 3 points: "
        "input right (1); W wrong (0); b right (1)."
    )
    # Numerically right once, but it accumulates: a finding names b, so b is not right.
    accumulates = GradcheckError(
        "r", results=[_result("input", True), _result("W", True), _result("b", True)],
        findings=[Finding("b", Kind.ACCUMULATES, "s")],
    )  # fmt: skip
    assert tensor_marks(accumulates) == [("input", True), ("W", True), ("b", False)]
    # A forward that differs from the reference, or a crash, voids the whole check.
    forward = GradcheckError(
        "r", results=results, findings=[Finding("output", Kind.FORWARD_CHANGED, "s")]
    )
    assert not any(ok for _, ok in tensor_marks(forward) or [("x", True)])
    crash = GradcheckError("r", results=results, findings=[Finding("input", Kind.RAISED,
                           "s")])  # fmt: skip
    assert not any(ok for _, ok in tensor_marks(crash) or [("x", True)])
    # Nothing compared, or not a gradient check: no partial credit at all.
    assert tensor_marks(GradcheckError("r")) is None
    assert tensor_marks(AssertionError("x")) is None


def test_marks_read_back_from_the_wire_are_checked() -> None:
    assert read_marks([["W", False], ["b", True]]) == [("W", False), ("b", True)]
    for bad in (None, [], [["W", 1]], [["W"]], [[3, True]], "W", [["W", True]] * 1001):
        assert read_marks(bad) is None


def test_a_real_failed_check_gives_its_marks() -> None:
    from layers import Linear

    class WrongW(Linear):
        def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[np.floating[Any]]:
            grad_x = super().backward(grad_out)
            self.W.grad[...] *= -1.0
            return grad_x

    with pytest.raises(GradcheckError) as err:
        check_layer(WrongW(5, 3, rng=0), np.random.default_rng(1).standard_normal((4, 5)))
    assert sorted(tensor_marks(err.value) or []) == [("W", False), ("b", True), ("input", True)]


def test_points_partial_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "test_x.py"
    path.write_text(
        "@points(3, partial=True)\ndef test_a(): ...\n\n@points(1)\ndef test_b(): ...\n"
    )
    assert [t.partial for t in read_test_file(path, "test_x.py")] == [True, False]
    path.write_text("@points(3, partial=1)\ndef test_a(): ...\n")
    with pytest.raises(AssignmentError, match="partial must be True or False"):
        read_test_file(path, "test_x.py")
    with pytest.raises(AssignmentError, match="partial must be True or False"):
        points(3, partial="yes")  # type: ignore[arg-type]


def test_partial_credit_on_a_hypothesis_test_is_refused(tmp_path: Path) -> None:
    """Hypothesis reports the shrunk example (N=1), where wrong code is often nearly right:
    partial credit there would pay for the shrinking, so reading the tests refuses it, for
    make and grade alike, saying what to write instead."""
    tests = tmp_path / "tests"
    tests.mkdir()
    path = tests / "test_x.py"
    for decorator in ("@given(st.integers())", "@hypothesis.given(n=st.integers())"):
        path.write_text(
            "import hypothesis\nfrom hypothesis import given, strategies as st\n\n"
            f"@points(2, partial=True)\n{decorator}\ndef test_a(n): ...\n"
        )
        refused = r"test_x.py:6: test_a: partial=True cannot be used on a hypothesis test \(@given"
        with pytest.raises(AssignmentError, match=refused + r"\).*fixed-input test"):
            discover(tests)
    # All-or-nothing @given tests, and partial credit on a fixed-input test, stay allowed.
    path.write_text(
        "from hypothesis import given, strategies as st\n\n@points(2)\n@given(st.integers())"
        "\ndef test_a(n): ...\n\n@points(2, partial=True)\ndef test_b(): ...\n"
    )
    assert [(t.function, t.partial) for t in discover(tests)] == [
        ("test_a", False), ("test_b", True)
    ]  # fmt: skip
    # At run time too, with @points above @given.
    from hypothesis import given, strategies

    with pytest.raises(AssignmentError, match="cannot be used on a hypothesis test"):
        points(2, partial=True)(given(strategies.integers())(lambda n: None))


@pytest.mark.parametrize(
    ("right", "wrong", "scores", "names"),
    [
        # W negated: b and the input right, 2 of 3 points; all-or-nothing gives 0.
        ("self.W.grad[...] = G.T @ X", "self.W.grad[...] = -(G.T @ X)", (2.0, 0.0, 2.0),
         "input right (1); W wrong (0); b right (1)"),
        # b's gradient never written (all zeros).
        ("self.b.grad[...] = G.sum(axis=0)", "pass", (2.0, 0.0, 2.0), "b wrong (0)"),
        # The input's gradient wrong: the plain assert fails first, so no partial credit there.
        ("grad_X: Array = G @ self.W.value", "grad_X: Array = 2 * G @ self.W.value",
         (2.0, 0.0, 0.0), "input wrong (0); W right (1)"),
        # A backward that raises earns nothing, even where the check compared numbers.
        ("self.W.grad[...] = G.T @ X", "self.W.grad = X.T @ G", (0.0, 0.0, 0.0), "W wrong (0)"),
        # A forged GradcheckError from the student's code reaches the trusted process as a
        # plain remote error, with no results to credit.
        ("self.W.grad[...] = G.T @ X",
         "raise type('GradcheckError', (AssertionError,), {'results': ['W']})('forged')",
         (0.0, 0.0, 0.0), ""),
    ],
)  # fmt: skip
def test_partial_credit_in_the_grader(
    right: str, wrong: str, scores: tuple[float, float, float], names: str, tmp_path: Path
) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_partial.py").write_text(PARTIAL_TESTS)
    shutil.copyfile(SRC / "tests" / "grading.json", tests / "grading.json")
    sub = tmp_path / "submission"
    shutil.copytree(SRC / "backprop", sub / "backprop")
    linear = sub / "backprop" / "linear.py"
    assert linear.read_text().count(right) == 1
    linear.write_text(linear.read_text().replace(right, wrong))
    results = grade(sub, tests, reference=SRC, timeout=60)
    assert validate(results) == []
    by_name = {t["name"]: t for t in results["tests"]}
    got = tuple(by_name[n]["score"] for n in ("test_partial", "test_all_or_nothing",
                                              "test_partial_assert"))  # fmt: skip
    assert got == scores
    assert results["score"] == sum(scores)
    partial = by_name["test_partial"]
    assert partial["status"] == "failed"
    if scores[0]:
        assert partial["output"].startswith("Partial credit: 2 of 3 checked gradients right")
        assert names in partial["output"].partition("\n")[0]
        assert "GradcheckError" in partial["output"]  # the usual report follows
    else:
        assert partial["output"].startswith(NO_PARTIAL_CREDIT)
    assert "Partial credit" not in by_name["test_all_or_nothing"]["output"]
    if not scores[2]:
        assert by_name["test_partial_assert"]["output"].startswith(NO_PARTIAL_CREDIT)
    kinds = {f["kind"] for f in by_name["test_all_or_nothing"]["extra_data"]["gradcheck"]}
    assert kinds  # the failed check's finding kinds, for the class report
