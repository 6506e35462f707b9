"""Guess the usual mistake behind a wrong gradient, to tell the user where to look.

Given the analytic values ``a`` and the numeric ones ``n`` (entries or
directional derivatives), each test asks whether ``a`` is a simple function
of ``n``: all zeros, ``−n``, ``c · n`` for a constant ``c`` (2, ½, the batch
size ``N``, …), or ``nᵀ``. The first that fits well gives the hint, in two
depths: the slip alone (what kind of mistake), and the advice that may quote
the right equation or code (for graders that must not give it away).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]


def _fits(a: Array, b: Array, rel: float = 1e-3) -> bool:
    """``a ≈ b`` up to ``rel`` of their size (loose: only to name the mistake)."""
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    return scale > 0 and float(np.max(np.abs(a - b), initial=0.0)) <= rel * scale


class Diagnosis(NamedTuple):
    """A guessed mistake: ``slip`` names it without the answer, ``hint`` adds the advice."""

    slip: str
    hint: str


def _named_constants(batch: int | None, width: int | None) -> list[tuple[float, str, str]]:
    """``(c, slip, hint)`` for the factors ``c`` with a usual cause (same text: no advice)."""
    twice_minus = "−2 times the true one: a flipped sign and an extra factor 2"
    half_minus = "−½ times the true one: a flipped sign and a missing factor 2"
    names: list[tuple[float, str, str]] = [
        (
            -1.0,
            "negated (times −1): a sign is flipped somewhere in backward",
            "negated (times −1): a sign is flipped somewhere in backward, e.g. "
            "(t − y) where (y − t) belongs, or a + where the derivative has a −",
        ),
        (
            2.0,
            "twice the true one: a factor 2 too many",
            "twice the true one: a factor 2 too many (e.g. 2(y − t) where the loss has "
            "no square, or the same term added twice)",
        ),
        (
            0.5,
            "half the true one: a factor 2 is missing, or it is divided by 2",
            "half the true one: a factor 2 is missing (e.g. the 2 of ∇‖y − t‖² = "
            "2(y − t)), or it is divided by 2",
        ),
        (-2.0, twice_minus, twice_minus),
        (-0.5, half_minus, half_minus),
    ]
    if batch == 2:  # with two samples, a mean/sum mix-up is also a factor 2
        also = " — or, with N = 2 samples, a mean/sum mix-up over the batch"
        names = [
            (value, slip + also, hint + also) if value in (2.0, 0.5) else (value, slip, hint)
            for value, slip, hint in names
        ]
    if batch is not None and batch > 2:
        summed = (
            f"the batch size N = {batch} times the true one: it sums over the batch "
            f"where the loss takes the mean (a mean/sum mix-up"
        )
        averaged = (
            f"the true one divided by the batch size N = {batch}: it averages "
            f"over the batch where the loss sums (a mean/sum mix-up)"
        )
        names += [
            (float(batch), summed + ")", summed + ": divide by N)"),
            (1.0 / batch, averaged, averaged),
        ]
    if width is not None and width > 2 and width != batch:
        wider = (
            f"{width} times the true one ({width} is the number of outputs "
            f"per sample): a mean over outputs in one pass but not the other"
        )
        narrower = (
            f"the true one divided by {width} (the number of outputs per "
            f"sample): divided by the outputs where the loss only sums them"
        )
        names += [(float(width), wider, wider), (1.0 / width, narrower, narrower)]
    return names


def diagnosis(
    analytic: Array,
    numeric: Array,
    *,
    name: str = "the gradient",
    batch: int | None = None,
    width: int | None = None,
    transposed: Array | None = None,
) -> Diagnosis | None:
    """The likely mistake, as a slip and a hint, or None if nothing simple fits.

    Parameters
    ----------
    analytic, numeric : ndarray
        The compared values (the same positions in both).
    batch, width : int, optional
        ``N`` (rows of the batch) and the outputs per sample, to name scale factors.
    transposed : ndarray, optional
        The analytic values read at the transposed positions, for square matrices.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape or a.size == 0 or not np.all(np.isfinite(a)):
        return None
    if not np.any(a) and np.any(n):
        slip = f"{name} is all zeros: backward never writes it"
        return Diagnosis(
            slip, f"{slip} (a dropped gradient, e.g. a missing `self.b.grad[...] = G.sum(axis=0)`)"
        )
    if transposed is not None and _fits(np.asarray(transposed, dtype=np.float64), n):
        return Diagnosis(
            f"{name} is the transpose of the true one: a product in the wrong order",
            f"{name} is the transpose of the true one: check the order (Gᵀ X, not Xᵀ G)",
        )
    nn = float(np.sum(n * n))
    if nn == 0:
        return None
    c = float(np.sum(a * n)) / nn  # least-squares fit a ≈ c·n
    if not _fits(a, c * n, 1e-2):
        return None
    for value, slip, hint in _named_constants(batch, width):
        if abs(c - value) <= 1e-2 * abs(value):
            return Diagnosis(f"{name} is {slip}", f"{name} is {hint}")
    if abs(c - 1.0) > 1e-2 and a.size >= 3:  # one or two numbers fit any factor
        text = f"{name} is {c:.4g} times the true one: a constant factor is off"
        return Diagnosis(text, text)
    return None


def diagnose(
    analytic: Array,
    numeric: Array,
    *,
    name: str = "the gradient",
    batch: int | None = None,
    width: int | None = None,
    transposed: Array | None = None,
) -> str | None:
    """A one-sentence guess of the mistake (the full hint), or None: see :func:`diagnosis`."""
    found = diagnosis(analytic, numeric, name=name, batch=batch, width=width, transposed=transposed)
    return None if found is None else found.hint
