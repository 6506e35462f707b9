"""``Adam``: adaptive moment estimation, the update PyTorch documents."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from layers.errors import HyperparameterError
from layers.parameter import Parameter
from optim.optimizer import Optimizer
from optim.sgd import _check_number

FloatArray = npt.NDArray[np.floating[Any]]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), step for step as ``torch.optim.Adam`` documents it.

    For each parameter ``w`` with gradient ``∇_w L``, at step ``t = 1, 2, …``::

        g  ← ∇_w L + λ w                      (weight decay λ, an L2 penalty)
        m  ← β₁ m + (1 − β₁) g                (first moment: a running mean of g)
        v  ← β₂ v + (1 − β₂) g²               (second moment: a running mean of g²)
        m̂  = m / (1 − β₁ᵗ)                    (bias corrections: m and v start at 0)
        v̂  = v / (1 − β₂ᵗ)                    (AMSGrad: v̂ ← max(v̂_max, v̂) … see below)
        w  ← w − η m̂ / (√v̂ + ε)

    Each coordinate moves by about ``η`` whatever the scale of its gradient,
    which is why Adam needs little learning-rate tuning. With ``amsgrad=True``
    the running maximum of ``v`` replaces ``v`` in the denominator.

    Parameters
    ----------
    params : iterable of Parameter
        Usually ``net.parameters()``.
    lr : float, default 1e-3
        Learning rate ``η ≥ 0``.
    betas : (float, float), default (0.9, 0.999)
        ``β₁, β₂`` in ``[0, 1)``.
    eps : float, default 1e-8
        ``ε ≥ 0``, keeps the division finite.
    weight_decay : float, default 0
        ``λ ≥ 0``, added to the gradient as ``λ w`` (not AdamW's decoupled decay).
    amsgrad : bool, default False
        Use the AMSGrad variant.
    """

    def __init__(
        self,
        params: Iterable[Parameter | None],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params)
        self.lr = _check_number("Adam", "lr", lr)
        if len(betas) != 2:
            raise HyperparameterError(f"Adam: betas must be a pair (β₁, β₂), got {betas!r}")
        self.betas = (
            _check_number("Adam", "betas[0]", betas[0]),
            _check_number("Adam", "betas[1]", betas[1]),
        )
        self.eps = _check_number("Adam", "eps", eps)
        self.weight_decay = _check_number("Adam", "weight_decay", weight_decay)
        if self.lr < 0:
            raise HyperparameterError(f"Adam: lr must be ≥ 0, got {lr!r}")
        for i, beta in enumerate(self.betas):
            if not 0.0 <= beta < 1.0:
                raise HyperparameterError(f"Adam: betas[{i}] must lie in [0, 1), got {beta!r}")
        if self.eps < 0:
            raise HyperparameterError(f"Adam: eps must be ≥ 0, got {eps!r}")
        if self.weight_decay < 0:
            raise HyperparameterError(f"Adam: weight_decay must be ≥ 0, got {weight_decay!r}")
        self.amsgrad = bool(amsgrad)
        self.t = 0  # steps taken so far
        self._m = [np.zeros_like(p.value) for p in self.params]
        self._v = [np.zeros_like(p.value) for p in self.params]
        self._v_max = [np.zeros_like(p.value) for p in self.params] if self.amsgrad else []

    def step(self) -> None:
        """Apply one update to every parameter, in place."""
        self.t += 1
        beta1, beta2 = self.betas
        # The bias corrections, arranged as PyTorch arranges them so the
        # results agree to the last bits: w ← w − (η/(1−β₁ᵗ)) m / (√v/√(1−β₂ᵗ) + ε).
        step_size = self.lr / (1.0 - beta1**self.t)
        correction2_sqrt = math.sqrt(1.0 - beta2**self.t)
        for i, p in enumerate(self.params):
            g: FloatArray = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.value  # g ← ∇_w L + λ w
            m, v = self._m[i], self._v[i]
            m += (1.0 - beta1) * (g - m)  # m ← β₁ m + (1 − β₁) g, as a lerp like torch
            v *= beta2  # v ← β₂ v + (1 − β₂) g²
            v += (1.0 - beta2) * g * g
            if self.amsgrad:
                np.maximum(self._v_max[i], v, out=self._v_max[i])  # v_max ← max(v_max, v)
                v = self._v_max[i]
            denom = np.sqrt(v) / correction2_sqrt + self.eps  # √v̂ + ε
            w = p.value
            w -= step_size * (m / denom)  # w ← w − η m̂ / (√v̂ + ε)

    def __repr__(self) -> str:
        extras = "".join(
            f", {name}={value}"
            for name, value in (("weight_decay", self.weight_decay), ("amsgrad", self.amsgrad))
            if value
        )
        return f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}{extras})"
