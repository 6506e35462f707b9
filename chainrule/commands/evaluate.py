"""``chainrule evaluate``: score a saved checkpoint on the test split it was trained with."""

from __future__ import annotations

import argparse
from typing import Any

from chainrule.checkpoint import load_checkpoint
from chainrule.commands.common import percent, print_json
from chainrule.data import load_dataset
from chainrule.evaluate import evaluate


def add_parser(subparsers: Any) -> None:
    """Register ``evaluate`` and its options."""
    p = subparsers.add_parser(
        "evaluate",
        help="score a checkpoint on its test split (or another data set)",
        description="Rebuild the data split a checkpoint was trained with (same data, seed "
        "and fractions, from its metadata) and report loss and accuracy (or MSE and R²).",
    )
    p.add_argument("checkpoint", help="model.npz written by chainrule train")
    p.add_argument("--data", default=None, help="evaluate on this data set instead")
    p.add_argument("--split", choices=["test", "train", "val"], default="test")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate and print; return the exit status."""
    ckpt = load_checkpoint(args.checkpoint)
    config = ckpt.metadata.get("config", {})
    name = args.data or config.get("data", "digits")
    data = load_dataset(
        name,
        seed=int(config.get("seed", 0)),
        test_size=float(config.get("test_size", 0.25)),
        val_size=float(config.get("val_size", 0.0)),
        label=str(config.get("label", "label")),
    )
    X, y = {
        "test": (data.X_test, data.y_test),
        "train": (data.X_train, data.y_train),
        "val": (data.X_val, data.y_val),
    }[args.split]
    if X is None or y is None:
        print(f"chainrule evaluate: {name} has no validation split in this configuration")
        return 1
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
