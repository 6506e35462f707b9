"""The wire between the grader and the student's worker: plain data, never pickles.

A message is one frame::

    8 bytes   length of the rest (big-endian), at most MAX_MESSAGE
    4 bytes   length H of the JSON header
    H bytes   JSON: the message, values encoded as below
    ...       the blobs the header lists by size (.npy bytes of arrays, raw bytes)

Values cross as data only: ``None``, ``bool``, ``int``, ``float``, ``str``
are JSON as they are; everything else is a one-key object, so nothing sent
can name a class or a function to call::

    {"L": [...]} list     {"T": [...]} tuple     {"D": [[k, v], ...]} dict
    {"A": i} ndarray (blob i, .npy, read with allow_pickle=False semantics)
    {"S": i} NumPy scalar    {"C": [re, im]} complex    {"B": i} bytes
    {"SL": [start, stop, step]} slice    {"E": 0} Ellipsis    {"DT": "<f8"} NumPy dtype
    {"R": {...}} a handle to an object the SENDER keeps (its id, class names, methods)
    {"Y": id} a handle the RECEIVER gave out earlier: its own object comes back

What an array may be is checked before a byte of it is allocated: numbers
only (bool, int, float, complex), and a header whose shape matches the bytes
that follow. A frame that breaks any rule raises :class:`ProtocolError`.
"""

from __future__ import annotations

import io
import json
import socket
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule.npy import NpyHeaderError, read_header

MAX_MESSAGE = 128 * 2**20  # a message (arrays included) larger than this is refused
MAX_HEADER = 8 * 2**20  # its JSON part: parsed whole, so kept small
MAX_DEPTH = 64  # nesting of lists, tuples and dicts
MAX_ITEMS = 1_000_000  # entries of all containers in one message


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


