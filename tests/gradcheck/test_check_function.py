"""check_function: a plain function's hand-written gradient, starting from the notes' examples.

The notes' worked example ``f(x, y) = x² cos(xy)`` with
``∂f/∂x = 2x cos(xy) − x² sin(xy) y`` and ``∂f/∂y = −x³ sin(xy)``, the
directional derivative ``D_u f = ∇f · u``, and the identities
``∇_w wᵀx = x``, ``∇_w (wᵀx − t)² = 2(wᵀx − t) x``, ``∇_x xᵀAx = (A + Aᵀ) x``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradcheck import (
    CheckResult,
    GradcheckError,
    Kind,
    check_function,
    directional_derivative,
    report_text,
)
from gradcheck.strategies import arrays, sizes, unit_vectors

Array = npt.NDArray[Any]


def f_notes(v: Array) -> float:
    """The notes' f(x, y) = x² cos(xy), of the point v = (x, y)."""
    x, y = v
    return float(x**2 * np.cos(x * y))


def grad_notes(v: Array) -> Array:
    x, y = v
    return np.array([2 * x * np.cos(x * y) - x**2 * np.sin(x * y) * y, -(x**3) * np.sin(x * y)])


def grad_notes_forgot_inner(v: Array) -> Array:
    """∂f/∂x without the chain rule's inner derivative y of cos(xy): a typical slip."""
    x, y = v
    return np.array([2 * x * np.cos(x * y) - x**2 * np.sin(x * y), -(x**3) * np.sin(x * y)])


def failure(call: Callable[[], object]) -> GradcheckError:
    with pytest.raises(GradcheckError) as info:
        call()
    return info.value


def test_the_notes_worked_example_passes() -> None:
    check_function(f_notes, [1.0, 2.0], grad_notes)
    # the worked number: ∂f/∂x(1, 2) = 2 cos 2 − 2 sin 2
    assert grad_notes(np.array([1.0, 2.0]))[0] == pytest.approx(2 * np.cos(2) - 2 * np.sin(2))


def test_a_forgotten_inner_derivative_is_caught_and_located() -> None:
    err = failure(lambda: check_function(f_notes, [1.0, 2.0], grad_notes_forgot_inner))
    assert (err.parameter, err.kind) == ("x", "wrong gradient")
    assert err.layer == "the function f_notes"
    rows = err.findings[0].rows
    assert [r.where for r in rows if not r.ok] == ["(0,)"]  # only ∂f/∂x is wrong
    bad = next(r for r in rows if not r.ok)
    assert bad.numeric == pytest.approx(2 * np.cos(2) - 2 * np.sin(2), rel=1e-8)
    assert err.hint == (
        "no simple slip (sign, factor, transpose) explains it — only ∂f/∂x[0] is wrong, the "
        "others right: re-derive it by the chain rule and compare with the numeric value shown"
    )
    text = str(err)
    assert text.startswith("Gradient check failed for the function f_notes: ∇f (the array")
    assert "To reproduce: check_function(f, x, grad, seed=0) with f = f_notes" in text


def test_a_negated_gradient_is_named() -> None:
    err = failure(lambda: check_function(f_notes, [1.0, 2.0], lambda v: -grad_notes(v)))
    assert "∇f is negated" in (err.hint or "")


@given(st.data())
def test_directional_derivative_is_the_gradient_dotted_with_u(data: st.DataObject) -> None:
    """D_u f = ∇f · u at drawn points and unit directions (the notes' identity)."""
    point = data.draw(arrays((2,), bound=2.0, margin=0.1))
    u = data.draw(unit_vectors(2))
    by_definition = directional_derivative(lambda x, y: f_notes(np.array([x, y])), point, u)
    assert by_definition == pytest.approx(float(grad_notes(point) @ u), rel=1e-6, abs=1e-8)
    check_function(f_notes, point, grad_notes)


@given(st.data())
def test_the_notes_identities(data: st.DataObject) -> None:
    n = data.draw(sizes(2, 5))
    x = data.draw(arrays((n,)))
    w = data.draw(arrays((n,)))
    t = data.draw(st.floats(-3, 3))
    A = data.draw(arrays((n, n)))
    check_function(lambda v: float(v @ x), w, lambda v: x)  # ∇_w wᵀx = x
    check_function(lambda v: float((v @ x - t) ** 2), w, lambda v: 2 * (v @ x - t) * x)
    check_function(lambda v: float(v @ A @ v), x, lambda v: (A + A.T) @ v)  # ∇ xᵀAx
    check_function(lambda v: A @ v, x, vjp=lambda v, g: A.T @ g)  # y = Ax: gᵀA = Aᵀg


def test_quadratic_form_with_2Ax_is_caught_for_a_non_symmetric_A() -> None:
    A = np.array([[1.0, 2.0, 0.5], [-1.0, 3.0, 1.5], [0.3, -2.0, 1.0]])
    x = np.array([0.7, -1.2, 2.1])
    err = failure(lambda: check_function(lambda v: float(v @ A @ v), x, lambda v: 2 * A @ v))
    assert err.kind == Kind.WRONG_GRADIENT


