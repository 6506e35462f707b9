"""Arrays of every kind a user may hand over: same numbers, same answers, or our error.

Byte order (big-endian data read from a file), Python lists, complex and ragged
input. Memory layouts (Fortran order, strided and reversed views) are covered in
``tests/speed/test_hot_path_safety.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gradcheck import check_layer, check_loss
from layers import DtypeError, Linear, Parameter, Sequential, ShapeError, Sigmoid
from layers.errors import LabelError
from losses import CrossEntropyLoss, SoftmaxCrossEntropyLoss


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_big_endian_input_keeps_its_precision_rules(dtype: type[np.floating[Any]]) -> None:
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(dtype)
    swapped = x.astype(x.dtype.newbyteorder(">"))
    layer = Linear(4, 2, rng=0, dtype=dtype)
    np.testing.assert_array_equal(layer.forward(swapped), layer.forward(x))
    assert layer.forward(swapped).dtype == dtype
    assert Sigmoid().forward(swapped).dtype == dtype  # not silently widened to float64
    other = np.float64 if dtype == np.float32 else np.float32
    with pytest.raises(DtypeError):  # the other precision is refused, byte order or not
        Linear(4, 2, rng=0, dtype=other).forward(swapped)


def test_big_endian_parameter_and_checkpoint(tmp_path: Path) -> None:
    from chainrule.checkpoint import load, save

    assert Parameter(np.ones(2, ">f4")).dtype == np.float32
    net = Sequential(Linear(3, 2, rng=0))
    path = save(net, tmp_path / "model.npz")
    with np.load(path, allow_pickle=False) as archive:
        members = {k: archive[k] for k in archive.files}
    for key, a in members.items():
        if a.dtype.kind == "f":
            members[key] = a.astype(a.dtype.newbyteorder(">"))  # as another tool may write
    np.savez(tmp_path / "swapped.npz", **members)
    loaded = load(tmp_path / "swapped.npz")
    for a, b in zip(loaded.parameters(), net.parameters(), strict=True):
        np.testing.assert_array_equal(a.value, b.value)
        assert a.value.dtype == np.float64


def test_gradcheck_passes_right_layers_and_losses_on_big_endian_input() -> None:
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(">f8")
    check_layer(Linear(4, 2, rng=0), x)
    check_loss(SoftmaxCrossEntropyLoss(), x, np.array([0, 1, 3]))


def test_a_python_list_has_no_precision_to_refuse() -> None:
    layer = Linear(4, 2, rng=0, dtype=np.float32)
    rows = [[1.0, 2.0, 3.0, 4.0]]
    out = layer.forward(rows)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, layer.forward(np.array(rows, np.float32)))
    with pytest.raises(DtypeError):  # an array's precision is still its own
        layer.forward(np.array(rows))


@pytest.mark.parametrize("bad", [[1 + 2j, 3j], ["a", "b"]])
def test_parameter_refuses_what_is_not_real_numbers(bad: list[Any]) -> None:
    with pytest.raises(DtypeError, match="real numbers"):
        Parameter(bad)
    p = Parameter([0.0, 0.0])
    with pytest.raises(DtypeError, match="real numbers"):
        p.value = bad
    with pytest.raises(DtypeError, match="real numbers"):
        p.grad = bad


def test_ragged_lists_get_our_errors() -> None:
    ragged = [[1.0, 2.0], [3.0]]
    with pytest.raises(ShapeError, match="regular shape"):
        Parameter(ragged)
    p = Parameter(np.zeros((2, 2)))
    with pytest.raises(ShapeError, match="regular shape"):
        p.value = ragged
    with pytest.raises(ShapeError, match="regular shape"):
        p.grad = ragged
    y = np.full((2, 2), 0.5)
    for loss in (SoftmaxCrossEntropyLoss(), CrossEntropyLoss()):
        with pytest.raises(LabelError, match="regular shape"):
            loss.forward(y, ragged)
