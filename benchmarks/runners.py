"""The four runners the speed benchmark puts side by side.

Each runner trains the same net, Linear(D, H) → Sigmoid → Linear(H, K) →
softmax cross-entropy (mean over the batch), with plain SGD, from the same
initial weights, on the same data, in order (no shuffling), for one epoch:

- ``EngineRunner``: the same net, loss and optimizer trained through
  ``chainrule.engine.TrainingEngine`` (what ``fit`` and ``chainrule train``
  use): the layers' equations fused, on the same Parameter arrays, the data
  checked once.
- ``ChainruleRunner`` ("layers"): ``Sequential`` + ``SoftmaxCrossEntropyLoss``
  + ``SGD``, the loop the README teaches, every call checked.
- ``TorchRunner``: PyTorch eager on the CPU, the usual five-line loop.
- ``SklearnRunner``: ``MLPClassifier(solver="sgd")``; one ``partial_fit`` call
  over the epoch's data is one pass in batches of ``batch_size``.
- ``NumpyRunner``: the same step hand-written in NumPy, every trick of the
  hot path and none of its checks or structure (no Sequential, no layers, no
  loss object; buffers and flat label indices set up once). ``chainrule /
  numpy`` is what the framework's safety and readability cost.
- ``FloorRunner``: the five matrix products of a training step and nothing
  else (forward ``X W1ᵀ``, ``H W2ᵀ``; backward ``Gᵀ H``, ``G W2``, ``Dᵀ X``): no
  nonlinearity, no loss, no update, no checks, with W row-major as PyTorch
  stores it (and as the issue's figures were measured). ``chainrule / floor``
  is the share of the time spent on arithmetic.
- ``FloorColumnMajorRunner``: the same products with W column-major (as the
  hand-written loop keeps it); BLAS runs ``X Wᵀ`` faster that way, so this floor
  is lower, and no NumPy loop beats it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.floating[Any]]


@dataclass(frozen=True)
class Workload:
    """One line of the benchmark: net sizes, batch size and epoch length."""

    D: int
    H: int
    K: int
    batch: int
    n_samples: int
    dtype: str = "float32"

    @property
    def name(self) -> str:
        suffix = "" if self.dtype == "float32" else f" {self.dtype}"
        return f"{self.D}-{self.H}-{self.K} b{self.batch}{suffix}"


@dataclass
class Problem:
    """The data and the initial weights every runner starts from."""

    X: F32
    t: npt.NDArray[np.int64]
    W1: F32
    b1: F32
    W2: F32
    b2: F32
    lr: float = 0.1


def make_problem(w: Workload, seed: int = 0) -> Problem:
    """Random inputs, labels from a random teacher net, PyTorch-style initial weights."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(w.dtype)
    X = rng.standard_normal((w.n_samples, w.D)).astype(dtype)
    teacher = rng.standard_normal((w.D, w.K))
    t = np.argmax(X @ teacher, axis=1).astype(np.int64)
    b_1, b_2 = 1 / np.sqrt(w.D), 1 / np.sqrt(w.H)
    return Problem(
        X=X,
        t=t,
        W1=rng.uniform(-b_1, b_1, (w.H, w.D)).astype(dtype),
        b1=rng.uniform(-b_1, b_1, w.H).astype(dtype),
        W2=rng.uniform(-b_2, b_2, (w.K, w.H)).astype(dtype),
        b2=rng.uniform(-b_2, b_2, w.K).astype(dtype),
    )


class Runner(Protocol):
    name: str

    def __init__(self, p: Problem, batch: int) -> None: ...

    def epoch(self) -> None: ...

    def weights(self) -> list[F32]: ...


class ChainruleRunner:
    name = "layers"

    def __init__(self, p: Problem, batch: int) -> None:
        from layers import Linear, Sequential, Sigmoid
        from losses import SoftmaxCrossEntropyLoss
        from optim import SGD

        H, D = p.W1.shape
        K = p.W2.shape[0]
        dtype = p.X.dtype
        self.net = Sequential(Linear(D, H, dtype=dtype), Sigmoid(), Linear(H, K, dtype=dtype))
        for param, value in zip(self.net.parameters(), (p.W1, p.b1, p.W2, p.b2), strict=True):
            param.value = value
        self.loss_fn = SoftmaxCrossEntropyLoss()
        self.opt = SGD(self.net.parameters(), lr=p.lr)
        self.X, self.t, self.batch = p.X, p.t, batch

    def epoch(self) -> None:
        net, loss_fn, opt, X, t, b = self.net, self.loss_fn, self.opt, self.X, self.t, self.batch
        for i in range(0, len(X), b):
            logits = net.forward(X[i : i + b])
            loss_fn.forward(logits, t[i : i + b])
            net.backward(loss_fn.backward())
            opt.step()

    def weights(self) -> list[F32]:
        return [p.value.copy() for p in self.net.parameters()]


