"""``Layer``: the base class every layer derives from.

A layer is a function ``y = f(x; θ)`` that also knows its vector-Jacobian
product. ``forward(x)`` returns ``y`` and keeps what ``backward`` needs;
``backward(grad_out)`` takes ``∇_y L`` and returns ``∇_x L``, writing
``∇_θ L`` into each parameter's ``grad`` (overwriting, never accumulating).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from layers._checks import as_float_array, require_finite, shape_str
from layers.display import layer_html
from layers.errors import OrderError, ShapeError
from layers.parameter import Parameter

Array = npt.NDArray[np.floating[Any]]


class Layer:
    """Base class of all layers.

    Subclass it with a plain ``super().__init__()`` and implement
    :meth:`forward` and :meth:`backward`. A layer that holds learnable arrays
    stores them as :class:`Parameter` attributes; :meth:`parameters` finds
    them in the order they were assigned (override it to choose the order).
    """

    def __init__(self) -> None:
        pass

    def forward(self, x: npt.ArrayLike) -> Array:
        """Compute the layer's output for ``x`` (``(D,)`` or ``(N, D)``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, grad_out: npt.ArrayLike) -> Array:
        """Given ``∇_y L``, fill each parameter's ``grad`` and return ``∇_x L``."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward(grad_out)")

    def __call__(self, x: npt.ArrayLike) -> Array:
        return self.forward(x)

    def parameters(self) -> list[Parameter]:
        """The layer's :class:`Parameter` attributes, in assignment order."""
        return [v for v in vars(self).values() if isinstance(v, Parameter)]

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to zero."""
        for p in self.parameters():
            p.zero_grad()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _repr_html_(self) -> str:  # shown by Jupyter: a table of layers, shapes, parameters
        return layer_html(self)

    # Helpers for subclasses: one wording for every layer's errors.

    def _input(
        self, x: npt.ArrayLike, dtype: np.dtype[Any] | None = None, features: int | None = None
    ) -> Array:
        """Check ``x`` is a finite float array of shape ``(D,)`` or ``(N, D)``.

        ``dtype``: the precision the layer computes in (see ``as_float_array``);
        ``features``: the ``D`` it needs, when it needs one.
        """
        arr = as_float_array(x, self, "input", dtype)
        if arr.ndim not in (1, 2):
            raise ShapeError(
                f"{self!r}: expected input of shape (D,) or (N, D), got {shape_str(arr.shape)}"
            )
        require_finite(arr, self, "input")
        if features is not None and arr.shape[-1] != features:
            raise ShapeError(
                f"{self!r}: expected input of shape ({features},) or (N, {features}), "
                f"got {shape_str(arr.shape)}"
            )
        return arr

    def _grad_out(self, grad_out: npt.ArrayLike, output: Array | None) -> Array:
        """Check ``grad_out`` matches the last output (``None``: no forward yet)."""
        if output is None:
            raise OrderError(
                f"{self!r}: backward() was called before forward(); run forward(x) first"
            )
        arr = as_float_array(grad_out, self, "grad_out")
        if arr.shape != output.shape:
            raise ShapeError(
                f"{self!r}: expected grad_out of shape {shape_str(output.shape)} "
                f"(the shape of the last output), got {shape_str(arr.shape)}"
            )
        require_finite(arr, self, "grad_out")
        # The gradient of y has y's dtype: a float64 grad_out for a float32 layer
        # is brought down rather than upcasting everything behind it.
        return arr.astype(output.dtype, copy=False)
