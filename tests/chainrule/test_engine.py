"""The training engine computes the layers' math: k steps through it and k steps
through ``Sequential`` + loss + optimizer end with the same weights.

The reference is always the plain path (``net.forward``, ``loss.forward``,
``net.backward(loss.backward())``, ``opt.step()``), run on an independent copy
of the same net, never the engine itself.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule.engine import TrainingEngine, engine_for
from layers import Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from layers.errors import HyperparameterError, LabelError, NonFiniteError
from layers.layer import Layer
from losses import CrossEntropyLoss, MSELoss, SoftmaxCrossEntropyLoss
from losses.loss import Loss
from optim import SGD, Adam, CosineAnnealingLR, StepLR
from optim.optimizer import Optimizer

ACTS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU}


@st.composite
def problems(draw: st.DrawFn, dtype: Any = np.float64) -> dict[str, Any]:
    """A random net, loss, reduction, targets, optimizer, schedule and batches."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    depth = draw(st.integers(1, 4))
    widths = [draw(st.integers(1, 9)) for _ in range(depth + 1)]
    loss_kind = draw(st.sampled_from(["softmax_ce", "ce", "mse"]))
    if loss_kind != "mse":
        widths[-1] = max(widths[-1], 2)
    layers: list[Layer] = []
    if draw(st.booleans()) and depth > 1:
        layers.append(ACTS[draw(st.sampled_from(sorted(ACTS)))]())  # activation first
    for i in range(depth):
        bias = draw(st.booleans())
        layers.append(Linear(widths[i], widths[i + 1], bias=bias, rng=rng, dtype=dtype))
        if i < depth - 1:
            layers.append(ACTS[draw(st.sampled_from(sorted(ACTS)))]())
    if loss_kind == "ce":
        layers.append(draw(st.sampled_from([Softmax, Sigmoid]))())
    net = Sequential(*layers)
    if draw(st.booleans()) and len(layers) > 2:  # a nested Sequential
        net = Sequential(layers[0], Sequential(*layers[1:]))
    reduction = draw(st.sampled_from(["mean", "sum"]))
    loss = {"softmax_ce": SoftmaxCrossEntropyLoss, "ce": CrossEntropyLoss, "mse": MSELoss}[
        loss_kind
    ](reduction=reduction)
    n = draw(st.integers(1, 24))
    X = rng.normal(size=(n, widths[0])).astype(dtype)
    K = widths[-1]
    if loss_kind == "mse":
        t: npt.NDArray[Any] = rng.normal(size=(n, K)).astype(dtype)
    elif draw(st.booleans()):
        t = rng.integers(0, K, n)
    else:  # one-hot or soft targets
        t = (
            rng.dirichlet(np.ones(K), n)
            if draw(st.booleans())
            else np.eye(K)[rng.integers(0, K, n)]
        )
    lr = draw(st.sampled_from([0.001, 0.01, 0.05]))
    opt_kind = draw(st.sampled_from(["sgd", "momentum", "nesterov", "adam"]))
    decay = draw(st.sampled_from([0.0, 0.0, 1e-3, 0.1]))
    if opt_kind == "adam":
        opt_args: dict[str, Any] = {
            "lr": lr,
            "weight_decay": decay,
            "amsgrad": draw(st.booleans()),
            "betas": (draw(st.sampled_from([0.0, 0.9])), draw(st.sampled_from([0.5, 0.999]))),
        }
    else:
        mu = 0.0 if opt_kind == "sgd" else draw(st.sampled_from([0.5, 0.9]))
        opt_args = {"lr": lr, "momentum": mu, "nesterov": opt_kind == "nesterov"}
        opt_args["weight_decay"] = decay
    return {
        "net": net,
        "loss": loss,
        "opt_kind": opt_kind,
        "opt_args": opt_args,
        "schedule": draw(st.sampled_from([None, "step", "cosine"])),
        "X": X,
        "t": t,
        "batch_size": draw(st.integers(1, 10)),
        "epochs": draw(st.integers(1, 3)),
        "seed": seed,
    }