class ChannelClosedError(ProtocolError):
    """The other side closed the connection (it exited or was killed)."""


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise ChannelClosedError("the connection was closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def send_frame(sock: socket.socket, header: dict[str, Any], blobs: list[bytes]) -> None:
    """Write one message: ``header`` (JSON-able) and its blobs."""
    header = dict(header, blobs=[len(b) for b in blobs])
    text = json.dumps(header, ensure_ascii=True, allow_nan=True).encode("ascii")
    body = struct.pack(">I", len(text)) + text
    total = len(body) + sum(len(b) for b in blobs)
    if total > MAX_MESSAGE:
        raise ProtocolError(f"a message of {total} bytes is larger than {MAX_MESSAGE}")
    sock.sendall(struct.pack(">Q", total) + body + b"".join(blobs))


def recv_frame(sock: socket.socket) -> tuple[dict[str, Any], list[bytes]]:
    """Read one message; :class:`ProtocolError` if it breaks a rule."""
    (total,) = struct.unpack(">Q", _read_exactly(sock, 8))
    if total > MAX_MESSAGE or total < 4:
        raise ProtocolError(f"a message announced {total} bytes (at most {MAX_MESSAGE})")
    data = _read_exactly(sock, total)
    (size,) = struct.unpack(">I", data[:4])
    if size > total - 4 or size > MAX_HEADER:
        raise ProtocolError(f"a header of {size} bytes (at most {MAX_HEADER}, within the message)")
    try:
        header = json.loads(data[4 : 4 + size].decode("ascii"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProtocolError(f"the header is not JSON: {exc}") from None
    if not isinstance(header, dict):
        raise ProtocolError("the header is not a JSON object")
    sizes = header.get("blobs", [])
    if not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes):
        raise ProtocolError("the blob sizes are not a list of sizes")
    if 4 + size + sum(sizes) != total:
        raise ProtocolError("the blob sizes do not add up to the message")
    blobs, at = [], 4 + size
    for s in sizes:
        blobs.append(data[at : at + s])
        at += s
    return header, blobs


def array_bytes(arr: np.ndarray[Any, Any]) -> bytes:
    """``arr`` as ``.npy`` bytes (no pickles: numbers only)."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def array_from_bytes(blob: bytes) -> np.ndarray[Any, Any]:
    """An array from ``.npy`` bytes, checked before anything is allocated."""
    try:
        header = read_header(io.BytesIO(blob), kinds="biufc")
    except NpyHeaderError as exc:
        raise ProtocolError(f"not an .npy array of plain numbers: it {exc}") from None
    if header.nbytes != len(blob) - header.offset:
        raise ProtocolError(f"an array of shape {header.shape} does not match its bytes")
    count = header.nbytes // header.dtype.itemsize
    flat = np.frombuffer(blob, dtype=header.dtype, count=count, offset=header.offset)
    arr: np.ndarray[Any, Any] = flat.reshape(
        header.shape, order="F" if header.fortran_order else "C"
    ).copy()
    return arr


def _is_plain_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind in "biufc" and not value.dtype.fields


class Codec:
    """Turns values into wire form and back, with handles for everything else.

    ``export(obj)`` gives the handle description of an object this side keeps;
    ``own(id)`` looks up such an object when it comes back; ``proxy(desc)``
    builds (or reuses) the local stand-in for a handle the other side sent.
    """

    def __init__(
        self,
        export: Callable[[Any], dict[str, Any] | None],
        own: Callable[[int], Any],
        proxy: Callable[[dict[str, Any]], Any],
        handle_of: Callable[[Any], int | None],
    ) -> None:
        self._export, self._own, self._proxy, self._handle_of = export, own, proxy, handle_of

    def encode(self, value: Any, blobs: list[bytes], depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError(f"a value nested more than {MAX_DEPTH} deep")
        if value is None or isinstance(value, bool):
            return bool(value) if value is not None else None
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, complex):
            return {"C": [value.real, value.imag]}
        theirs = self._handle_of(value)  # a stand-in for an object of the other side
        if theirs is not None:
            return {"Y": theirs}
        if _is_plain_array(value):
            blobs.append(array_bytes(np.asarray(value)))
            return {"A": len(blobs) - 1}
        if isinstance(value, np.generic) and np.dtype(type(value)).kind in "biufc":
            blobs.append(array_bytes(np.asarray(value)))
            return {"S": len(blobs) - 1}
        if isinstance(value, np.dtype) and value.kind in "biufc" and value.fields is None:
            return {"DT": value.str}
        if isinstance(value, (bytes, bytearray)):
            blobs.append(bytes(value))
            return {"B": len(blobs) - 1}
        if type(value) in (list, tuple):
            items = [self.encode(v, blobs, depth + 1) for v in value]
            return {"L" if type(value) is list else "T": items}
        if type(value) is dict and all(isinstance(k, (str, int)) for k in value):
            return {"D": [[self.encode(k, blobs), self.encode(v, blobs, depth + 1)]
                          for k, v in value.items()]}  # fmt: skip
        if isinstance(value, slice):
            return {"SL": [self.encode(p, blobs, depth + 1)
                           for p in (value.start, value.stop, value.step)]}  # fmt: skip
        if value is Ellipsis:
            return {"E": 0}
        desc = self._export(value)
        if desc is None:
            raise ProtocolError(f"a {type(value).__name__} cannot be sent")
        return {"R": desc}

    def decode(self, value: Any, blobs: list[bytes], budget: list[int] | None = None,
               depth: int = 0) -> Any:  # fmt: skip
        budget = [MAX_ITEMS] if budget is None else budget
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            raise ProtocolError("a value too large or too deeply nested")
        if value is None or type(value) in (bool, int, float, str):
            return value
        if type(value) is not dict or len(value) != 1:
            raise ProtocolError(f"not a wire value: {type(value).__name__}")
        ((tag, body),) = value.items()
        if tag in ("L", "T") and type(body) is list:
            items = [self.decode(v, blobs, budget, depth + 1) for v in body]
            return items if tag == "L" else tuple(items)
        if tag == "D" and type(body) is list:
            out = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2 or type(pair[0]) not in (str, int):
                    raise ProtocolError("a dict entry is not a [key, value] pair")
                out[pair[0]] = self.decode(pair[1], blobs, budget, depth + 1)
            return out
        if tag in ("A", "S", "B"):
            if type(body) is not int or not 0 <= body < len(blobs):
                raise ProtocolError("a blob index out of range")
            if tag == "B":
                return blobs[body]
            arr = array_from_bytes(blobs[body])
            return arr if tag == "A" else arr[()]
        if tag == "C" and type(body) is list and len(body) == 2:
            if not all(type(p) in (int, float) for p in body):
                raise ProtocolError("a complex number of non-numbers")
            return complex(body[0], body[1])
        if tag == "SL" and type(body) is list and len(body) == 3:
            parts = [self.decode(p, blobs, budget, depth + 1) for p in body]
            if not all(p is None or type(p) is int for p in parts):
                raise ProtocolError("a slice of non-integers")
            return slice(*parts)
        if tag == "E":
            return Ellipsis
        if tag == "DT" and type(body) is str and len(body) < 16:
            try:
                dtype = np.dtype(body)
            except TypeError:
                raise ProtocolError(f"not a dtype: {body!r}") from None
            if dtype.kind not in "biufc" or dtype.fields is not None:
                raise ProtocolError(f"a dtype of {dtype} is not plain numbers")
            return dtype
        if tag == "Y" and type(body) is int:
            return self._own(body)
        if tag == "R" and type(body) is dict:
            return self._proxy(body)
        raise ProtocolError(f"unknown wire tag {tag!r}")
