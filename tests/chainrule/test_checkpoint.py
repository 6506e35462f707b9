"""save / load: bit-identical round trip; anything crafted, corrupt or foreign is refused."""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chainrule import CheckpointError, load, load_checkpoint, mlp, save
from layers import Linear, Sequential, Sigmoid, Softmax, Tanh


def _net() -> Sequential:
    return Sequential(Linear(4, 6, rng=0), Tanh(), Linear(6, 3, bias=False, rng=1), Softmax())


def test_round_trip_is_bit_identical(tmp_path: Path) -> None:
    net = _net()
    X = np.random.default_rng(0).normal(size=(5, 4))
    path = save(net, tmp_path / "m.npz", metadata={"note": "hi"}, arrays={"mean": np.arange(3.0)})
    ckpt = load_checkpoint(path)
    np.testing.assert_array_equal(ckpt.net.forward(X), net.forward(X))
    assert repr(ckpt.net) == repr(net)
    assert ckpt.metadata == {"note": "hi"}
    np.testing.assert_array_equal(ckpt.arrays["mean"], np.arange(3.0))
    assert not (tmp_path / "m.npz.partial").exists()


def test_float32_round_trip(tmp_path: Path) -> None:
    net = mlp(3, [5, 4], 2, "sigmoid", rng=2, dtype=np.float32)
    save(net, tmp_path / "f.npz")
    back = load(tmp_path / "f.npz")
    assert all(p.dtype == np.float32 for p in back.parameters())
    X = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(back.forward(X), net.forward(X))


class _Exploit:
    """Unpickling this would create a file: the marker of code run from data."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (self.marker,))


def test_a_pickle_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(_Exploit(str(marker))))
    with pytest.raises(CheckpointError, match="refusing"):
        load(path)
    assert not marker.exists()


def test_an_object_array_inside_the_archive_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    good = save(_net(), tmp_path / "good.npz")
    with np.load(good) as archive:
        members = {k: archive[k] for k in archive.files}
    members["layers.0.W"] = np.array([_Exploit(str(marker))], dtype=object)
    np.savez(tmp_path / "evil.npz", **members)
    with pytest.raises(CheckpointError, match="refusing"):
        load(tmp_path / "evil.npz")
    assert not marker.exists()


def _rewrite(src: Path, dst: Path, change: Any) -> Path:
    with np.load(src) as archive:
        members = {k: archive[k] for k in archive.files}
    header = json.loads(members["__chainrule__"].tobytes())
    change(members, header)
    members["__chainrule__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(dst, **members)
    return dst


def _set_type(m: dict[str, Any], h: dict[str, Any]) -> None:
    h["layers"][1]["type"] = "os.system"


def _grow(m: dict[str, Any], h: dict[str, Any]) -> None:
    h["layers"][0]["out"] = 10**9


def _extra(m: dict[str, Any], h: dict[str, Any]) -> None:
    m["sneaky"] = np.zeros(3)


def _nan(m: dict[str, Any], h: dict[str, Any]) -> None:
    m["layers.0.W"] = np.full_like(m["layers.0.W"], np.nan)


def _dtype(m: dict[str, Any], h: dict[str, Any]) -> None:
    m["layers.0.W"] = m["layers.0.W"].astype(np.float32)


def _version(m: dict[str, Any], h: dict[str, Any]) -> None:
    h["version"] = 99


def _field(m: dict[str, Any], h: dict[str, Any]) -> None:
    h["layers"][1]["cmd"] = "rm -rf /"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set_type, "layer description is invalid.*'os.system'"),
        (_grow, "layers.0.W has shape"),
        (_extra, "do not match its header.*sneaky"),
        (_nan, "NaN or infinite"),
        (_dtype, "dtype float32"),
        (_version, "version 99"),
        (_field, "unknown fields"),
    ],
)
def test_tampered_checkpoints_are_refused(tmp_path: Path, change: Any, message: str) -> None:
    good = save(_net(), tmp_path / "good.npz")
    with pytest.raises(CheckpointError, match=message):
        load(_rewrite(good, tmp_path / "bad.npz", change))


def test_truncated_foreign_and_missing_files_are_refused(tmp_path: Path) -> None:
    good = save(_net(), tmp_path / "good.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match="not a readable archive"):
        load(tmp_path / "cut.npz")
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(CheckpointError, match="single array"):
        load(tmp_path / "one.npy")
    np.savez(tmp_path / "plain.npz", W=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a chainrule checkpoint"):
        load(tmp_path / "plain.npz")
    with zipfile.ZipFile(tmp_path / "text.npz", "w") as z:
        z.writestr("__chainrule__.npy", "not an array")
    with pytest.raises(CheckpointError, match="refusing"):
        load(tmp_path / "text.npz")
    with pytest.raises(CheckpointError, match="no such file"):
        load(tmp_path / "nope.npz")
    (tmp_path / "notes.npz").write_text("not an archive at all")
    with pytest.raises(CheckpointError, match=r"not an \.npz archive") as info:
        load(tmp_path / "notes.npz")
    assert "pickle" not in str(info.value)  # never suggest unpickling


def test_header_that_is_not_json(tmp_path: Path) -> None:
    good = save(Sequential(Linear(2, 2, rng=0), Sigmoid()), tmp_path / "good.npz")
    with np.load(good) as archive:
        members = {k: archive[k] for k in archive.files}
    members["__chainrule__"] = np.frombuffer(b"{not json", np.uint8)
    np.savez(tmp_path / "bad.npz", **members)
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load(tmp_path / "bad.npz")
