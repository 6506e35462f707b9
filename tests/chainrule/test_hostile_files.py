"""Files from elsewhere: crafted checkpoints, NPZ and CSV data end in our error, cheaply.

Each hostile file must end in ``CheckpointError`` / ``DataError`` (or a clear
command-line error), within a memory bound the test measures with
``tracemalloc`` (NumPy reports its array memory to it), and with nothing
written next to it or executed.
"""

from __future__ import annotations

import contextlib
import json
import re
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chainrule import CheckpointError, DataError, load_checkpoint, load_dataset, mlp, save
from chainrule.cli import main
from layers import Linear

BOUND = 64 * 2**20  # bytes any one hostile file may cost


def _bounded(tmp_path: Path, action: Callable[[], object], error: type[Exception]) -> str:
    """Run ``action``, expect ``error``; check the peak memory and that nothing was written."""
    before = sorted(tmp_path.rglob("*"))
    tracemalloc.start()
    try:
        with pytest.raises(error) as info:
            action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < BOUND, f"peak {peak / 2**20:.1f} MiB"
    assert sorted(tmp_path.rglob("*")) == before
    return str(info.value)


def _npy(
    shape: tuple[int, ...], descr: str = "<f8", fortran: bool = False, data: bytes = b""
) -> bytes:
    """A version 1.0 ``.npy`` member with any header we like and ``data`` after it."""
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape!r}, }}"
    header += " " * (-(len(header) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + data


def _zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return path


def _zeros_member(z: zipfile.ZipFile, name: str, mib: int) -> None:
    """A member of ``mib`` MiB of zero float64s, streamed so the test never holds it."""
    with z.open(name, "w", force_zip64=True) as f:
        f.write(_npy((mib * 2**17,)))
        chunk = bytes(2**20)
        for _ in range(mib):
            f.write(chunk)


def _members(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(name, z.read(name)) for name in z.namelist()]


def _header_bytes(header: dict[str, Any] | str) -> bytes:
    text = header if isinstance(header, str) else json.dumps(header)
    return _npy((len(text.encode()),), "|u1", data=text.encode())


@pytest.fixture
def good(tmp_path: Path) -> Path:
    net = mlp(4, 6, 3, rng=0)
    meta = {"task": "classification", "class_names": ["a", "b", "c"], "config": {"data": "xor"}}
    return save(net, tmp_path / "good.npz", metadata=meta, arrays={"mean": np.zeros(4)})


def _header_of(path: Path) -> dict[str, Any]:
    with np.load(path) as archive:
        header: dict[str, Any] = json.loads(archive["__chainrule__"].tobytes())
    return header


def _with(good: Path, out: Path, replace: dict[str, bytes], add: list[tuple[str, bytes]]) -> Path:
    members = [(n, replace.get(n, d)) for n, d in _members(good)]
    return _zip(out, members + add)


# ---- checkpoints --------------------------------------------------------------------------


def test_unlisted_member_that_would_expand_to_100_mib(tmp_path: Path, good: Path) -> None:
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in _members(good):
            z.writestr(name, data)
        _zeros_member(z, "extra.big.npy", 100)
    assert bomb.stat().st_size < 2**20
    message = _bounded(tmp_path, lambda: load_checkpoint(bomb), CheckpointError)
    assert "do not match its header" in message and "extra.big" in message


def test_listed_member_that_would_expand_to_100_mib(tmp_path: Path, good: Path) -> None:
    header = _header_of(good)
    header["arrays"] = ["big", "mean"]
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in _members(good):
            z.writestr(name, _header_bytes(header) if name == "__chainrule__.npy" else data)
        _zeros_member(z, "extra.big.npy", 100)
    message = _bounded(tmp_path, lambda: load_checkpoint(bomb), CheckpointError)
    assert "would expand to 100 MiB" in message and "read only up to" in message


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (_npy((10**12,), data=bytes(8)), r"declares shape \(1000000000000,\) .*7.28 TiB.* holds 8"),
        (_npy((10**6, 10**6), data=bytes(8)), "declares shape"),
        (_npy((6, 4), fortran=True, data=bytes(8)), "declares shape"),
        (_npy((6, 4), ">f8", data=bytes(8)), "declares shape"),
        (_npy((6, 4), "|O", data=bytes(8)), "object values"),
        (b"\x93NUMPY\x01\x00\xff\x00{'descr': " + b"[" * 300, "no readable .npy header"),
        (  # NumPy's own message for this advises allow_pickle=True: never show that
            b"\x93NUMPY\x02\x00" + (20_000).to_bytes(4, "little") + b" " * 20_000,
            r"no readable \.npy header \(longer than the 10,000 bytes NumPy reads\)",
        ),
        (
            _npy((6, 4), "<f8 + 1", data=bytes(8)).replace(b"'<f8 + 1'", b"1 + 2"),
            r"no readable \.npy header \(not the plain dictionary NumPy writes\)",
        ),
    ],
    ids=[
        "1e12-floats",
        "1e6x1e6",
        "fortran-lies",
        "big-endian-lies",
        "object",
        "nested-header",
        "huge-header",
        "expression-header",
    ],
)
def test_npy_header_that_lies(tmp_path: Path, good: Path, member: bytes, message: str) -> None:
    bad = _with(good, tmp_path / "bad.npz", {"layers.0.W.npy": member}, [])
    text = _bounded(tmp_path, lambda: load_checkpoint(bad), CheckpointError)
    assert "allow_pickle" not in text and "ast." not in text
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(bad)


