"""Quality targets of the main job (a benchmark, not a test): accuracy and time.

Measures, and prints as a Markdown table:

- digits, 1 hidden layer: test accuracy of plain ``chainrule train --seed s``
  over 5 seeds of a 75/25 stratified split (target: mean ≥ 98.0 %), next to
  scikit-learn's ``MLPClassifier(100,)`` on the very same standardised splits;
- MNIST-1D (``mnist1d`` defaults, 4,000 train / 1,000 test), 1 hidden layer
  (target ≥ 60 %) and 2 hidden layers with Adam (target ≥ 68 %), each the
  given ``chainrule train`` command over 3 seeds, next to ``MLPClassifier(100,)``;
- the wall time of a default ``python -m chainrule train`` (target < 20 s),
  from process start to exit, plots included.

Run from the repository root:  python benchmarks/quality.py [--only digits|mnist1d|time]
Takes a few minutes on 2 cores (most of it MNIST-1D).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chainrule.cli import main  # noqa: E402
from chainrule.data import load_dataset  # noqa: E402

MNIST1D_ONE = ["--data", "mnist1d", "--hidden", "512", "--optimizer", "adam", "--lr", "0.01",
               "--weight-decay", "0", "--epochs", "150", "--batch-size", "100"]  # fmt: skip
MNIST1D_TWO = ["--data", "mnist1d", "--hidden", "256", "256", "--optimizer", "adam",
               "--lr", "0.01", "--weight-decay", "1e-4", "--epochs", "150",
               "--batch-size", "100"]  # fmt: skip


def chainrule_train(extra: list[str], seed: int) -> dict[str, Any]:
    """Run ``chainrule train <extra> --seed seed`` in-process; return its JSON result."""
    with tempfile.TemporaryDirectory() as out:
        buffer = io.StringIO()
        argv = ["train", *extra, "--seed", str(seed), "--out", out, "--json", "--no-plots"]
        with contextlib.redirect_stdout(buffer):
            status = main(argv)
        assert status == 0, f"chainrule {' '.join(argv)} failed"
        result: dict[str, Any] = json.loads(buffer.getvalue())
    return result


def sklearn_mlp(name: str, seed: int) -> float:
    """``MLPClassifier(100,)`` (its defaults: ReLU, Adam, 200 iterations) on our split."""
    from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]
    from sklearn.neural_network import MLPClassifier  # type: ignore[import-untyped]

    data = load_dataset(name, seed=seed)
    clf = MLPClassifier(hidden_layer_sizes=(100,), random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(data.X_train, data.y_train)
    return float(clf.score(data.X_test, data.y_test))


def row(label: str, accs: list[float], target: str, seconds: float | None = None) -> str:
    mean, std = 100 * np.mean(accs), 100 * np.std(accs)
    each = ", ".join(f"{100 * a:.2f}" for a in accs)
    took = "" if seconds is None else f"{seconds:.1f}"
    return f"| {label} | {mean:.2f} ± {std:.2f} | {each} | {target} | {took} |"


def digits(seeds: range) -> list[str]:
    lines, accs, times = [], [], []
    for s in seeds:
        start = time.perf_counter()
        accs.append(chainrule_train([], s)["test_accuracy"])
        times.append(time.perf_counter() - start)
    lines.append(
        row("digits: `chainrule train` (256 ReLU, SGD)", accs, "≥ 98.0", float(np.mean(times)))
    )
    lines.append(
        row("digits: sklearn MLPClassifier(100,)", [sklearn_mlp("digits", s) for s in seeds], "–")
    )
    return lines


def mnist1d(seeds: range) -> list[str]:
    lines = []
    for label, extra, target in (
        ("MNIST-1D: 1 hidden (512 ReLU, Adam)", MNIST1D_ONE, "≥ 60"),
        ("MNIST-1D: 2 hidden (256-256 ReLU, Adam)", MNIST1D_TWO, "≥ 68"),
    ):
        accs, times = [], []
        for s in seeds:
            start = time.perf_counter()
            accs.append(chainrule_train(extra, s)["test_accuracy"])
            times.append(time.perf_counter() - start)
        lines.append(row(label, accs, target, float(np.mean(times))))
        print(lines[-1], flush=True)
    lines.append(
        row(
            "MNIST-1D: sklearn MLPClassifier(100,)", [sklearn_mlp("mnist1d", s) for s in seeds], "–"
        )
    )
    return lines


def wall_time(repeats: int = 3) -> str:
    """Seconds for ``python -m chainrule train`` end to end (median of ``repeats``)."""
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "chainrule", "train", "--out", out, "--quiet"],
                           cwd=ROOT, check=True, capture_output=True)  # fmt: skip
            times.append(time.perf_counter() - start)
    each = ", ".join(f"{t:.1f}" for t in times)
    median = float(np.median(times))
    return f"| default `chainrule train` wall time (s) | {median:.1f} (median) | {each} | < 20 | |"


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["digits", "mnist1d", "time"], default=None)
    args = parser.parse_args()
    print("| benchmark | mean ± std (%) | per seed | target | s per run |")
    print("|---|---|---|---|---|")
    if args.only in (None, "digits"):
        print("\n".join(digits(range(5))), flush=True)
    if args.only in (None, "mnist1d"):
        lines = mnist1d(range(3))
        print(lines[-1], flush=True)
    if args.only in (None, "time"):
        print(wall_time(), flush=True)
    print(f"\nMNIST-1D commands: chainrule train {' '.join(MNIST1D_ONE)}\n"
          f"                   chainrule train {' '.join(MNIST1D_TWO)}")  # fmt: skip


if __name__ == "__main__":
    run()
