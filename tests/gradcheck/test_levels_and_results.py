"""Hint levels per call and per process, the non-raising form, hints keyed on the mistake."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from broken_layers import (
    AccumulatingLinear,
    HalfMSELoss,
    MeanInsideLinear,
    NoBiasGradLinear,
    SignFlippedLinear,
    StubLinear,
    TransposedInPlaceLinear,
    TransposedLinear,
)

import gradcheck
from gradcheck import (
    CheckResult,
    GradcheckError,
    HintLevel,
    check_layer,
    check_loss,
    hint_level,
    report_text,
    set_hint_level,
)
from layers import Linear
from layers.errors import HyperparameterError
from losses import MSELoss

X = np.random.default_rng(7).uniform(-2, 2, (4, 3))
Y = np.random.default_rng(8).uniform(-2, 2, (4, 5))
T = np.random.default_rng(9).uniform(-2, 2, (4, 5))
ANSWER = "a missing `self.b.grad[...] = G.sum(axis=0)`"
SLIP = "b's gradient is all zeros: backward never writes it"


def failure(call: Any, *args: Any, **kwargs: Any) -> GradcheckError:
    with pytest.raises(GradcheckError) as info:
        call(*args, **kwargs)
    return info.value


def test_each_level_per_call() -> None:
    full = failure(check_layer, NoBiasGradLinear(3, 2, rng=0), X)
    slip = failure(check_layer, NoBiasGradLinear(3, 2, rng=0), X, hints="slip")
    none = failure(check_layer, NoBiasGradLinear(3, 2, rng=0), X, hints="none")
    assert ANSWER in str(full) and full.hint and ANSWER in full.hint
    assert SLIP in str(slip) and ANSWER not in str(slip) and slip.hint == f"{SLIP}"
    assert "Hint:" not in str(none) and none.hint is None
    # what is wrong, where and by how much stay at every level
    for err in (full, slip, none):
        assert (err.parameter, err.kind) == ("b", "wrong gradient")
        assert "Every gradient checked:" in str(err) and "✗" in str(err)
    # never more than the check's level, not even in the texts a grader may pick from
    assert all(ANSWER not in text for text in slip.texts.values())
    assert all("Hint:" not in text for text in none.texts.values())
    assert report_text(none, "full") == report_text(none, "slip") == str(none)
    assert report_text(slip, "hints") == report_text(slip, "slip") == str(slip)
    assert report_text(full, "none") == str(none)


def _every_text(err: GradcheckError) -> str:
    """All the words an error carries, its findings' included (what a grader script may read)."""
    parts = [str(err), *err.texts.values(), str(err.hint)]
    for f in err.findings:
        parts += [f.summary, str(f.hint), str(f.slip), str(f.bare_summary), *f.details]
    return "\n".join(parts)


@pytest.mark.parametrize("level", ["slip", "none"])
def test_no_finding_carries_the_answer_below_full(level: HintLevel) -> None:
    """The findings are public attributes: a grader that shows them must not leak the answer."""
    cases = [
        (NoBiasGradLinear(3, 2, rng=0), ANSWER),
        (MeanInsideLinear(3, 2, rng=0), "Σ_i"),
    ]
    for layer, answer in cases:
        assert answer in _every_text(failure(check_layer, layer, X))
        err = failure(check_layer, layer, X, hints=level)
        assert answer not in _every_text(err)
        result = check_layer(layer, X, hints=level, raise_on_failure=False)
        assert result is not None and not result.ok
        assert all(answer not in str(f.hint) + f.summary for f in result.findings)
        if level == "none":
            assert all(f.hint is None for f in err.findings)


def test_the_process_wide_level_and_the_block() -> None:
    assert gradcheck.get_hint_level() == "full"
    with hint_level("slip"):
        assert ANSWER not in str(failure(check_layer, NoBiasGradLinear(3, 2, rng=0), X))
        # a call's own level wins over the block's
        assert ANSWER in str(failure(check_layer, NoBiasGradLinear(3, 2, rng=0), X, hints="full"))
    assert gradcheck.get_hint_level() == "full"
    set_hint_level("none")
    try:
        assert "Hint:" not in str(failure(check_loss, HalfMSELoss(), Y, T))
    finally:
        set_hint_level("full")
    assert "Hint:" in str(failure(check_loss, HalfMSELoss(), Y, T))


def test_bad_levels_are_refused() -> None:
    with pytest.raises(HyperparameterError, match="hints must be one of"):
        check_layer(Linear(3, 2, rng=0), X, hints="some")  # type: ignore[call-overload]
    with pytest.raises(HyperparameterError, match="set_hint_level"):
        set_hint_level("all")  # type: ignore[arg-type]
    with pytest.raises(HyperparameterError, match="max_entries"):
        check_layer(Linear(3, 2, rng=0), X, max_entries=-1)


