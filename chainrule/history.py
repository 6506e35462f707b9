"""``History``: what ``fit`` records, one entry per epoch (like Keras' ``History``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class History:
    """Per-epoch records of a training run.

    Attributes
    ----------
    epoch : list of int
        1, 2, … for each epoch run.
    loss, accuracy : list of float
        Mean training loss over the epoch's batches, and training accuracy
        measured on those batches as they went by (classification only).
    val_loss, val_accuracy : list of float
        The same on the validation data, after the epoch (empty without it).
    lr : list of float
        Learning rate used during the epoch.
    time : list of float
        Wall-clock seconds the epoch took.
    best_epoch : int or None
        With early stopping, the epoch whose weights were kept.
    stopped_early : bool
        True when early stopping or a callback ended training before ``epochs``.
    """

    epoch: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain lists and numbers, ready for ``json.dump``."""
        return asdict(self)

    def last(self) -> dict[str, float]:
        """The last epoch's numbers, e.g. ``{"loss": 0.1, "accuracy": 0.98, …}``."""
        keys = ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "time")
        return {k: getattr(self, k)[-1] for k in keys if getattr(self, k)}


class StopTraining(Exception):  # noqa: N818  (a signal, like StopIteration, not an error)
    """Raise it from a callback to end ``fit`` after the current epoch."""
