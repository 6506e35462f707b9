"""The public contract others rely on: names, return value, error type and attributes."""

from __future__ import annotations

import pickle
import subprocess
import sys
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from broken_layers import SignFlippedLinear

from gradcheck import GradcheckError, check_layer, check_loss
from layers import Linear, Sequential, Sigmoid
from layers.errors import HyperparameterError
from losses import MSELoss

X = np.random.default_rng(1).uniform(-2, 2, (3, 4))


def test_returns_none_and_leaves_the_parameters_as_they_were() -> None:
    net = Sequential(Linear(4, 3, rng=0), Sigmoid(), Linear(3, 2, rng=1))
    before = [p.value.copy() for p in net.parameters()]
    check_layer(net, X)  # returns None (mypy knows): quiet when every gradient is right
    for p, v in zip(net.parameters(), before, strict=True):
        assert np.array_equal(p.value, v)


def test_error_is_an_assertion_error_with_the_report_as_its_text() -> None:
    with pytest.raises(AssertionError) as info:
        check_layer(SignFlippedLinear(4, 2, rng=0), X, seed=11)
    err = info.value
    assert isinstance(err, GradcheckError)
    assert str(err) == err.report
    assert (err.layer, err.parameter, err.kind, err.seed) == (
        "Linear(4, 2) (class SignFlippedLinear)",
        "W",
        "wrong gradient",
        11,
    )
    assert err.findings[0].rows and not err.findings[0].rows[0].ok


def test_the_error_survives_pickling_for_a_grader_in_another_process() -> None:
    with pytest.raises(GradcheckError) as info:
        check_layer(SignFlippedLinear(4, 2, rng=0), X)
    again = pickle.loads(pickle.dumps(info.value))
    assert (str(again), again.parameter, again.hint) == (str(info.value), "W", info.value.hint)


def test_float32_layers_get_float32_tolerances() -> None:
    with pytest.raises(GradcheckError) as info:
        check_layer(SignFlippedLinear(4, 2, rng=0, dtype=np.float32), X.astype(np.float32))
    assert "rtol = 0.002, atol = 0.0001 (float32)" in str(info.value)


def test_the_same_seed_gives_the_same_report() -> None:
    reports = []
    for _ in range(2):
        with pytest.raises(GradcheckError) as info:
            check_layer(SignFlippedLinear(4, 2, rng=0), X, seed=5)
        reports.append(str(info.value))
    assert reports[0] == reports[1]


def test_integer_input_and_bad_options() -> None:
    check_layer(Linear(4, 2, rng=0), np.arange(12).reshape(3, 4))
    with pytest.raises(HyperparameterError):
        check_layer(Linear(4, 2, rng=0), X, kinks="maybe")  # type: ignore[call-overload]
    with pytest.raises(HyperparameterError):
        check_loss(MSELoss(), X, X, rtol=-1.0)


def test_importing_gradcheck_does_not_import_hypothesis() -> None:
    code = "import sys, gradcheck; print('hypothesis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_large_linear_is_checked_with_a_bounded_number_of_forward_passes() -> None:
    """Cost model (not a timing): random directions above the size threshold."""
    calls = 0

    class Counting(Linear):
        def forward(self, x: npt.ArrayLike) -> npt.NDArray[Any]:
            nonlocal calls
            calls += 1
            return super().forward(x)

    check_layer(Counting(784, 256, rng=0), np.random.default_rng(0).uniform(0, 1, (4, 784)))
    # x, W, b: ≤ 2·(12 entries + 4 directions) each, plus the contract checks.
    assert calls <= 3 * 2 * (12 + 4) + 20


def test_a_tensor_that_cannot_be_perturbed_is_not_silently_passed() -> None:
    from layers.errors import DomainError
    from losses import Loss

    y0 = np.array([[0.3, -0.2]])

    class OnlyAtY0(Loss):
        """L = ‖y‖², defined (for this test) at y0 alone: every nudge is refused."""

        def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
            y_arr = self._predictions(y)
            if not np.array_equal(y_arr, y0):
                raise DomainError("OnlyAtY0: defined at y0 alone")
            return self._finish(float(np.sum(y_arr**2)), 2 * y_arr)

    with pytest.raises(GradcheckError) as info:
        check_loss(OnlyAtY0(), y0.copy(), np.zeros_like(y0))
    assert info.value.kind == "could not be checked"
