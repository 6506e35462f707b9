"""``fit``: the training loop (minibatches, validation, early stopping, callbacks)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.data.batches import minibatches, n_batches
from chainrule.engine import engine_for
from chainrule.errors import DivergenceError
from chainrule.evaluate import default_loss, evaluate, infer_task
from chainrule.history import History, StopTraining
from chainrule.progress import epoch_bar, live_curves, show_progress
from layers import Layer
from layers._checks import require_finite
from layers.errors import HyperparameterError, NonFiniteError
from losses import Loss
from optim import SGD, LRSchedule, Optimizer

Callback = Callable[[int, dict[str, float]], None]


def _run_epoch(
    net: Layer, loss_fn: Loss, opt: Optimizer, batches: Any, bar: Any, classify: bool
) -> tuple[float, float]:
    """One pass over the batches: forward, loss, backward, step. Returns mean loss, accuracy."""
    total_loss, correct, seen = 0.0, 0, 0
    for Xb, yb in batches:
        out = net.forward(Xb)
        loss = loss_fn.forward(out, yb)  # raises NonFiniteError on NaN/inf
        net.backward(loss_fn.backward())  # fills every Parameter.grad
        opt.step()
        total_loss += loss * len(Xb)
        seen += len(Xb)
        if classify:
            correct += int(np.sum(np.argmax(out, axis=1) == yb))
        bar.update(1)
        bar.set_postfix_str(f"loss {total_loss / seen:.4f}", refresh=False)
    return total_loss / seen, (correct / seen if classify else float("nan"))


def _bar_callback(bar: Any) -> Callable[[int, float], None]:
    def on_batch(seen: int, mean_loss: float) -> None:
        bar.update(1)
        bar.set_postfix_str(f"loss {mean_loss:.4f}", refresh=False)

    return on_batch


def fit(
    net: Layer,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    loss: Loss | None = None,
    optimizer: Optimizer | None = None,
    epochs: int = 20,
    batch_size: int = 32,
    validation_data: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    early_stopping: int | None = None,
    schedule: LRSchedule | None = None,
    callbacks: Sequence[Callback] = (),
    seed: int = 0,
    progress: bool | str | None = None,
    engine: bool = True,
) -> History:
    """Train ``net`` on ``(X, y)`` with minibatch gradient descent; return its :class:`History`.

    Each epoch shuffles the data with a generator seeded by ``seed`` (same
    seed, same run, bit for bit), then for every batch runs the notes'
    forward pass, the loss, the backward pass and one optimizer step.

    Parameters
    ----------
    net : Layer
        Usually a ``Sequential`` (see :func:`chainrule.mlp`).
    X, y : array_like
        Features ``(N, D)``; integer labels ``(N,)`` (classification, logits
        out) or targets ``(N, M)`` (regression).
    loss : Loss, optional
        Default ``SoftmaxCrossEntropyLoss`` for labels, ``MSELoss`` otherwise.
    optimizer : Optimizer, optional
        Default ``SGD(net.parameters(), lr=0.05, momentum=0.9)``.
    epochs, batch_size : int
    validation_data : (X_val, y_val), optional
        Evaluated after every epoch (``val_loss``, ``val_accuracy``).
    early_stopping : int, optional
        Patience: stop when ``val_loss`` has not improved for this many
        epochs, and restore the weights of the best epoch.
    schedule : LRSchedule, optional
        Stepped once after every epoch.
    callbacks : sequence of callables ``f(epoch, logs)``
        Called after every epoch with that epoch's numbers; raise
        :class:`StopTraining` to end training.
    progress : bool, None or "notebook"
        tqdm bars; None shows them only when stderr is a terminal;
        ``"notebook"`` draws the loss and accuracy curves live in the
        Jupyter cell (matplotlib), and falls back to the bars elsewhere.
    engine : bool, default True
        Train through :class:`chainrule.engine.TrainingEngine` (the same
        math, fused, on the same Parameter arrays) when it supports the net,
        loss and optimizer; ``False``, or an unsupported combination, runs
        the plain layers. The results agree to rounding (1e-12 in float64).

    Raises
    ------
    DivergenceError
        The loss became NaN or infinite; the message names the epoch.
    """
    params = net.parameters()
    dtype = params[0].dtype if params else np.dtype(np.float64)
    X_arr = np.asarray(X).astype(dtype, copy=False)
    y_arr = np.asarray(y)
    require_finite(X_arr, "fit", "X")
    task = infer_task(y_arr)
    loss_fn = default_loss(task) if loss is None else loss
    opt = SGD(params, lr=0.05, momentum=0.9) if optimizer is None else optimizer
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise HyperparameterError(f"fit: epochs must be an int ≥ 1, got {epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise HyperparameterError(f"fit: batch_size must be an int ≥ 1, got {batch_size!r}")
    if early_stopping is not None and validation_data is None:
        raise HyperparameterError("fit: early_stopping needs validation_data to watch")
    val = None
    if validation_data is not None:
        val = (np.asarray(validation_data[0]).astype(dtype, copy=False), validation_data[1])
    fast = engine_for(net, loss_fn, opt) if engine else None
    if fast is not None:
        data = fast.prepare(X_arr, y_arr)  # checked once, here, not at every step
    rng = np.random.default_rng(seed)
    history, best, waited = History(), (np.inf, [p.value.copy() for p in params]), 0
    enabled = show_progress(progress)
    curves = live_curves() if progress == "notebook" else None
    enabled = enabled and curves is None  # the curves replace the bars
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = float(getattr(opt, "lr", float("nan")))
        bar = epoch_bar(n_batches(len(X_arr), batch_size), epoch, epochs, enabled)
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
                if fast is not None:
                    train_loss, train_acc = fast.epoch(
                        *data,
                        batch_size,
                        rng,
                        accuracy=task == "classification",
                        on_batch=_bar_callback(bar) if enabled else None,
                        checked=True,
                    )
                else:
                    batches = minibatches(X_arr, y_arr, batch_size, rng)
                    train_loss, train_acc = _run_epoch(
                        net, loss_fn, opt, batches, bar, task == "classification"
                    )
                logs = {"loss": train_loss}
                if task == "classification":
                    logs["accuracy"] = train_acc
                if val is not None:
                    scores = evaluate(net, val[0], val[1], loss=loss_fn, task=task)
                    logs.update({f"val_{k}": v for k, v in scores.items()})
        except NonFiniteError as exc:
            bar.close()
            raise DivergenceError(
                f"fit: training diverged in epoch {epoch}: the loss or an activation "
                f"became NaN or infinite. Try a smaller learning rate (now {lr:g}, "
                f"e.g. {lr / 10:g}). Details: {exc}"
            ) from exc
        logs["lr"] = lr
        logs["time"] = time.perf_counter() - start
        history.epoch.append(epoch)
        for key, value in logs.items():
            if hasattr(history, key):
                getattr(history, key).append(value)
        bar.set_postfix_str(
            ", ".join(f"{k} {v:.4f}" for k, v in logs.items() if k not in ("lr", "time"))
        )
        bar.close()
        if curves is not None:
            curves.update(history)
        if schedule is not None:
            schedule.step()
        if early_stopping is not None:
            if logs["val_loss"] < best[0]:
                best, waited = (logs["val_loss"], [p.value.copy() for p in params]), 0
                history.best_epoch = epoch
            else:
                waited += 1
                if waited >= early_stopping:
                    history.stopped_early = True
        try:
            for callback in callbacks:
                callback(epoch, dict(logs))
        except StopTraining:
            history.stopped_early = True
        if history.stopped_early:
            break
    if early_stopping is not None:
        for p, kept in zip(params, best[1], strict=True):
            p.value = kept  # restore the best epoch's weights
    return history
