"""The checker catches each typical mistake, names the tensor and gives the right hint."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
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
    Scale,
    SignFlippedLinear,
    SumBackwardMSELoss,
    TransposedLinear,
)

from gradcheck import GradcheckError, check_layer, check_loss
from layers import Layer, Linear, ReLU, Sequential, Sigmoid, Tanh
from losses import MSELoss, SoftmaxCrossEntropyLoss

rng = np.random.default_rng(7)
X = rng.uniform(-2, 2, (4, 3))  # N = 4 rows, D = 3
Y = rng.uniform(-2, 2, (4, 5))
T = rng.uniform(-2, 2, (4, 5))


def failure(call: object, *args: object, **kwargs: object) -> GradcheckError:
    with pytest.raises(GradcheckError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value


def test_sign_flip_is_named_and_hinted() -> None:
    err = failure(check_layer, SignFlippedLinear(3, 2, rng=0), X)
    assert (err.parameter, err.kind) == ("W", "wrong gradient")
    assert "negated" in (err.hint or "")
    assert [r.name for r in err.results if not r.ok] == ["W"]


def test_transposed_weight_gradient_square() -> None:
    err = failure(check_layer, TransposedLinear(3, 3, rng=0), X)
    assert err.parameter == "W"
    assert "transpose" in (err.hint or "")


def test_transposed_weight_gradient_has_the_wrong_shape() -> None:
    # Parameter.grad refuses an array of the wrong shape at the assignment itself;
    # the report quotes that line of the layer and says it looks transposed.
    err = failure(check_layer, TransposedLinear(3, 2, rng=0), X)
    assert err.kind == "raised an exception"
    report = str(err)
    assert "Parameter 'W'" in report and "looks transposed" in report
    assert "broken_layers.py" in report and "self.W.grad = X.T @ G" in report


def test_dropped_bias_gradient() -> None:
    err = failure(check_layer, NoBiasGradLinear(3, 2, rng=0), X)
    assert err.parameter == "b"
    assert "all zeros" in (err.hint or "")


def test_accumulating_backward() -> None:
    err = failure(check_layer, AccumulatingLinear(3, 2, rng=0), X)
    assert (err.parameter, err.kind) == ("W", "accumulates")
    assert "+=" in (err.hint or "")


def test_mean_inside_a_layer_is_a_batch_size_factor() -> None:
    err = failure(check_layer, MeanInsideLinear(3, 2, rng=0), X)
    assert err.parameter == "W"
    assert "batch size N = 4" in (err.hint or "")
    assert "batch is not the sum of its samples" in {f.kind for f in err.findings}


def test_diagonal_only_softmax_jacobian() -> None:
    err = failure(check_layer, DiagonalSoftmax(), Y)
    assert (err.parameter, err.kind) == ("input", "wrong gradient")
    assert "diagonal of the Jacobian" in (err.hint or "")


def test_backward_ignoring_grad_out() -> None:
    err = failure(check_layer, IgnoresGradOutSigmoid(), Y)
    assert err.parameter == "input"
    assert "ignores grad_out" in (err.hint or "")


def test_forward_mutating_its_input() -> None:
    err = failure(check_layer, InPlaceReLU(), Y)
    assert (err.parameter, err.kind) == ("input", "mutates its argument")


def test_backward_returning_none() -> None:
    err = failure(check_layer, NoneReturningSigmoid(), Y)
    assert (err.parameter, err.kind) == ("input", "wrong shape")
    assert "return" in (err.hint or "")


def test_missing_factor_two_in_mse() -> None:
    err = failure(check_loss, HalfMSELoss(), Y, T)
    assert err.parameter == "input"
    assert "factor 2 is missing" in (err.hint or "")


def test_mean_sum_mix_up_in_a_loss() -> None:
    err = failure(check_loss, SumBackwardMSELoss(), Y, T)
    assert "batch size N = 4" in (err.hint or "")
    assert "mean/sum mix-up" in (err.hint or "")


def test_forward_and_backward_disagree_on_the_mean() -> None:
    err = failure(check_loss, ElementMeanMSELoss(), Y, T)
    assert "number of outputs" in (err.hint or "")


def test_forward_ignoring_the_reduction() -> None:
    class SumForward(MSELoss):  # reduction="mean" in backward only
        def forward(self, y: npt.ArrayLike, t: npt.ArrayLike) -> float:
            return super().forward(y, t) * int(np.shape(y)[0])

    err = failure(check_loss, SumForward(), Y, T)
    assert "wrong reduction" in {f.kind for f in err.findings}
    assert "batch size N = 4" in (err.hint or "")


def test_custom_layer_right_and_wrong() -> None:
    check_layer(Scale(3), X)
    err = failure(check_layer, BuggyScale(3), X)
    assert err.parameter == "a"
    assert "a " in str(err) and "(3,)" in str(err)


def test_a_wrong_layer_deep_in_a_sequential_is_named_by_its_path() -> None:
    net = Sequential(Linear(3, 4, rng=0), Tanh(), SignFlippedLinear(4, 2, rng=1), Sigmoid())
    err = failure(check_layer, net, X)
    assert err.parameter == "layers[2].W"
    ok = {r.name for r in err.results if r.ok}
    assert {"input", "layers[0].W", "layers[0].b", "layers[2].b"} <= ok


def test_one_wrong_entry_of_a_large_layer_is_found_by_random_directions() -> None:
    class OneEntryOff(Linear):
        def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[Any]:
            grad_x = super().backward(grad_out)
            self.W.grad[5, 7] += 0.5
            return grad_x

    x = np.random.default_rng(0).standard_normal((4, 64))
    err = failure(check_layer, OneEntryOff(64, 32, rng=0), x)
    assert err.parameter == "W"
    assert any(r.where.startswith("u") and not r.ok for r in err.results[1].rows)


def test_wrong_loss_sign_in_fused_softmax_cross_entropy() -> None:
    class Flipped(SoftmaxCrossEntropyLoss):
        def backward(self) -> npt.NDArray[Any]:
            return -super().backward()

    err = failure(check_loss, Flipped(), Y, np.array([0, 4, 2, 1]))
    assert "negated" in (err.hint or "")


def test_a_crashing_backward_is_a_failed_check_pointing_at_the_line() -> None:
    class Crashing(Linear):
        def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[Any]:
            super().backward(grad_out)
            grad_x: npt.NDArray[Any] = np.asarray(grad_out) @ self.W.value.T  # shapes misfit
            return grad_x

    err = failure(check_layer, Crashing(3, 2, rng=0), X)
    assert err.kind == "raised an exception"
    assert isinstance(err.__cause__, ValueError)
    text = str(err)
    assert "backward raised ValueError" in text.splitlines()[0]
    assert "grad_x: npt.NDArray[Any] = np.asarray(grad_out) @ self.W.value.T" in text


def test_a_crashing_loss_backward_is_a_failed_check() -> None:
    class Crashing(MSELoss):
        def backward(self) -> npt.NDArray[Any]:
            raise RuntimeError("not implemented yet")

    err = failure(check_loss, Crashing(), Y, T)
    assert err.kind == "raised an exception"
    assert "RuntimeError: not implemented yet" in str(err)


def test_a_wrong_elementwise_derivative_shows_the_local_slope() -> None:
    class TanhMissingSquare(Tanh):
        def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[Any]:
            assert self._h is not None
            grad_z: npt.NDArray[Any] = np.asarray(grad_out) * (1 - self._h)  # 1 − h, not 1 − h²
            return grad_z

    err = failure(check_layer, TanhMissingSquare(), Y)
    assert err.parameter == "input"
    assert "element-wise" in (err.hint or "") and "local derivative" in (err.hint or "")


def test_backward_writing_into_grad_out() -> None:
    class MaskInPlace(ReLU):
        def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[Any]:
            g = np.asarray(grad_out)
            assert self._h is not None
            g[self._h <= 0] = 0  # modifies the caller's array
            return g

    err = failure(check_layer, MaskInPlace(), Y)
    assert (err.parameter, err.kind) == ("grad_out", "mutates its argument")


def test_a_block_that_forgets_to_list_its_sub_layers_parameters() -> None:
    class Block(Layer):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.act, self.fc2 = Linear(3, 4, rng=0), Tanh(), Linear(4, 2, rng=1)

        def forward(self, x: npt.ArrayLike) -> npt.NDArray[Any]:
            return self.fc2(self.act(self.fc1(x)))

        def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[Any]:
            return self.fc1.backward(self.act.backward(self.fc2.backward(grad_out)))

    err = failure(check_layer, Block(), X)  # Layer.parameters() finds no direct Parameter
    assert (err.parameter, err.kind) == ("fc1.W", "missing from parameters()")
    assert {f.tensor for f in err.findings} == {"fc1.W", "fc1.b", "fc2.W", "fc2.b"}


class XForGradOutTanh(Tanh):
    """Uses the input x where grad_out belongs: ∇_x L = x ∘ (1 − h²)."""

    def forward(self, x: npt.ArrayLike) -> npt.NDArray[np.floating[Any]]:
        self.x_seen = np.array(x, dtype=np.float64)
        return super().forward(x)

    def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[np.floating[Any]]:
        h = np.tanh(self.x_seen)
        result: npt.NDArray[np.float64] = self.x_seen * (1 - h**2)
        return result


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_x_drawn_as_the_docs_draw_it_is_never_the_upstream_gradient(seed: int) -> None:
    """The checker's G comes from its own stream: with x = default_rng(seed).normal(...) and
    check_layer(..., seed=seed), G equal to x would hide x used where G belongs."""
    x = np.random.default_rng(seed).normal(size=(4, 3))
    with pytest.raises(GradcheckError) as caught:
        check_layer(XForGradOutTanh(), x, seed=seed, contract_checks=False)
    assert (caught.value.parameter, caught.value.kind) == ("input", "wrong gradient")


class BiasOverWrongAxisInPlace(Linear):
    def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[np.floating[Any]]:
        G, X = np.asarray(grad_out), np.asarray(self._x)
        self.W.grad[...] = G.T @ X
        assert self.b is not None
        self.b.grad[...] = G.sum(axis=1)  # the slip: over the outputs, not the batch
        result: npt.NDArray[np.floating[Any]] = G @ self.W.value
        return result


class BiasOverWrongAxisAssigned(Linear):
    def backward(self, grad_out: npt.ArrayLike) -> npt.NDArray[np.floating[Any]]:
        G, X = np.asarray(grad_out), np.asarray(self._x)
        self.W.grad[...] = G.T @ X
        assert self.b is not None
        self.b.grad = G.sum(axis=1)  # the same slip, written as an assignment
        result: npt.NDArray[np.floating[Any]] = G @ self.W.value
        return result


@pytest.mark.parametrize("layer", [BiasOverWrongAxisInPlace, BiasOverWrongAxisAssigned])
def test_a_gradient_of_the_wrong_shape_gets_one_hint_however_it_is_written(layer: Any) -> None:
    with pytest.raises(GradcheckError) as caught:
        check_layer(layer(5, 3, rng=0), np.ones((4, 5)))
    err = caught.value
    assert err.parameter == "b"
    assert err.hint is not None
    assert err.hint.startswith("b's gradient has shape (4,), but b has shape (3,)")
    assert "the batch is axis 0" in err.hint
