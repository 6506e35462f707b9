"""fit / evaluate / predict: learning, history, seeds, early stopping, callbacks, divergence."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule import DivergenceError, StopTraining, evaluate, fit, mlp, predict
from layers.errors import HyperparameterError, NonFiniteError
from optim import SGD, Adam, CosineAnnealingLR


@pytest.fixture(scope="module")
def xor() -> chainrule.Dataset:
    return chainrule.load_dataset("xor", seed=0, val_size=0.2)


def test_fit_learns_xor_and_records_history(xor: chainrule.Dataset) -> None:
    assert xor.X_val is not None and xor.y_val is not None
    net = mlp(2, 16, 2, "tanh", rng=0)
    history = fit(net, xor.X_train, xor.y_train, epochs=15, progress=False,
                  validation_data=(xor.X_val, xor.y_val))  # fmt: skip
    assert history.epoch == list(range(1, 16))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"):
        assert len(getattr(history, key)) == 15, key
    assert history.loss[-1] < history.loss[0] / 5
    # XOR is not linearly separable: a hidden layer is needed to get it right.
    assert evaluate(net, xor.X_test, xor.y_test)["accuracy"] > 0.95
    assert set(history.last()) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"}


def test_same_seed_same_numbers_bit_for_bit(xor: chainrule.Dataset) -> None:
    runs = []
    for _ in range(2):
        net = mlp(2, 8, 2, rng=5)
        opt = Adam(net.parameters(), lr=0.01)
        h = fit(net, xor.X_train, xor.y_train, optimizer=opt, epochs=3, seed=9, progress=False)
        runs.append((h.loss, [p.value.copy() for p in net.parameters()]))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_schedule_sets_the_lr_recorded_per_epoch(xor: chainrule.Dataset) -> None:
    net = mlp(2, 4, 2, rng=0)
    opt = SGD(net.parameters(), lr=0.1)
    h = fit(net, xor.X_train, xor.y_train, optimizer=opt, epochs=4, progress=False,
            schedule=CosineAnnealingLR(opt, T_max=4))  # fmt: skip
    np.testing.assert_allclose(h.lr, [0.1 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)])


def test_early_stopping_keeps_the_best_epoch(xor: chainrule.Dataset) -> None:
    assert xor.X_val is not None and xor.y_val is not None
    net = mlp(2, 32, 2, rng=0)
    # A learning rate this large makes the validation loss bounce, so it stops early.
    opt = SGD(net.parameters(), lr=2.0, momentum=0.9)
    h = fit(net, xor.X_train, xor.y_train, optimizer=opt, epochs=40, progress=False,
            validation_data=(xor.X_val, xor.y_val), early_stopping=2)  # fmt: skip
    assert h.stopped_early and len(h.epoch) < 40
    assert h.best_epoch == 1 + int(np.argmin(h.val_loss))
    restored = evaluate(net, xor.X_val, xor.y_val)["loss"]
    assert restored == pytest.approx(min(h.val_loss), rel=1e-12)


def test_callbacks_see_logs_and_can_stop(xor: chainrule.Dataset) -> None:
    seen: list[tuple[int, dict[str, float]]] = []

    def stop_at_two(epoch: int, logs: dict[str, float]) -> None:
        seen.append((epoch, logs))
        if epoch == 2:
            raise StopTraining

    h = fit(mlp(2, 4, 2, rng=0), xor.X_train, xor.y_train, epochs=10, progress=False,
            callbacks=[stop_at_two])  # fmt: skip
    assert [e for e, _ in seen] == [1, 2] and h.epoch == [1, 2] and h.stopped_early
    assert seen[0][1]["loss"] == h.loss[0]


def test_divergence_names_the_epoch_and_suggests_a_smaller_lr() -> None:
    d = chainrule.load_dataset("diabetes", seed=0)
    net = mlp(d.n_features, 32, 1, rng=0)
    with pytest.raises(DivergenceError, match=r"diverged in epoch \d+.*smaller learning rate"):
        fit(net, d.X_train, d.y_train, optimizer=SGD(net.parameters(), lr=10.0, momentum=0.9),
            epochs=20, progress=False)  # fmt: skip


def test_bad_input_is_refused() -> None:
    X = np.array([[0.0, np.nan]] * 4)
    with pytest.raises(NonFiniteError, match="fit: X must be finite"):
        fit(mlp(2, 2, 2), X, np.array([0, 1, 0, 1]), progress=False)
    with pytest.raises(HyperparameterError, match="early_stopping needs validation_data"):
        fit(mlp(2, 2, 2), np.zeros((4, 2)), np.array([0, 1, 0, 1]), early_stopping=2)
    with pytest.raises(HyperparameterError, match="epochs"):
        fit(mlp(2, 2, 2), np.zeros((4, 2)), np.array([0, 1, 0, 1]), epochs=0)


def test_regression_evaluate_and_predict() -> None:
    d = chainrule.load_dataset("diabetes", seed=0)
    net = mlp(d.n_features, 16, 1, rng=0)
    fit(net, d.X_train, d.y_train, optimizer=SGD(net.parameters(), lr=0.01), epochs=10,
        progress=False)  # fmt: skip
    scores = evaluate(net, d.X_test, d.y_test)
    assert set(scores) == {"loss", "mse", "r2"} and 0.2 < scores["r2"] < 0.8
    assert predict(net, d.X_test, task="regression").shape == (len(d.X_test), 1)


def test_float32_training_stays_float32(xor: chainrule.Dataset) -> None:
    net = mlp(2, 8, 2, rng=0, dtype=np.float32)
    fit(net, xor.X_train, xor.y_train, epochs=2, progress=False)
    assert all(p.dtype == np.float32 for p in net.parameters())
    proba = chainrule.predict_proba(net, xor.X_test)
    assert proba.dtype == np.float32 and np.allclose(proba.sum(axis=1), 1.0, atol=1e-6)


def test_progress_bars_only_when_asked_or_on_a_terminal(
    xor: chainrule.Dataset, capsys: pytest.CaptureFixture[str]
) -> None:
    fit(mlp(2, 4, 2, rng=0), xor.X_train, xor.y_train, epochs=2)  # stderr is not a TTY here
    assert capsys.readouterr().err == ""
    fit(mlp(2, 4, 2, rng=0), xor.X_train, xor.y_train, epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "loss" in err


@pytest.mark.parametrize("batch_size", [0, -3, 2.5])
def test_bad_batch_size_is_our_error(batch_size: object) -> None:
    net = mlp(2, 4, 2, rng=0)
    X, y = np.zeros((6, 2)), np.array([0, 1, 0, 1, 0, 1])
    with pytest.raises(HyperparameterError, match="batch_size must be an int ≥ 1"):
        fit(net, X, y, batch_size=batch_size, epochs=1, progress=False)  # type: ignore[arg-type]