def make_optimizer(p: dict[str, Any], net: Layer) -> Optimizer:
    cls = Adam if p["opt_kind"] == "adam" else SGD
    return cls(net.parameters(), **p["opt_args"])


def make_schedule(kind: str | None, opt: Optimizer) -> StepLR | CosineAnnealingLR | None:
    if kind == "step":
        return StepLR(opt, step_size=1, gamma=0.5)  # type: ignore[arg-type]
    if kind == "cosine":
        return CosineAnnealingLR(opt, T_max=3)  # type: ignore[arg-type]
    return None


def plain_epochs(p: dict[str, Any], net: Layer, loss: Loss, opt: Optimizer) -> list[float]:
    """The reference: the layers, the loss and the optimizer, as the README teaches."""
    schedule = make_schedule(p["schedule"], opt)
    rng, losses = np.random.default_rng(p["seed"]), []
    for _ in range(p["epochs"]):
        for Xb, tb in chainrule.minibatches(p["X"], p["t"], p["batch_size"], rng):
            losses.append(loss.forward(net.forward(Xb), tb))
            net.backward(loss.backward())
            opt.step()
        if schedule is not None:
            schedule.step()
    return losses


def engine_epochs(p: dict[str, Any], net: Layer, loss: Loss, opt: Optimizer) -> list[float]:
    engine = TrainingEngine(net, loss, opt)
    schedule = make_schedule(p["schedule"], opt)
    rng, losses = np.random.default_rng(p["seed"]), []
    for _ in range(p["epochs"]):
        losses.append(engine.epoch(p["X"], p["t"], p["batch_size"], rng)[0])
        if schedule is not None:
            schedule.step()
    return losses


