"""``load_dataset``: any data set by name or path, split by seed and standardised."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.data import builtin
from chainrule.data.files import read_file
from chainrule.data.split import Standardizer, split_indices
from chainrule.data.toy import TOY_SETS
from chainrule.errors import DataError

BUILTIN = ("digits", "diabetes", "mnist1d", *TOY_SETS)


@dataclass
class Dataset:
    """Train / validation / test splits of one data set, ready for :func:`chainrule.fit`.

    ``X_*`` are float64 ``(N, D)``; for classification ``y_*`` are integer
    labels ``(N,)`` in ``0..K−1``, for regression float targets ``(N, M)``
    (standardised like the features). ``X_val`` is ``None`` without a
    validation split. ``standardizer`` maps raw features to the ones the net
    sees, and ``target_standardizer`` (regression) the targets; the command
    line keeps both in the checkpoint for ``predict``.
    """

    name: str
    task: str  # "classification" or "regression"
    X_train: npt.NDArray[np.float64]
    y_train: npt.NDArray[Any]
    X_test: npt.NDArray[np.float64]
    y_test: npt.NDArray[Any]
    X_val: npt.NDArray[np.float64] | None = None
    y_val: npt.NDArray[Any] | None = None
    class_names: list[str] = field(default_factory=list)
    standardizer: Standardizer | None = None
    target_standardizer: Standardizer | None = None

    @property
    def n_features(self) -> int:
        """``D``, the number of input features."""
        return int(self.X_train.shape[1])

    @property
    def n_outputs(self) -> int:
        """``K`` classes, or ``M`` regression targets: the size of the net's output."""
        return len(self.class_names) if self.task == "classification" else self.y_train.shape[1]

    def __repr__(self) -> str:
        val = 0 if self.X_val is None else len(self.X_val)
        return (
            f"Dataset({self.name!r}, {self.task}, {self.n_features} features, "
            f"{self.n_outputs} outputs, train={len(self.X_train)}, val={val}, "
            f"test={len(self.X_test)})"
        )


def _labels(raw: npt.NDArray[Any], task: str | None, source: str) -> tuple[Any, str, list[str]]:
    """Turn raw labels into class indices (with names) or float targets."""
    numeric: npt.NDArray[np.float64] | None = None
    with contextlib.suppress(ValueError, TypeError):  # text labels stay text
        numeric = raw.astype(np.float64)
    if numeric is not None and not np.isfinite(numeric).all():
        row = int(np.flatnonzero(~np.isfinite(numeric).reshape(len(raw), -1).any(axis=1))[0])
        raise DataError(f"{source}: the label of sample {row} is not a finite number")
    if task is None:
        integral = numeric is not None and bool(np.all(numeric == np.round(numeric)))
        task = "classification" if numeric is None or (integral and raw.ndim == 1) else "regression"
    if task == "regression":
        if numeric is None:
            raise DataError(f"{source}: regression needs numeric targets, got {raw[:3]!r}")
        return numeric.reshape(len(raw), -1), task, []
    if raw.ndim != 1:
        raise DataError(f"{source}: class labels must be one per sample, got shape {raw.shape}")
    values = np.unique(numeric if numeric is not None else raw)
    names = [str(int(v)) if numeric is not None and v == int(v) else str(v) for v in values]
    index = np.searchsorted(values, numeric if numeric is not None else raw)
    if len(values) < 2:
        raise DataError(f"{source}: classification needs at least 2 classes, got {names}")
    return index.astype(np.int64), task, names


def load_dataset(
    name: str | Path = "digits",
    *,
    seed: int = 0,
    test_size: float = 0.25,
    val_size: float = 0.0,
    standardize: bool = True,
    label: str = "label",
    task: str | None = None,
) -> Dataset:
    """Load a data set and split it by ``seed``.

    Parameters
    ----------
    name : str or Path
        ``"digits"`` (default), ``"diabetes"``, ``"mnist1d"``, a toy 2-D set
        (``"spirals"``, ``"xor"``, ``"moons"``, ``"circles"``), or the path of
        a ``.csv`` / ``.npz`` file with a label column.
    seed : int
        Seed of the splits (and of the toy sets' points).
    test_size : float
        Fraction held out for testing, stratified by class. MNIST-1D keeps its
        own fixed 4,000 / 1,000 split and ignores it.
    val_size : float
        Fraction of the remaining training part held out for validation
        (early stopping); 0 for none.
    standardize : bool
        Fit ``(x − μ)/s`` per feature on the training split and apply it to all.
    label : str
        The label column of a CSV file (or key of an NPZ file).
    task : {"classification", "regression"} or None
        For files: None guesses (integer or text labels mean classes).
    """
    text = str(name)
    fixed_test = None
    if text == "digits":
        X, y = builtin.digits()
        raw_task, names = "classification", [str(k) for k in range(10)]
    elif text == "diabetes":
        X, y = builtin.diabetes()
        raw_task, names = "regression", []
    elif text == "mnist1d":
        (X, y), fixed_test = builtin.mnist1d()
        raw_task, names = "classification", [str(k) for k in range(10)]
    elif text in TOY_SETS:
        X, y = TOY_SETS[text](seed=seed)
        raw_task, names = "classification", [str(k) for k in range(int(y.max()) + 1)]
    elif text.lower().endswith((".csv", ".npz")) or Path(text).exists():
        X, raw = read_file(Path(text), label)
        y, raw_task, names = _labels(raw, task, text)
    else:
        raise DataError(
            f"unknown data set {text!r}; expected one of {', '.join(BUILTIN)} "
            f"or the path of a .csv or .npz file"
        )
    classify = raw_task == "classification"
    if fixed_test is None:
        keep, out = split_indices(y, test_size, seed, stratify=classify)
        X_test, y_test, X, y = X[out], y[out], X[keep], y[keep]
    else:
        X_test, y_test = fixed_test
    X_val = y_val = None
    if val_size:
        keep, out = split_indices(y, val_size, seed + 1, stratify=classify)
        X_val, y_val, X, y = X[out], y[out], X[keep], y[keep]
    scaler = target = None
    if standardize:
        scaler = Standardizer.fit(X)
        X, X_test = scaler.transform(X), scaler.transform(X_test)
        X_val = None if X_val is None else scaler.transform(X_val)
        if not classify:  # targets on the unit scale too, so one learning rate fits all
            target = Standardizer.fit(y)
            y, y_test = target.transform(y), target.transform(y_test)
            y_val = None if y_val is None else target.transform(y_val)
    return Dataset(text, raw_task, X, y, X_test, y_test, X_val, y_val, names, scaler, target)
