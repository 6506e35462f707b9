"""The checker's own copies of the arrays a user passes in."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def own_copy(x: npt.ArrayLike) -> npt.NDArray[Any]:
    """A new array holding ``x``, in the machine's byte order.

    The checker perturbs its copy in place, never the caller's array; and the
    layers answer in the machine's byte order, so big-endian input (data read
    from a file) is turned into it first, the same numbers, for the dtype
    comparisons of the backward contract to mean what they say.
    """
    arr = np.array(x, copy=True)
    return arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))