def test_big_endian_and_fortran_weights_that_tell_the_truth_load(tmp_path: Path) -> None:
    net = mlp(4, 6, 3, rng=0)
    path = save(net, tmp_path / "m.npz")
    first, last = net[0], net[2]
    assert isinstance(first, Linear) and isinstance(last, Linear)
    members = {
        "layers.0.W.npy": _npy((6, 4), ">f8", data=first.W.value.astype(">f8").tobytes()),
        # Fortran order: the bytes of Wᵀ in C order
        "layers.2.W.npy": _npy((3, 6), fortran=True, data=last.W.value.T.tobytes()),
    }
    back = load_checkpoint(_with(path, tmp_path / "other.npz", members, [])).net
    X = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_array_equal(back.forward(X), net.forward(X))
    loaded = back[0]
    assert isinstance(loaded, Linear) and loaded.W.value.dtype.isnative


def test_layer_header_claiming_a_million_by_million_w(tmp_path: Path, good: Path) -> None:
    header = _header_of(good)
    header["layers"][0].update({"in": 10**6, "out": 10**6})
    bad = _with(good, tmp_path / "bad.npz", {"__chainrule__.npy": _header_bytes(header)}, [])
    message = _bounded(tmp_path, lambda: load_checkpoint(bad), CheckpointError)
    assert "layers.0.W has shape (6, 4)" in message


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../x.npy", "not a plain '<name>.npy' array"),
        ("/etc/passwd.npy", "not a plain"),
        ("layers.0.W.npy", "appears twice"),
        ("notes.txt", "not a plain"),
        (".hidden.npy", "not a plain"),
    ],
)
def test_zip_member_names(tmp_path: Path, good: Path, name: str, message: str) -> None:
    with pytest.warns(UserWarning) if "twice" in message else contextlib.nullcontext():
        bad = _with(good, tmp_path / "bad.npz", {}, [(name, _npy((1,), data=bytes(8)))])
    text = _bounded(tmp_path, lambda: load_checkpoint(bad), CheckpointError)
    assert message in text


