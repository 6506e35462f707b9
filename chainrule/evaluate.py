"""``evaluate`` and ``predict``: run a trained net over a data set, batch by batch."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule import metrics
from layers import Layer
from layers.errors import HyperparameterError
from layers.softmax import softmax
from losses import Loss, MSELoss, SoftmaxCrossEntropyLoss

TASKS = ("classification", "regression")


def infer_task(y: npt.NDArray[Any]) -> str:
    """Integer labels of shape ``(N,)`` mean classification; anything else regression."""
    return "classification" if y.ndim == 1 and y.dtype.kind in "iu" else "regression"


def default_loss(task: str) -> Loss:
    """``SoftmaxCrossEntropyLoss`` on logits for classes, the notes' ``MSELoss`` otherwise."""
    if task not in TASKS:
        raise HyperparameterError(f"task must be one of {TASKS}, got {task!r}")
    return SoftmaxCrossEntropyLoss() if task == "classification" else MSELoss()


def outputs(net: Layer, X: npt.ArrayLike, batch_size: int = 4096) -> npt.NDArray[Any]:
    """The net's raw outputs (logits or regression values) for every row of ``X``."""
    X_arr = np.asarray(X)
    chunks = [net.forward(X_arr[i : i + batch_size]) for i in range(0, len(X_arr), batch_size)]
    return np.concatenate(chunks) if chunks else np.zeros((0, 0))


def _cast(net: Layer, X: npt.ArrayLike) -> npt.NDArray[Any]:
    """Give ``X`` the dtype of the net's first parameter (float32 nets take float32)."""
    params = net.parameters()
    X_arr = np.asarray(X)
    return X_arr.astype(params[0].dtype, copy=False) if params else X_arr


def predict(net: Layer, X: npt.ArrayLike, task: str = "classification") -> npt.NDArray[Any]:
    """Class labels ``argmax_k y_k`` (classification) or the outputs (regression)."""
    y = outputs(net, _cast(net, X))
    return np.argmax(y, axis=1) if task == "classification" else y


def predict_proba(net: Layer, X: npt.ArrayLike) -> npt.NDArray[Any]:
    """Class probabilities ``softmax(y)`` for a net that outputs logits."""
    return softmax(outputs(net, _cast(net, X)))


def evaluate(
    net: Layer,
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    loss: Loss | None = None,
    task: str | None = None,
) -> dict[str, float]:
    """The loss and metrics of ``net`` on ``(X, y)``.

    Returns ``{"loss", "accuracy"}`` for classification and
    ``{"loss", "mse", "r2"}`` for regression (``mse`` averaged over every
    entry, the loss summed over outputs as in the notes).
    """
    y_arr = np.asarray(y)
    task = infer_task(y_arr) if task is None else task
    loss_fn = default_loss(task) if loss is None else loss
    out = outputs(net, _cast(net, X))
    result = {"loss": loss_fn.forward(out, y_arr)}
    if task == "classification":
        result["accuracy"] = metrics.accuracy(y_arr, np.argmax(out, axis=1))
    else:
        result["mse"] = metrics.mean_squared_error(y_arr, out)
        result["r2"] = metrics.r2_score(y_arr, out)
    return result
