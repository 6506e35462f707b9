"""``chainrule predict``: apply a saved checkpoint to new samples from a CSV or NPZ file."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.checkpoint import load_checkpoint
from chainrule.commands.common import print_json, printable, scalers
from chainrule.data.csvfile import read_table
from chainrule.data.files import read_npz
from chainrule.errors import DataError
from chainrule.evaluate import predict, predict_proba
from chainrule.runinfo import n_inputs, n_outputs, trained_with


def add_parser(subparsers: Any) -> None:
    """Register ``predict`` and its options."""
    p = subparsers.add_parser(
        "predict",
        help="predict classes (or values) for the rows of a CSV/NPZ file",
        description="Read raw features (a CSV with a header, or an NPZ with an array 'X'), "
        "standardise them as in training, and print one prediction per row. A label "
        "column, if present, is ignored.",
    )
    p.add_argument("checkpoint", help="model.npz written by chainrule train")
    p.add_argument("input", help="a .csv or .npz file of raw features")
    p.add_argument(
        "--label",
        default=None,
        help="label column to ignore, if present (default: the one the model was trained with)",
    )
    p.add_argument("--out", default=None, help="also write the predictions to this CSV file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _features(path: Path, label: str, n_features: int, column: int | None) -> np.ndarray[Any, Any]:
    if path.suffix.lower() == ".csv":
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        table = read_table(
            path, label, require_label=False, n_features=n_features, trained_column=column
        )
        return table.X
    if path.suffix.lower() == ".npz":
        X = read_npz(path, label, require_label=False, n_features=n_features)[0]
        if X.shape[0] == 0:
            raise DataError(f"{path}: X has no rows (shape {X.shape}): nothing to predict")
        return X
    raise DataError(f"{path}: expected a .csv or .npz file, got suffix {path.suffix!r}")


def _write_csv(path: Path, shown: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["prediction"])
        writer.writerows([value] for value in shown)


def run(args: argparse.Namespace) -> int:
    """Predict and print; return the exit status."""
    ckpt = load_checkpoint(args.checkpoint)
    info = trained_with(ckpt, args.checkpoint)
    n_in, n_out = n_inputs(ckpt), n_outputs(ckpt)
    features, target = scalers(ckpt, args.checkpoint, n_in, n_out)
    label = info.label if args.label is None else args.label
    column = info.label_column if args.label is None else None
    X = _features(Path(args.input), label, n_in, column)
    if not np.isfinite(X).all():
        raise DataError(f"{args.input}: the features hold NaN or infinite values; clean them first")
    if features is not None:
        X = features.transform(X)
    result: dict[str, Any] = {"checkpoint": args.checkpoint, "input": args.input}
    if info.task == "classification":
        labels = predict(ckpt.net, X)
        names = info.class_names
        shown = [names[k] if k < len(names) else str(k) for k in labels]
        result["predictions"] = shown
        if args.json:  # a Python float per class and row: only when they are printed
            result["probabilities"] = np.round(predict_proba(ckpt.net, X), 6).tolist()
    else:
        values = predict(ckpt.net, X, task="regression")
        values = target.inverse_transform(values) if target is not None else values
        shown = [",".join(f"{v:.6g}" for v in row) for row in values]
        result["predictions"] = np.asarray(values).tolist()
    if args.out is not None:
        _write_csv(Path(args.out), shown)
        result["out"] = args.out
    if args.json:
        print_json(result)
    else:
        print("\n".join(printable(s) for s in shown))
    return 0
