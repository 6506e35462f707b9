"""PNG plots: learning curves, confusion matrix, decision boundary of a 2-D classifier.

Figures are drawn with matplotlib's object API on the Agg canvas (no
``pyplot``, no global backend change, no window): safe on a headless
machine and inside other people's programs. matplotlib is imported here
only, when a plot is asked for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.history import History
from layers import Layer


def _figure(width: float, height: float, constrained: bool = True) -> Any:
    """An Agg figure. ``constrained=False``: the caller sets the margins itself
    (constrained layout measures every label several times: about 0.5 s a plot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained" if constrained else None)
    FigureCanvasAgg(fig)
    return fig


def _margins(fig: Any, width: float, height: float, top: float = 0.5) -> None:
    """Fixed margins in inches: room for tick labels, axis labels and a title."""
    fig.subplots_adjust(
        left=0.85 / width, right=1 - 0.2 / width, bottom=0.55 / height, top=1 - top / height,
        wspace=0.25,
    )  # fmt: skip


def _save(fig: Any, path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    fig.savefig(target, format="png")
    return target


def plot_history(history: History, path: str | os.PathLike[str], title: str = "") -> Path:
    """Loss (left) and accuracy (right, classification only) per epoch, train vs validation."""
    from matplotlib import ticker

    has_acc = bool(history.accuracy)
    width, height = (10 if has_acc else 5.5), 4
    fig = _figure(width, height, constrained=False)
    _margins(fig, width, height, top=0.6 if title else 0.3)
    axes = fig.subplots(1, 2 if has_acc else 1, squeeze=False)[0]
    panels = [("loss", history.loss, history.val_loss)]
    if has_acc:
        panels.append(("accuracy", history.accuracy, history.val_accuracy))
    for ax, (name, train, val) in zip(axes, panels, strict=True):
        ax.plot(history.epoch, train, marker=".", label=f"train {name}")
        if val:
            ax.plot(history.epoch, val, marker=".", label=f"validation {name}")
        if history.best_epoch is not None:
            ax.axvline(history.best_epoch, color="grey", linestyle=":", label="best epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        if name == "loss" and min(train) > 0:
            ax.set_yscale("log")
            # Plain labels (0.1, 0.02, …): the default 10⁻¹ ones go through mathtext (slow).
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(ticker.LogFormatter(labelOnlyBase=False))
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_confusion(
    C: npt.NDArray[np.int64], class_names: list[str], path: str | os.PathLike[str], title: str = ""
) -> Path:
    """The confusion matrix as a heat map with counts; rows true classes, columns predictions."""
    k = len(C)
    width, height = 1.2 + 0.55 * k, 0.8 + 0.5 * k
    fig = _figure(width, height, constrained=False)
    fig.subplots_adjust(
        left=0.7 / width, right=1 - 0.3 / width, bottom=0.6 / height, top=1 - 0.4 / height
    )
    ax = fig.add_subplot()
    image = ax.imshow(C, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ticks = np.arange(k)
    ax.set_xticks(ticks, labels=class_names)
    ax.set_yticks(ticks, labels=class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    threshold = C.max() / 2 if C.size else 0
    for i in range(k):
        for j in range(k):
            colour = "white" if C[i, j] > threshold else "black"
            ax.text(j, i, str(C[i, j]), ha="center", va="center", color=colour, fontsize=8)
    accuracy = np.trace(C) / max(C.sum(), 1)
    ax.set_title(f"{title} accuracy {accuracy:.2%}".strip())
    return _save(fig, path)


def plot_decision_boundary(
    net: Layer,
    X: npt.NDArray[Any],
    y: npt.NDArray[Any],
    path: str | os.PathLike[str],
    title: str = "",
    resolution: int = 300,
) -> Path:
    """Colour the plane by the class the net predicts, with the points on top (2-D input only)."""
    if X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: needs 2-D input, got {X.shape[1]} features")
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    dtype = net.parameters()[0].dtype
    classes = np.argmax(net.forward(grid.astype(dtype)), axis=1).reshape(gx.shape)
    k = int(max(classes.max(), y.max()) + 1)
    fig = _figure(5.5, 5)
    ax = fig.add_subplot()
    levels = np.arange(k + 1) - 0.5
    ax.contourf(gx, gy, classes, levels=levels, cmap="tab10", vmin=0, vmax=9, alpha=0.35)
    ax.scatter(
        X[:, 0], X[:, 1], c=y, cmap="tab10", vmin=0, vmax=9, s=12, edgecolors="k", linewidths=0.3
    )
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.set_title(title or "decision boundary")
    return _save(fig, path)
