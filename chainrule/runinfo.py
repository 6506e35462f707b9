"""What a checkpoint says about how it was trained, checked against a schema before use.

``chainrule train`` stores in a checkpoint's metadata::

    {"task": "classification", "class_names": ["setosa", ...],
     "config": {"data": "iris.csv", "label": "species", "seed": 0,
                "test_size": 0.25, "val_size": 0.0, ...},          # the options
     "data": {"name": "iris.csv", "builtin": false, "file": "/home/u/iris.csv",
              "sha256": "…", "label": "species", "label_column": 4}}

A checkpoint may come from anyone, so :func:`trained_with` checks every field
it uses for type and range and names the field that is wrong. A data *file*
is recorded only as a hint: ``evaluate`` reads a file only when the user
names it with ``--data``, and says so when that file is not the one the
model was trained on (its SHA-256 differs).
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainrule.checkpoint import Checkpoint
from chainrule.data import BUILTIN
from chainrule.data.csvfile import MAX_NAME_LENGTH, MAX_NAMES, label_index
from chainrule.errors import CheckpointError, DataError
from layers import Linear

TASKS = ("classification", "regression")
MAX_TEXT = MAX_NAME_LENGTH  # characters of a path, a label or a class name


@dataclass(frozen=True)
class TrainedWith:
    """The checked facts ``evaluate`` and ``predict`` need from a checkpoint."""

    task: str
    class_names: list[str]
    data: str  # a built-in name, or the data file's name as it was typed
    builtin: bool
    file_hint: str | None  # absolute path of the file where it was trained
    sha256: str | None
    label: str
    label_column: int | None  # where the label was in a training CSV, counting from 0
    seed: int
    test_size: float
    val_size: float


class _Fields:
    """Typed reads of one JSON object, each refusing with the field's dotted name."""

    def __init__(self, path: Path, where: str, obj: Any) -> None:
        self.path, self.where = path, where
        if not isinstance(obj, dict):
            raise self.refuse("", f"must be a JSON object, got {_kind(obj)}")
        self.obj: dict[str, Any] = obj

    def refuse(self, key: str, why: str) -> CheckpointError:
        name = f"{self.where}.{key}" if key else self.where
        return CheckpointError(f"{self.path}: the metadata field {name!r} {why}")

    def text(self, key: str, default: str | None) -> str | None:
        value = self.obj.get(key, default)
        if value is None or (isinstance(value, str) and len(value) <= MAX_TEXT):
            return value
        raise self.refuse(key, f"must be a text of at most {MAX_TEXT} chars, got {_kind(value)}")

    def integer(self, key: str, default: Any, low: int, high: int) -> Any:
        value = self.obj.get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and low <= value < high:
            return value
        top = f"2**{high.bit_length() - 1}" if high > 2**20 else str(high)
        raise self.refuse(key, f"must be an integer in [{low}, {top}), got {_kind(value)}")

    def fraction(self, key: str, default: float, low_open: bool) -> float:
        value = self.obj.get(key, default)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if number and math.isfinite(value) and (0 < value < 1 or (value == 0 and not low_open)):
            return float(value)
        bounds = "(0, 1)" if low_open else "[0, 1)"
        raise self.refuse(key, f"must be a number in {bounds}, got {_kind(value)}")

    def names(self, key: str) -> list[str]:
        value = self.obj.get(key, [])
        if (
            isinstance(value, list)
            and len(value) <= MAX_NAMES
            and all(isinstance(v, str) and len(v) <= MAX_TEXT for v in value)
        ):
            return value
        raise self.refuse(
            key,
            f"must be a list of at most {MAX_NAMES} texts of at most {MAX_TEXT} characters "
            f"each, got {_kind(value)}",
        )


