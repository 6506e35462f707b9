"""Every hint the checker gives, in one place: the usual mistake behind a finding.

A hint comes in two depths, because a course grader may let a student learn
*which kind* of slip they made without handing them the answer: ``slip``
names the mistake (negated, transposed, all zeros, the Jacobian's diagonal
only) with no equation and no code; ``hint`` is the full advice and may
quote the right equation or code. How much a report shows is the hint level:

- ``"full"``: the advice (the default);
- ``"slip"``: the kind of slip only;
- ``"none"``: no hint at all (which tensor is wrong and by how much stay).

Set it per call (``check_layer(..., hints="slip")``), for a block
(``with gradcheck.hint_level("slip"): ...``) or for the process
(``gradcheck.set_hint_level("slip")``).

Hints are keyed on the mistake, never on the syntax that wrote it: a
transposed ``∇_W L`` gets :func:`transposed_gradient`'s words whether NumPy
refused ``W.grad[...] = Xᵀ G``, the Parameter refused ``W.grad = Xᵀ G`` or
a square ``W`` let it through to the numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from layers.errors import HyperparameterError

Array = npt.NDArray[Any]
HintLevel = Literal["full", "slip", "none"]
HINT_LEVELS: tuple[HintLevel, ...] = ("full", "slip", "none")
_level: list[HintLevel] = ["full"]  # the process-wide level, set_hint_level's


def checked_level(level: str, who: str = "gradcheck") -> HintLevel:
    """``level`` if it is one of :data:`HINT_LEVELS`, else a clear error."""
    if level not in HINT_LEVELS:
        raise HyperparameterError(f"{who}: hints must be one of {HINT_LEVELS}, got {level!r}")
    return level


def set_hint_level(level: HintLevel) -> None:
    """Set how much every later check's report says: ``"full"``, ``"slip"`` or ``"none"``."""
    _level[0] = checked_level(level, "set_hint_level")


def get_hint_level() -> HintLevel:
    """The hint level checks use when they are not given ``hints=``."""
    return _level[0]


@contextmanager
def hint_level(level: HintLevel) -> Iterator[None]:
    """``with hint_level("slip"):`` checks inside the block report at that level."""
    before = _level[0]
    set_hint_level(level)
    try:
        yield
    finally:
        _level[0] = before


class Diagnosis(NamedTuple):
    """A guessed mistake: ``slip`` names it without the answer, ``hint`` adds the advice."""

    slip: str
    hint: str


def _same(text: str) -> Diagnosis:
    """A hint with no answer in it: the slip and the advice are the same words."""
    return Diagnosis(text, text)


# -- the numbers: which simple slip turns the true gradient into the analytic one --------


def all_zeros(name: str, *, function: bool = False) -> Diagnosis:
    if function:  # a plain function has no backward and no .grad to forget
        slip = f"{name} is all zeros, though f changes with x"
        return Diagnosis(slip, f"{slip}: is a term dropped, or the result never filled in?")
    slip = f"{name} is all zeros: backward never writes it"
    return Diagnosis(
        slip, f"{slip} (a dropped gradient, e.g. a missing `self.b.grad[...] = G.sum(axis=0)`)"
    )


def transposed_gradient(
    name: str, shapes: tuple[str, str] | None = None, *, function: bool = False
) -> Diagnosis:
    """A product in the wrong order; ``shapes`` (got, expected) when a shape gave it away."""
    if shapes is None:
        what = "it is the transpose of the true one"
    else:
        what = f"it has shape {shapes[0]}, the transpose of {shapes[1]}"
    slip = f"{name} looks transposed: {what}, a product in the wrong order"
    if function:  # the gradient of f(X) has X's shape: (∇f)_ij = ∂f/∂X_ij
        return Diagnosis(slip, f"{slip}: entry (i, j) must be ∂f/∂X_ij, in X's shape")
    return Diagnosis(slip, f"{slip}: check the order (Gᵀ X, not Xᵀ G)")


def gradient_shape(name: str, got: str, expected: str) -> Diagnosis:
    """A gradient written with a shape that is not its tensor's (and not its transpose)."""
    slip = f"{name}'s gradient has shape {got}, but {name} has shape {expected}"
    return Diagnosis(
        slip,
        f"{slip}: a gradient has the shape of what it is the gradient of; check which axis "
        f"is summed (the batch is axis 0) and the order of each product",
    )