def _nested(depth: int) -> str:
    return (
        '{"format": "chainrule-checkpoint", "version": 1, "layers": [{"type": "ReLU"}], '
        '"arrays": [], "metadata": {"deep": ' + "[" * depth + "]" * depth + "}}"
    )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (_header_bytes(_nested(200_000)), "nested too deeply"),
        (_npy((4,), "|u1", data=b"\xff\xfe{}"), "not valid JSON in UTF-8"),
        (_header_bytes('{"format": "chainrule-checkpoint", "version": NaN}'), "not valid JSON"),
        (_npy((2, 2), "|u1", data=b"{}{}"), "not up to"),
        (
            _header_bytes('{"format": "chainrule-checkpoint", "format": "x", "version": 1}'),
            "the key 'format' appears twice",
        ),
        (
            _header_bytes('{"format": "chainrule-checkpoint", "version": 1' + "0" * 5000 + "}"),
            "an integer of 5001 digits",
        ),
    ],
)
def test_header_text_from_elsewhere(tmp_path: Path, header: bytes, message: str) -> None:
    bad = _zip(tmp_path / "bad.npz", [("__chainrule__.npy", header)])
    assert message in _bounded(tmp_path, lambda: load_checkpoint(bad), CheckpointError)


# ---- metadata, as the command line uses it -------------------------------------------------


