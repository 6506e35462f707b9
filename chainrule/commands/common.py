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
from chainrule.errors import CheckpointError


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


def scalers(
    ckpt: Checkpoint, path: str, n_in: int, n_out: int
) -> tuple[Standardizer | None, Standardizer | None]:
    """The feature and target standardisers stored in a checkpoint, if any, checked.

    ``mean``/``scale`` must hold one number per input (``n_in``) and
    ``target_mean``/``target_scale`` one per output, every scale positive.
    """
    found: list[Standardizer | None] = []
    for prefix, size in (("", n_in), ("target_", n_out)):
        mean, scale = ckpt.arrays.get(prefix + "mean"), ckpt.arrays.get(prefix + "scale")
        if mean is None and scale is None:
            found.append(None)
            continue
        for name, a in ((prefix + "mean", mean), (prefix + "scale", scale)):
            if a is None or a.shape != (size,):
                shape = "missing" if a is None else f"of shape {a.shape}"
                raise CheckpointError(
                    f"{path}: the standardisation array {name!r} is {shape}, "
                    f"expected one number for each of the net's {size} "
                    f"{'inputs' if prefix == '' else 'outputs'}"
                )
        assert mean is not None and scale is not None
        if not (scale > 0).all():
            raise CheckpointError(f"{path}: the array {prefix + 'scale'!r} must be positive")
        found.append(Standardizer(mean.astype(np.float64), scale.astype(np.float64)))
    return found[0], found[1]


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


def printable(text: str) -> str:
    """``text`` with control and format characters escaped (``\\x1b`` for ESC), so text
    from a file (class names, labels) cannot move the cursor or recolour a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