class EngineRunner(ChainruleRunner):
    name = "engine"

    def __init__(self, p: Problem, batch: int) -> None:
        from chainrule.engine import TrainingEngine

        super().__init__(p, batch)
        self.engine = TrainingEngine(self.net, self.loss_fn, self.opt)
        self.data = self.engine.prepare(p.X, p.t)  # checked once, as fit does

    def epoch(self) -> None:
        self.engine.epoch(*self.data, self.batch, accuracy=False, checked=True)


class TorchRunner:
    name = "torch"

    def __init__(self, p: Problem, batch: int) -> None:
        import torch

        H, D = p.W1.shape
        K = p.W2.shape[0]
        dt = torch.float32 if p.X.dtype == np.float32 else torch.float64
        self.torch = torch
        self.model = torch.nn.Sequential(
            torch.nn.Linear(D, H), torch.nn.Sigmoid(), torch.nn.Linear(H, K)
        ).to(dt)
        with torch.no_grad():
            for param, value in zip(self.model.parameters(), (p.W1, p.b1, p.W2, p.b2), strict=True):
                param.copy_(torch.from_numpy(value))
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=p.lr)
        self.X, self.t = torch.from_numpy(p.X), torch.from_numpy(p.t)
        self.batch = batch

    def epoch(self) -> None:
        model, loss_fn, opt, X, t, b = (
            self.model,
            self.loss_fn,
            self.opt,
            self.X,
            self.t,
            self.batch,
        )
        for i in range(0, len(X), b):
            opt.zero_grad()
            loss = loss_fn(model(X[i : i + b]), t[i : i + b])
            loss.backward()
            opt.step()

    def weights(self) -> list[F32]:
        return [q.detach().numpy().copy() for q in self.model.parameters()]


class SklearnRunner:
    name = "sklearn"

    def __init__(self, p: Problem, batch: int) -> None:
        from sklearn.neural_network import MLPClassifier  # type: ignore[import-untyped]

        H = p.W1.shape[0]
        K = p.W2.shape[0]
        self.model = MLPClassifier(
            hidden_layer_sizes=(H,),
            activation="logistic",
            solver="sgd",
            learning_rate_init=p.lr,
            momentum=0.0,
            nesterovs_momentum=False,
            alpha=0.0,
            batch_size=batch,
            shuffle=False,
        )
        classes = np.arange(K)
        # One call on K samples creates the arrays; then our weights go in.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "batch_size larger than sample size"
            self.model.partial_fit(p.X[:K], classes, classes=classes)
        self.model.coefs_ = [p.W1.T.copy(), p.W2.T.copy()]
        self.model.intercepts_ = [p.b1.copy(), p.b2.copy()]
        self.X, self.t = p.X, p.t

    def epoch(self) -> None:
        self.model.partial_fit(self.X, self.t)

    def weights(self) -> list[F32]:
        m = self.model
        return [m.coefs_[0].T.copy(), m.intercepts_[0], m.coefs_[1].T.copy(), m.intercepts_[1]]


