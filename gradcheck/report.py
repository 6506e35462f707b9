"""The report: findings turned into the text a student reads (never read back).

The report is self-contained: it names the layer, each problem's tensor and
shape, the worst entries with their errors, the pass rule, a hint when one
fits, the status of every gradient, and how to reproduce the check.

It is rendered at every hint level up to the check's when the check fails
(:func:`render_all`), so the texts travel with a pickled error;
:func:`report_text` picks one. Levels, most to least:

- ``"full"``: every hint whole, with the equation or code that fixes it;
- ``"slip"`` (alias ``"hints"``): each hint cut to its slip, and summaries
  that quote an equation lose it;
- ``"none"``: no hints; what is wrong, where and by how much stay;
- ``"minimal"``: one line per problem, tensor and kind.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gradcheck.compare import Tolerance
from gradcheck.hints import HINT_LEVELS, HintLevel
from gradcheck.result import EntryRow, Finding, GradcheckError, Kind, TensorResult
from layers._checks import shape_str
from layers.errors import HyperparameterError

SMALL = 36  # inputs up to this many entries are printed in full, to reproduce


def _table(rows: list[EntryRow], columns: tuple[str, str] = ("numeric", "analytic")) -> list[str]:
    first, second = columns
    head = f"{'entry':<12} {first:>13} {second:>13} {'abs error':>10} {'rel error':>10}"
    lines = [head]
    for r in rows:
        mark = "" if r.ok else "  ✗"
        note = f"  ({r.note})" if r.note else ""
        lines.append(
            f"{r.where:<12} {r.numeric:>13.6g} {r.analytic:>13.6g} "
            f"{r.abs_err:>10.2e} {r.rel_err:>10.2e}{mark}{note}"
        )
    return lines


def _where(f: Finding) -> str:
    return "the checked code" if f.kind == Kind.RAISED else f.tensor


def _finding(i: int, total: int, f: Finding, level: HintLevel) -> list[str]:
    """One problem; below ``"full"`` the bare summary, and the slip or no hint."""
    summary = f.summary if level == "full" else (f.bare_summary or f.summary)
    lines = [f"Problem {i} of {total}: {_where(f)}: {f.kind}", f"  {summary}"]
    lines += [f"  {d}" for d in f.details]
    if f.rows:
        lines += ["  " + line for line in _table(f.rows, f.columns)]
    hint = {"full": f.hint, "slip": f.slip, "none": None}[level]
    if hint:
        lines.append(f"  Hint: {hint}.")
    return lines


def _summary(results: list[TensorResult], findings: list[Finding]) -> list[str]:
    """Each tensor's numbers: WRONG only when they disagree; other findings named beside."""
    width = max((len(r.name) for r in results), default=5)
    lines = ["Every gradient checked:"]
    for r in results:
        status = "ok" if r.ok else "WRONG"
        extra = f"; {len(r.kinks)} at a kink" if r.kinks else ""
        extra += f"; {len(r.one_sided)} from one side only" if r.one_sided else ""
        extra += f"; {len(r.unevaluable)} not evaluable" if r.unevaluable else ""
        numbers = (Kind.WRONG_GRADIENT, Kind.UNCHECKABLE, Kind.KINK)
        other = sorted({str(f.kind) for f in findings if f.tensor == r.name} - set(numbers))
        also = f"  — but: {', '.join(other)}" if other else ""
        lines.append(
            f"  {r.name:<{width}}  {shape_str(r.shape):<12} {status:<5}  "
            f"max rel error {r.max_rel_err:.1e}  ({r.method}{extra}){also}"
        )
    return lines


def array_literal(a: npt.NDArray[Any], prefix: str = "") -> str:
    """``np.array([...], dtype=...)`` with every digit, so the check can be rerun."""
    body = np.array2string(
        np.asarray(a),
        separator=", ",
        precision=17,
        floatmode="unique",
        max_line_width=96,
        threshold=10**6,
        prefix=prefix + "np.array(",
    )
    return f"np.array({body}, dtype=np.{np.asarray(a).dtype})"


PHRASES: dict[Kind, str] = {
    Kind.WRONG_GRADIENT: "is wrong",
    Kind.WRONG_SHAPE: "has the wrong shape",
    Kind.WRONG_DTYPE: "has the wrong dtype",
    Kind.NOT_FINITE: "holds NaN or infinite values",
    Kind.ACCUMULATES: "accumulates across backward calls",
    Kind.NOT_REPEATABLE: "changes from one backward call to the next",
    Kind.NOT_LINEAR: "is not linear in grad_out",
    Kind.MUTATES: "was modified in place",
    Kind.BATCH_NOT_SUM: "of a batch is not the sum of its samples'",
    Kind.KINK: "is checked at a non-differentiable point",
    Kind.WRONG_REDUCTION: "of a batch is not the mean/sum of its samples' losses",
    Kind.UNCHECKABLE: "could not be checked",
    Kind.UNLISTED: "is missing from parameters()",
    Kind.FORWARD_CHANGED: "differs from the reference implementation's",
    Kind.PARAMETERS_DIFFER: "differ from the reference implementation's",
}


