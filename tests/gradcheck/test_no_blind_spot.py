"""A forward pass that fails next to the checked point never earns a pass.

An entry whose perturbed forward gives NaN/inf or raises is judged from the
side that can be evaluated, or fails; it is not skipped. The attacks below
passed when such entries were skipped (a tensor failed only if all were).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from broken_layers import NaNAboveLinear, NaNOffPointLinear, NaNOffPointSoftmaxCE
from hypothesis import given
from hypothesis import strategies as st

from gradcheck import GradcheckError, Kind, check_layer, check_loss
from gradcheck.strategies import arrays, sizes
from layers import Linear, ReLU
from losses import CrossEntropyLoss

X = np.random.default_rng(0).normal(size=(4, 3))


def failure(call: object, *args: object, **kwargs: object) -> GradcheckError:
    with pytest.raises(GradcheckError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value


def test_a_layer_that_is_nan_next_to_the_point_fails() -> None:
    err = failure(check_layer, NaNOffPointLinear(3, 2, rng=0), X)
    assert (err.parameter, err.kind) == ("input", "could not be checked")
    assert {f.tensor for f in err.findings} == {"input", "W", "b"}
    text = str(err)
    assert "the forward pass gives NaN/inf or raises at θ ± h for" in text
    assert "the gradient there cannot be checked" in text
    assert "(0, 1)" in text  # names the entries


def test_one_unevaluable_entry_is_named() -> None:
    err = failure(check_layer, NaNOffPointLinear(3, 2, rng=0), X)
    b = next(f for f in err.findings if f.tensor == "b")
    assert b.summary == (
        "the forward pass gives NaN/inf or raises at θ ± h for entry (1,): "
        "the gradient there cannot be checked"
    )


def test_a_loss_that_is_nan_next_to_the_point_fails() -> None:
    y = np.random.default_rng(1).normal(size=(4, 5))
    err = failure(check_loss, NaNOffPointSoftmaxCE(), y, np.array([0, 4, 2, 1]))
    assert (err.parameter, err.kind) == ("input", "could not be checked")


def test_a_forward_refused_on_one_side_is_judged_by_the_other() -> None:
    err = failure(check_layer, NaNAboveLinear(3, 2, rng=0), X)
    assert (err.parameter, err.kind) == ("input", "wrong gradient")
    assert all(r.note.startswith("left side only") for r in err.findings[0].rows)


def test_a_correct_relu_at_its_kink_still_passes() -> None:
    check_layer(ReLU(), np.array([[-1.5, 0.0, 2.0], [0.0, 0.7, -0.3]]))


@pytest.mark.parametrize("near_one", [1 - 1e-7, 1 - 1e-12, 1.0])
def test_cross_entropy_with_a_probability_near_one_passes(near_one: float) -> None:
    """p + h > 1 is refused, so the true class's ∂L/∂p can only be probed from the left."""
    p = np.array([[near_one, 1 - near_one, 0.0], [0.2, 0.3, 0.5]])
    check_loss(CrossEntropyLoss(), p, np.array([0, 2]))
    check_loss(CrossEntropyLoss(reduction="sum"), p, np.array([[1.0, 0, 0], [0, 1, 0]]))


def test_cross_entropy_with_a_tiny_true_probability_passes() -> None:
    """p = 1e-7 < h: −log p is steep there, so the one-sided step must shrink a lot."""
    check_loss(CrossEntropyLoss(), np.array([[1e-7, 1 - 1e-7], [0.5, 0.5]]), np.array([0, 1]))


def test_a_wrong_gradient_at_the_edge_of_the_domain_is_still_caught() -> None:
    class Flipped(CrossEntropyLoss):
        def backward(self) -> npt.NDArray[Any]:
            return -super().backward()

    p = np.array([[1.0, 0.0], [0.4, 0.6]])
    err = failure(check_loss, Flipped(), p, np.array([0, 1]))
    assert (err.kind, err.parameter) == ("wrong gradient", "input")
    assert "negated" in (err.hint or "")
    assert any("side only" in r.note for r in err.findings[0].rows)


# -- drawn doctored forwards: every one is caught ------------------------------------------

REFUSALS = ("nan", "inf", "ValueError", "ArithmeticError")