@pytest.fixture
def trained(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    argv = ["train", "--data", "xor", "--hidden", "4", "--epochs", "1", "--no-plots",
            "--quiet", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    return out / "model.npz"


def _set_metadata(path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    header = _header_of(path)
    change(header["metadata"])
    return _with(
        path, path.with_name("changed.npz"), {"__chainrule__.npy": _header_bytes(header)}, []
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda m: m.update(config="digits"), "'metadata.config' must be a JSON object"),
        (lambda m: m["config"].update(seed=[1, 2]), "'metadata.config.seed' must be an integer"),
        (lambda m: m["config"].update(seed=-1), "'metadata.config.seed' must be an integer"),
        (
            lambda m: m["config"].update(test_size="abc"),
            "'metadata.config.test_size' must be a number",
        ),
        (lambda m: m["config"].update(val_size=1e300), "'metadata.config.val_size'"),
        (lambda m: m.update(task=7), "'metadata.task' must be a text"),
        (lambda m: m.update(class_names="ab"), "'metadata.class_names' must be a list"),
        (lambda m: m.update(class_names=["a"]), "1 names for 2 outputs"),
    ],
)
def test_metadata_of_the_wrong_type(
    trained: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[dict[str, Any]], None],
    field: str,
) -> None:
    bad = _set_metadata(trained, change)
    assert main(["evaluate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert field in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_checkpoint_never_picks_a_local_file(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("a,label\n" + "1,0\n2,1\n" * 10)
    for field in ("config", "data"):

        def point(m: dict[str, Any], f: str = field) -> None:
            if f == "config":  # a checkpoint from before the "data" record
                del m["data"]
            m[f]["data" if f == "config" else "name"] = str(secret)

        bad = _set_metadata(trained, point)
        assert main(["evaluate", str(bad)]) == 1
        err = capsys.readouterr().err
        assert "never chooses which file to read" in err and "--data" in err, err


def test_class_names_with_terminal_codes_are_printed_escaped(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _set_metadata(
        trained, lambda m: m.update(class_names=["\x1b[2J\x1b]0;pwn\x07", "\u202eb"])
    )
    new = tmp_path / "new.csv"
    new.write_text("x0,x1\n-1,-1\n1,-1\n-1,1\n1,1\n")
    assert main(["predict", str(bad), str(new)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert set(out.split()) <= {"\\x1b[2J\\x1b]0;pwn\\x07", "\\u202eb"}


# ---- data files ---------------------------------------------------------------------------


def _csv(tmp_path: Path, text: str | bytes, name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,label\n1,0\n2,1e400\n3,0\n4,1\n", "line 3: the label is not a finite number"),
        ("a,label\n1,0\n2," + "9" * 200_000 + "\n3,0\n4,1\n", "line 3: the label is not a finite"),
        (
            "a,label\n1,0\n" + "x" * 200_000 + ",1\n3,0\n4,1\n",
            "line 3: not a CSV line we read (a cell longer than 128 KiB)",
        ),
        ("a" * 200_000 + ",label\n1,0\n2,1\n", "cannot read it as a UTF-8 CSV"),
        (b"a,label\n1,0\n2,\xff\n3,0\n4,1\n", "cannot read it as a UTF-8 CSV"),
        ("1,2,3\n4,5,6\n", "the first line is data, not a header"),
    ],
    ids=[
        "label-1e400",
        "label-200k-digits",
        "cell-200k-text",
        "header-200k",
        "not-utf8",
        "numbers-as-header",
    ],
)
def test_awkward_csv(tmp_path: Path, text: str | bytes, message: str) -> None:
    path = _csv(tmp_path, text)
    assert message in _bounded(tmp_path, lambda: load_dataset(path), DataError)


def test_a_label_too_long_for_a_class_name_is_refused_where_it_is(tmp_path: Path) -> None:
    """A model trained on it could not be read back: its class names would break the schema."""
    rows = "".join(f"{i},{'y' * 150_000 if i == 5 else 'n'}\n" for i in range(8))
    with pytest.raises(DataError, match=r"line 7: the label is a text of 150000 characters"):
        load_dataset(_csv(tmp_path, "a,label\n" + rows), seed=0, test_size=0.5)
    fits = "".join(f"{i},{'y' * 4096 if i % 2 else 'n'}\n" for i in range(8))
    d = load_dataset(_csv(tmp_path, "a,label\n" + fits), seed=0, test_size=0.5)
    assert d.class_names == ["n", "y" * 4096]


@pytest.mark.parametrize(("separator", "decimal"), [(";", ","), (";", "."), ("\t", ".")])
def test_a_file_with_another_separator_is_told_so(
    tmp_path: Path, separator: str, decimal: str
) -> None:
    rows = "".join(f"{i}{decimal}5{separator}{i % 2}\n" for i in range(8))
    with pytest.raises(DataError, match=rf"seems to use {re.escape(repr(separator))} between"):
        load_dataset(_csv(tmp_path, f"x1{separator}label\n" + rows), seed=0, test_size=0.5)


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            [("X.npy", _npy((10**13, 1), data=bytes(8))), ("y.npy", _npy((10**13,), "<i8"))],
            "declares shape (10000000000000, 1)",
        ),
        (
            [("X.npy", _npy((4, 2), data=bytes(64))), ("../y.npy", _npy((4,), data=bytes(32)))],
            "not a plain",
        ),
        (
            [("X.npy", _npy((4, 2), ">f8", data=bytes(8))), ("y.npy", _npy((4,), data=bytes(32)))],
            "declares shape (4, 2) of >f8",
        ),
        (
            [("X.npy", _npy((4, 2), fortran=True, data=bytes(8))), ("y.npy", _npy((4,)))],
            "declares shape (4, 2)",
        ),
        (
            [("X.npy", _npy((4, 2), data=bytes(64))), ("y.npy", _npy((5,), data=bytes(40)))],
            "one label per row",
        ),
        (  # zero bytes, yet NumPy cannot reshape to it
            [("X.npy", _npy((0, 10**21))), ("y.npy", _npy((0,), "<i8"))],
            "impossible shape (0, 1000000000000000000000)",
        ),
        (
            [("X.npy", _npy((0, 2**62, 2**62))), ("y.npy", _npy((0,), "<i8"))],
            "impossible shape",
        ),
    ],
)
def test_hostile_npz_data(tmp_path: Path, members: list[tuple[str, bytes]], message: str) -> None:
    path = _zip(tmp_path / "d.npz", members)
    assert message in _bounded(tmp_path, lambda: load_dataset(path), DataError)


def test_npz_data_that_would_expand_to_100_mib(tmp_path: Path) -> None:
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("X.npy", "w", force_zip64=True) as f:
            f.write(_npy((100 * 2**16, 2)))
            for _ in range(100):
                f.write(bytes(2**20))
        z.writestr("y.npy", _npy((100 * 2**16,), "|u1", data=bytes(100 * 2**16)))
    message = _bounded(tmp_path, lambda: load_dataset(path), DataError)
    assert "would expand to 100 MiB" in message
