"""The one-call way for a user's suite to check a custom layer over drawn shapes (see the docs)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from gradcheck import GradcheckError, check_layer
from gradcheck.strategies import layer_cases, layer_test
from layers import Layer, Parameter

Array = npt.NDArray[Any]
DOCS = Path(__file__).parents[2] / "docs" / "gradcheck.md"


class Scale(Layer):
    """y = a ∘ x, one scale per feature: ∇_a L = Σ_i g_i ∘ x_i, ∇_x L = g ∘ a."""

    def __init__(self, d: int, *, flip: bool = False) -> None:
        super().__init__()
        self.a = Parameter(np.linspace(0.5, 1.5, d), name="a")
        self.flip = flip
        self._x: Array | None = None

    def forward(self, x: npt.ArrayLike) -> Array:
        self._x = np.asarray(x, dtype=np.float64)
        y: Array = self._x * self.a.value
        return y

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        assert self._x is not None
        g = np.asarray(grad_out, dtype=np.float64)
        sign = -1.0 if self.flip else 1.0
        self.a.grad = sign * (g * self._x).sum(axis=0)
        grad_x: Array = g * self.a.value
        return grad_x

    def parameters(self) -> list[Parameter]:
        return [self.a]


test_a_right_custom_layer_passes_over_drawn_shapes = layer_test(Scale)


def test_a_wrong_custom_layer_fails_on_the_first_drawn_example() -> None:
    wrong = settings(max_examples=3, phases=[Phase.generate])(
        layer_test(lambda d: Scale(d, flip=True), hints="slip")
    )
    with pytest.raises(GradcheckError, match="negated"):
        wrong()


@given(layer_cases(Scale, widths=st.integers(2, 6), rows=st.integers(3, 3), margin=0.5))
def test_layer_cases_draws_what_it_is_told(case: tuple[Scale, Array]) -> None:
    layer, x = case
    assert x.shape[0] == 3 and 2 <= x.shape[1] <= 6 and layer.a.shape == (x.shape[1],)
    assert np.all(np.abs(x) >= 0.5) and len(np.unique(x)) == x.size
    assert check_layer(layer, x, raise_on_failure=False).ok


def test_the_docs_function_examples_run() -> None:
    """The check_function blocks of docs/gradcheck.md, as a reader would paste them."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.S)
    namespace: dict[str, Any] = {}  # one reader's session: later blocks use earlier imports
    ran = [b for b in blocks if "check_function(" in b and "result" not in b]
    for block in ran:
        exec(compile(block, str(DOCS), "exec"), namespace)
    assert len(ran) >= 2


def test_a_misspelt_check_keyword_is_named_when_the_test_is_made() -> None:
    with pytest.raises(TypeError, match=r"layer_test: 'rtoll' is not a keyword of check_layer"):
        layer_test(Scale, rtoll=1e-3)
