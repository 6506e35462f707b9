"""``chainrule train``: train an MLP on a data set, write checkpoint, metrics and plots."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.checkpoint import save
from chainrule.commands.common import blas_threads, new_run_folder, percent, print_json
from chainrule.data import BUILTIN, load_dataset
from chainrule.evaluate import evaluate, predict
from chainrule.fit import fit
from chainrule.metrics import confusion_matrix
from chainrule.model import ACTIVATIONS, mlp
from chainrule.runinfo import describe_data
from layers.errors import HyperparameterError
from optim import SGD, Adam, CosineAnnealingLR, LRSchedule, Optimizer, StepLR

DEFAULT_LR = {"sgd": 0.05, "adam": 1e-3}


def add_parser(subparsers: Any) -> None:
    """Register ``train`` and its options."""
    p = subparsers.add_parser(
        "train",
        help="train a net (default: 1 hidden layer on digits)",
        description="Train a multi-layer perceptron and write model.npz, metrics.json and "
        "PNG plots into an output folder. With no options: one hidden layer of 256 ReLUs "
        "on scikit-learn's digits, 75/25 stratified split.",
    )
    p.add_argument("--data", default="digits", help=f"{', '.join(BUILTIN)}, or a .csv/.npz file")
    p.add_argument("--label", default="label", help="label column of a CSV/NPZ file")
    p.add_argument(
        "--hidden",
        type=int,
        nargs="+",
        default=[256],
        metavar="H",
        help="hidden layer sizes, e.g. --hidden 256 256 for two (default 256)",
    )
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    p.add_argument("--lr", type=float, default=None, help="default 0.05 (sgd), 0.001 (adam)")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default 0.9)")
    p.add_argument("--weight-decay", type=float, default=1e-3)
    p.add_argument(
        "--schedule",
        choices=["cosine", "step", "none"],
        default="cosine",
        help="learning-rate schedule over the epochs (default cosine)",
    )
    p.add_argument("--test-size", type=float, default=0.25)
    p.add_argument(
        "--val-size",
        type=float,
        default=0.0,
        help="fraction of the training part held out for validation",
    )
    p.add_argument(
        "--early-stopping",
        type=int,
        default=None,
        metavar="PATIENCE",
        help="stop after this many epochs without a better validation loss",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of split, weights and shuffling")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads (default 1: small batches run fastest on one)",
    )
    p.add_argument("--out", default=None, help="output folder (default runs/<data>-<time>)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--quiet", action="store_true", help="no progress bars, one summary line")
    p.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    p.set_defaults(func=run)  # fmt: skip


def _initial_lr(args: argparse.Namespace) -> float:
    """``--lr``, or the default of ``--optimizer`` when it was not given."""
    return float(DEFAULT_LR[args.optimizer] if args.lr is None else args.lr)


def _optimizer(args: argparse.Namespace, params: Any) -> tuple[Optimizer, LRSchedule | None]:
    lr = _initial_lr(args)
    opt: Optimizer
    if args.optimizer == "sgd":
        opt = SGD(params, lr=lr, momentum=args.momentum, weight_decay=args.weight_decay)
    else:
        opt = Adam(params, lr=lr, weight_decay=args.weight_decay)
    schedule: LRSchedule | None = None
    if args.schedule == "cosine":
        schedule = CosineAnnealingLR(opt, T_max=args.epochs)
    elif args.schedule == "step":
        schedule = StepLR(opt, step_size=max(1, args.epochs // 3), gamma=0.1)
    return opt, schedule


def run(args: argparse.Namespace) -> int:
    """Train, evaluate on the test split, write everything; return the exit status."""
    started = time.perf_counter()
    data = load_dataset(
        args.data, seed=args.seed, test_size=args.test_size, val_size=args.val_size,
        label=args.label,
    )  # fmt: skip
    net = mlp(data.n_features, args.hidden, data.n_outputs, args.activation,
              rng=args.seed, dtype=args.dtype)  # fmt: skip
    opt, schedule = _optimizer(args, net.parameters())
    if args.early_stopping is not None and data.X_val is None:
        raise HyperparameterError("--early-stopping needs a validation split, e.g. --val-size 0.1")
    validation = None
    if data.X_val is not None and data.y_val is not None:
        validation = (data.X_val, data.y_val)
    with blas_threads(args.threads):
        history = fit(
            net, data.X_train, data.y_train, optimizer=opt, epochs=args.epochs,
            batch_size=args.batch_size, validation_data=validation,
            early_stopping=args.early_stopping, schedule=schedule, seed=args.seed,
            progress=False if (args.quiet or args.json) else None,
        )  # fmt: skip
        test = evaluate(net, data.X_test, data.y_test, task=data.task)
        train = evaluate(net, data.X_train, data.y_train, task=data.task)
    folder = new_run_folder(args.out, str(args.data))
    config = {k: v for k, v in vars(args).items() if k != "func"}
    config["lr"] = _initial_lr(args)  # the rate used: --lr, or the optimizer's default
    arrays: dict[str, Any] = {}
    if data.standardizer is not None:
        arrays.update(mean=data.standardizer.mean, scale=data.standardizer.scale)
    if data.target_standardizer is not None:
        ts = data.target_standardizer
        arrays.update(target_mean=ts.mean, target_scale=ts.scale)
    meta = {
        "task": data.task,
        "class_names": data.class_names,
        "config": config,
        "data": describe_data(str(args.data), args.label),
    }
    paths: dict[str, Path] = {
        "checkpoint": save(net, folder / "model.npz", metadata=meta, arrays=arrays)
    }
    if not args.no_plots:
        paths.update(_plots(net, data, history, folder))
    result: dict[str, Any] = {"data": str(args.data), "task": data.task}
    result.update({f"test_{k}": v for k, v in test.items()})
    result.update({f"train_{k}": v for k, v in train.items()})
    result.update(
        epochs_run=len(history.epoch), seconds=round(time.perf_counter() - started, 3),
        out=folder, paths=paths,
    )  # fmt: skip
    paths["metrics"] = folder / "metrics.json"
    with paths["metrics"].open("w") as f:
        json.dump({**result, "config": config, "history": history.as_dict()}, f, indent=2,
                  default=str)  # fmt: skip
    if args.json:
        print_json(result)
    else:
        _summary(result, data.task, len(data.X_test))
    return 0


def _plots(net: Any, data: Any, history: Any, folder: Path) -> dict[str, Path]:
    from chainrule import plots

    title = f"{data.name}: {net[0].out_features}-unit hidden layer" if len(net) == 3 else data.name
    out = {"curves_png": plots.plot_history(history, folder / "curves.png", title)}
    if data.task == "classification":
        C = confusion_matrix(data.y_test, predict(net, data.X_test), len(data.class_names))
        out["confusion_png"] = plots.plot_confusion(
            C, data.class_names, folder / "confusion.png", f"{data.name} test set:"
        )
        if data.n_features == 2:
            X = np.concatenate([data.X_train, data.X_test])
            y = np.concatenate([data.y_train, data.y_test])
            out["decision_boundary_png"] = plots.plot_decision_boundary(
                net, X, y, folder / "decision_boundary.png", f"{data.name}: decision regions"
            )
    return out


def _summary(result: dict[str, Any], task: str, n_test: int) -> None:
    if task == "classification":
        line = f"test accuracy {percent(result['test_accuracy'])} on {n_test} samples"
        line += f" (train {percent(result['train_accuracy'])})"
    else:
        line = f"test R² {result['test_r2']:.4f}, MSE {result['test_mse']:.4f} (standardised units)"
    print(line + f", {result['epochs_run']} epochs in {result['seconds']:.1f} s")
    for name, path in result["paths"].items():
        print(f"  {name:<22} {path}")
    sys.stdout.flush()
