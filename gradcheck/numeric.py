"""Numeric derivatives straight from the notes' definitions.

The notes define a partial derivative as a one-sided limit::

    ∂f/∂x (x, y) := lim_{h→0} (f(x + h, y) − f(x, y)) / h

and the directional derivative along a unit vector ``u`` as::

    D_u f(θ) := lim_{h→0} (f(θ + h u) − f(θ)) / h

With a finite ``h`` the one-sided quotient is off by ``O(h)``; the central
difference ``(f(θ + h u) − f(θ − h u)) / 2h`` is off by only ``O(h²)``, and
the 5-point stencil (Richardson extrapolation of two central differences)
by ``O(h⁴)``. Rounding adds an error of about ``ε |f| / h``, so the best step
balances the two: ``h ≈ ∛ε · max(1, |θ|)`` for central differences and
``h ≈ ε^{1/5} · max(1, |θ|)`` for the 5-point stencil (``ε`` the machine
epsilon of the dtype: float64 ``h ≈ 6e-6``, float32 ``h ≈ 5e-3``).

Every function here works on a *line function* ``φ(s) = f(θ + s v)``, so one
implementation serves partial derivatives (``v`` a unit axis vector) and
directional derivatives (``v = u``). ``φ`` may return a float or an array; an
array-valued ``φ`` gives the derivative of every output at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from layers.errors import DomainError, ShapeError

V = TypeVar("V", float, npt.NDArray[np.float64])
LineFunction = Callable[[float], V]
Array = npt.NDArray[np.float64]


def step_size(
    theta: float | npt.NDArray[Any], dtype: npt.DTypeLike = np.float64, richardson: bool = False
) -> float:
    """The finite-difference step for a point ``θ`` of the given dtype.

    ``h = ∛ε · max(1, |θ|)`` (central differences) or ``ε^{1/5} · max(1, |θ|)``
    (5-point stencil), with ``|θ|`` the largest magnitude in ``θ``.
    """
    eps = float(np.finfo(np.dtype(dtype)).eps)
    scale = max(1.0, float(np.max(np.abs(theta)))) if np.size(theta) else 1.0
    return float(eps ** (1 / 5) if richardson else np.cbrt(eps)) * scale


def derivative_along(phi: LineFunction[V], h: float, richardson: bool = False) -> V:
    """``φ'(0)`` by central differences, or by the 5-point stencil.

    Central: ``(φ(h) − φ(−h)) / 2h``. Richardson: with ``D(h)`` the central
    difference, ``(4 D(h) − D(2h)) / 3 = (8(φ(h) − φ(−h)) − (φ(2h) − φ(−2h))) / 12h``
    cancels the ``h²`` error term.
    """
    near = phi(h) - phi(-h)
    if not richardson:
        return near / (2 * h)
    far = phi(2 * h) - phi(-2 * h)
    return (8 * near - far) / (12 * h)


def one_sided_derivative(phi: LineFunction[V], h: float) -> V:
    """``φ'(0)`` from points on one side of 0 only, accurate to ``O(h²)``.

    ``(−3φ(0) + 4φ(h) − φ(2h)) / 2h``: the right derivative for ``h > 0``, the
    left one for ``h < 0``. For a point at the edge of ``φ``'s domain (a
    probability of 1 can only move down) this is the only derivative there is.
    """
    return (-3 * phi(0.0) + 4 * phi(h) - phi(2 * h)) / (2 * h)


def one_sided_derivatives(phi: LineFunction[V], h: float) -> tuple[V, V]:
    """Left and right derivatives ``(φ'(0⁻), φ'(0⁺))``, each accurate to ``O(h²)``.

    Right: ``(−3φ(0) + 4φ(h) − φ(2h)) / 2h``; left: ``(3φ(0) − 4φ(−h) + φ(−2h)) / 2h``.
    Each uses points on one side only, so a kink at ``θ`` (ReLU at 0) shows
    up as left ≠ right, while for a smooth ``φ`` they agree to ``O(h²)``.
    """
    return one_sided_derivative(phi, -h), one_sided_derivative(phi, h)


def _as_point(point: npt.ArrayLike) -> Array:
    arr = np.array(point, dtype=np.float64, copy=True)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    return arr


def partial_derivative(
    f: Callable[..., float],
    point: npt.ArrayLike,
    index: int,
    *,
    h: float | None = None,
    richardson: bool = False,
) -> float:
    """``∂f/∂θ_index`` at ``point``, ``f`` taking the coordinates as arguments.

    >>> import math
    >>> f = lambda x, y: x**2 * math.cos(x * y)
    >>> round(partial_derivative(f, [1.0, 2.0], 0), 6)    # 2x cos(xy) − x² sin(xy) y
    -2.650889
    """
    theta = _as_point(point)
    axis = np.zeros_like(theta)
    axis[index] = 1.0
    return directional_derivative(f, theta, axis, h=h, richardson=richardson)


def directional_derivative(
    f: Callable[..., float],
    point: npt.ArrayLike,
    u: npt.ArrayLike,
    *,
    h: float | None = None,
    richardson: bool = False,
) -> float:
    """The notes' ``D_u f(θ)`` for a unit vector ``u``, by central differences.

    ``f`` takes the coordinates of ``θ`` as separate arguments, as in the
    notes' ``f(x, y)``. ``u`` must have length 1 (the notes' definition).
    """
    theta = _as_point(point)
    direction = _as_point(u)
    if direction.shape != theta.shape:
        raise ShapeError(
            f"directional_derivative: u has shape {direction.shape}, "
            f"the point has shape {theta.shape}"
        )
    norm = float(np.linalg.norm(direction))
    if not np.isclose(norm, 1.0, rtol=1e-9):
        raise DomainError(f"directional_derivative: u must be a unit vector, got length {norm}")
    step = step_size(theta, richardson=richardson) if h is None else h

    def phi(s: float) -> float:
        return float(f(*(theta + s * direction)))

    return derivative_along(phi, step, richardson)


def numeric_gradient(
    f: Callable[..., float], point: npt.ArrayLike, *, richardson: bool = False
) -> Array:
    """``∇f(θ) = [∂f/∂θ_1, …, ∂f/∂θ_n]``, one central difference per coordinate."""
    theta = _as_point(point)
    return np.array(
        [partial_derivative(f, theta, i, richardson=richardson) for i in range(theta.size)]
    )
