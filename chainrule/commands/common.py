"""Pieces the subcommands share: output folders, JSON output, the checkpoint's metadata."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.checkpoint import Checkpoint
from chainrule.data.split import Standardizer


def new_run_folder(out: str | None, name: str) -> Path:
    """``out`` if given, else ``runs/<name>-<YYYYmmdd-HHMMSS>`` (made unique)."""
    if out is not None:
        folder = Path(out)
    else:
        stem = Path(name).stem if name.endswith((".csv", ".npz")) else name
        folder = Path("runs") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
        base, n = folder, 1
        while folder.exists():
            n += 1
            folder = base.with_name(f"{base.name}-{n}")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def print_json(obj: dict[str, Any]) -> None:
    """One JSON object on one line of stdout."""
    sys.stdout.write(json.dumps(obj, default=_plain) + "\n")


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def scalers(ckpt: Checkpoint) -> tuple[Standardizer | None, Standardizer | None]:
    """The feature and target standardisers stored in a checkpoint, if any."""
    a = ckpt.arrays
    features = Standardizer(a["mean"], a["scale"]) if "mean" in a and "scale" in a else None
    target = (
        Standardizer(a["target_mean"], a["target_scale"])
        if "target_mean" in a and "target_scale" in a
        else None
    )
    return features, target


def percent(x: float) -> str:
    """``0.98`` as ``98.00%``."""
    return f"{100 * x:.2f}%"


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Limit NumPy's BLAS to ``n`` threads inside the block (needs threadpoolctl).

    The matrices of a minibatch are small: on a busy 2-core machine extra
    BLAS threads spin and wait more than they compute (measured: a default
    ``chainrule train`` takes 1.8 s of CPU on one thread, 4.3 s on two).
    Without threadpoolctl the block runs unchanged.
    """
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield
