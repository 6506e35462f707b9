"""``Probe``: nudge one tensor, rerun the forward pass, return ``D_v (Σ G ∘ y)``.

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
from typing import Any

import numpy as np
import numpy.typing as npt

from gradcheck.numeric import (
    derivative_along,
    one_sided_derivative,
    one_sided_derivatives,
    step_size,
)
from gradcheck.tolerance import rounding_noise

Array = npt.NDArray[np.float64]


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
                self.theta[i] = orig + s
                try:
                    return self._output()
                finally:
                    self.theta[i] = orig

            return phi, h
        saved = self.theta.copy()
        u = np.asarray(v, dtype=np.float64)

        def phi_u(s: float) -> Array:
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