def test_half_and_transposed_slips_get_their_hints() -> None:
    x = np.array([0.5, -1.5, 2.0, 1.1])
    err = failure(lambda: check_function(lambda v: float(v @ v), x, lambda v: v))
    assert "∇f is half the true one" in (err.hint or "")
    A = np.arange(1.0, 10.0).reshape(3, 3) ** 1.3
    X = np.array([[0.3, -1.0, 2.0], [1.5, 0.2, -0.7], [0.9, 1.1, -2.2]])

    def vjp_wrong_order(v: Array, g: Array) -> Array:  # g of AX is (3, 3); the answer Aᵀg
        return np.asarray((A.T @ g).T)

    err = failure(lambda: check_function(lambda v: A @ v, X, vjp=vjp_wrong_order))
    assert "looks transposed" in (err.hint or "")
    assert "∂f/∂X_ij, in X's shape" in (err.hint or "") and "Gᵀ X" not in str(err)


def test_hints_for_a_function_speak_of_f_not_of_a_layer() -> None:
    """A plain function has no backward and no .grad: its hints must not talk of them."""
    x = np.array([0.5, -1.5, 2.0])
    err = failure(lambda: check_function(lambda v: float(v @ v), x, lambda v: np.zeros(3)))
    assert "∇f is all zeros, though f changes with x" in (err.hint or "")
    assert "backward" not in str(err) and ".grad" not in str(err)


def test_bad_x_or_a_non_numeric_f_is_named() -> None:
    with pytest.raises(TypeError, match=r"check_function: x must be numbers.*got 'ab'"):
        check_function(lambda v: float(v @ v), "ab", lambda v: 2 * v)
    err = failure(lambda: check_function(lambda v: "one", np.ones(2), lambda v: np.zeros(2)))
    assert "f(x) must be a number or an array of numbers, got str" in str(err)


def test_a_vjp_that_ignores_g_breaks_linearity() -> None:
    A = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.2]])
    x = np.array([0.4, -0.9])
    err = failure(lambda: check_function(lambda v: A @ v, x, vjp=lambda v, g: A.T @ np.ones(3)))
    kinds = {f.kind for f in err.findings}
    assert {"wrong gradient", "not linear in grad_out"} <= kinds
    linear = next(f for f in err.findings if f.kind == Kind.NOT_LINEAR)
    assert "vjp(1.5·G₁ − 0.75·G₂)" in linear.summary
    assert "vjp(x, g) does not change when grad_out does" in (linear.hint or "")


def test_form_problems_are_findings() -> None:
    err = failure(lambda: check_function(f_notes, [1.0, 2.0], lambda v: None))
    assert (err.parameter, err.kind) == ("x", "wrong shape")
    assert "the gradient function returns None" in (err.hint or "")
    err = failure(lambda: check_function(f_notes, [1.0, 2.0], lambda v: grad_notes(v)[:1]))
    assert err.kind == "wrong shape"


def test_a_stub_and_a_crash_are_findings() -> None:
    def stub(v: Array) -> Array:
        raise NotImplementedError("write ∇f here")

    err = failure(lambda: check_function(f_notes, [1.0, 2.0], stub))
    assert (err.parameter, err.kind) == ("x", "raised an exception")
    assert err.hint == "`stub` is not written yet: write ∇f here"
    assert str(err).splitlines()[0].endswith("grad raised NotImplementedError.")
    err = failure(lambda: check_function(f_notes, [1.0, 2.0], lambda v: v @ np.ones((3, 3))))
    assert "f(x) and its gradient must run" in (err.hint or "")


def test_a_function_that_modifies_x_is_caught() -> None:
    def square_in_place(v: Array) -> float:
        v *= v
        return float(v.sum())

    err = failure(lambda: check_function(square_in_place, [1.0, 2.0], lambda v: 2 * v))
    assert err.kind == "mutates its argument" and err.parameter == "x"


def test_misuse_is_refused_before_checking() -> None:
    with pytest.raises(TypeError, match="exactly one of grad"):
        check_function(f_notes, [1.0, 2.0])
    from layers.errors import ShapeError

    with pytest.raises(ShapeError, match="grad= is for f: R"):
        check_function(lambda v: 2 * v, [1.0, 2.0], lambda v: 2 * np.ones(2))


def test_the_non_raising_form_and_the_hint_levels() -> None:
    ok = check_function(f_notes, [1.0, 2.0], grad_notes, raise_on_failure=False)
    assert isinstance(ok, CheckResult) and ok.ok and ok.findings == [] and ok.report == ""
    assert [r.name for r in ok.results] == ["x"]
    bad = check_function(
        f_notes, [1.0, 2.0], lambda v: -grad_notes(v), raise_on_failure=False, hints="slip"
    )
    assert not bad.ok and bad.error is not None and bad.report == str(bad.error)
    assert "negated" in bad.report and "(t − y)" not in bad.report
    assert report_text(bad.error, "full") == bad.report  # never more than the check's level
