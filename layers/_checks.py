"""Input checks shared by layers and losses: turn bad input into our errors.

Each helper names *who* is complaining (``owner``, e.g. ``"Linear(64, 32)"``,
or the layer or loss itself, named by its repr), what it expected and what it
got, so a user never meets a raw NumPy traceback.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from layers.errors import DtypeError, HyperparameterError, NonFiniteError, ShapeError

FloatArray = npt.NDArray[np.floating[Any]]

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def resolve_dtype(dtype: npt.DTypeLike, owner: str) -> np.dtype[Any]:
    """Return ``dtype`` as a NumPy dtype, accepting only float32 and float64."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise HyperparameterError(
            f"{owner}: dtype must be float32 or float64, got {dtype!r}"
        ) from exc
    if resolved not in FLOAT_DTYPES:
        raise HyperparameterError(f"{owner}: dtype must be float32 or float64, got {resolved}")
    return resolved


def in_native_byte_order(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``a`` itself, or a copy in the machine's byte order (big-endian data from a file).

    The same numbers either way; only then do dtype comparisons mean what they say.
    """
    return a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))


def as_float_array(
    x: Any, owner: object, what: str = "input", dtype: np.dtype[Any] | None = None
) -> FloatArray:
    """Convert ``x`` to a floating ndarray without a silent change of precision.

    Integer and boolean input is converted to ``dtype`` (float64 when ``dtype``
    is None). Floating input is kept as it is when ``dtype`` is None; when
    ``dtype`` is given, a floating array of another precision is refused with
    a :class:`DtypeError` instead of being silently up- or down-cast (a Python
    list or number, which has no precision of its own, is converted).
    Big-endian arrays are read in the machine's byte order, same values.
    """
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"{owner}: {what} must be array-like, got {type(x).__name__}") from exc
    arr = in_native_byte_order(arr)
    if arr.dtype.kind in "biu":
        arr = arr.astype(dtype if dtype is not None else np.float64)
    elif arr.dtype.kind == "f":
        if arr.dtype not in FLOAT_DTYPES:
            arr = arr.astype(dtype if dtype is not None else np.float64)
        elif dtype is not None and arr.dtype != dtype:
            if not isinstance(x, (np.ndarray, np.generic)):  # a list has no precision of its own
                return arr.astype(dtype)
            raise DtypeError(
                f"{owner}: expected {what} of dtype {dtype}, got {arr.dtype}; "
                f"build the layer with dtype=np.{arr.dtype} or cast the {what} "
                f"with .astype(np.{dtype})"
            )
    else:
        raise DtypeError(f"{owner}: {what} must hold numbers, got dtype {arr.dtype}")
    return arr


def require_finite(a: npt.NDArray[Any], owner: object, what: str = "input") -> None:
    """Raise :class:`NonFiniteError` when ``a`` holds a NaN or an infinity."""
    if not np.isfinite(a).all():
        n_nan = int(np.isnan(a).sum())
        n_inf = int(np.isinf(a).sum())
        raise NonFiniteError(
            f"{owner}: {what} must be finite, got {n_nan} NaN and {n_inf} infinite "
            f"value(s) in an array of shape {a.shape}; check the data, or lower the "
            f"learning rate if training diverged"
        )


def shape_str(shape: tuple[int, ...]) -> str:
    """Format a shape the way users write it: ``(32, 64)``, ``(64,)``."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
