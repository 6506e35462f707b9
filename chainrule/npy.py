"""The header of an ``.npy`` array from elsewhere, read and checked before any of its data.

A checkpoint member (:mod:`chainrule.archive`) and an array crossing the grader's
wire (:mod:`chainrule.assignment.wire`) both come from someone we do not trust.
NumPy's header parser never evaluates code, but it trusts the shape: ``(10¹²,)``
asks for terabytes, and ``(0, 10²¹)`` holds no bytes yet cannot be reshaped to.
:func:`read_header` refuses such headers with :class:`NpyHeaderError`, whose text
is ours (NumPy's own names its parser's internals, or advises
``allow_pickle=True``, which is exactly wrong here); the caller then compares
:attr:`NpyHeader.nbytes` with the bytes that really follow.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

MAX_DIMS = 32  # NumPy's own limit is 64; no array we read has more than a few
_MAX_BYTES = 2**62  # past this, NumPy cannot even describe the array


class NpyHeaderError(ValueError):
    """The header is unreadable, or describes no array of plain numbers."""


@dataclass(frozen=True)
class NpyHeader:
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    fortran_order: bool
    offset: int  # where the data starts

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def read_header(fp: IO[bytes], kinds: Collection[str] = "biuf") -> NpyHeader:
    """Read and check the header at ``fp``'s position; ``kinds``: the dtype kinds allowed."""
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise NpyHeaderError(f".npy format version {version}")
    except NpyHeaderError:
        raise
    # A crafted header makes ast.literal_eval raise SyntaxError, then NumPy's fallback
    # tokenizer a bare Exception: anything raised here means "unreadable".
    except Exception as exc:
        why = (
            "longer than the 10,000 bytes NumPy reads"
            if "max_header_size" in str(exc)
            else "not the plain dictionary NumPy writes"
        )
        raise NpyHeaderError(f"no readable .npy header ({why})") from None
    if dtype.kind not in kinds or dtype.fields is not None or dtype.subdtype is not None:
        raise NpyHeaderError(f"holds {dtype} values, not plain numbers")
    sides = math.prod(n for n in shape if n > 0) * dtype.itemsize
    if dtype.itemsize == 0 or any(n < 0 for n in shape) or len(shape) > MAX_DIMS:
        raise NpyHeaderError(f"has an impossible shape {shape} of {dtype}")
    if sides >= _MAX_BYTES:  # (0, 10²¹) holds 0 bytes, yet reshaping to it raises
        raise NpyHeaderError(f"has an impossible shape {shape} of {dtype}")
    return NpyHeader(tuple(shape), dtype, bool(fortran), fp.tell())
