"""The grading wire: plain data crosses, anything crafted is refused before it costs memory.

And the proxies built on it: framework base classes for ``isinstance``, no protocol
taken from the other side, writes to array attributes reach the owner.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from chainrule.assignment.remote import Endpoint, LinkedArray, Proxy, WorkerError
from chainrule.assignment.wire import (
    MAX_DEPTH,
    Codec,
    ProtocolError,
    array_bytes,
    array_from_bytes,
    recv_frame,
    send_frame,
)
from layers import Layer, Linear, Parameter


def _codec() -> Codec:
    def no_export(obj: Any) -> dict[str, Any]:
        raise ProtocolError(f"cannot send {type(obj).__name__}")

    def no_handle(handle: int) -> Any:
        raise ProtocolError("no handles here")

    return Codec(no_export, no_handle, lambda desc: None, lambda value: None)


def _round_trip(value: Any) -> Any:
    codec, blobs = _codec(), list[bytes]()
    wire = json.loads(json.dumps(codec.encode(value, blobs)))
    return codec.decode(wire, blobs)


def test_plain_data_crosses_unchanged() -> None:
    value: dict[str, Any] = {
        "a": [1, 2.5, None, True, "σ", 3 + 4j, b"\x00\x01"],
        "t": (np.float32(1.5), np.int64(-3), np.dtype(np.float32)),
        "arrays": [
            np.arange(6.0).reshape(2, 3),
            np.asfortranarray(np.ones((2, 2))),
            np.array([True, False]),
            np.zeros((0, 3), dtype=np.int16),
        ],
        "index": (slice(1, None, 2), Ellipsis),
        "nan": float("nan"),
    }
    back = _round_trip(value)
    assert back["a"][:6] == value["a"][:6] and back["a"][6] == b"\x00\x01"
    assert type(back["t"]) is tuple and back["t"][0] == np.float32(1.5)
    assert back["t"][2] == np.dtype(np.float32)
    for got, sent in zip(back["arrays"], value["arrays"], strict=True):
        assert got.dtype == sent.dtype and np.array_equal(got, sent)
    assert back["index"] == (slice(1, None, 2), Ellipsis)
    assert np.isnan(back["nan"])


def test_object_arrays_and_pickles_are_refused() -> None:
    buf = io.BytesIO()
    np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ProtocolError, match="not plain numbers"):
        array_from_bytes(buf.getvalue())
    with pytest.raises(ProtocolError):
        array_from_bytes(b"\x80\x04\x95 not an npy file")


def test_a_huge_declared_shape_is_refused_before_any_allocation() -> None:
    blob = array_bytes(np.zeros(1))
    forged = blob.replace(b"(1,)", b"(10000000000000,)".ljust(4))  # header claims 10^13 floats
    forged = array_bytes(np.zeros(1))[:10] + forged[10:]
    with pytest.raises(ProtocolError):
        array_from_bytes(forged)
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }"
    header = header.ljust(118) + b"\n"
    crafted = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\x00" * 8
    with pytest.raises(ProtocolError, match="does not match its bytes"):
        array_from_bytes(crafted)


def test_a_zero_size_shape_numpy_cannot_describe_is_a_protocol_error() -> None:
    """(0, 10²¹) holds no bytes, so the size check passes; reshaping to it raises ValueError."""
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (0, 1000000000000000000000), }"
    header = header.ljust(118) + b"\n"
    crafted = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header
    with pytest.raises(ProtocolError, match="impossible shape"):
        array_from_bytes(crafted)


def test_deep_nesting_unknown_tags_and_bad_blob_indices_are_refused() -> None:
    codec = _codec()
    deep: Any = 0
    for _ in range(MAX_DEPTH + 5):
        deep = {"L": [deep]}
    crafted = [deep, {"Z": 1}, {"A": 3}, {"L": 1}, [1, 2], {"D": [[[1], 2]]}, {"SL": ["a", 1, 2]}]
    for wire in crafted:
        with pytest.raises(ProtocolError):
            codec.decode(wire, [])


def test_frames_are_checked() -> None:
    a, b = socket.socketpair()
    with a, b:
        send_frame(a, {"k": "x"}, [b"abc"])
        header, blobs = recv_frame(b)
        assert header["k"] == "x" and blobs == [b"abc"]
        a.sendall(struct.pack(">Q", 2**40))  # announces a terabyte
        with pytest.raises(ProtocolError, match="announced"):
            recv_frame(b)
        text = b'{"blobs": [100]}'
        a.sendall(struct.pack(">Q", 4 + len(text)) + struct.pack(">I", len(text)) + text)
        with pytest.raises(ProtocolError, match="do not add up"):
            recv_frame(b)


class _Pair:
    """Two endpoints in one process, the 'worker' served from a thread."""

    def __init__(self, worker_objects: dict[str, Any]) -> None:
        a, b = socket.socketpair()
        self.trusted = Endpoint(a, strict=True)
        self.worker = Endpoint(b, strict=False)
        self.worker.process_ops = {"get": worker_objects.__getitem__}
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError, WorkerError, ProtocolError):
            self.worker.serve_forever()

    def close(self) -> None:
        self.trusted.sock.close()
        self.thread.join(timeout=5)
        self.worker.sock.close()


@pytest.fixture
def pair() -> Iterator[_Pair]:
    layer = Linear(3, 2, rng=0)
    p = _Pair({"layer": layer, "cls": Linear})
    yield p
    p.close()


def test_a_remote_layer_is_a_layer_and_its_arrays_write_back(pair: _Pair) -> None:
    layer = pair.trusted.request("get", "layer")
    assert isinstance(layer, Proxy) and isinstance(layer, Layer) and isinstance(layer.W, Parameter)
    x = np.ones((4, 3))
    y = layer.forward(x)
    assert y.shape == (4, 2) and type(y) is np.ndarray
    W = layer.W.value
    assert isinstance(W, LinkedArray)
    W[0, 0] = 5.0  # written back to the worker's W
    assert layer.W.value[0, 0] == 5.0
    W += 1.0  # so is an in-place operator
    assert layer.W.value[0, 0] == 6.0
    assert type(W * 2) is np.ndarray  # arithmetic gives plain arrays
    assert len(layer.parameters()) == 2


def test_no_protocol_is_taken_from_the_other_side(pair: _Pair) -> None:
    layer = pair.trusted.request("get", "layer")
    with pytest.raises(AttributeError):
        layer.__array_interface__  # noqa: B018 - a raw memory address must never cross
    assert vars(layer) == {}


def test_the_trusted_side_serves_only_public_names_and_data() -> None:
    def student(remote_net: Any) -> list[Any]:  # runs in the "worker", on the grader's object
        results: list[Any] = []
        for attempt in (lambda: remote_net._input,
                        lambda: setattr(remote_net, "forward", remote_net.backward),
                        lambda: setattr(remote_net, "W", remote_net.b)):  # fmt: skip
            try:
                attempt()
                results.append("allowed")
            except (AttributeError, TypeError) as exc:
                results.append(type(exc).__name__)
        results.append(remote_net.forward(np.ones(2)).shape)
        return results

    p = _Pair({})
    p.worker.process_ops["run"] = student
    try:
        assert p.trusted.request("run", Linear(2, 2, rng=0)) == [
            "AttributeError", "AttributeError", "TypeError", (2,)
        ]  # fmt: skip
    finally:
        p.close()


def test_the_worker_cannot_make_the_grader_call_methods_of_plain_values() -> None:
    """The second review's escape: ``"{0.x.__globals__}".format(handle)`` run by the grader,
    ``ndarray.tofile`` writing a file as root. A request's target must be an object the
    grader handed out, and it hands out framework objects only."""

    def student(remote_net: Any) -> list[str]:
        ep = object.__getattribute__(remote_net, "_cr_ep")
        refused = []
        for op, args in (
            ("getattr", (np.zeros(1), "ctypes")),
            ("callmethod", ("{0}", "format", [1], {})),
            ("callmethod", (np.zeros(1, dtype=np.uint8), "tofile", ["/tmp/x"], {})),
            ("getattr", (remote_net, "forward")),  # a bound method of a framework object: fine
        ):
            try:
                ep.request(op, *args)
                refused.append("served")
            except Exception as exc:
                refused.append(type(exc).__name__)
        return refused

    p = _Pair({})
    p.worker.process_ops["run"] = student
    try:
        assert p.trusted.request("run", Linear(2, 2, rng=0)) == [
            "ProtocolError", "ProtocolError", "ProtocolError", "served"
        ]  # fmt: skip
        with pytest.raises(ProtocolError, match="cannot be handed"):
            p.trusted.request("run", np.zeros(1).ctypes)  # nothing but framework objects leaves
    finally:
        p.close()
