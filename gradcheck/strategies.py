"""Hypothesis strategies for inputs and targets that suit each layer and loss.

Drawn data is chosen so a wrong gradient cannot hide:

- every array's entries are **distinct** and bounded away from 0 (a constant
  or zero input makes ``Gᵀ X`` and ``Xᵀ G`` or ``±g`` look alike; a zero
  input zeroes ``∇_W L`` and hides any bug in it);
- shapes have ``N ≥ 2`` rows (so a mean/sum mix-up shows) and ``D ≠ M`` (so a
  transposed weight gradient has the wrong shape);
- ReLU inputs keep ``|z| ≥ 1e-3``, away from the kink at 0;
- values are bounded (``|x| ≤ 3``) so sigmoid and softmax do not saturate;
- probabilities for ``CrossEntropyLoss`` stay ≥ 0.01, labels lie in range;
- MSE predictions differ from their targets (a zero residual zeroes ∇L).

Importing this module registers two hypothesis profiles, both deterministic
(``derandomize=True``, no example database) with no deadline: ``"ci"`` (more
examples) and ``"dev"`` (fewer, fast). :func:`load_profile` picks ``"ci"``
when the environment variable ``CI`` is set. (A profile of the same name
registered before this import is kept.) This is the only module of
``gradcheck`` that needs hypothesis.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

import gradcheck
from layers import Layer, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from losses import CrossEntropyLoss, Loss, MSELoss, SoftmaxCrossEntropyLoss

Array = np.ndarray[Any, Any]
PROFILES = {"ci": 100, "dev": 12}  # examples per test


def _registered(name: str) -> bool:
    try:
        settings.get_profile(name)
    except InvalidArgument:
        return False
    return True


for _name, _examples in PROFILES.items():
    if _registered(_name):  # a project's own "ci"/"dev" profile wins over ours
        continue
    settings.register_profile(
        _name,
        max_examples=_examples,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


def load_profile(environ: Mapping[str, str] = os.environ) -> str:
    """Load ``$HYPOTHESIS_PROFILE``, else ``"ci"`` when ``$CI`` is set, else ``"dev"``."""
    name = environ.get("HYPOTHESIS_PROFILE") or ("ci" if environ.get("CI") else "dev")
    settings.load_profile(name)
    return name


def arrays(
    shape: tuple[int, ...], *, bound: float = 3.0, margin: float = 0.1, dtype: Any = np.float64
) -> st.SearchStrategy[Array]:
    """Distinct finite floats with ``margin ≤ |v| ≤ bound``."""
    if np.dtype(dtype) == np.float32:  # the bounds must be float32 numbers themselves
        magnitude = st.floats(float(np.float32(margin)), float(np.float32(bound)), width=32)
    else:
        magnitude = st.floats(margin, bound)
    elements = st.builds(lambda m, s: s * m, magnitude, st.sampled_from([-1.0, 1.0]))
    return hnp.arrays(dtype, shape, elements=elements, unique=True)


def sizes(min_value: int = 1, max_value: int = 5) -> st.SearchStrategy[int]:
    return st.integers(min_value, max_value)


@st.composite
def linear_cases(draw: st.DrawFn, dtype: Any = np.float64) -> tuple[Linear, Array]:
    """``(Linear(D, M), X)`` with ``D ≠ M``, ``N ≥ 2``, bias or not."""
    d = draw(sizes(1, 5))
    m = draw(sizes(1, 5).filter(lambda v: v != d))
    layer = Linear(d, m, bias=draw(st.booleans()), rng=draw(st.integers(0, 2**16)), dtype=dtype)
    return layer, draw(arrays((draw(sizes(2, 4)), d), dtype=dtype))


ACTIVATIONS: dict[str, tuple[type[Layer], float, float]] = {
    # name: (class, bound, margin away from 0)
    "sigmoid": (Sigmoid, 3.0, 0.1),
    "tanh": (Tanh, 3.0, 0.1),
    "relu": (ReLU, 3.0, 1e-3),
    "softmax": (Softmax, 3.0, 0.1),
}


@st.composite
def activation_cases(draw: st.DrawFn, name: str) -> tuple[Layer, Array]:
    """``(activation, z)`` with ``z`` of shape ``(N, D)`` or ``(D,)`` suited to it."""
    cls, bound, margin = ACTIVATIONS[name]
    d = draw(sizes(2, 5))
    shape = (d,) if draw(st.booleans()) and name != "softmax" else (draw(sizes(2, 4)), d)
    return cls(), draw(arrays(shape, bound=bound, margin=margin))


@st.composite
def sequential_cases(draw: st.DrawFn, max_depth: int = 3) -> tuple[Sequential, Array]:
    """A random stack ``Linear → act → Linear → …`` (widths differ), maybe ending in Softmax."""
    depth = draw(st.integers(1, max_depth))
    widths = [draw(sizes(1, 4))]
    for _ in range(depth):
        widths.append(draw(st.sampled_from([w for w in range(1, 5) if w != widths[-1]])))
    stack: list[Layer] = []
    for i in range(depth):
        stack.append(
            Linear(
                widths[i], widths[i + 1], bias=draw(st.booleans()), rng=draw(st.integers(0, 2**16))
            )
        )
        if i < depth - 1:
            stack.append(draw(st.sampled_from([Sigmoid, Tanh, ReLU]))())
    if widths[-1] > 1 and draw(st.booleans()):
        stack.append(Softmax())
    return Sequential(*stack), draw(arrays((draw(sizes(2, 4)), widths[0])))


def labels(n: int, k: int) -> st.SearchStrategy[Array]:
    """Integer class labels ``(n,)`` in ``0..k−1``."""
    return hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1))


def one_hot(n: int, k: int) -> st.SearchStrategy[Array]:
    """One-hot targets ``(n, k)``."""
    return labels(n, k).map(lambda t: np.eye(k)[t])


def targets(n: int, k: int) -> st.SearchStrategy[Array]:
    """Labels or one-hot rows, either form the losses accept."""
    return st.one_of(labels(n, k), one_hot(n, k))


@st.composite
def probabilities(draw: st.DrawFn, shape: tuple[int, int]) -> Array:
    """Rows of positive probabilities summing to 1, each ≥ 0.01 (no log 0)."""
    raw = draw(arrays(shape, bound=1.0, margin=0.1))
    p: Array = np.abs(raw)
    p /= p.sum(axis=1, keepdims=True)
    return p


LOSSES: dict[str, type[Loss]] = {
    "mse": MSELoss,
    "cross_entropy": CrossEntropyLoss,
    "softmax_cross_entropy": SoftmaxCrossEntropyLoss,
}


@st.composite
def loss_cases(draw: st.DrawFn, name: str) -> tuple[Loss, Array, Array]:
    """``(loss, y, t)`` for the named loss, either reduction, ``N ≥ 2``."""
    loss = LOSSES[name](reduction=draw(st.sampled_from(["mean", "sum"])))
    n, k = draw(sizes(2, 4)), draw(sizes(2, 5))
    if name == "mse":  # y − t distinct and away from 0: a zero residual hides a factor
        t = draw(arrays((n, k)))
        return loss, t + draw(arrays((n, k))), t
    y = draw(probabilities((n, k))) if name == "cross_entropy" else draw(arrays((n, k)))
    return loss, y, draw(targets(n, k))


@st.composite
def layer_cases(
    draw: st.DrawFn,
    build: Callable[[int], Any],
    *,
    widths: st.SearchStrategy[int] | None = None,
    rows: st.SearchStrategy[int] | None = None,
    bound: float = 3.0,
    margin: float = 0.1,
    dtype: Any = np.float64,
) -> tuple[Any, Array]:
    """``(build(D), X)`` for your own layer: ``X`` of shape ``(N, D)`` drawn as :func:`arrays`.

    ``build(D)`` makes the layer for an input width ``D`` (drawn from ``widths``,
    default 1 to 5; ``N`` from ``rows``, default 2 to 4, so a mean/sum mix-up
    shows). ``bound`` and ``margin`` keep the entries in ``margin ≤ |x| ≤ bound``
    (raise ``margin`` for a layer with a kink at 0, lower ``bound`` for one
    that saturates).
    """
    d = draw(widths if widths is not None else sizes(1, 5))
    n = draw(rows if rows is not None else sizes(2, 4))
    return build(d), draw(arrays((n, d), bound=bound, margin=margin, dtype=dtype))


def layer_test(
    build: Callable[[int], Any],
    *,
    widths: st.SearchStrategy[int] | None = None,
    rows: st.SearchStrategy[int] | None = None,
    bound: float = 3.0,
    margin: float = 0.1,
    dtype: Any = np.float64,
    **check: Any,
) -> Callable[[], None]:
    """A ready test: every check of ``check_layer`` on your layer, over drawn shapes and values.

    >>> test_my_layer = layer_test(lambda d: MyLayer(d, 3))      # in a test module

    pytest collects ``test_my_layer`` (hypothesis draws the examples, the
    profile says how many); each draws ``(build(D), X)`` from :func:`layer_cases`
    and a seed, and runs ``check_layer(layer, X, seed=seed, **check)``
    (``check``: any of its keywords, e.g. ``row_wise=False``, ``hints="slip"``).
    """
    from gradcheck.checks import check_layer  # the real signature, to name a misspelt keyword now

    known = set(inspect.signature(check_layer).parameters) - {"layer", "x", "seed"}
    unknown = sorted(set(check) - known)
    if unknown:
        raise TypeError(
            f"layer_test: {', '.join(map(repr, unknown))} is not a keyword of check_layer "
            f"(it takes {', '.join(sorted(known))})"
        )
    cases = layer_cases(build, widths=widths, rows=rows, bound=bound, margin=margin, dtype=dtype)

    @given(case=cases, seed=st.integers(0, 2**16))
    def test(case: tuple[Any, Array], seed: int) -> None:
        __tracebackhide__ = True
        layer, x = case
        # Looked up at call time: a course grader may have wrapped gradcheck.check_layer.
        gradcheck.check_layer(layer, x, seed=seed, **check)

    return test


@st.composite
def unit_vectors(draw: st.DrawFn, n: int) -> Array:
    """A unit vector in ``R^n`` (a drawn direction, normalised)."""
    v: Array = draw(arrays((n,), bound=1.0, margin=0.05))
    v /= np.linalg.norm(v)
    return v


__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "PROFILES",
    "activation_cases",
    "arrays",
    "labels",
    "layer_cases",
    "layer_test",
    "linear_cases",
    "load_profile",
    "loss_cases",
    "one_hot",
    "probabilities",
    "sequential_cases",
    "sizes",
    "targets",
    "unit_vectors",
]
