"""``chainrule predict``: apply a saved checkpoint to new samples from a CSV or NPZ file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.checkpoint import load_checkpoint
from chainrule.commands.common import print_json, scalers
from chainrule.data.files import read_csv, read_npz
from chainrule.errors import DataError
from chainrule.evaluate import predict, predict_proba


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
    p.add_argument("--label", default="label", help="label column to ignore, if present")
    p.add_argument("--out", default=None, help="also write the predictions to this CSV file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _features(path: Path, label: str) -> np.ndarray[Any, Any]:
    if path.suffix.lower() == ".csv":
        return read_csv(path, label, require_label=False)[0]
    if path.suffix.lower() == ".npz":
        return read_npz(path, label, require_label=False)[0]
    raise DataError(f"{path}: expected a .csv or .npz file, got suffix {path.suffix!r}")


def run(args: argparse.Namespace) -> int:
    """Predict and print; return the exit status."""
    ckpt = load_checkpoint(args.checkpoint)
    features, target = scalers(ckpt)
    X = _features(Path(args.input), args.label)
    if features is not None:
        X = features.transform(X)
    task = ckpt.metadata.get("task", "classification")
    names = list(ckpt.metadata.get("class_names", []))
    result: dict[str, Any] = {"checkpoint": args.checkpoint, "input": args.input}
    if task == "classification":
        labels = predict(ckpt.net, X)
        shown = [names[k] if k < len(names) else str(k) for k in labels]
        result["predictions"] = shown
        result["probabilities"] = np.round(predict_proba(ckpt.net, X), 6).tolist()
    else:
        values = predict(ckpt.net, X, task="regression")
        values = target.inverse_transform(values) if target is not None else values
        shown = [",".join(f"{v:.6g}" for v in row) for row in values]
        result["predictions"] = np.asarray(values).tolist()
    if args.out is not None:
        Path(args.out).write_text("prediction\n" + "\n".join(shown) + "\n")
        result["out"] = args.out
    if args.json:
        print_json(result)
    else:
        print("\n".join(shown))
    return 0
