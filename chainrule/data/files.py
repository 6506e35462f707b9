"""A user's own data: a CSV file with a header, or an NPZ file, with a label column.

Files are read as data only: CSV through the ``csv`` module, NPZ through
``numpy.load(allow_pickle=False)``. Every malformed file gets a
:class:`DataError` naming the file, the line or key, and what to do.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.errors import DataError


def read_csv(
    path: Path, label: str, require_label: bool = True
) -> tuple[npt.NDArray[np.float64], npt.NDArray[Any], list[str]]:
    """Read numeric features and the ``label`` column; return ``X``, raw labels, feature names.

    Labels are returned as strings (``"setosa"``, ``"3"``) and turned into
    classes or numbers by the caller. Without ``require_label`` a file with no
    ``label`` column is all features (for ``predict``), and the labels come
    back empty.
    """
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read it as a UTF-8 CSV file ({exc})") from exc
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise DataError(f"{path}: expected a header line and at least one data line")
    header = [h.strip() for h in rows[0]]
    if label not in header and require_label:
        raise DataError(
            f"{path}: no label column {label!r}; the columns are {header}. "
            f"Name the label column with --label (Python: label=...)"
        )
    j = header.index(label) if label in header else -1
    features, labels = [], []
    for line_no, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(
                f"{path}, line {line_no}: expected {len(header)} values like the header, "
                f"got {len(row)}"
            )
        values = []
        for k, cell in enumerate(row):
            if k == j:
                continue
            try:
                values.append(float(cell))
            except ValueError:
                raise DataError(
                    f"{path}, line {line_no}, column {header[k]!r}: expected a number, got {cell!r}"
                ) from None
        features.append(values)
        labels.append(row[j].strip())
    if len(header) < 2:
        raise DataError(f"{path}: expected at least one feature column besides {label!r}")
    names = [h for k, h in enumerate(header) if k != j]
    return np.asarray(features, dtype=np.float64), np.asarray(labels), names


def read_npz(
    path: Path, label: str, require_label: bool = True
) -> tuple[npt.NDArray[np.float64], npt.NDArray[Any]]:
    """Read ``X`` (N, D) and the labels stored under the key ``label`` (or ``"y"``).

    Without ``require_label`` the labels may be missing (for ``predict``).
    """
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):  # a .npy gives one array
            raise DataError(f"{path}: expected an .npz archive, got a single array")
        with loaded as archive:
            arrays = {k: archive[k] for k in archive.files}
        if not all(isinstance(a, np.ndarray) for a in arrays.values()):
            raise DataError(f"{path}: a member of the archive is not a .npy array")
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(
            f"{path}: not a readable .npz archive of plain arrays ({exc}); "
            f"save one with numpy.savez(path, X=features, y=labels)"
        ) from exc
    key = label if label in arrays else "y"
    if "X" not in arrays or (require_label and key not in arrays):
        raise DataError(
            f"{path}: expected arrays 'X' (features) and {label!r} or 'y' (labels), "
            f"found {sorted(arrays)}; save with numpy.savez(path, X=features, y=labels)"
        )
    X, y = arrays["X"], arrays.get(key, np.zeros(len(arrays["X"])))
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise DataError(f"{path}: 'X' must be a 2-D numeric array, got {X.shape} {X.dtype}")
    if y.ndim not in (1, 2) or len(y) != len(X):
        raise DataError(
            f"{path}: {key!r} must hold one label per row of 'X' ({len(X)}), got {y.shape}"
        )
    return X.astype(np.float64), y


def read_file(path: Path, label: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[Any]]:
    """Read a ``.csv`` or ``.npz`` file; refuse other suffixes and missing files."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.suffix.lower() == ".csv":
        X, y, _ = read_csv(path, label)
    elif path.suffix.lower() == ".npz":
        X, y = read_npz(path, label)
    else:
        raise DataError(f"{path}: expected a .csv or .npz file, got suffix {path.suffix!r}")
    if not np.isfinite(X).all():
        raise DataError(f"{path}: the features hold NaN or infinite values; clean them first")
    if len(X) < 4:
        raise DataError(f"{path}: expected at least 4 samples to split, got {len(X)}")
    return X, y
