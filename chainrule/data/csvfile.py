"""A user's CSV file: header detected, label column by name or number, read by NumPy's C parser.

The numbers are parsed by ``numpy.loadtxt`` (NumPy's C reader since 1.23: quoted
cells, no Python object per cell), straight into one float64 table, so the
memory is about the numbers held. Only the label column, when it holds text,
goes through a small Python converter that maps each label to a class code.

Whether the first line is a header is decided from the first two lines: it is a
header when it names the label column, or when a column holds text there and a
number in the next line (``a,b,label`` over ``1,2,yes``). A first line of
numbers only is data. The label column is a name from the header or a column
number counting from 0 (negative numbers count from the end: ``-1`` is the last).

Every malformed file gets a :class:`DataError` naming the file, the line and
the column, worked out by re-reading the file only when something is wrong.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.errors import DataError

# What a checkpoint may record of a class name (and how many): training refuses more,
# so a model it writes can always be read back (chainrule.runinfo checks the same limits).
MAX_NAME_LENGTH = 4096
MAX_NAMES = 100_000

FIRST_LINES_CAP = 2**20  # bytes of one line read to find the header
SHOWN = 40  # characters of a cell shown in an error message
_OPTIONS: dict[str, Any] = {
    "delimiter": ",",
    "comments": None,  # a '#' is data ("#3" may be a label), not a comment
    "quotechar": '"',
    "encoding": "utf-8-sig",  # spreadsheets write a byte-order mark first
    "ndmin": 2,
}


@dataclass(frozen=True)
class CsvTable:
    """What :func:`read_table` found: features, raw labels and where they came from."""

    X: npt.NDArray[np.float64]
    labels: npt.NDArray[Any] | None  # float64, or text labels as an object array
    label_column: int | None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _shown(cell: str) -> str:
    return repr(cell if len(cell) <= SHOWN else cell[:SHOWN] + "…")


def _first_rows(path: Path) -> tuple[list[list[str]], int]:
    """The first two non-blank rows (split as CSV) and the line number of the first."""
    rows: list[list[str]] = []
    first_line = 0
    with path.open(encoding="utf-8-sig", newline="") as f:
        line_no = 0
        while len(rows) < 2:
            line = f.readline(FIRST_LINES_CAP + 1)
            line_no += 1
            if not line:
                break
            if len(line) > FIRST_LINES_CAP:
                raise DataError(f"{path}, line {line_no}: longer than 1 MiB; is it a CSV file?")
            if not line.strip():
                continue
            rows.append([c.strip() for c in next(csv.reader(io.StringIO(line)))])
            first_line = first_line or line_no
    return rows, first_line


def _has_header(rows: list[list[str]], label: str) -> bool:
    first = rows[0]
    if label in first and not _is_number(label):
        return True
    if len(rows) < 2:
        return not all(_is_number(c) for c in first)
    return any(not _is_number(a) and _is_number(b) for a, b in zip(first, rows[1], strict=False))


def label_column(path: Path, label: str, header: list[str] | None, n_columns: int) -> int | None:
    """The index of ``label`` (a header name or a column number), or ``None`` if absent."""
    if header is not None and label in header:
        if header.count(label) > 1:
            raise DataError(f"{path}: the header names {label!r} {header.count(label)} times")
        return header.index(label)
    if re.fullmatch(r"-?\d+", label.strip()):
        j = int(label)
        if not -n_columns <= j < n_columns:
            raise DataError(
                f"{path}: label column {j} does not exist; the file has {n_columns} columns "
                f"(numbered 0 to {n_columns - 1})"
            )
        return j % n_columns
    return None


def _missing_label(path: Path, label: str, header: list[str] | None, first: list[str]) -> DataError:
    if header is None:
        cells = ", ".join(_shown(c) for c in first[:4])
        return DataError(
            f"{path}: the first line is data, not a header ({cells}"
            f"{', …' if len(first) > 4 else ''}), so no column is named {label!r}; "
            f"give the label column by its number counting from 0 "
            f"(--label {len(first) - 1} for the last one), or add a header line"
        )
    return DataError(
        f"{path}: no label column {label!r}; the columns are {header}. Name the label "
        f"column with --label (a name, or a column number counting from 0)"
    )


def label_index(path: Path, label: str) -> int | None:
    """Where the ``label`` column of a CSV file is (counting from 0), from its first lines."""
    try:
        rows, _ = _first_rows(path)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if not rows:
        return None
    header = rows[0] if _has_header(rows, label) else None
    return label_column(path, label, header, len(rows[0]))


def read_table(
    path: Path,
    label: str,
    *,
    require_label: bool = True,
    n_features: int | None = None,
    trained_column: int | None = None,
) -> CsvTable:
    """Read ``path``: features as float64 ``(N, D)`` and the ``label`` column, if present.

    With ``require_label=False`` (for ``predict``) a missing label column is
    fine; with ``n_features`` a file of exactly that many columns is all
    features, and one of ``n_features + 1`` columns must hold the label: the
    one named ``label``, or else the ``trained_column``-th (where the label was
    in the training file).
    """
    try:
        rows, first_line = _first_rows(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read it as a UTF-8 CSV file ({exc})") from exc
    if not rows:
        raise DataError(f"{path}: expected a header line and at least one data line")
    header = rows[0] if _has_header(rows, label) else None
    n_columns = len(rows[0])
    separator = next((sep for sep in ";\t|" if n_columns == 1 and sep in rows[0][0]), None)
    if separator is not None:
        raise DataError(
            f"{path}: one column only, whose first line holds {separator!r}: the file seems to "
            f"use {separator!r} between columns. chainrule reads comma-separated files: save it "
            f"as CSV with commas (a spreadsheet's 'CSV (comma delimited)'), with '.' as the "
            f"decimal point"
        )
    if n_features is not None and n_columns == n_features and not (header and label in header):
        j = None
    else:
        j = label_column(path, label, header, n_columns)
        # Without a header, the label can only be found where it was in training.
        if j is None and header is None and n_features is not None:
            fits = n_columns == n_features + 1 and trained_column in range(n_columns)
            j = trained_column if fits else None
    if j is None and (require_label or (n_features is not None and n_columns != n_features)):
        if n_features is not None and header is not None and label not in header:
            raise DataError(
                f"{path}: expected {n_features} feature columns (or those and the label "
                f"column {label!r}), got {n_columns} columns: {header}"
            )
        raise _missing_label(path, label, header, rows[0])
    if n_columns < (2 if j is not None else 1):
        raise DataError(f"{path}: expected at least one feature column besides {label!r}")
    skip = first_line if header is not None else first_line - 1
    table, codes = _load(path, skip, n_columns, j, header)
    # np.delete copies once; fancy indexing (table[:, other_columns]) would take twice the memory
    X = np.delete(table, j, axis=1) if j is not None else table
    labels: npt.NDArray[Any] | None = None
    if j is not None:
        labels = table[:, j].copy()  # not a view: the table is freed on return
        if codes is not None:
            _check_class_names(path, skip, codes, labels)
            labels = np.asarray(list(codes), dtype=object)[labels.astype(np.intp)]
        elif not np.isfinite(labels).all():
            row = int(np.flatnonzero(~np.isfinite(labels))[0])
            raise DataError(
                f"{path}, line {_line_of_row(path, skip, row)}: the label is not a finite "
                f"number (it is {labels[row]}); labels must be numbers or names"
            )
    return CsvTable(X, labels, j)


def _loadtxt(
    path: Path, skip: int, converters: dict[int | str, Callable[[str], Any]] | None
) -> npt.NDArray[np.float64]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            table: npt.NDArray[np.float64] = np.loadtxt(
                path, dtype=np.float64, skiprows=skip, converters=converters, **_OPTIONS
            )
    except (UnicodeDecodeError, OSError, MemoryError) as exc:
        raise DataError(f"{path}: cannot read it as a UTF-8 CSV file ({exc})") from None
    if table.size == 0:
        raise DataError(f"{path}: expected a header line and at least one data line")
    return table


def _load(
    path: Path, skip: int, n_columns: int, j: int | None, header: list[str] | None
) -> tuple[npt.NDArray[np.float64], dict[str, int] | None]:
    """The whole table as float64; a text label column comes back as class codes."""
    try:
        return _loadtxt(path, skip, None), None
    except ValueError as exc:
        if isinstance(exc, DataError):
            raise
        # NumPy names the column counting from 1: text in the label column is fine.
        if j is None or not re.search(rf"column {j + 1}\.$", str(exc)):
            raise _diagnose(path, skip, n_columns, j, header) from None
    codes: dict[str, int] = {}

    def code(cell: str) -> float:
        name = cell.strip()
        if not name:
            raise ValueError("an empty label")  # _diagnose finds the line
        return float(codes.setdefault(name, len(codes)))

    try:
        return _loadtxt(path, skip, {j: code}), codes
    except ValueError as exc:
        if isinstance(exc, DataError):
            raise
        raise _diagnose(path, skip, n_columns, j, header) from None


def _check_class_names(
    path: Path, skip: int, codes: dict[str, int], labels: npt.NDArray[np.float64]
) -> None:
    """Text labels become class names in the checkpoint: at most MAX_NAMES, each short."""
    if len(codes) > MAX_NAMES:
        raise DataError(
            f"{path}: the label column holds {len(codes)} different names; at most "
            f"{MAX_NAMES} classes are supported. Is --label the right column?"
        )
    long = next((code for name, code in codes.items() if len(name) > MAX_NAME_LENGTH), None)
    if long is not None:
        row = int(np.flatnonzero(labels == long)[0])
        raise DataError(
            f"{path}, line {_line_of_row(path, skip, row)}: the label is a text of "
            f"{len(list(codes)[long])} characters; a class name may have at most "
            f"{MAX_NAME_LENGTH}. Is --label the right column?"
        )


def _line_of_row(path: Path, skip: int, row: int) -> int:
    """The line number of data row ``row`` (0-based; blank lines are not rows)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        seen = -1
        for line_no, line in enumerate(f, start=1):
            if line_no > skip and line.strip():
                seen += 1
                if seen == row:
                    return line_no
    return skip + row + 1


