"""Feedback levels: a student learns which gradient is wrong and the kind of slip, not the answer.

``report_text(err, "hints")`` is the full report with each hint cut to its
slip; ``"minimal"`` names the wrong tensors and the kinds of finding only.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable

import numpy as np
import pytest
from broken_layers import (
    AccumulatingLinear,
    BuggyScale,
    DiagonalSoftmax,
    ElementMeanMSELoss,
    HalfMSELoss,
    IgnoresGradOutSigmoid,
    InPlaceReLU,
    MeanInsideLinear,
    NoBiasGradLinear,
    NoneReturningSigmoid,
    SignFlippedLinear,
    StubLinear,
    SumBackwardMSELoss,
    TransposedInPlaceLinear,
    TransposedLinear,
)

from gradcheck import GradcheckError, check_layer, check_loss, report_text
from layers.errors import HyperparameterError

rng = np.random.default_rng(7)
X = rng.uniform(-2, 2, (4, 3))
Y = rng.uniform(-2, 2, (4, 5))
T = rng.uniform(-2, 2, (4, 5))

# What would hand the student the answer: code, and the equations of the gradients.
ANSWERS = (
    *("G.sum", "Gᵀ X", "Σ_k", "Σ_i", "p ∘", "σ(1 − σ)", "∇‖y − t‖²", "(y − t)"),
    *("∘ h'(z)", "∇_h L ∘", "+=", ".astype", "x.copy()"),
)


def failure(call: Callable[[], None]) -> GradcheckError:
    with pytest.raises(GradcheckError) as info:
        call()
    return info.value


# name → (the check, the tensor the hints must name, words of the slip)
CASES: dict[str, tuple[Callable[[], None], str, str]] = {
    "missing bias gradient": (
        lambda: check_layer(NoBiasGradLinear(3, 2, rng=0), X),
        "b's gradient",
        "all zeros",
    ),
    "W.grad = Xᵀ G, square": (
        lambda: check_layer(TransposedLinear(3, 3, rng=0), X),
        "W's gradient",
        "the transpose of the true one",
    ),
    "W.grad = Xᵀ G, refused by the Parameter": (
        lambda: check_layer(TransposedLinear(3, 2, rng=0), X),
        "W.grad",
        "the transpose of (2, 3)",
    ),
    "W.grad[...] = Xᵀ G, square": (
        lambda: check_layer(TransposedInPlaceLinear(3, 3, rng=0), X),
        "W's gradient",
        "the transpose of the true one",
    ),
    "W.grad[...] = Xᵀ G, refused by NumPy": (
        lambda: check_layer(TransposedInPlaceLinear(3, 2, rng=0), X),
        "W.grad",
        "the transpose of (2, 3)",
    ),
    "diagonal-only softmax": (
        lambda: check_layer(DiagonalSoftmax(), Y),
        "the input gradient",
        "only the diagonal of the Jacobian",
    ),
    "sign flip": (
        lambda: check_layer(SignFlippedLinear(3, 2, rng=0), X),
        "W's gradient",
        "negated",
    ),
    "mean inside a layer": (
        lambda: check_layer(MeanInsideLinear(3, 2, rng=0), X),
        "W's gradient",
        "mean/sum mix-up",
    ),
    "accumulation": (lambda: check_layer(AccumulatingLinear(3, 2, rng=0), X), "W.grad", "adds to"),
    "ignores grad_out": (
        lambda: check_layer(IgnoresGradOutSigmoid(), Y),
        "the input gradient",
        "ignores grad_out",
    ),
    "missing factor 2": (lambda: check_loss(HalfMSELoss(), Y, T), "∂L/∂y is half", "half"),
    "sum for mean": (lambda: check_loss(SumBackwardMSELoss(), Y, T), "input", "mean/sum"),
    "mean over outputs": (lambda: check_loss(ElementMeanMSELoss(), Y, T), "input", "outputs"),
    "returns None": (lambda: check_layer(NoneReturningSigmoid(), Y), "input", "returns None"),
    "mutates x": (lambda: check_layer(InPlaceReLU(), Y), "input", "changed in place"),
    "custom layer": (lambda: check_layer(BuggyScale(3), X), "a", "no simple slip"),
    "stub": (lambda: check_layer(StubLinear(3, 2, rng=0), X), "backward", "not written yet"),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hints_name_the_tensor_and_the_slip_but_not_the_answer(case: str) -> None:
    check, tensor, slip = CASES[case]
    err = failure(check)
    hints = report_text(err, "hints")
    assert tensor in hints and slip in hints
    assert [a for a in ANSWERS if a in hints] == []
    assert all(f.slip for f in err.findings if f.hint)  # every hint has its slip
    for line in report_text(err, "minimal").splitlines()[1:]:
        assert line.startswith("  ") and ": " in line


def test_the_full_report_is_str_of_the_error_and_keeps_the_advice() -> None:
    err = failure(CASES["missing bias gradient"][0])
    assert report_text(err) == report_text(err, "full") == str(err) == err.report
    assert "a missing `self.b.grad[...] = G.sum(axis=0)`" in str(err)
    err = failure(CASES["W.grad = Xᵀ G, square"][0])
    assert "check the order (Gᵀ X, not Xᵀ G)" in str(err)
    err = failure(CASES["diagonal-only softmax"][0])
    assert "∇_z L = p ∘ (g − Σ_k g_k p_k)" in str(err)


def test_hints_keep_what_was_compared_and_the_worst_entries() -> None:
    err = failure(CASES["missing bias gradient"][0])
    full, hints = str(err), report_text(err, "hints")
    assert hints.splitlines()[0] == full.splitlines()[0]
    assert "Hint: b's gradient is all zeros: backward never writes it." in hints
    for kept in ("What was checked:", "numeric", "analytic", "✗", "Every gradient checked:"):
        assert kept in hints
    assert [line for line in hints.splitlines() if "Hint" not in line] == [
        line for line in full.splitlines() if "Hint" not in line
    ]


def test_minimal_is_one_line_per_problem() -> None:
    err = failure(CASES["mean inside a layer"][0])
    assert report_text(err, "minimal") == (
        "Gradient check failed for Linear(3, 2) (class MeanInsideLinear):\n"
        "  W: wrong gradient\n"
        "  b: wrong gradient\n"
        "  W: batch is not the sum of its samples\n"
        "  b: batch is not the sum of its samples"
    )
    err = failure(CASES["stub"][0])
    assert report_text(err, "minimal").splitlines()[1] == "  the checked code: raised an exception"


def test_a_stub_is_said_to_be_unwritten() -> None:
    err = failure(CASES["stub"][0])
    assert err.hint == (
        "`backward` is not written yet: Linear.backward: fill W.grad and b.grad, return ∂L/∂x"
    )
    assert "must run forward(x)" not in str(err)


def test_the_transposed_shape_error_loses_its_advice_in_the_hints() -> None:
    err = failure(CASES["W.grad = Xᵀ G, refused by the Parameter"][0])
    assert "(Gᵀ X, not Xᵀ G)" in str(err)  # the Parameter's own message says it
    hints = report_text(err, "hints")
    assert "got (3, 2); it looks transposed" in hints
    assert "self.W.grad = X.T @ G" in hints  # the student's own line, quoted


def test_the_levels_cross_a_process_boundary() -> None:
    err = failure(CASES["sign flip"][0])
    again = pickle.loads(pickle.dumps(err))
    for detail in ("full", "hints", "minimal"):
        assert report_text(again, detail) == report_text(err, detail)


def test_an_error_without_levels_never_shows_more_than_the_minimal() -> None:
    err = GradcheckError("the full report, with `the answer`", layer="Linear(3, 2)")
    assert report_text(err, "hints") == "Gradient check failed for Linear(3, 2):"
    with pytest.raises(HyperparameterError):
        report_text(err, "everything")
