"""Progress bars: tqdm per epoch when writing to a terminal, silence otherwise."""

from __future__ import annotations

import sys
from typing import Any


class _Silent:
    """Stands in for a tqdm bar when progress is off."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str, refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def show_progress(requested: bool | None) -> bool:
    """``True``/``False`` as asked; ``None`` means "only when stderr is a terminal"."""
    if requested is not None:
        return requested
    return sys.stderr.isatty()


def epoch_bar(total: int, epoch: int, epochs: int, enabled: bool) -> Any:
    """A bar of ``total`` batches labelled ``epoch e/E``, or a silent stand-in.

    tqdm is imported here, not at ``import chainrule``; without it the bar is
    silent rather than an error.
    """
    if not enabled:
        return _Silent()
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]
    except ImportError:
        return _Silent()
    width = len(str(epochs))
    return tqdm(
        total=total,
        desc=f"epoch {epoch:>{width}}/{epochs}",
        unit="batch",
        leave=True,
        file=sys.stderr,
        dynamic_ncols=True,
    )