def _diagnose(
    path: Path, skip: int, n_columns: int, j: int | None, header: list[str] | None
) -> DataError:
    """Re-read the file row by row to say which line and column NumPy stumbled on."""
    what = "the header" if header is not None else "the first line"
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            for row in reader:
                if reader.line_num <= skip or not any(c.strip() for c in row):
                    continue
                where = f"{path}, line {reader.line_num}"
                if len(row) != n_columns:
                    return DataError(
                        f"{where}: expected {n_columns} values like {what}, got {len(row)}"
                    )
                if j is not None and not row[j].strip():
                    return DataError(f"{where}: the label is empty")
                for k, cell in enumerate(row):
                    if k != j and not _is_number(cell):
                        name = repr(header[k]) if header else str(k)
                        return DataError(
                            f"{where}, column {name}: expected a number, got {_shown(cell)}"
                        )
    except csv.Error as exc:
        why = "a cell longer than 128 KiB" if "field limit" in str(exc) else str(exc)
        return DataError(f"{path}, line {reader.line_num}: not a CSV line we read ({why})")
    except (UnicodeDecodeError, OSError) as exc:
        return DataError(f"{path}: cannot read it as a UTF-8 CSV file ({exc})")
    return DataError(f"{path}: not a table of numbers with one label column")