def test_the_non_raising_form_carries_what_the_error_carries() -> None:
    passed = check_layer(Linear(3, 2, rng=0), X, raise_on_failure=False)
    assert isinstance(passed, CheckResult) and passed.ok and bool(passed)
    assert (passed.findings, passed.report, passed.error, passed.seed) == ([], "", None, 0)
    assert [r.name for r in passed.results] == ["input", "W", "b"]
    assert all(r.ok for r in passed.results)

    result = check_layer(SignFlippedLinear(3, 2, rng=0), X, seed=3, raise_on_failure=False)
    err = failure(check_layer, SignFlippedLinear(3, 2, rng=0), X, seed=3)
    assert not result.ok and not err.ok
    assert (result.layer, result.parameter, result.kind, result.seed, result.report) == (
        err.layer,
        err.parameter,
        err.kind,
        err.seed,
        err.report,
    )
    assert [f.tensor for f in result.findings] == [f.tensor for f in err.findings]
    assert [r.name for r in result.results] == [r.name for r in err.results]
    assert isinstance(result.error, GradcheckError) and str(result.error) == result.report
    loss = check_loss(MSELoss(), Y, T, raise_on_failure=False)
    assert loss.ok and [r.name for r in loss.results] == ["input"]


def test_kinds_are_typed_and_still_compare_as_text() -> None:
    err = failure(check_layer, SignFlippedLinear(3, 2, rng=0), X)
    assert err.kind is gradcheck.Kind.WRONG_GRADIENT
    assert str(err.findings[0].kind) == "wrong gradient"  # a str, as before
    assert f"{err.kind}" == str(err.kind) == "wrong gradient"
    again = pickle.loads(pickle.dumps(err))
    assert again.kind is gradcheck.Kind.WRONG_GRADIENT and again.findings[0].kind == err.kind


# -- hints keyed on the mistake, not on the syntax -----------------------------------------

TRANSPOSED = "W's gradient looks transposed"
ORDER = "check the order (Gᵀ X, not Xᵀ G)"


@pytest.mark.parametrize(
    "layer",
    [TransposedLinear(3, 2, rng=0), TransposedInPlaceLinear(3, 2, rng=0)],
    ids=["W.grad = X.T @ G", "W.grad[...] = X.T @ G"],
)
def test_a_transposed_weight_gradient_gets_one_hint_however_written(layer: Linear) -> None:
    err = failure(check_layer, layer, X)
    assert (err.parameter, err.kind) == ("W", "raised an exception")
    assert err.hint == (
        f"{TRANSPOSED}: it has shape (3, 2), the transpose of (2, 3), a product in the wrong "
        f"order: {ORDER}"
    )


def test_a_square_transposed_weight_gradient_gets_the_same_words() -> None:
    err = failure(check_layer, TransposedInPlaceLinear(3, 3, rng=0), X)
    assert (err.parameter, err.kind) == ("W", "wrong gradient")
    assert err.hint and err.hint.startswith(TRANSPOSED) and err.hint.endswith(ORDER)


def test_a_crash_while_writing_b_names_b() -> None:
    class WrongBiasShape(Linear):
        def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[Any]:
            grad_x = super().backward(grad_out)
            assert self.b is not None
            self.b.grad[...] = np.ones((5, 5))
            return grad_x

    err = failure(check_layer, WrongBiasShape(3, 2, rng=0), X)
    assert (err.parameter, err.kind) == ("b", "raised an exception")
    assert "self.b.grad[...] = np.ones((5, 5))" in str(err)
    nested = failure(check_layer, gradcheck_sequential(WrongBiasShape(3, 2, rng=0)), X)
    assert nested.parameter == "layers[1].b"


def gradcheck_sequential(inner: Linear) -> Any:
    from layers import Sequential, Tanh

    return Sequential(Tanh(), inner)


def test_a_stub_is_not_written_yet_and_a_loss_is_a_loss() -> None:
    err = failure(check_layer, StubLinear(3, 2, rng=0), X)
    assert err.hint == (
        "`backward` is not written yet: Linear.backward: fill W.grad and b.grad, return ∂L/∂x"
    )

    class Crashing(MSELoss):
        def backward(self) -> npt.NDArray[Any]:
            return np.ones(3) @ np.ones(4)

    err = failure(check_loss, Crashing(), Y, T)
    assert err.hint and err.hint.startswith("the loss must run forward(y, t)")
    assert "layer" not in err.hint


def test_accumulation_is_not_also_called_a_wrong_number() -> None:
    err = failure(check_layer, AccumulatingLinear(3, 2, rng=0), X)
    assert (err.parameter, err.kind) == ("W", "accumulates")
    row = next(line for line in str(err).splitlines() if line.startswith("  W "))
    assert " ok " in row and "WRONG" not in row and "but: accumulates" in row


# -- the traceback pytest shows --------------------------------------------------------------

FAILING_TEST = """
import numpy as np
from gradcheck import check_layer
from layers import Linear


class Flipped(Linear):
    def backward(self, grad_out):
        return -super().backward(grad_out)


def test_flipped():
    check_layer(Flipped(3, 2, rng=0), np.random.default_rng(0).normal(size=(4, 3)))
"""


def test_pytest_shows_the_users_line_and_the_report_only(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(FAILING_TEST)
    root = Path(gradcheck.__file__).parent.parent
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "1 failed" in out
    assert "gradcheck/checks.py" not in out and "def check_layer" not in out
    assert ">       check_layer(Flipped(3, 2, rng=0)" in out
    report = str(failure(check_layer, SignFlippedLinear(3, 2, rng=0), X))
    # the report's own lines, the test's few lines and pytest's frame: nothing of ours
    assert len(out.splitlines()) <= len(report.splitlines()) + 20, out
