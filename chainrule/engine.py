"""The training engine: the one place in chainrule where training is made fast.

The core (``layers``, ``losses``, ``optim``) is the lecture notes written as
code, one readable implementation per layer. This module computes the *same
equations* for a whole training step — forward, loss, backward, optimizer
update — fused over preallocated buffers, on the very same ``Parameter``
arrays (``W.value``, ``W.grad``, ...) written in place: a net trained here is
the same object, checkpoints and all, and its ``grad`` arrays hold what the
layers' ``backward`` would have written. ``tests/chainrule/test_engine.py``
proves it equal to ``Sequential`` + loss + optimizer, step for step.

What makes it fast:

- the data is checked once, up front (finite, shape, dtype, labels in range);
  inside the loop nothing is checked but the loss (a NaN or infinite loss
  still raises ``NonFiniteError``, before the step is taken, as in the layers);
- every intermediate lives in a buffer allocated once per batch size; each
  activation is applied in place on its ``Linear``'s output;
- the first ``Linear``'s ``∇_X L = G W`` is never computed (nobody needs it);
- softmax cross-entropy with integer labels never builds the one-hot ``T``.

Only the public API is used: ``Sequential.layers``, ``Linear.W`` / ``.b``,
``Parameter.value`` / ``.grad``, the losses' ``reduction``, the optimizers'
hyper-parameters, ``lr`` (so schedules work) and their state, read in one
place, :func:`optimizer_state`. Anything else (another layer, loss or
optimizer, a subclass, a patched method) is not supported: ask
:meth:`TrainingEngine.why_not`, or use :func:`engine_for`, which returns
``None`` so the caller runs the plain layers.

>>> import numpy as np
>>> from layers import Linear, Sequential, Sigmoid
>>> from losses import SoftmaxCrossEntropyLoss
>>> from optim import SGD
>>> net = Sequential(Linear(4, 8, rng=0), Sigmoid(), Linear(8, 3, rng=1))
>>> engine = TrainingEngine(net, SoftmaxCrossEntropyLoss(), SGD(net.parameters(), lr=0.1))
>>> X, t = np.random.default_rng(0).normal(size=(32, 4)), np.arange(32) % 3
>>> loss = engine.step(X, t)  # one step on one batch, as net/loss/optimizer would take it
>>> mean_loss, accuracy = engine.epoch(X, t, batch_size=8, rng=np.random.default_rng(0))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from layers import Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from layers.errors import (
    DomainError,
    HyperparameterError,
    LabelError,
    NonFiniteError,
    ShapeError,
)
from layers.layer import Layer
from layers.parameter import Parameter
from losses import CrossEntropyLoss, MSELoss, SoftmaxCrossEntropyLoss
from losses.loss import Loss
from optim import SGD, Adam
from optim.optimizer import Optimizer

Array = npt.NDArray[Any]
ACTIVATIONS = {Sigmoid: "sigmoid", Tanh: "tanh", ReLU: "relu", Softmax: "softmax"}
LOSSES = {SoftmaxCrossEntropyLoss: "softmax_ce", CrossEntropyLoss: "ce", MSELoss: "mse"}


# ---------------------------------------------------------------------------
# Optimizer state: the only place that knows how SGD and Adam keep theirs.
# ---------------------------------------------------------------------------


def optimizer_state(opt: Optimizer) -> dict[str, list[Array]]:
    """The optimizer's own per-parameter state arrays, in ``opt.params`` order.

    The engine updates these arrays in place, so the optimizer continues
    exactly where the engine stopped (and the other way round). SGD with
    momentum: ``{"v": velocities}`` (a velocity not yet created is created
    here as zeros, which gives the same first step ``v ← μ·0 + g = g``).
    Adam: ``{"m": ..., "v": ..., "v_max": ...}``; its step count is ``opt.t``.
    """

    def arrays(*names: str) -> list[Any] | None:
        for name in names:
            if isinstance(getattr(opt, name, None), list):
                found: list[Any] = getattr(opt, name)
                return found
        return None

    if isinstance(opt, Adam):
        m, v = arrays("m", "_m"), arrays("v", "_v")
        v_max = arrays("v_max", "_v_max") if opt.amsgrad else []
        if m is None or v is None or v_max is None:
            raise HyperparameterError("TrainingEngine: cannot find Adam's moments m and v")
        return {"m": m, "v": v, "v_max": v_max}
    if not getattr(opt, "momentum", 0.0):
        return {}
    v = arrays("v", "velocity", "_velocity")
    if v is None:
        raise HyperparameterError("TrainingEngine: cannot find SGD's velocity buffers")
    for i, p in enumerate(opt.params):
        if v[i] is None:
            v[i] = np.zeros_like(p.value)
    return {"v": v}


# ---------------------------------------------------------------------------
# The plan: the net walked once.
# ---------------------------------------------------------------------------


@dataclass
class _Op:
    """One layer of the plan: ``kind`` is "linear" or an activation's name."""

    kind: str
    W: Parameter | None = None
    b: Parameter | None = None
    width: int = 0  # size of this op's output


