"""Checkpoints: a net's arrays and a JSON description of its layers in one ``.npz`` file.

Layout of the archive (every member a plain ``.npy`` array)::

    __chainrule__      uint8 bytes of a UTF-8 JSON header:
                       {"format": "chainrule-checkpoint", "version": 1,
                        "layers": [{"type": "Linear", "in": 64, ...}, {"type": "ReLU"}, ...],
                        "arrays": ["mean", ...], "metadata": {...}}
    layers.0.W         the first Linear's W, (M, D)
    layers.0.b         its b, (M,)
    extra.mean         any extra arrays (e.g. the standardiser's μ and s)

Loading never executes anything from the file: ``numpy.load`` runs with
``allow_pickle=False``, the header is parsed with ``json``, layer types come
from a fixed list, and every array must have exactly the expected name,
shape and dtype and be finite. Anything else raises :class:`CheckpointError`.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.errors import CheckpointError
from chainrule.model import build, describe
from layers import Layer, Linear, Sequential
from layers.errors import ChainruleError

FORMAT, VERSION, HEADER = "chainrule-checkpoint", 1, "__chainrule__"


@dataclass
class Checkpoint:
    """A loaded checkpoint: the net, its metadata, and any extra arrays."""

    net: Sequential
    metadata: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, npt.NDArray[Any]] = field(default_factory=dict)


def save(
    net: Layer,
    path: str | os.PathLike[str],
    *,
    metadata: dict[str, Any] | None = None,
    arrays: dict[str, npt.ArrayLike] | None = None,
) -> Path:
    """Write ``net`` (and JSON ``metadata``, extra numeric ``arrays``) to ``path``.

    The file is written to a temporary name and renamed, so an interrupted
    save never leaves a half-written checkpoint behind. Returns the path.
    """
    extra = {name: np.asarray(a) for name, a in (arrays or {}).items()}
    header = {
        "format": FORMAT,
        "version": VERSION,
        "layers": describe(net),
        "arrays": sorted(extra),
        "metadata": metadata or {},
    }
    members: dict[str, npt.NDArray[Any]] = {
        HEADER: np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    }
    layers = list(net.layers) if isinstance(net, Sequential) else [net]
    for i, layer in enumerate(layers):
        if isinstance(layer, Linear):
            members[f"layers.{i}.W"] = layer.W.value
            if layer.b is not None:
                members[f"layers.{i}.b"] = layer.b.value
    for name, a in extra.items():
        if a.dtype.kind not in "biuf":
            raise CheckpointError(f"save: extra array {name!r} must be numeric, got {a.dtype}")
        members[f"extra.{name}"] = a
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    with partial.open("wb") as f:
        np.savez(f, **members)  # type: ignore[arg-type]
    partial.replace(target)
    return target


def _refuse(path: Path, why: str) -> CheckpointError:
    return CheckpointError(f"load: refusing {path}: {why}")


def _read_members(path: Path) -> dict[str, npt.NDArray[Any]]:
    """Every member of the archive, read with ``allow_pickle=False``."""
    if not path.is_file():
        raise CheckpointError(f"load: {path}: no such file")
    try:
        # We open the file ourselves so that it is closed on every path, including
        # a truncated archive that np.load gives up on half-way.
        with path.open("rb") as f:
            # NumPy takes anything that is neither a zip nor a .npy for a pickle and
            # says so; we never unpickle, so we say plainly what the file is not.
            if f.read(4) not in (b"PK\x03\x04", b"\x93NUM"):  # zip, or a lone .npy
                raise _refuse(path, "not an .npz archive (a chainrule checkpoint is a zip file)")
            f.seek(0)
            loaded = np.load(f, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):  # a .npy gives one array
                raise _refuse(path, "a single array, not a chainrule .npz checkpoint")
            with loaded as archive:
                members = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        if isinstance(exc, CheckpointError):
            raise
        raise _refuse(path, f"not a readable archive of plain arrays ({exc})") from exc
    for name, value in members.items():
        if not isinstance(value, np.ndarray):  # NpzFile gives raw bytes for a non-.npy member
            raise _refuse(path, f"member {name!r} is not a .npy array")
    return members


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Load a checkpoint written by :func:`save`, checking everything in it."""
    where = Path(path)
    members = _read_members(where)
    raw = members.pop(HEADER, None)
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise _refuse(where, f"no {HEADER!r} header; not a chainrule checkpoint")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _refuse(where, f"the header is not valid JSON ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _refuse(where, "the header does not describe a chainrule checkpoint")
    if header.get("version") != VERSION:
        raise _refuse(where, f"checkpoint version {header.get('version')!r}, expected {VERSION}")
    spec, names = header.get("layers"), header.get("arrays", [])
    if not isinstance(spec, list) or not isinstance(names, list):
        raise _refuse(where, "the header's 'layers' and 'arrays' must be lists")
    expected: dict[str, tuple[int, ...]] = {}
    for i, entry in enumerate(spec):
        if isinstance(entry, dict) and entry.get("type") == "Linear":
            d, m = entry.get("in"), entry.get("out")
            if not all(isinstance(n, int) and not isinstance(n, bool) for n in (d, m)):
                raise _refuse(where, f"layer ({i}) has non-integer sizes: {entry!r}")
            expected[f"layers.{i}.W"] = (m, d)  # type: ignore[assignment]
            if entry.get("bias") is True:
                expected[f"layers.{i}.b"] = (m,)  # type: ignore[assignment]
    extra_keys = {f"extra.{n}" for n in names if isinstance(n, str)}
    if set(members) != set(expected) | extra_keys:
        unexpected = sorted(set(members) ^ (set(expected) | extra_keys))
        raise _refuse(where, f"its arrays do not match its header (differ: {unexpected})")
    for key, shape in expected.items():
        a = members[key]
        if a.shape != shape or a.dtype.kind != "f":
            raise _refuse(where, f"{key} has shape {a.shape} and dtype {a.dtype}, expected {shape}")
        if not np.isfinite(a).all():
            raise _refuse(where, f"{key} holds NaN or infinite values")
    try:
        net = build(spec)
        for i, layer in enumerate(net.layers):
            if isinstance(layer, Linear):
                for p in layer.parameters():
                    stored = members[f"layers.{i}.{p.name}"]
                    if stored.dtype.newbyteorder("=") != p.dtype:  # either byte order
                        raise _refuse(where, f"layers.{i}.{p.name} has dtype {stored.dtype}")
                    p.value = stored
    except ChainruleError as exc:
        if isinstance(exc, CheckpointError):
            raise
        raise _refuse(where, f"its layer description is invalid ({exc})") from exc
    metadata = header.get("metadata", {})
    if not isinstance(metadata, dict):
        raise _refuse(where, "the header's metadata must be a JSON object")
    arrays = {key.removeprefix("extra."): members[key] for key in extra_keys}
    return Checkpoint(net, metadata, arrays)


def load(path: str | os.PathLike[str]) -> Sequential:
    """Load the net saved by :func:`save` (see :func:`load_checkpoint` for the rest)."""
    return load_checkpoint(path).net
