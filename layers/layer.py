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

    # The fast path Sequential takes. Sequential checks its input once (with
    # the first layer's _checked_input) and then calls _forward_trusted and
    # _backward_trusted, which skip the checks that an output of ours always
    # passes (finite, float, right dtype). A layer that does not override them
    # is simply called through forward and backward, which check as usual.

    def _checked_input(self, x: npt.ArrayLike) -> Any:
        """``x`` as ``forward`` would accept it, or our error. Default: unchanged."""
        return x

    def _forward_trusted(self, x: Any, scratch: bool) -> Array:
        """``forward`` on an input already checked (finite, of the right kind).

        ``scratch=True`` promises that the caller reads the result only until
        this layer's next call, so the layer may return a buffer it owns and
        overwrite it then. ``forward`` never does: what a user gets is theirs.
        """
        return self.forward(x)

    def _backward_trusted(self, g: Array, scratch: bool, input_grad: bool) -> Array | None:
        """``backward`` on a finite ``grad_out``; ``scratch`` as in ``_forward_trusted``.

        ``input_grad=False`` says nobody needs ``∇_x L``: the layer may skip it
        and return None (it still writes every parameter's ``grad``).
        """
        return self.backward(g)

    def _scratch(
        self, name: str, shape: tuple[int, ...], dtype: np.dtype[Any], wanted: bool
    ) -> Array | None:
        """A buffer of this shape and dtype kept across calls, or None (fresh) if not ``wanted``.

        NumPy writes into ``out=buffer`` and allocates a new array for ``out=None``.
        """
        if not wanted:
            return None
        buffers: dict[str, Array] = self.__dict__.setdefault("_buffers", {})
        buf = buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = buffers[name] = np.empty(shape, dtype)
        return buf

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

    # Helpers for subclasses: one wording for every layer's errors.

    def _input(self, x: npt.ArrayLike, dtype: np.dtype[Any] | None = None) -> Array:
        """Check ``x`` is a finite float array of shape ``(D,)`` or ``(N, D)``."""
        arr = as_float_array(x, self, "input", dtype)
        if arr.ndim not in (1, 2):
            raise ShapeError(
                f"{self!r}: expected input of shape (D,) or (N, D), got {shape_str(arr.shape)}"
            )
        require_finite(arr, self, "input")
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


_FAST_PATH: dict[type[Layer], bool] = {}


def has_fast_path(layer: Layer) -> bool:
    """True when ``layer``'s ``forward``/``backward`` are its trusted methods plus checks.

    That is, one class defines all four (``Linear``, ``Sigmoid``, ...). A
    subclass that overrides ``forward`` or ``backward`` alone is always called
    through them, and so is an object whose ``forward`` or ``backward`` was
    replaced on the instance: Sequential never bypasses a user's own code.
    """
    patched = layer.__dict__
    if "forward" in patched or "backward" in patched:  # replaced on this object
        return False
    cls = type(layer)
    fast = _FAST_PATH.get(cls)
    if fast is None:

        def owner(name: str) -> type:
            return next(k for k in cls.__mro__ if name in vars(k))

        methods = ("forward", "backward", "_forward_trusted", "_backward_trusted")
        owners = {owner(name) for name in methods}
        fast = _FAST_PATH[cls] = len(owners) == 1 and Layer not in owners
    return fast
