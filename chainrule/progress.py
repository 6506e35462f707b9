"""Progress: tqdm bars per epoch in a terminal, live learning curves in a notebook, or silence."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from chainrule.history import History
from layers.errors import HyperparameterError


class _Silent:
    """Stands in for a tqdm bar when progress is off."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str, refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def show_progress(requested: bool | str | None) -> bool:
    """``True``/``False`` as asked; ``None`` means "only when stderr is a terminal".

    ``"notebook"`` asks for :class:`LiveCurves`; where there is no notebook
    (see :func:`live_curves`) the bars stand in for them.
    """
    if requested == "notebook":
        return True
    if requested is not None and not isinstance(requested, bool):
        raise HyperparameterError(
            f"fit: progress must be True, False, None or 'notebook', got {requested!r}"
        )
    if requested is not None:
        return requested
    return sys.stderr.isatty()


class LiveCurves:
    """Loss and accuracy curves, redrawn in the notebook cell after every epoch.

    The figure is :func:`chainrule.plots.plot_history`'s, shown as a PNG
    through ``IPython.display`` and replaced in place (one output, not one
    per epoch), so the executed notebook keeps the final curves.
    """

    def __init__(self, display: Any, image: Any) -> None:
        self._display, self._image = display, image
        self._handle: Any = None

    def update(self, history: History) -> None:
        """Draw ``history`` so far in place of the previous drawing."""
        import tempfile

        from chainrule.plots import plot_history

        with tempfile.TemporaryDirectory() as folder:
            png = plot_history(history, Path(folder) / "curves.png").read_bytes()
        picture = self._image(data=png, format="png")
        if self._handle is None:
            self._handle = self._display(picture, display_id=True)
        else:
            self._handle.update(picture)


def live_curves() -> LiveCurves | None:
    """:class:`LiveCurves` inside a Jupyter kernel with matplotlib; ``None`` anywhere else."""
    try:
        import matplotlib  # noqa: F401  (only checked for: the curves need it)
        from IPython import get_ipython  # type: ignore[attr-defined,import-not-found,unused-ignore]
        from IPython.display import (  # type: ignore[attr-defined,import-not-found,unused-ignore]
            Image,
            display,
        )
    except ImportError:
        return None
    shell = get_ipython()  # type: ignore[no-untyped-call,unused-ignore]
    if shell is None or getattr(shell, "kernel", None) is None:  # a terminal IPython has no kernel
        return None
    return LiveCurves(display, Image)


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