def label(tensor: str, kind: Kind, input_label: str, input_name: str = "input") -> str:
    """How the headline names a tensor: ``the gradient of W``, ``the input gradient``."""
    if kind == Kind.MUTATES:
        return f"the argument {tensor}"
    if kind == Kind.UNLISTED:
        return f"the Parameter {tensor}"
    if kind == Kind.FORWARD_CHANGED:
        return "the loss value" if tensor == "loss value" else "the output of forward(x)"
    if kind == Kind.PARAMETERS_DIFFER:
        return "the layer's parameters()"
    if tensor == "loss value":
        return "the loss value"
    if tensor == input_name:
        return input_label
    return f"the gradient of {tensor}"


DETAILS = ("full", "slip", "none", "minimal")
ALIASES = {"hints": "slip"}  # the name report_text had for "slip" first


def minimal_text(subject: str, findings: list[Finding]) -> str:
    """Which tensors are wrong and how, one line each: no numbers, no hints."""
    lines = [f"Gradient check failed for {subject}:"]
    lines += [f"  {_where(f)}: {f.kind}" for f in findings]
    return "\n".join(lines)


def render(
    subject: str,
    setup: list[str],
    findings: list[Finding],
    results: list[TensorResult],
    tol: Tolerance,
    reproduce: list[str],
    input_label: str = "the input gradient ∂L/∂x (the array backward returns)",
    level: HintLevel = "full",
    input_name: str = "input",
) -> str:
    """The report: headline, what was checked, each problem, summary, reproduction.

    ``level``: ``"full"`` gives every hint whole, ``"slip"`` each hint cut to its
    slip (no equation or code of the answer), ``"none"`` no hints.
    """
    first = findings[0]
    if first.kind == Kind.RAISED:
        headline = f"Gradient check failed for {subject}: {first.raised_by}"
    else:
        tensor = label(first.tensor, first.kind, input_label, input_name)
        headline = f"Gradient check failed for {subject}: {tensor} {PHRASES.get(first.kind, '')}"
    more = len(findings) - 1
    headline += f", and {more} more problem{'s' if more > 1 else ''} below." if more else "."
    lines = [headline, "", "What was checked:"]
    lines += [f"  {s}" for s in setup]
    lines.append(f"  Pass rule: {tol.describe()}.")
    for i, f in enumerate(findings, 1):
        lines += ["", *_finding(i, len(findings), f, level)]
    if results:
        lines += ["", *_summary(results, findings)]
    lines += ["", *reproduce]
    return "\n".join(lines)


def render_all(
    subject: str,
    setup: list[str],
    findings: list[Finding],
    results: list[TensorResult],
    tol: Tolerance,
    reproduce: list[str],
    input_label: str = "the input gradient ∂L/∂x (the array backward returns)",
    level: HintLevel = "full",
    input_name: str = "input",
) -> dict[str, str]:
    """The report at each level of :data:`DETAILS` up to ``level``, by name.

    ``"full"`` is always there and is the text at ``level`` itself: a check run
    at ``"slip"`` never carries the answers, not even in ``texts``.
    """
    args = (subject, setup, findings, results, tol, reproduce, input_label)
    shown = HINT_LEVELS[HINT_LEVELS.index(level) :]
    texts: dict[str, str] = {
        name: render(*args, level=name, input_name=input_name) for name in shown
    }
    texts["minimal"] = minimal_text(subject, findings)
    for name in DETAILS[: DETAILS.index(level)]:
        texts[name] = texts[level]
    return texts


def report_text(error: GradcheckError, detail: str = "full") -> str:
    """The report of a failed check at the level of detail a grader chooses to show.

    ``detail``: ``"full"`` (``str(error)``), ``"slip"`` or its older name
    ``"hints"`` (each hint cut to its slip: the kind of mistake without the
    answer), ``"none"`` (no hints) or ``"minimal"`` (one line per problem:
    tensor and kind). Never more than the check's own hint level allowed. An
    error built elsewhere without these texts gives the minimal text at any
    level below ``"full"``.
    """
    name = ALIASES.get(detail, detail)
    if name not in DETAILS:
        raise HyperparameterError(
            f"report_text: detail must be one of {(*DETAILS, *ALIASES)}, got {detail!r}"
        )
    if name == "full":
        return str(error)
    stored = getattr(error, "texts", {}).get(name)
    return stored if stored is not None else minimal_text(error.layer, error.findings)


def subject_of(obj: Any) -> str:
    """``repr(obj)``, plus its class when the repr hides it (a subclass of Linear)."""
    text = repr(obj)
    name = type(obj).__name__
    return text if name in text else f"{text} (class {name})"


def small_input_lines(name: str, a: npt.NDArray[Any]) -> list[str]:
    """Print a small input in full (so the failure can be rerun), else just its shape."""
    if a.size <= SMALL:
        return [f"  {name} = {array_literal(a, prefix=f'  {name} = ')}"]
    return [f"  ({name} has shape {shape_str(a.shape)}, too large to print)"]
