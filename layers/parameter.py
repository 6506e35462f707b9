"""``Parameter``: a learnable array and the gradient of the loss with respect to it."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from layers._checks import in_native_byte_order
from layers.errors import DtypeError, ShapeError


class Parameter:
    """A learnable tensor ``value`` with its gradient ``grad`` of the same shape.

    ``grad`` holds ``∇_value L`` after a layer's ``backward``; it starts at zero
    and is overwritten (never accumulated) by every ``backward``. Following the
    notes, "a gradient has the shape of what it is the gradient of".

    Parameters
    ----------
    value : array_like
        Initial value; copied into a plain row-major array of float32 or float64.
    name : str
        Name used in error messages and gradient-check reports, e.g. ``"W"``.

    Attributes
    ----------
    value : ndarray
        The current value. Assigning a new array copies it in place, so the
        shape and dtype never change under an optimizer's feet: ``value`` and
        ``grad`` are the same two array objects for the Parameter's whole life,
        and an optimizer may keep them.
    grad : ndarray
        ``∂L/∂value`` from the last ``backward``, same shape and dtype.
    """

    def __init__(self, value: npt.ArrayLike, name: str = "param") -> None:
        array = _numbers(value, name, "value", copy=True)  # never shares the caller's memory
        if array.dtype not in (np.float32, np.float64):  # integers, float16, ...
            array = array.astype(np.float64)
        self.name = name
        self._value: npt.NDArray[np.floating[Any]] = array
        self._grad: npt.NDArray[np.floating[Any]] = np.zeros_like(array)

    @property
    def value(self) -> npt.NDArray[np.floating[Any]]:
        """The current value (an ndarray)."""
        return self._value

    @value.setter
    def value(self, new: npt.ArrayLike) -> None:
        array = _numbers(new, self.name, "value")
        if array.shape != self._value.shape:
            raise ShapeError(
                f"Parameter {self.name!r}: expected a value of shape "
                f"{self._value.shape}, got {array.shape}"
            )
        self._value[...] = array

    @property
    def grad(self) -> npt.NDArray[np.floating[Any]]:
        """``∂L/∂value`` from the last ``backward`` (an ndarray of ``value``'s shape)."""
        return self._grad

    @grad.setter
    def grad(self, new: npt.ArrayLike | None) -> None:
        # Copied into place, so the array stays the same object (a user or an
        # optimizer may hold it); None, as PyTorch users write to clear it, means zeros.
        if new is None:
            self._grad.fill(0)
            return
        array = _numbers(new, self.name, "gradient")
        if array.shape != self._grad.shape:
            transposed = array.ndim == 2 and array.shape == self._grad.shape[::-1]
            raise ShapeError(
                f"Parameter {self.name!r}: expected a gradient of shape "
                f"{self._grad.shape} (the shape of the parameter), got {array.shape}"
                + (
                    "; it looks transposed: check the order of the product (Gᵀ X, not Xᵀ G)"
                    if transposed
                    else ""
                )
            )
        self._grad[...] = array

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``value`` (and of ``grad``)."""
        return self._value.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        """Dtype of ``value`` (and of ``grad``)."""
        return self._value.dtype

    def zero_grad(self) -> None:
        """Set ``grad`` to zero in place."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(name={self.name!r}, shape={self.shape}, dtype={self.dtype})"


def _numbers(x: npt.ArrayLike, name: str, what: str, copy: bool = False) -> npt.NDArray[Any]:
    """``x`` as an array of real numbers in the machine's byte order, or our error.

    ``copy=True`` always makes a new, row-major array; otherwise ``x`` may be returned
    as it is (the setters copy it into place anyway).
    """
    try:
        array = np.array(x, copy=True, order="C") if copy else np.asarray(x)
    except (TypeError, ValueError) as exc:  # ragged nested lists, ...
        raise ShapeError(
            f"Parameter {name!r}: expected a {what} of numbers with a regular shape, "
            f"got {type(x).__name__} ({exc})"
        ) from exc
    if array.dtype.kind not in "biuf":  # complex, strings, objects: refused, not truncated
        raise DtypeError(f"Parameter {name!r}: expected real numbers, got dtype {array.dtype}")
    return in_native_byte_order(array)
