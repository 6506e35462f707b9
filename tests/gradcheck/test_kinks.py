"""Non-differentiable points: ReLU at exactly 0 is a kink, not a wrong gradient."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from gradcheck import GradcheckError, NondifferentiableError, check_layer
from layers import ReLU

Z = np.array([[-1.5, 0.0, 2.0], [0.0, 0.7, -0.3]])  # two entries exactly at the kink


def test_relu_at_zero_is_accepted_as_a_subgradient() -> None:
    check_layer(ReLU(), Z)  # backward gives 0 at 0: between the one-sided slopes 0 and 1


def test_relu_at_zero_can_be_refused() -> None:
    with pytest.raises(NondifferentiableError) as info:
        check_layer(ReLU(), Z, kinks="raise")
    assert info.value.kind == "non-differentiable point"
    assert "(0, 1)" in str(info.value) and "(1, 0)" in str(info.value)


def test_without_kink_detection_the_central_difference_disagrees() -> None:
    with pytest.raises(GradcheckError) as info:
        check_layer(ReLU(), Z, kinks="off")
    assert info.value.kind == "wrong gradient"


def test_a_value_outside_the_one_sided_slopes_is_still_wrong() -> None:
    class BadAtZero(ReLU):
        """Slope 3 at z = 0: outside [0, 1], so no subgradient."""

        def forward(self, x: npt.ArrayLike) -> npt.NDArray[Any]:
            self._z = np.asarray(x, dtype=np.float64)
            return super().forward(x)

        def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[Any]:
            slope = np.where(self._z > 0, 1.0, np.where(self._z == 0, 3.0, 0.0))
            return np.asarray(grad_out) * slope

    with pytest.raises(GradcheckError) as info:
        check_layer(BadAtZero(), Z)
    assert "kink" in str(info.value)


def test_relu_just_beside_the_kink_is_fine() -> None:
    """Within one step h of the kink the central difference straddles it; still accepted."""
    check_layer(ReLU(), np.array([[1e-7, -1e-7, 3e-6], [-2e-6, 1.0, -1.0]]))