class NumpyRunner:
    name = "numpy"

    def __init__(self, p: Problem, batch: int) -> None:
        f = p.X.dtype
        self.W1, self.W2 = np.array(p.W1, order="F"), np.array(p.W2, order="F")  # copies
        self.b1, self.b2 = p.b1.copy(), p.b2.copy()
        H, K = p.W1.shape[0], p.W2.shape[0]
        self.Z, self.E = np.empty((batch, H), f), np.empty((batch, H), f)
        self.Y, self.dH = np.empty((batch, K), f), np.empty((batch, H), f)
        self.grads = [np.empty_like(a) for a in (self.W1, self.b1, self.W2, self.b2)]
        self.steps = [np.empty_like(a) for a in (self.W1, self.b1, self.W2, self.b2)]
        self.ones = np.ones(batch, f)
        self.starts = np.arange(batch) * K
        self.X, self.t, self.batch, self.lr = p.X, p.t, batch, p.lr
        if len(p.X) % batch:  # the buffers above fit whole batches only
            raise ValueError(
                f"NumpyRunner: {len(p.X)} samples are not a whole number of batches of {batch}"
            )

    def epoch(self) -> None:
        W1, b1, W2, b2, Z, E, Y, dH = (
            self.W1, self.b1, self.W2, self.b2, self.Z, self.E, self.Y, self.dH
        )  # fmt: skip
        dW1, db1, dW2, db2 = self.grads
        params, grads, steps, lr = (W1, b1, W2, b2), self.grads, self.steps, self.lr
        ones, starts, X, t, b = self.ones, self.starts, self.X, self.t, self.batch
        mm, Yf, scale = np.matmul, Y.reshape(-1), 1.0 / b
        for i in range(0, len(X), b):
            x = X[i : i + b]
            mm(x, W1.T, out=E)  # z = X W1ᵀ + b1
            E += b1
            np.negative(E, out=E)  # σ(z) = 1 / (1 + e^{−z}), as chainrule computes it
            np.exp(E, out=E)  # (no errstate: these nets never reach z < −88)
            E += 1.0
            np.divide(1.0, E, out=Z)  # Z now holds h = σ(z)
            mm(Z, W2.T, out=Y)  # logits = H W2ᵀ + b2
            Y += b2
            Y -= np.maximum.reduce(Y, axis=1, keepdims=True)  # z − m
            flat = starts + t[i : i + b]
            z_t = Yf.take(flat)
            np.exp(Y, out=Y)
            s = np.add.reduce(Y, axis=1)
            _loss = float(np.add.reduce(np.log(s) - z_t)) * scale  # mean of log Σ e − z_t
            np.divide(Y, s[:, None] * b, out=Y)  # G = (p − T) / N
            Yf[flat] -= scale
            if b == 1:  # a column times a row: einsum calls BLAS, matmul does not
                np.einsum("i,j->ij", Y[0], Z[0], out=dW2)
            else:
                mm(Y.T, Z, out=dW2)
            mm(ones, Y, out=db2)
            mm(Y, W2, out=dH)  # ∇_h L
            np.subtract(1.0, Z, out=E)  # σ' = h (1 − h)
            E *= Z
            dH *= E  # ∇_z L
            if b == 1:
                np.einsum("i,j->ij", dH[0], x[0], out=dW1)
            else:
                mm(dH.T, x, out=dW1)
            mm(ones, dH, out=db1)
            for w, g, step in zip(params, grads, steps, strict=True):
                w -= np.multiply(g, lr, out=step)

    def weights(self) -> list[F32]:
        return [self.W1, self.b1, self.W2, self.b2]


class FloorRunner:
    name = "floor"
    order: Literal["C", "F"] = "C"

    def __init__(self, p: Problem, batch: int) -> None:
        self.W1 = np.array(p.W1, order=self.order)  # copies, in this runner's layout
        self.W2 = np.array(p.W2, order=self.order)
        self.dW1, self.dW2 = np.empty_like(self.W1), np.empty_like(self.W2)
        H, K = self.W1.shape[0], self.W2.shape[0]
        self.Z = np.empty((batch, H), p.X.dtype)
        self.Y = np.empty((batch, K), p.X.dtype)
        self.X, self.batch = p.X, batch

    def epoch(self) -> None:
        W1, W2, dW1, dW2, Z, Y = self.W1, self.W2, self.dW1, self.dW2, self.Z, self.Y
        X, b = self.X, self.batch
        matmul = np.matmul
        if b == 1:  # a column times a row: einsum calls BLAS, matmul does not
            for i in range(len(X)):
                x = X[i]
                matmul(W1, x, out=Z[0])
                matmul(W2, Z[0], out=Y[0])
                np.einsum("i,j->ij", Y[0], Z[0], out=dW2)
                matmul(Y[0], W2, out=Z[0])
                np.einsum("i,j->ij", Z[0], x, out=dW1)
            return
        for i in range(0, len(X) - b + 1, b):
            Xb = X[i : i + b]
            matmul(Xb, W1.T, out=Z)  # Z = X W1ᵀ
            matmul(Z, W2.T, out=Y)  # Y = H W2ᵀ
            matmul(Y.T, Z, out=dW2)  # ∇W2 = Gᵀ H
            matmul(Y, W2, out=Z)  # ∇H = G W2
            matmul(Z.T, Xb, out=dW1)  # ∇W1 = Dᵀ X

    def weights(self) -> list[F32]:
        return [self.W1, self.W2]


class FloorColumnMajorRunner(FloorRunner):
    name = "floor_cm"
    order: Literal["C", "F"] = "F"


RUNNERS: dict[str, type[Runner]] = {
    "engine": EngineRunner,
    "layers": ChainruleRunner,
    "torch": TorchRunner,
    "sklearn": SklearnRunner,
    "numpy": NumpyRunner,
    "floor": FloorRunner,
    "floor_cm": FloorColumnMajorRunner,
}