def _fits(a: Array, b: Array, rel: float = 1e-3) -> bool:
    """``a ≈ b`` up to ``rel`` of their size (loose: only to name the mistake)."""
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    return scale > 0 and float(np.max(np.abs(a - b), initial=0.0)) <= rel * scale


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
    function: bool = False,
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
    function : bool
        The gradient of a plain function (:func:`check_function`), not a layer's:
        hints speak of f, never of backward or ``.grad``.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape or a.size == 0 or not np.all(np.isfinite(a)):
        return None
    if not np.any(a) and np.any(n):
        return all_zeros(name, function=function)
    if transposed is not None and _fits(np.asarray(transposed, dtype=np.float64), n):
        return transposed_gradient(name, function=function)
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


def fallback(
    name: str, input_ok: bool, *, of_function: bool = False, wrong: list[str] | None = None
) -> Diagnosis:
    """Where to look when no simple relation (sign, factor, transpose) explains the error.

    ``wrong``: for a function, the entries whose partial derivative is wrong
    when the others were checked and are right (``["(0,)"]``).
    """
    if of_function:
        only = ""
        if wrong:
            at = [w.strip("()").rstrip(",") for w in wrong[:4]]  # "(0,)" → x[0]
            listed = ", ".join(f"∂f/∂x[{i}]" for i in at) + (", …" if len(wrong) > 4 else "")
            only = f" — only {listed} {'is' if len(wrong) == 1 else 'are'} wrong, the others right"
        return Diagnosis(
            f"no simple slip (sign, factor, transpose) explains it{only}",
            f"no simple slip (sign, factor, transpose) explains it{only}: re-derive "
            f"{'it' if len(wrong or []) == 1 else 'each partial derivative'} by the chain rule "
            f"and compare with the numeric value shown",
        )
    if name == "input":
        return Diagnosis(
            "no simple slip (sign, factor, transpose) explains it",
            "re-derive ∂L/∂x: backward must return grad_out times the layer's Jacobian "
            "(the chain rule), one row per sample",
        )
    right = " (the input gradient is right)" if input_ok else ""
    where = " (the input gradient is right, so look there)" if input_ok else ""
    return Diagnosis(
        f"no simple slip (sign, factor, transpose) explains it{right}",
        f"no simple slip (sign, factor, transpose) explains it: re-derive ∂L/∂{name} in "
        f"the line of backward that writes {name}.grad{where}, summing over the samples",
    )


def elementwise(at: str) -> Diagnosis:
    """An element-wise layer whose local derivative ``h'(z)`` is wrong (``at`` says where)."""
    return Diagnosis(
        f"the layer acts element-wise, and {at}: the local derivative is wrong",
        f"the layer acts element-wise, so ∂L/∂z = grad_out ∘ h'(z); {at}: check the "
        f"derivative's formula (σ' = σ(1 − σ), tanh' = 1 − tanh², ReLU' = 1[z > 0])",
    )


def diagonal_only(name: str) -> Diagnosis:
    return Diagnosis(
        f"{name} uses only the diagonal of the Jacobian (each output's own input), "
        f"but every output depends on every input of its row",
        f"{name} keeps only the diagonal of the Jacobian (∂y_i/∂x_i), but each output "
        f"also depends on the other inputs of its row: sum over all of them "
        f"(softmax: ∇_z L = p ∘ (g − Σ_k g_k p_k), not g ∘ p(1 − p))",
    )


KINK_OUTSIDE = _same(
    "the point is a kink of the function (left and right derivatives differ) and "
    "the analytic value lies outside them; any value between the two is accepted"
)


def at_a_kink(what: str) -> Diagnosis:
    """``kinks="raise"`` met a kink: ``what`` is the checked input (``x``, ``y``)."""
    return Diagnosis(
        "the checked point is a kink, where the gradient is not defined",
        f"draw {what} away from the kink (e.g. |z| > 1e-3 for ReLU), or pass kinks='accept'",
    )


UNCHECKABLE = Diagnosis(
    "the forward pass is not defined (NaN/inf or an exception) right next to the checked point",
    "the forward pass must be defined a little way around the checked point: "
    "look for a division by zero, a log of 0, an overflowing exp or a value pushed "
    "out of its domain (or, if the point is at the edge of the domain on purpose, "
    "check at one further inside, e.g. probabilities not within 1e-5 of 0)",
)


# -- the form of a gradient ----------------------------------------------------------------


def returns_none(subject: str) -> Diagnosis:
    """``backward`` returned None; ``subject`` is ``"layer"``, ``"loss"`` or ``"function"``."""
    if subject == "function":
        return _same("the gradient function returns None: it must return an array of x's shape")
    return Diagnosis(
        "backward returns None: nothing is passed on to the layer before it",
        "backward must `return` ∂L/∂x (the gradient with respect to its "
        "input), so the layer before it can continue the chain rule",
    )


