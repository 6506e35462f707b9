"""``chainrule evaluate``: score a saved checkpoint on the test split it was trained with."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chainrule.checkpoint import load_checkpoint
from chainrule.commands.common import percent, print_json, printable
from chainrule.data import load_dataset
from chainrule.errors import DataError
from chainrule.evaluate import evaluate
from chainrule.runinfo import data_to_read, n_inputs, n_outputs, trained_with


def add_parser(subparsers: Any) -> None:
    """Register ``evaluate`` and its options."""
    p = subparsers.add_parser(
        "evaluate",
        help="score a checkpoint on its test split (or another data set)",
        description="Rebuild the data split a checkpoint was trained with (same data, seed "
        "and fractions, from its metadata) and report loss and accuracy (or MSE and R²).",
    )
    p.add_argument("checkpoint", help="model.npz written by chainrule train")
    p.add_argument(
        "--data",
        default=None,
        help="the data set to evaluate on (needed for a model trained on a file: a checkpoint "
        "never chooses which file to read)",
    )
    p.add_argument("--split", choices=["test", "train", "val"], default="test")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate and print; return the exit status."""
    ckpt = load_checkpoint(args.checkpoint)
    info = trained_with(ckpt, args.checkpoint)
    name, note = data_to_read(info, args.data, args.checkpoint)
    if note is not None:
        print(f"chainrule evaluate: {printable(note)}", file=sys.stderr)
    data = load_dataset(
        name, seed=info.seed, test_size=info.test_size, val_size=info.val_size, label=info.label
    )
    if data.n_features != n_inputs(ckpt) or data.n_outputs != n_outputs(ckpt):
        raise DataError(
            f"{name}: {data.n_features} features and {data.n_outputs} outputs, but the model "
            f"takes {n_inputs(ckpt)} and gives {n_outputs(ckpt)}; is it the data it was trained on?"
        )
    X, y = {
        "test": (data.X_test, data.y_test),
        "train": (data.X_train, data.y_train),
        "val": (data.X_val, data.y_val),
    }[args.split]
    if X is None or y is None:
        raise DataError(f"{name} has no validation split: the model was trained without --val-size")
    scores = evaluate(ckpt.net, X, y, task=data.task)
    result: dict[str, Any] = {"checkpoint": args.checkpoint, "data": name, "split": args.split}
    result.update({f"{args.split}_{k}": v for k, v in scores.items()}, n=len(X))
    if args.json:
        print_json(result)
    elif data.task == "classification":
        print(f"{args.split} accuracy {percent(scores['accuracy'])} on {len(X)} samples, "
              f"loss {scores['loss']:.4f}")  # fmt: skip
    else:
        print(f"{args.split} R² {scores['r2']:.4f}, MSE {scores['mse']:.4f} (standardised units)")
    return 0
