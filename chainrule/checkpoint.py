"""Checkpoints: a net's arrays and a JSON description of its layers in one ``.npz`` file.

Layout of the archive (every member a plain ``.npy`` array)::

    __chainrule__      uint8 bytes of a UTF-8 JSON header:
                       {"format": "chainrule-checkpoint", "version": 1,
                        "layers": [{"type": "Linear", "in": 64, ...}, {"type": "ReLU"}, ...],
                        "arrays": ["mean", ...], "metadata": {...}}
    layers.0.W         the first Linear's W, (M, D)
    layers.0.b         its b, (M,)
    extra.mean         any extra arrays (e.g. the standardiser's μ and s)

Loading never executes anything from the file and checks before it reads:
the archive is opened with :class:`chainrule.archive.NpzArchive` (zip
directory and ``.npy`` headers checked, a memory budget, never a pickle), the
header is parsed with ``json`` (depth and size bounded), the member names must
be exactly those the header lists, layer types come from a fixed list, and
every array must have exactly the expected shape and dtype and be finite.
Anything else raises :class:`CheckpointError` naming the file and the field.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.archive import NpzArchive
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
        if not name.isidentifier():  # load accepts no other member names
            raise CheckpointError(f"save: extra array name {name!r} must be a Python identifier")
        members[f"extra.{name}"] = a
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    with partial.open("wb") as f:
        np.savez(f, **members)  # type: ignore[arg-type]
    partial.replace(target)
    return target


HEADER_CAP = 16 * 2**20  # bytes of JSON header read at most (layers, names, metadata)
MAX_LAYERS = 1000
_JSON_ERRORS = (UnicodeDecodeError, ValueError, RecursionError, MemoryError)


def _refuser(path: Path) -> Callable[[str], CheckpointError]:
    def refuse(why: str) -> CheckpointError:
        return CheckpointError(f"refusing the checkpoint {path}: {why}")

    return refuse


def _small_int(text: str) -> int:
    """A JSON integer of a sane length (Python would refuse 4300+ digits with its own advice)."""
    if len(text) > 40:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys each appear once: which of two values was meant is unknowable."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"the key {key!r} appears twice in one object")
        seen.add(key)
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _read_header(archive: NpzArchive, refuse: Callable[[str], CheckpointError]) -> dict[str, Any]:
    """The JSON header, read within :data:`HEADER_CAP` and checked for shape, not content."""
    if HEADER not in archive.keys:
        raise refuse(f"no {HEADER!r} header; not a chainrule checkpoint")
    member = archive.member(HEADER, kinds="u")
    if member.dtype != np.uint8 or len(member.shape) != 1 or member.nbytes > HEADER_CAP:
        raise refuse(f"the {HEADER!r} header is not up to {HEADER_CAP} bytes of JSON text")
    raw = archive.read(HEADER, kinds="u")
    try:
        header = json.loads(
            raw.tobytes().decode("utf-8"),
            parse_constant=_no_constant,
            parse_int=_small_int,
            object_pairs_hook=_unique_keys,
        )
    except RecursionError as exc:
        raise refuse("the header is not valid JSON (nested too deeply)") from exc
    except _JSON_ERRORS as exc:
        raise refuse(f"the header is not valid JSON in UTF-8 ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise refuse("the header does not describe a chainrule checkpoint")
    if header.get("version") != VERSION:
        raise refuse(f"checkpoint version {header.get('version')!r}, expected {VERSION}")
    return header


def _expected_weights(
    spec: Any, refuse: Callable[[str], CheckpointError]
) -> dict[str, tuple[tuple[int, int] | tuple[int], str]]:
    """Member name → (shape, dtype name) of every weight the layer list promises."""
    if not isinstance(spec, list) or not 0 < len(spec) <= MAX_LAYERS:
        raise refuse(f"the header's 'layers' must be a list of 1 to {MAX_LAYERS} layers")
    expected: dict[str, tuple[tuple[int, int] | tuple[int], str]] = {}
    for i, entry in enumerate(spec):
        if not (isinstance(entry, dict) and entry.get("type") == "Linear"):
            continue
        d, m, dtype = entry.get("in"), entry.get("out"), entry.get("dtype")
        if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in (d, m)):
            raise refuse(f"layer ({i}) needs positive integer sizes, got in={d!r}, out={m!r}")
        if dtype not in ("float32", "float64"):
            raise refuse(f"layer ({i}) has dtype {dtype!r}, expected 'float32' or 'float64'")
        assert isinstance(d, int) and isinstance(m, int)
        expected[f"layers.{i}.W"] = ((m, d), dtype)
        if entry.get("bias") is True:
            expected[f"layers.{i}.b"] = ((m,), dtype)
    return expected


def _extra_names(names: Any, refuse: Callable[[str], CheckpointError]) -> list[str]:
    if not isinstance(names, list) or not all(
        isinstance(n, str) and n.isidentifier() for n in names
    ):
        raise refuse("the header's 'arrays' must be a list of plain names")
    if len(set(names)) != len(names):
        raise refuse("the header's 'arrays' names one array twice")
    return names


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Load a checkpoint written by :func:`save`, checking everything in it.

    The zip directory and every ``.npy`` header are checked against the JSON
    header before any array is read (see :mod:`chainrule.archive`), so a
    crafted file costs at most a bounded amount of memory.
    """
    where = Path(path)
    refuse = _refuser(where)
    with NpzArchive(where, refuse) as archive:
        header = _read_header(archive, refuse)
        expected = _expected_weights(header.get("layers"), refuse)
        extras = _extra_names(header.get("arrays", []), refuse)
        listed = {HEADER, *expected, *(f"extra.{n}" for n in extras)}
        if set(archive.keys) != listed:
            differ = sorted(set(archive.keys) ^ listed)
            shown = ", ".join(repr(k) for k in differ[:5]) + (" …" if len(differ) > 5 else "")
            raise refuse(f"its arrays do not match its header (differ: {shown})")
        for key, (shape, dtype) in expected.items():
            member = archive.member(key, kinds="f")
            if member.shape != shape or member.dtype.newbyteorder("=") != np.dtype(dtype):
                raise refuse(
                    f"{key} has shape {member.shape} and dtype {member.dtype}, "
                    f"expected {shape} {dtype}"
                )
        members = {key: archive.read(key) for key in sorted(listed - {HEADER})}
    for key, a in members.items():
        if not np.isfinite(a).all():
            raise refuse(f"{key} holds NaN or infinite values")
    try:
        net = build(header["layers"])
    except ChainruleError as exc:
        raise refuse(f"its layer description is invalid ({exc})") from exc
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Linear):
            for p in layer.parameters():
                p.value = members[f"layers.{i}.{p.name}"]
    metadata = header.get("metadata", {})
    if not isinstance(metadata, dict):
        raise refuse("the header's metadata must be a JSON object")
    arrays = {n: members[f"extra.{n}"] for n in extras}
    return Checkpoint(net, metadata, arrays)


def load(path: str | os.PathLike[str]) -> Sequential:
    """Load the net saved by :func:`save` (see :func:`load_checkpoint` for the rest)."""
    return load_checkpoint(path).net
