"""Losses: targets in both forms, reductions, shapes, dtypes and every error case."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from layers.errors import (
    DomainError,
    HyperparameterError,
    LabelError,
    NonFiniteError,
    OrderError,
    ShapeError,
)
from losses import CrossEntropyLoss, Loss, MSELoss, SoftmaxCrossEntropyLoss

CLASSIFICATION = [CrossEntropyLoss, SoftmaxCrossEntropyLoss]
ALL = [MSELoss, *CLASSIFICATION]
P = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])


@pytest.mark.parametrize("loss_type", CLASSIFICATION)
def test_labels_and_one_hot_give_the_same_loss_and_gradient(loss_type: type[Loss]) -> None:
    loss = loss_type()
    a = loss.forward(P, np.array([0, 2]))
    ga = loss.backward()
    b = loss.forward(P, np.array([[1, 0, 0], [0, 0, 1]]))
    assert a == b
    assert_array_equal(ga, loss.backward())


@pytest.mark.parametrize("loss_type", ALL)
def test_mean_is_sum_over_n(loss_type: type[Loss]) -> None:
    t = np.array([0, 2]) if loss_type is not MSELoss else np.zeros_like(P)
    mean, total = loss_type(reduction="mean"), loss_type(reduction="sum")
    assert_allclose(mean.forward(P, t) * 2, total.forward(P, t), rtol=1e-15)
    assert_allclose(mean.backward() * 2, total.backward(), rtol=1e-15)


@pytest.mark.parametrize("loss_type", ALL)
def test_returns_python_float_and_gradient_of_ys_shape_and_dtype(loss_type: type[Loss]) -> None:
    y = P.astype(np.float32)
    t = np.array([1, 0]) if loss_type is not MSELoss else np.ones_like(y)
    loss = loss_type()
    assert type(loss.forward(y, t)) is float
    grad = loss.backward()
    assert grad.shape == y.shape and grad.dtype == np.float32


@pytest.mark.parametrize("loss_type", ALL)
def test_backward_returns_a_fresh_array(loss_type: type[Loss]) -> None:
    t = np.array([1, 0]) if loss_type is not MSELoss else np.ones_like(P)
    loss = loss_type()
    loss.forward(P, t)
    g = loss.backward()
    g[...] = 0
    assert np.any(loss.backward() != 0)


@pytest.mark.parametrize("loss_type", ALL)
def test_backward_before_forward(loss_type: type[Loss]) -> None:
    with pytest.raises(OrderError, match="before forward"):
        loss_type().backward()


@pytest.mark.parametrize("loss_type", ALL)
def test_unknown_reduction(loss_type: type[Loss]) -> None:
    with pytest.raises(HyperparameterError, match="'avg'"):
        loss_type(reduction="avg")


@pytest.mark.parametrize("loss_type", CLASSIFICATION)
@pytest.mark.parametrize("labels", [[0, 3], [-1, 0]])
def test_label_out_of_range(loss_type: type[Loss], labels: list[int]) -> None:
    with pytest.raises(LabelError, match=r"0\.\.2 for 3 classes"):
        loss_type().forward(P, np.array(labels))


@pytest.mark.parametrize("loss_type", CLASSIFICATION)
def test_wrong_target_shape_and_float_labels(loss_type: type[Loss]) -> None:
    with pytest.raises(LabelError, match=r"\(2,\).*\(2, 3\).*got \(3,\)"):
        loss_type().forward(P, np.array([0, 1, 2]))
    with pytest.raises(LabelError, match="integers"):
        loss_type().forward(P, np.array([0.0, 1.0]))
    with pytest.raises(LabelError, match="sum to 1"):
        loss_type().forward(P, np.array([[1, 1, 0], [0, 0, 1]]))


def test_mse_target_shape_hint_for_a_single_output() -> None:
    with pytest.raises(LabelError, match=r"t\.reshape\(-1, 1\)"):
        MSELoss().forward(np.zeros((4, 1)), np.zeros(4))


@pytest.mark.parametrize("loss_type", ALL)
def test_non_finite_predictions(loss_type: type[Loss]) -> None:
    y = P.copy()
    y[0, 0] = np.nan
    t = np.array([1, 0]) if loss_type is not MSELoss else np.ones_like(P)
    with pytest.raises(NonFiniteError, match="predictions"):
        loss_type().forward(y, t)


def test_infinite_loss_from_zero_probability_of_true_class() -> None:
    loss = CrossEntropyLoss()
    with pytest.raises(NonFiniteError, match="probability 0"):
        loss.forward(np.array([[0.0, 1.0]]), np.array([0]))
    with pytest.raises(OrderError):  # no stale gradient from the failed call
        loss.backward()


def test_mse_overflow_to_inf_is_reported() -> None:
    with pytest.raises(NonFiniteError, match="too large"):
        MSELoss().forward(np.array([1e300]), np.array([-1e300]))
    with pytest.raises(NonFiniteError, match="too large"):  # y − t itself overflows
        MSELoss().forward(np.array([1.7e308]), np.array([-1.7e308]))


def test_negative_probability_is_refused() -> None:
    with pytest.raises(DomainError, match=r"got an entry -0\.1.*SoftmaxCrossEntropyLoss"):
        CrossEntropyLoss().forward(np.array([-0.1, 1.1]), np.array(1))


def test_one_dimensional_predictions_need_matching_targets() -> None:
    with pytest.raises(ShapeError, match=r"\(N, M\)"):
        MSELoss().forward(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))


def test_cross_entropy_refuses_logits() -> None:
    with pytest.raises(DomainError, match=r"\[0, 1\].*got an entry 5.*SoftmaxCrossEntropyLoss"):
        CrossEntropyLoss().forward(np.array([[3.0, 5.0]]), np.array([0]))


def test_cross_entropy_tiny_true_probability_gives_our_error_not_inf() -> None:
    # −log(1e-320) ≈ 737 is finite, but ∂L/∂p = −1/p overflows: refuse, don't return −inf.
    loss = CrossEntropyLoss()
    with pytest.raises(NonFiniteError, match="gradient is not finite"):
        loss.forward(np.array([1e-320, 1.0]), np.array(0))
    with pytest.raises(OrderError):
        loss.backward()


@pytest.mark.parametrize("loss_type", ALL)
def test_empty_batch_is_refused(loss_type: type[Loss]) -> None:
    t = np.zeros(0, dtype=int) if loss_type is not MSELoss else np.zeros((0, 3))
    with pytest.raises(ShapeError, match=r"N, M ≥ 1.*\(0, 3\)"):
        loss_type().forward(np.zeros((0, 3)), t)


@pytest.mark.parametrize("loss_type", CLASSIFICATION)
def test_a_failed_forward_leaves_no_stale_gradient(loss_type: type[Loss]) -> None:
    loss = loss_type()
    loss.forward(P, np.array([0, 1]))
    with pytest.raises(LabelError):
        loss.forward(P, np.array([0, 7]))
    with pytest.raises(OrderError):
        loss.backward()


def test_softmax_ce_labels_and_one_hot_agree_on_large_logits() -> None:
    rng = np.random.default_rng(3)
    z = 10 * rng.standard_normal((6, 4))
    t = rng.integers(0, 4, 6)
    by_label, by_one_hot = SoftmaxCrossEntropyLoss(), SoftmaxCrossEntropyLoss()
    loss = by_label.forward(z, t)
    np.testing.assert_allclose(loss, by_one_hot.forward(z, np.eye(4)[t]), rtol=1e-14)
    np.testing.assert_allclose(by_label.backward(), by_one_hot.backward(), rtol=1e-14, atol=1e-16)
