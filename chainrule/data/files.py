"""A user's own data file: a CSV (see :mod:`chainrule.data.csvfile`) or an NPZ archive.

Files are read as data only: CSV through NumPy's C parser, NPZ through
:class:`chainrule.archive.NpzArchive` (the zip directory and ``.npy`` headers
checked before anything is read, within a memory budget, never a pickle).
Every malformed file gets a :class:`DataError` naming the file, the line or
key, and what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.archive import NpzArchive
from chainrule.data.csvfile import read_table
from chainrule.errors import DataError

MAX_LABEL_CHARS = 256  # text labels in an NPZ: class names, not documents
SAVE_HINT = "save one with numpy.savez(path, X=features, y=labels)"


def _refuser(path: Path) -> Callable[[str], DataError]:
    def refuse(why: str) -> DataError:
        return DataError(f"{path}: {why}" + ("" if "numpy.savez" in why else f"; {SAVE_HINT}"))

    return refuse


def read_npz(
    path: Path, label: str, require_label: bool = True, n_features: int | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[Any]]:
    """Read ``X`` (N, D) and the labels stored under the key ``label`` (or ``"y"``).

    Without ``require_label`` the labels may be missing (for ``predict``); then
    an empty array comes back. Only ``X`` and the labels are ever read.
    """
    with NpzArchive(path, _refuser(path)) as archive:
        key = label if label in archive.keys else "y"
        if "X" not in archive.keys or (require_label and key not in archive.keys):
            raise DataError(
                f"{path}: expected arrays 'X' (features) and {label!r} or 'y' (labels), "
                f"found {archive.keys[:20]}; {SAVE_HINT}"
            )
        X_head = archive.member("X")
        if len(X_head.shape) != 2:
            raise DataError(f"{path}: 'X' must be a 2-D numeric array, got shape {X_head.shape}")
        if n_features is not None and X_head.shape[1] != n_features:
            raise DataError(
                f"{path}: 'X' has {X_head.shape[1]} features per row, the model takes {n_features}"
            )
        has_labels = key in archive.keys
        if has_labels:
            y_head = archive.member(key, kinds="biufU")
            if len(y_head.shape) not in (1, 2) or y_head.shape[0] != X_head.shape[0]:
                raise DataError(
                    f"{path}: {key!r} must hold one label per row of 'X' ({X_head.shape[0]}), "
                    f"got shape {y_head.shape}"
                )
            if y_head.dtype.kind == "U" and y_head.dtype.itemsize > 4 * MAX_LABEL_CHARS:
                raise DataError(f"{path}: labels in {key!r} longer than {MAX_LABEL_CHARS} chars")
        X = archive.read("X")
        y = archive.read(key, kinds="biufU") if has_labels else np.zeros(0)
    return X.astype(np.float64, copy=False), y


def read_file(path: Path, label: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[Any]]:
    """Read a ``.csv`` or ``.npz`` file; refuse other suffixes and missing files."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.suffix.lower() == ".csv":
        table = read_table(path, label)
        X, y = table.X, table.labels
        assert y is not None  # read_table requires the label column
    elif path.suffix.lower() == ".npz":
        X, y = read_npz(path, label)
    else:
        raise DataError(f"{path}: expected a .csv or .npz file, got suffix {path.suffix!r}")
    if not np.isfinite(X).all():
        raise DataError(f"{path}: the features hold NaN or infinite values; clean them first")
    if len(X) < 4:
        raise DataError(f"{path}: expected at least 4 samples to split, got {len(X)}")
    return X, y