def relative(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> float:
    a, b = a.astype(np.float64), b.astype(np.float64)
    return float(np.max(np.abs(a - b), initial=0.0) / max(np.max(np.abs(b), initial=0.0), 1e-300))


def check_same(p: dict[str, Any], rtol: float) -> None:
    plain_net, engine_net = p["net"], copy.deepcopy(p["net"])
    plain_loss, engine_loss = p["loss"], copy.deepcopy(p["loss"])
    plain_opt, engine_opt = make_optimizer(p, plain_net), make_optimizer(p, engine_net)
    assert TrainingEngine.why_not(engine_net, engine_loss, engine_opt) is None
    plain_epochs(p, plain_net, plain_loss, plain_opt)
    engine_epochs(p, engine_net, engine_loss, engine_opt)
    for a, b in zip(engine_net.parameters(), plain_net.parameters(), strict=True):
        assert a.value.dtype == b.value.dtype
        assert relative(a.value, b.value) <= rtol, (a.name, relative(a.value, b.value))
        assert relative(a.grad, b.grad) <= rtol, (a.name, "grad", relative(a.grad, b.grad))


@settings(max_examples=300, deadline=None)
@given(problems())
def test_engine_equals_layers_float64(p: dict[str, Any]) -> None:
    check_same(p, 1e-12)


@settings(max_examples=100, deadline=None)
@given(problems(dtype=np.float32))
def test_engine_equals_layers_float32(p: dict[str, Any]) -> None:
    check_same(p, 2e-5)


def small_net(seed: int = 0) -> Sequential:
    return Sequential(Linear(3, 5, rng=seed), Sigmoid(), Linear(5, 2, rng=seed + 1))


def test_step_trains_the_same_parameter_objects_and_writes_grads() -> None:
    net, ref = small_net(), small_net()
    X, t = np.random.default_rng(0).normal(size=(6, 3)), np.array([0, 1, 1, 0, 1, 0])
    arrays = [(q.value, q.grad) for q in net.parameters()]
    engine = TrainingEngine(net, SoftmaxCrossEntropyLoss(), SGD(net.parameters(), lr=0.1))
    loss = engine.step(X, t)
    ref_loss_fn, ref_opt = SoftmaxCrossEntropyLoss(), SGD(ref.parameters(), lr=0.1)
    ref_loss = ref_loss_fn.forward(ref.forward(X), t)
    ref.backward(ref_loss_fn.backward())
    ref_opt.step()
    assert loss == pytest.approx(ref_loss, rel=1e-13)
    for q, (value, grad), r in zip(net.parameters(), arrays, ref.parameters(), strict=True):
        assert q.value is value and q.grad is grad  # the same arrays, trained in place
        np.testing.assert_allclose(q.value, r.value, rtol=1e-13)
        np.testing.assert_allclose(q.grad, r.grad, rtol=1e-12)


def test_optimizer_state_is_shared_with_the_plain_optimizer() -> None:
    """Engine steps then plain steps equal plain steps all along (momentum, Adam's t)."""
    X, t = np.random.default_rng(1).normal(size=(8, 3)), np.arange(8) % 2
    for make in (
        lambda ps: SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: Adam(ps, lr=0.01),
    ):
        a, b = small_net(), small_net()
        la, lb = SoftmaxCrossEntropyLoss(), SoftmaxCrossEntropyLoss()
        oa, ob = make(a.parameters()), make(b.parameters())
        engine = TrainingEngine(a, la, oa)
        for step in range(4):
            if step < 2:
                engine.step(X, t)
            else:
                la.forward(a.forward(X), t)
                a.backward(la.backward())
                oa.step()
            lb.forward(b.forward(X), t)
            b.backward(lb.backward())
            ob.step()
        for p, q in zip(a.parameters(), b.parameters(), strict=True):
            np.testing.assert_allclose(p.value, q.value, rtol=1e-12)


def test_unsupported_combinations_fall_back() -> None:
    class MyLinear(Linear):
        pass

    net = Sequential(MyLinear(3, 2, rng=0))
    opt = SGD(net.parameters(), lr=0.1)
    assert engine_for(net, MSELoss(), opt) is None
    assert "not one of ours" in str(TrainingEngine.why_not(net, MSELoss(), opt))
    with pytest.raises(HyperparameterError, match="train with the layers"):
        TrainingEngine(net, MSELoss(), opt)
    plain = Sequential(Linear(3, 2, rng=0))
    half = SGD(plain.parameters()[:1], lr=0.1)  # a frozen bias
    assert engine_for(plain, MSELoss(), half) is None
    lin = Sequential(Linear(3, 2, rng=0))
    assert engine_for(lin, CrossEntropyLoss(), SGD(lin.parameters(), lr=0.1)) is None


def test_data_is_checked_once_up_front() -> None:
    net = small_net()
    engine = TrainingEngine(net, SoftmaxCrossEntropyLoss(), SGD(net.parameters(), lr=0.1))
    X = np.zeros((4, 3))
    with pytest.raises(LabelError):
        engine.epoch(X, np.array([0, 1, 2, 0]), 2)
    X[1, 1] = np.nan
    with pytest.raises(NonFiniteError):
        engine.epoch(X, np.array([0, 1, 1, 0]), 2)


def test_divergence_raises_before_the_step() -> None:
    net = Sequential(Linear(2, 1, rng=0))
    engine = TrainingEngine(net, MSELoss(), SGD(net.parameters(), lr=1e200))
    X, t = np.array([[1e150, 1e150]]), np.array([[0.0]])
    engine.step(X, t)  # finite loss, then a huge step
    before = [q.value.copy() for q in net.parameters()]
    with pytest.raises(NonFiniteError):
        engine.step(X, t)
    for q, b in zip(net.parameters(), before, strict=True):
        np.testing.assert_array_equal(q.value, b)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_fit_through_the_engine_equals_fit_through_the_layers(task: str) -> None:
    data = chainrule.load_dataset("xor" if task == "classification" else "diabetes", seed=0)
    runs = []
    for engine in (True, False):
        net = chainrule.mlp(data.n_features, 8, data.n_outputs, rng=0)
        history = chainrule.fit(
            net,
            data.X_train,
            data.y_train,
            epochs=3,
            batch_size=16,
            validation_data=(data.X_test, data.y_test),
            progress=False,
            engine=engine,
        )
        runs.append((net, history))
    (a, ha), (b, hb) = runs
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_allclose(p.value, q.value, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ha.loss, hb.loss, rtol=1e-12)
    if task == "classification":
        assert ha.accuracy == hb.accuracy