@dataclass
class _Buffers:
    """Everything one batch size needs, allocated once."""

    n: int
    outs: list[Array]  # output of each op (activations share their Linear's)
    grads: list[Array]  # ∂L/∂(output of op i), for ops that need one
    ones: Array
    starts: Array  # i K: the row starts of the flattened logits
    temp: list[Array] = field(default_factory=list)


def _all_finite(a: Array) -> bool:
    """No NaN or inf in ``a``, checked in slices of rows (no mask the size of the data)."""
    rows = max(1, (1 << 16) // max(1, a[0].size)) if len(a) else 1
    return all(np.isfinite(a[i : i + rows]).all() for i in range(0, len(a), rows))


def _flatten(net: Layer) -> list[Layer] | None:
    if type(net) is not Sequential:
        return None
    leaves: list[Layer] = []
    for layer in net.layers:
        inner = _flatten(layer) if type(layer) is Sequential else [layer]
        if inner is None:
            return None
        leaves.extend(inner)
    return leaves


def _patched(obj: object) -> bool:
    """A method replaced on the instance: the engine would not run it."""
    return any(name in vars(obj) for name in ("forward", "backward", "step", "__call__"))


class TrainingEngine:
    """Fused training steps for a ``Sequential`` of our layers, our loss and our optimizer.

    Parameters
    ----------
    net : Sequential
        Of ``Linear``, ``Sigmoid``, ``Tanh``, ``ReLU``, ``Softmax`` (nested
        ``Sequential`` allowed), all parameters of one float dtype.
    loss : SoftmaxCrossEntropyLoss, CrossEntropyLoss or MSELoss
        Either reduction. ``CrossEntropyLoss`` needs a last layer ``Softmax``
        or ``Sigmoid`` (its input must be probabilities).
    optimizer : SGD or Adam
        Over exactly the net's parameters. Its ``lr`` is read at every step,
        so a schedule that sets it works; its state is shared (see
        :func:`optimizer_state`).

    Raises
    ------
    HyperparameterError
        The combination is not supported; the message says why
        (:meth:`why_not` gives the same reason without raising).
    """

    def __init__(self, net: Layer, loss: Loss, optimizer: Optimizer) -> None:
        reason = self.why_not(net, loss, optimizer)
        if reason is not None:
            raise HyperparameterError(f"TrainingEngine: {reason}; train with the layers instead")
        leaves = _flatten(net)
        assert leaves is not None
        self.net, self.loss, self.optimizer = net, loss, optimizer
        self.loss_kind = LOSSES[type(loss)]
        self.plan: list[_Op] = []
        width = next(layer for layer in leaves if isinstance(layer, Linear)).in_features
        for layer in leaves:
            if isinstance(layer, Linear):
                width = layer.out_features
                self.plan.append(_Op("linear", layer.W, layer.b, width))
            else:
                self.plan.append(_Op(ACTIVATIONS[type(layer)], width=width))
        first = next(op for op in self.plan if op.kind == "linear")
        assert first.W is not None
        self.in_features = first.W.shape[1]
        self.out_features = next(op.width for op in reversed(self.plan) if op.kind == "linear")
        self.dtype = first.W.dtype
        # Ops before the first Linear have no parameters: backward stops at it.
        self._first_linear = self.plan.index(first)
        self._params = list(optimizer.params)
        self._buffers: dict[int, _Buffers] = {}
        self._state = optimizer_state(optimizer)
        self._opt_buffers = [(np.empty_like(p.value), np.empty_like(p.value)) for p in self._params]

    # -- what is supported -------------------------------------------------

    @staticmethod
    def why_not(net: Layer, loss: Loss, optimizer: Optimizer) -> str | None:
        """``None`` when the engine can train this combination, else the reason."""
        leaves = _flatten(net)
        if leaves is None:
            return f"the net is a {type(net).__name__}, not a Sequential of our layers"
        linears = [layer for layer in leaves if isinstance(layer, Linear)]
        for layer in leaves:
            if type(layer) is not Linear and type(layer) not in ACTIVATIONS:
                return f"layer {layer!r} ({type(layer).__name__}) is not one of ours"
            if _patched(layer):
                return f"layer {layer!r} has a method replaced on the instance"
        if not linears:
            return "the net has no Linear layer"
        widths = [layer.in_features for layer in linears[1:]]
        if widths != [layer.out_features for layer in linears[:-1]]:
            return "the Linear layers' sizes do not chain"
        params = [p for layer in linears for p in layer.parameters()]
        if len({p.dtype for p in params}) != 1:
            return "the parameters have different dtypes"
        if type(loss) not in LOSSES or _patched(loss):
            return f"the loss {type(loss).__name__} is not one of ours"
        if type(loss) is CrossEntropyLoss and type(leaves[-1]) not in (Softmax, Sigmoid):
            return "CrossEntropyLoss takes probabilities: the last layer must be Softmax or Sigmoid"
        if type(optimizer) not in (SGD, Adam) or _patched(optimizer):
            return f"the optimizer {type(optimizer).__name__} is not SGD or Adam"
        ids = sorted(id(p) for p in optimizer.params)
        if ids != sorted(id(p) for p in params):
            return "the optimizer does not hold exactly the net's parameters"
        return None

    # -- the public calls ------------------------------------------------------

    def prepare(self, X: npt.ArrayLike, t: npt.ArrayLike) -> tuple[Array, Array]:
        """Check a data set once: ``X`` as a 2-D array of the net's dtype, ``t`` as
        int64 labels ``(N,)`` or a target matrix ``(N, M)`` of that dtype.

        Raises the errors the layers and the loss would raise on the same data.
        """
        X_arr = np.asarray(X)
        if X_arr.dtype.kind not in "biuf":
            raise ShapeError(f"TrainingEngine: X must hold numbers, got dtype {X_arr.dtype}")
        X_arr = np.ascontiguousarray(X_arr, dtype=self.dtype)
        single = X_arr.ndim == 1
        if single:
            X_arr = X_arr[None, :]
        if X_arr.ndim != 2 or X_arr.shape[1] != self.in_features or len(X_arr) == 0:
            raise ShapeError(
                f"TrainingEngine: expected X of shape (N, {self.in_features}), got {X_arr.shape}"
            )
        if not _all_finite(X_arr):
            raise NonFiniteError("TrainingEngine: X holds NaN or infinite values")
        t_arr = np.asarray(t)
        if single:
            t_arr = t_arr[None, ...]
        K, N = self.out_features, len(X_arr)
        if t_arr.ndim == 0 or len(t_arr) != N:
            raise ShapeError(
                f"TrainingEngine: X has {N} samples but t has {len(np.atleast_1d(t_arr))}"
            )
        if self.loss_kind != "mse" and t_arr.shape == (N,):
            if t_arr.dtype.kind not in "iu":
                raise LabelError(f"TrainingEngine: labels must be integers, got {t_arr.dtype}")
            if N and (t_arr.min() < 0 or t_arr.max() >= K):
                raise LabelError(f"TrainingEngine: labels must lie in 0..{K - 1}")
            return X_arr, t_arr.astype(np.int64)
        if t_arr.shape != (N, K) or t_arr.dtype.kind not in "biuf":
            raise LabelError(
                f"TrainingEngine: expected targets of shape ({N}, {K})"
                + ("" if self.loss_kind == "mse" else f" or labels ({N},)")
                + f", got {t_arr.shape}"
            )
        T = np.ascontiguousarray(t_arr, dtype=self.dtype)
        if not _all_finite(T):
            raise NonFiniteError("TrainingEngine: targets hold NaN or infinite values")
        if self.loss_kind != "mse":
            tolerance = 1e-6 if self.dtype == np.float64 else 1e-4
            if (T < 0).any() or not np.allclose(T.sum(axis=1), 1.0, atol=tolerance):
                raise LabelError("TrainingEngine: target rows must be non-negative, summing to 1")
        return X_arr, T

    def step(self, X: npt.ArrayLike, t: npt.ArrayLike) -> float:
        """One training step on one batch (checked first); returns the batch's loss.

        The same as ``loss.forward(net.forward(X), t); net.backward(loss.backward());
        optimizer.step()``: afterwards every ``Parameter``'s ``value`` and
        ``grad`` hold what that would leave.
        """
        X_arr, T = self.prepare(X, t)
        self._state = optimizer_state(self.optimizer)  # the optimizer may have stepped alone
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._step(X_arr, T, *self._arrays())[0]

    def epoch(
        self,
        X: npt.ArrayLike,
        t: npt.ArrayLike,
        batch_size: int,
        rng: np.random.Generator | None = None,
        *,
        accuracy: bool = True,
        on_batch: Callable[[int, float], None] | None = None,
        checked: bool = False,
    ) -> tuple[float, float]:
        """One pass over ``(X, t)`` in minibatches; returns (mean loss, accuracy).

        Batches are those of :func:`chainrule.data.minibatches`: a permutation
        ``rng.permutation(N)`` when ``rng`` is given, else the data's order,
        the last batch holding the leftovers. ``accuracy`` (classification
        only, else NaN) counts ``argmax`` of the logits against the labels.
        ``on_batch(samples_seen, mean_loss_so_far)`` is called after every
        step (a progress bar). ``checked=True``: ``X, t`` come from
        :meth:`prepare` and are not checked again.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise HyperparameterError(
                f"TrainingEngine: batch_size must be an int, got {batch_size!r}"
            )
        if batch_size < 1:
            raise HyperparameterError(f"TrainingEngine: batch_size must be ≥ 1, got {batch_size}")
        X_arr, T = (X, t) if checked else self.prepare(X, t)
        assert isinstance(X_arr, np.ndarray) and isinstance(T, np.ndarray)
        N = len(X_arr)
        if len(T) != N:
            raise ShapeError(f"TrainingEngine: X has {N} samples but t has {len(T)}")
        if rng is not None:
            order = rng.permutation(N)
            X_arr, T = X_arr.take(order, axis=0), T.take(order, axis=0)  # once per epoch
        self._state = optimizer_state(self.optimizer)  # the optimizer may have stepped alone
        labels = T if T.ndim == 1 else None
        count = accuracy and self.loss_kind != "mse"
        flat_all = None  # label t_i's flat place in its batch's logits, i K + t_i, for all i
        if labels is not None:
            flat_all = (np.arange(N) % batch_size) * self.out_features + labels
        total, correct = 0.0, 0
        ops, update = self._arrays()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, N, batch_size):
                stop = start + batch_size
                Xb, Tb = X_arr[start:stop], T[start:stop]
                flat = None if flat_all is None else flat_all[start:stop]
                loss, out = self._step(Xb, Tb, ops, update, flat)
                n = len(Xb)
                total += loss * n
                if count:
                    truth = Tb if labels is not None else np.argmax(Tb, axis=1)
                    correct += int(np.count_nonzero(np.argmax(out, axis=1) == truth))
                if on_batch is not None:
                    on_batch(start + n, total / (start + n))
        return total / N, (correct / N if count else float("nan"))

    # -- the step ------------------------------------------------------------------

    def _buffers_for(self, n: int) -> _Buffers:
        buf = self._buffers.get(n)
        if buf is None:
            dt = self.dtype
            outs: list[Array] = []
            grads: list[Array] = []
            for i, op in enumerate(self.plan):
                in_place = op.kind != "linear" and i > 0 and self.plan[i - 1].kind == "linear"
                # An activation right after a Linear works in place on its z:
                # the Linear's backward needs its input, never its output.
                outs.append(outs[-1] if in_place else np.empty((n, op.width), dt))
                grads.append(np.empty((n, op.width), dt))
            temp = [np.empty((n, op.width), dt) for op in self.plan]
            K = self.out_features
            buf = _Buffers(n, outs, grads, np.ones(n, dt), np.arange(n, dtype=np.int64) * K, temp)
            self._buffers[n] = buf
        return buf

    def _arrays(self) -> tuple[list[tuple[Any, ...]], list[tuple[Array, Array, Array, Array]]]:
        """The plan with every ``Parameter``'s arrays looked up once per call of
        ``step`` or ``epoch`` (a Parameter's arrays do not change during one)."""
        ops = []
        for op in self.plan:
            W, b = op.W, op.b
            ops.append(
                (
                    op.kind,
                    None if W is None else W.value.T,  # Wᵀ, for Y = X Wᵀ
                    None if W is None else W.value,
                    None if W is None else W.grad,
                    None if b is None else b.value,
                    None if b is None else b.grad,
                )
            )
        for p in self._params:  # a grad never set (or replaced) gets an array to write into
            if not (isinstance(p.grad, np.ndarray) and p.grad.shape == p.value.shape):
                p.grad = np.zeros_like(p.value)
        update = [
            (p.value, p.grad, d, s)
            for p, (d, s) in zip(self._params, self._opt_buffers, strict=True)
        ]
        return ops, update

    def _step(
        self,
        X: Array,
        T: Array,
        ops: list[tuple[Any, ...]],
        update: list[tuple[Array, Array, Array, Array]],
        flat: Array | None = None,
    ) -> tuple[float, Array]:
        """Forward, loss, backward and update on a checked batch; (loss, output)."""
        n = len(X)
        buf = self._buffers.get(n) or self._buffers_for(n)
        outs, grads, mm = buf.outs, buf.grads, np.matmul
        # ---- forward: h_0 = X, h_l = f_l(h_{l−1}) ----
        h: Array = X
        for i, (kind, WT, _W, _gW, b, _gb) in enumerate(ops):
            z = outs[i]
            if kind == "linear":
                mm(h, WT, out=z)  # Linear: Y = X Wᵀ  (the notes' y = W x, batched)
                if b is not None:
                    z += b  #   + b
            elif kind == "sigmoid":
                np.negative(h, out=z)  # Sigmoid: h = σ(z) = 1 / (1 + e^{−z})
                np.exp(z, out=z)  #   e^{−z}  (overflow to inf gives σ = 0, the right limit)
                z += 1.0  #   1 + e^{−z}
                np.divide(1.0, z, out=z)  #   1 / (1 + e^{−z})
            elif kind == "tanh":
                np.tanh(h, out=z)  # Tanh: h = tanh(z)
            elif kind == "relu":
                np.maximum(h, 0, out=z)  # ReLU: h = max(0, z)
            else:  # softmax
                # Softmax: p_k = e^{z_k − m} / Σ_j e^{z_j − m}, m = max_k z_k per row
                np.subtract(h, np.maximum.reduce(h, axis=1, keepdims=True), out=z)
                np.exp(z, out=z)
                z /= np.add.reduce(z, axis=1, keepdims=True)
            h = z
        y = h
        # ---- loss: L and G = ∂L/∂y ----
        G = grads[-1]
        loss = self._loss(y, T, G, buf, flat)
        if not math.isfinite(loss):
            raise NonFiniteError(
                f"TrainingEngine: the loss is {loss}; the weights may have diverged "
                f"(lower the learning rate) or the targets cannot be reached"
            )
        # ---- backward: the chain rule from the last layer to the first Linear ----
        first = self._first_linear
        for i in range(len(ops) - 1, first - 1, -1):
            kind, _WT, W, gW, b, gb = ops[i]
            g = grads[i]
            if kind == "linear":
                h_in = X if i == 0 else outs[i - 1]
                if n == 1:  # one sample: matmul would not call BLAS for a column times a row
                    np.einsum("i,j->ij", g[0], h_in[0], out=gW)  # Linear: ∇_W L = g xᵀ
                    if gb is not None:
                        gb[...] = g[0]  # Linear: ∇_b L = g
                else:
                    mm(g.T, h_in, out=gW)  # Linear: ∇_W L = Gᵀ X  (Σ_i g_i x_iᵀ)
                    if gb is not None:
                        mm(buf.ones, g, out=gb)  # Linear: ∇_b L = Σ_i g_i = 1ᵀ G
                if i > first:  # the first Linear's ∇_X L is never needed
                    mm(g, W, out=grads[i - 1])  # Linear: ∇_X L = G W
            else:
                h_out, s = outs[i], buf.temp[i]
                target = grads[i - 1]  # ∂L/∂(this op's input); i > first ≥ 0 here
                if kind == "sigmoid":
                    np.subtract(1.0, h_out, out=s)  # Sigmoid: 1 − σ(z)
                    s *= h_out  #   σ'(z) = σ(z)(1 − σ(z))
                    np.multiply(g, s, out=target)  #   ∇_z L = ∇_h L ∘ σ'(z)
                elif kind == "tanh":
                    np.multiply(h_out, h_out, out=s)  # Tanh: h²
                    np.subtract(1, s, out=s)  #   1 − h²
                    np.multiply(g, s, out=target)  #   ∇_z L = ∇_h L ∘ (1 − h²)
                elif kind == "relu":
                    np.multiply(g, h_out > 0, out=target)  # ReLU: ∇_z L = ∇_h L ∘ 1[z > 0]
                else:  # softmax: ∇_z L = p ∘ (g − Σ_k g_k p_k), per row
                    np.multiply(g, h_out, out=s)
                    gp = np.add.reduce(s, axis=1, keepdims=True)  #   Σ_k g_k p_k
                    np.subtract(g, gp, out=target)  #   g − Σ_k g_k p_k
                    target *= h_out  #   p ∘ (g − Σ_k g_k p_k)
        self._update(update)
        return loss, y

    def _loss(self, y: Array, T: Array, G: Array, buf: _Buffers, flat: Array | None) -> float:
        """The loss of ``y`` against ``T``; writes ``G = ∂L/∂y``."""
        n = len(y)
        scale = 1.0 / n if self.loss.reduction == "mean" else 1.0
        kind = self.loss_kind
        if kind == "mse":
            np.subtract(y, T, out=G)  # MSELoss: y − t
            loss = scale * float(np.vdot(G, G))  #   L = Σ_i ‖y_i − t_i‖²  (× 1/N)
            G *= 2.0 * scale  #   ∇_y L = 2(y − t)  (× 1/N)
            return loss
        if kind == "softmax_ce":
            # SoftmaxCrossEntropyLoss: log p_k = z_k − m − log Σ_j e^{z_j − m}
            np.subtract(y, np.maximum.reduce(y, axis=1, keepdims=True), out=G)  # z − m
            if T.ndim == 1:  # labels: T_ik = 1 iff k = t_i, at flat place i K + t_i
                flat = buf.starts + T if flat is None else flat
                Gf = G.reshape(-1)
                z_t = Gf.take(flat)
                np.exp(G, out=G)  # e^{z_k − m}
                sum_exp = np.add.reduce(G, axis=1, keepdims=True)  # Σ_j e^{z_j − m}
                # L_CE = −Σ_i (z_{i,t_i} − m_i − log Σ_j e^{z_ij − m_i})
                loss = -scale * float(np.add.reduce(z_t - np.log(sum_exp[:, 0])))
                np.multiply(G, scale / sum_exp, out=G)  # p / N  (mean) or p  (sum)
                Gf[flat] -= scale  # ∇_z L = p − T
                return loss
            log_p = np.exp(G)
            sum_exp = np.add.reduce(log_p, axis=1, keepdims=True)
            p = log_p / sum_exp
            np.subtract(G, np.log(sum_exp), out=log_p)  # log p_k
            T_log_p = np.multiply(T, log_p, out=np.zeros_like(T), where=T != 0)
            loss = -scale * float(np.sum(T_log_p))  # L_CE = −Σ_i Σ_k T_ik log p_ik
            np.subtract(p, T, out=G)
            G *= scale  # ∇_z L = p − T  (× 1/N)
            return loss
        # CrossEntropyLoss on probabilities p: L = −Σ T log p, ∂L/∂p = −T / p
        if float(np.min(y)) < 0 or float(np.max(y)) > 1:
            raise DomainError("TrainingEngine: CrossEntropyLoss needs probabilities in [0, 1]")
        G.fill(0)
        if T.ndim == 1:
            flat = buf.starts + T if flat is None else flat
            p_t = y.reshape(-1).take(flat)
            loss = -scale * float(np.add.reduce(np.log(p_t)))  # L_CE = −Σ_i log p_{i,t_i}
            g_t = -scale / p_t  # ∂L/∂p_{i,t_i} = −1 / p_{i,t_i}  (× 1/N); 0 elsewhere
            G.reshape(-1)[flat] = g_t
            return loss if np.isfinite(g_t).all() else math.inf
        counts = T != 0
        log_p = np.log(y, out=np.zeros_like(y), where=counts)
        loss = -scale * float(np.sum(T * log_p))  # L_CE = −Σ_i Σ_k T_ik log p_ik
        np.divide(-scale * T, y, out=G, where=counts)  # ∂L/∂p = −T / p
        if not np.isfinite(G).all():
            return math.inf
        return loss

    def _update(self, update: list[tuple[Array, Array, Array, Array]]) -> None:
        """The optimizer's step, on every parameter in place (``opt.params`` order)."""
        opt, state = self.optimizer, self._state
        if isinstance(opt, Adam):
            opt.t += 1
            beta1, beta2 = opt.betas
            step_size = opt.lr / (1.0 - beta1**opt.t)
            correction2_sqrt = math.sqrt(1.0 - beta2**opt.t)
            for i, (w, g, d, s) in enumerate(update):
                if opt.weight_decay:
                    np.multiply(w, opt.weight_decay, out=d)  # Adam: g ← ∇_w L + λ w
                    g = np.add(g, d, out=d)
                m, v = state["m"][i], state["v"][i]
                np.subtract(g, m, out=s)  # m ← β₁ m + (1 − β₁) g = m + (1 − β₁)(g − m)
                s *= 1.0 - beta1
                m += s
                v *= beta2  # v ← β₂ v + (1 − β₂) g²
                np.multiply(g, 1.0 - beta2, out=s)
                s *= g
                v += s
                if opt.amsgrad:
                    np.maximum(state["v_max"][i], v, out=state["v_max"][i])  # v_max ← max
                    v = state["v_max"][i]
                np.sqrt(v, out=s)  # √v̂ + ε = √v / √(1 − β₂ᵗ) + ε
                s /= correction2_sqrt
                s += opt.eps
                np.divide(m, s, out=s)  # w ← w − (η / (1 − β₁ᵗ)) m / (√v̂ + ε)
                s *= step_size
                w -= s
            return
        assert isinstance(opt, SGD)
        lr, decay, mu = opt.lr, opt.weight_decay, opt.momentum
        if not (decay or mu):  # plain SGD, the common case: one line per parameter
            for w, g, _d, s in update:
                w -= np.multiply(g, lr, out=s)  # SGD: w ← w − η ∇_w L
            return
        if mu and "v" not in state:  # momentum set after the engine was made
            state = self._state = optimizer_state(opt)
        velocities = state.get("v") if mu else None
        for i, (w, g, d, s) in enumerate(update):
            if decay:
                np.multiply(w, decay, out=d)  # SGD: g ← ∇_w L + λ w
                g = np.add(g, d, out=d)
            if velocities is not None:
                v = velocities[i]
                v *= mu  # SGD: v ← μ v + g
                v += g
                if opt.nesterov:
                    np.multiply(v, mu, out=s)  # Nesterov: g + μ v
                    g = np.add(g, s, out=s)
                else:
                    g = v
            w -= np.multiply(g, lr, out=s)  # SGD: w ← w − η g


def engine_for(net: Layer, loss: Loss, optimizer: Optimizer) -> TrainingEngine | None:
    """A :class:`TrainingEngine` for this combination, or ``None`` when it is not
    supported (then train with the layers: ``net.forward``, ``loss``, ...)."""
    if TrainingEngine.why_not(net, loss, optimizer) is not None:
        return None
    return TrainingEngine(net, loss, optimizer)


__all__ = ["TrainingEngine", "engine_for", "optimizer_state"]
