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

The gradient checks use them through :class:`Probe`: nudge one tensor, rerun
the forward pass, return ``D_v (Σ G ∘ y)``.

The checked scalar is ``f(θ) = Σ G ∘ y(θ)``, with ``y`` the layer's output and
``G`` the drawn upstream gradient (for a loss, ``y`` is the loss and ``G = 1``).
Its derivative along ``v`` is computed as ``Σ G ∘ (y(θ + h v) − y(θ − h v)) / 2h``:
differencing the outputs *before* summing keeps the rounding error to the
outputs the step actually changed.

The tensor ``θ`` is perturbed *in place* (so a ``Parameter`` keeps its
identity) and restored bit for bit after every evaluation.

A perturbed point where the forward pass raises a ``ValueError`` or an
``ArithmeticError`` (a probability pushed past 1) or gives NaN or inf raises
:class:`UnevaluableError`: the caller decides what that means, never silence.
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
        __tracebackhide__ = True
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


def rounding_noise(
    weights: npt.NDArray[Any],
    plus: npt.NDArray[Any],
    minus: npt.NDArray[Any],
    h: float,
    dtype: npt.DTypeLike,
) -> float:
    """Rounding noise of ``Σ G ∘ (y(θ+h) − y(θ−h)) / 2h``.

    Each output ``y_k`` the step changed carries a rounding error of about
    ``ε |y_k|``; differencing and dividing by ``2h`` leaves about
    ``ε Σ_k |G_k y_k| / h`` (outputs the step did not change cancel exactly).
    A factor 4 covers the rounding inside the forward pass itself.
    """
    eps = float(np.finfo(np.dtype(dtype)).eps)
    changed = plus != minus
    size = np.maximum(np.abs(plus), np.abs(minus))
    return 4.0 * eps * float(np.sum(np.abs(weights) * size, where=changed)) / h


class UnevaluableError(Exception):
    """The forward pass raised, or gave NaN or inf, at a perturbed point.

    Not a ``ValueError``: it must never be mistaken for the checked code's own error.
    """


class Probe:
    """Numeric directional derivatives of ``Σ G ∘ run()`` with respect to ``theta``.

    Parameters
    ----------
    theta : ndarray
        The tensor to perturb in place: a copy of the input, or ``Parameter.value``.
    run : callable
        Reruns the forward pass and returns the output (any float dtype).
    weights : ndarray
        ``G``, of the output's shape.
    """

    def __init__(self, theta: npt.NDArray[Any], run: Callable[[], Any], weights: Array) -> None:
        self.theta = theta
        self.run = run
        self.weights = np.asarray(weights, dtype=np.float64)
        self.dtype = theta.dtype
        self.diagonal: float | None = None  # set by derivative() for an entry, see there
        self._direction_step: float | None = None  # θ is restored after every step: compute once

    def _output(self) -> Array:
        __tracebackhide__ = True  # a crash shows the user's forward, not the checker
        try:
            out = np.asarray(self.run(), dtype=np.float64)
        except (ValueError, ArithmeticError) as exc:  # refused the point (e.g. p > 1)
            raise UnevaluableError(f"{type(exc).__name__}: {exc}") from exc
        if out.shape != self.weights.shape:
            raise AssertionError(
                f"the output changed shape from {self.weights.shape} to "
                f"{out.shape} when an entry moved by a tiny step"
            )
        if not np.all(np.isfinite(out)):
            raise UnevaluableError("the output holds NaN or inf")
        return out

    def _line(self, v: int | Array, shrink: float = 1.0) -> tuple[Callable[[float], Array], float]:
        """``φ(s) = y(θ + s v)`` and the step for it (divided by ``shrink``).

        ``v`` is a flat index (a partial derivative) or a unit direction.
        """
        if isinstance(v, (int, np.integer)):
            # Entry i in row-major order, addressed by its index tuple: θ may be
            # a non-contiguous view, where reshape(-1) would be a copy.
            i = np.unravel_index(int(v), self.theta.shape)
            orig = self.theta[i].copy()
            h = step_size(orig, self.dtype) / shrink
            # A step the dtype can represent exactly: h = fl(θ_i + h) − θ_i.
            h = float(self.dtype.type(orig + h)) - float(orig)

            def phi(s: float) -> Array:
                __tracebackhide__ = True
                self.theta[i] = orig + s
                try:
                    return self._output()
                finally:
                    self.theta[i] = orig

            return phi, h
        saved = self.theta.copy()
        u = np.asarray(v, dtype=np.float64)

        def phi_u(s: float) -> Array:
            __tracebackhide__ = True
            self.theta[...] = saved + s * u
            try:
                return self._output()
            finally:
                self.theta[...] = saved

        if self._direction_step is None:
            self._direction_step = step_size(saved, self.dtype)
        return phi_u, self._direction_step / shrink

    def derivative(
        self, v: int | Array, richardson: bool = False, shrink: float = 1.0
    ) -> tuple[float, float]:
        """``(D_v f, rounding noise)`` by central differences (or the 5-point stencil)."""
        phi, h = self._line(v, shrink)
        plus, minus = phi(h), phi(-h)
        noise = rounding_noise(self.weights, plus, minus, h, self.dtype)
        if isinstance(v, (int, np.integer)) and self.weights.shape == self.theta.shape:
            # The Jacobian's diagonal alone, G_i ∂y_i/∂x_i: what a backward that forgets
            # the off-diagonal terms (softmax) would give. Kept for the hint.
            i = int(v)
            self.diagonal = float(self.weights.flat[i] * (plus.flat[i] - minus.flat[i])) / (2 * h)
        if not richardson:
            value = float(np.sum(self.weights * (plus - minus))) / (2 * h)
        else:
            value = float(np.sum(self.weights * derivative_along(phi, h, richardson=True)))
            noise *= 1.5  # the stencil's weights (8 + 1)/12 over 2h·… add a little rounding
        return value, noise

    def one_sided(self, v: int | Array) -> tuple[float, float]:
        """Left and right derivatives along ``v`` (to tell a kink from a wrong gradient)."""
        phi, h = self._line(v)
        left, right = one_sided_derivatives(phi, h)
        return float(np.sum(self.weights * left)), float(np.sum(self.weights * right))

    def side(self, v: int | Array, sign: float, shrink: float = 1.0) -> tuple[float, float]:
        """``(D_v f, rounding noise)`` from one side only: ``θ``, ``θ ± h``, ``θ ± 2h``.

        ``sign = +1`` is the right derivative, ``−1`` the left one; for a point
        the forward pass refuses to pass on the other side.
        """
        phi, h = self._line(v, shrink)
        if h == 0:
            raise UnevaluableError("the step is below the dtype's resolution")
        seen: dict[float, Array] = {}

        def remembered(s: float) -> Array:
            if s not in seen:
                seen[s] = phi(s)
            return seen[s]

        value = float(np.sum(self.weights * one_sided_derivative(remembered, sign * h)))
        # (−3φ(0) + 4φ(h) − φ(2h)) / 2h carries (3 + 4 + 1)/2 = 4 times the
        # rounding of a central difference, (1 + 1)/2.
        noise = rounding_noise(self.weights, seen[2 * sign * h], seen[0.0], h, self.dtype)
        return value, 4 * noise