class DoctoredLinear(Linear):
    """A Linear whose forward refuses (NaN, inf or an exception) when a doctored tensor moves.

    Moving a *free* entry of a doctored tensor changes nothing (its numeric
    derivative is 0), moving any other entry is refused (``side="both"``) or
    refused only upwards (``"above"``). Its backward writes zeros (or the true
    gradient times ``scale``) for the doctored tensors: right at the free
    entries, wrong everywhere else, hidden unless refused entries count.
    """

    def __init__(
        self,
        d: int,
        m: int,
        *,
        seed: int,
        doctored: dict[str, set[int]],
        refusal: str,
        side: str,
        scale: float,
    ) -> None:
        super().__init__(d, m, rng=seed)
        self.doctored, self.refusal, self.side, self.scale = doctored, refusal, side, scale
        self._seen: dict[str, npt.NDArray[Any]] | None = None

    def _refuse(self, shape: tuple[int, ...]) -> npt.NDArray[Any]:
        if self.refusal == "ValueError":
            raise ValueError("doctored: refused")
        if self.refusal == "ArithmeticError":
            raise ArithmeticError("doctored: refused")
        return np.full(shape, np.nan if self.refusal == "nan" else np.inf)

    def forward(self, x: npt.ArrayLike) -> npt.NDArray[Any]:
        x_arr = np.asarray(x, dtype=np.float64)
        assert self.b is not None
        now = {"input": x_arr, "W": self.W.value, "b": self.b.value}
        if self._seen is None:
            self._seen = {name: value.copy() for name, value in now.items()}
        if x_arr.shape != self._seen["input"].shape:  # single rows, for the contract checks
            return super().forward(x_arr)
        used = {}
        for name, value in now.items():
            seen = self._seen[name]
            if name not in self.doctored:
                used[name] = value
                continue
            moved = np.flatnonzero(value.reshape(-1) != seen.reshape(-1))
            refused = [i for i in moved if i not in self.doctored[name]]
            if self.side == "above":
                refused = [i for i in refused if value.flat[i] > seen.flat[i]]
            if refused:
                return self._refuse((x_arr.shape[0], self.out_features))
            kept = value.copy()
            free = list(self.doctored[name])
            kept.flat[free] = seen.flat[free]  # a free entry's move changes nothing
            used[name] = kept
        y: npt.NDArray[Any] = used["input"] @ used["W"].T + used["b"]
        self._x, self._y = used["input"], y
        return y

    def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[Any]:
        grad_x = super().backward(grad_out)
        assert self.b is not None
        for name, p in (("W", self.W), ("b", self.b)):
            if name in self.doctored:
                p.grad = self.scale * p.grad
        return self.scale * grad_x if "input" in self.doctored else grad_x


@st.composite
def doctored_cases(draw: st.DrawFn) -> tuple[DoctoredLinear, npt.NDArray[Any]]:
    d = draw(sizes(1, 4))
    m = draw(sizes(1, 4).filter(lambda v: v != d))
    n = draw(sizes(2, 3))
    sizes_of = {"input": n * d, "W": m * d, "b": m}
    names = draw(st.sets(st.sampled_from(sorted(sizes_of)), min_size=1))
    doctored = {}
    for name in names:  # at least one entry is not free: the forward refuses somewhere
        free = draw(st.sets(st.integers(0, sizes_of[name] - 1), max_size=sizes_of[name] - 1))
        doctored[name] = free
    layer = DoctoredLinear(
        d,
        m,
        seed=draw(st.integers(0, 2**16)),
        doctored=doctored,
        refusal=draw(st.sampled_from(REFUSALS)),
        side=draw(st.sampled_from(["both", "above"])),
        scale=draw(st.sampled_from([0.0, -1.0, 0.5, 2.0])),
    )
    return layer, draw(arrays((n, d)))


@given(doctored_cases(), st.integers(0, 2**16))
def test_every_drawn_doctored_forward_is_caught(case: Any, seed: int) -> None:
    layer, x = case
    result = check_layer(layer, x, seed=seed, raise_on_failure=False)
    assert not result.ok
    # Caught by its numbers (refused entries, or the side that could be evaluated):
    numbers = {Kind.UNCHECKABLE, Kind.WRONG_GRADIENT}
    caught = {f.tensor for f in result.findings if f.kind in numbers}
    assert caught & set(layer.doctored), result.report
    for r in result.results:  # the summary counts what was judged from one side or not at all
        line = next(s for s in result.report.splitlines() if s.startswith(f"  {r.name} "))
        if r.unevaluable:
            assert f"{len(r.unevaluable)} not evaluable" in line
        if r.one_sided:
            assert f"{len(r.one_sided)} from one side only" in line