def _kind(value: Any) -> str:
    """A short, safe description of a value from a file (never its whole repr)."""
    if isinstance(value, (bool, int, float)) or value is None:
        text = repr(value)
        return text if len(text) <= 40 else f"an integer of {len(text)} digits"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else f"a text of {len(value)} characters"
    return f"a JSON {'list' if isinstance(value, list) else 'object'}"


def _linears(ckpt: Checkpoint) -> list[Linear]:
    linears = [layer for layer in ckpt.net.layers if isinstance(layer, Linear)]
    if not linears:
        raise CheckpointError("the checkpoint holds no Linear layer: nothing was trained")
    return linears


def n_inputs(ckpt: Checkpoint) -> int:
    """``D``: the input size of the checkpoint's first ``Linear``."""
    return _linears(ckpt)[0].in_features


def n_outputs(ckpt: Checkpoint) -> int:
    """The output size of the checkpoint's last ``Linear``."""
    return _linears(ckpt)[-1].out_features


def trained_with(ckpt: Checkpoint, path: str | os.PathLike[str]) -> TrainedWith:
    """Check the metadata ``evaluate`` and ``predict`` use; absent fields take defaults."""
    where = Path(path)
    meta = _Fields(where, "metadata", ckpt.metadata)
    task = meta.text("task", "classification")
    if task not in TASKS:
        raise meta.refuse("task", f"must be one of {TASKS}, got {_kind(task)}")
    class_names = meta.names("class_names")
    outputs = n_outputs(ckpt)
    if task == "classification" and class_names and len(class_names) != outputs:
        raise meta.refuse("class_names", f"has {len(class_names)} names for {outputs} outputs")
    config = _Fields(where, "metadata.config", ckpt.metadata.get("config", {}))
    data = _Fields(where, "metadata.data", ckpt.metadata.get("data", {}))
    name = data.text("name", None) or config.text("data", "digits") or "digits"
    label = data.text("label", None) or config.text("label", "label") or "label"
    return TrainedWith(
        task=task,
        class_names=class_names,
        data=name,
        builtin=name in BUILTIN,
        file_hint=data.text("file", None),
        sha256=data.text("sha256", None),
        label=label,
        label_column=data.integer("label_column", None, 0, 2**31),
        seed=config.integer("seed", 0, 0, 2**63),
        test_size=config.fraction("test_size", 0.25, low_open=True),
        val_size=config.fraction("val_size", 0.0, low_open=False),
    )


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def describe_data(name: str, label: str) -> dict[str, Any]:
    """The ``metadata.data`` record ``train`` writes for the data set ``name``."""
    record: dict[str, Any] = {"name": name, "builtin": name in BUILTIN, "label": label}
    if name not in BUILTIN:
        file = Path(name).resolve()
        record.update(file=str(file), sha256=sha256_of(file))
        if file.suffix.lower() == ".csv":
            record["label_column"] = label_index(file, label)
    return record


def data_to_read(info: TrainedWith, given: str | None, checkpoint: str) -> tuple[str, str | None]:
    """The data set ``evaluate`` reads, and a note for the user (or ``None``).

    A built-in set is read by name. A file is read only when the user names it
    with ``--data``; the checkpoint's path is a hint in the message otherwise.
    """
    if given is None and info.builtin:
        return info.data, None
    if given is None:
        hint = info.file_hint
        if hint is not None and Path(hint).is_file():
            where = f"it was at {hint}"
            fix = f"--data {hint}"
        else:
            where = f"it was at {hint}, which no longer exists" if hint else "its place is unknown"
            fix = "--data PATH"
        raise DataError(
            f"{checkpoint} was trained on the file {info.data!r} ({where}); a checkpoint "
            f"never chooses which file to read: name it with {fix}"
        )
    note = None
    path = Path(given)
    known = info.sha256 is not None and given not in BUILTIN and path.is_file()
    if known and sha256_of(path) != info.sha256:
        note = (
            f"note: {given} is not the file the model was trained on (its contents "
            f"differ), so this is not the split it was trained and tested with"
        )
    return given, note