def reshape(shape: str) -> Diagnosis:
    return Diagnosis("the right number of values in the wrong shape", f"reshape it to {shape}")


NOT_FINITE = Diagnosis(
    "NaN or infinite values (a division by zero, a log of 0 or an overflowing exp?)",
    "look for a division by zero, a log of 0 or an overflowing exp",
)


def wrong_dtype(got: object, expected: object) -> Diagnosis:
    return Diagnosis(
        f"computed in {got} instead of {expected}",
        f"cast it with .astype(np.{expected}) or compute it from arrays of that dtype",
    )


# -- the checked code raised ---------------------------------------------------------------


def not_written(where: str, message: str) -> Diagnosis:
    """A stub: ``where`` is the function (`` `backward` ``), ``message`` the stub's own."""
    said = f": {message}" if message else ""
    return _same(f"{where} is not written yet{said}")


OUR_ERROR = _same("the message above says what was expected and what came")


def crashed(subject: str) -> Diagnosis:
    """A crash no hint explains; ``subject`` is ``"layer"``, ``"loss"`` or ``"function"``."""
    if subject == "loss":
        text = (
            "the loss must run forward(y, t) for predictions y of shape (N, K) with any N "
            "(also N = 1) and targets t, then backward() returning ∂L/∂y; read the line above"
        )
    elif subject == "function":
        text = (
            "f(x) and its gradient must run at x and at points a step h away, and return "
            "arrays; read the line above"
        )
    else:
        text = (
            "the layer must run forward(x) and backward(grad_out) for x of shape (N, D) "
            "with any N (also N = 1) and return arrays; read the line above"
        )
    return _same(text)


# -- the backward contract -----------------------------------------------------------------


def accumulates(name: str) -> Diagnosis:
    return Diagnosis(
        f"backward adds to {name}.grad instead of overwriting it: the gradient grows "
        f"with every call",
        f"backward adds to {name}.grad (`+=`) instead of overwriting it (`=`); "
        f"gradients must not depend on earlier calls",
    )


NOT_REPEATABLE = Diagnosis(
    "the gradient depends on state left by earlier calls",
    "backward must depend only on the last forward's input and on grad_out, not on "
    "state left by earlier calls",
)


def ignores_grad_out(what: str) -> Diagnosis:
    ignored = f"{what} does not change when grad_out does: backward ignores grad_out"
    return Diagnosis(ignored, f"{ignored}; multiply by it (chain rule: ∇_z L = ∇_h L ∘ σ'(z))")


NOT_LINEAR = Diagnosis(
    "part of the gradient does not come from grad_out",
    "the gradient must be a vector-Jacobian product Jᵀ·grad_out: no term may "
    "be added that does not come from grad_out",
)

ROWS_MIXED = Diagnosis(
    "a row's output depends on the other rows of the batch",
    "pass row_wise=False if the layer mixes samples on purpose (as batch norm does)",
)

BATCH_NOT_SUM = Diagnosis(
    "something divides or mixes the samples' gradients",
    "each sample's gradient must be added up, and nothing else divides or mixes them: "
    "divide by N only in the loss",
)


def mutates(what: str) -> Diagnosis:
    return Diagnosis(
        f"{what} is changed in place, but the caller still needs it",
        "work on a copy (`x = x.copy()`), or write `x * m` "
        "instead of `x *= m`: the caller still needs its array",
    )


UNLISTED = Diagnosis(
    "parameters() does not list it",
    "override parameters() to return every Parameter, e.g. "
    "`return self.fc1.parameters() + self.fc2.parameters()`",
)


def wrong_reduction(reduction: str) -> Diagnosis:
    return Diagnosis(
        f"the batch loss is not the {reduction} of the per-sample losses",
        f"with reduction={reduction!r} the batch loss is the {reduction} of the "
        f"per-sample losses; divide by the number of samples N only (not by N·M) "
        f"for 'mean', and not at all for 'sum'",
    )


# -- against a reference implementation ----------------------------------------------------

PARAMETERS_DIFFER = Diagnosis(
    "parameters() lists other Parameters than the reference implementation",
    "parameters() must list the layer's Parameters in the order and with the "
    "shapes the assignment specifies",
)

FORWARD_CHANGED = Diagnosis(
    "the forward pass was changed: it no longer computes the specified function",
    "forward must compute the function the assignment specifies; the gradients are "
    "checked against that function",
)


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
