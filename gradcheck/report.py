"""Turn findings into the text a student reads: what is wrong, where, and a hint.

The report is self-contained: it names the layer, each problem's tensor and
shape, the worst entries with their errors, the pass rule, a hint when one
fits, the status of every gradient, and how to reproduce the check.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gradcheck.findings import EntryRow, Finding, TensorResult
from gradcheck.tolerance import Tolerance

WORST = 5  # rows of the worst-entries table
SMALL = 36  # inputs up to this many entries are printed in full, to reproduce


def shape_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


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
    return "the checked code" if f.kind == "raised an exception" else f.tensor


def _finding(i: int, total: int, f: Finding, answers: bool) -> list[str]:
    """One problem; without ``answers``, the slip instead of the hint, and the bare summary."""
    summary = f.summary if answers else (f.bare_summary or f.summary)
    lines = [f"Problem {i} of {total}: {_where(f)}: {f.kind}", f"  {summary}"]
    lines += [f"  {d}" for d in f.details]
    if f.rows:
        lines += ["  " + line for line in _table(f.rows, f.columns)]
    hint = f.hint if answers else f.slip
    if hint:
        lines.append(f"  Hint: {hint}.")
    return lines


def _summary(results: list[TensorResult], wrong: set[str]) -> list[str]:
    width = max((len(r.name) for r in results), default=5)
    lines = ["Every gradient checked:"]
    for r in results:
        status = "WRONG" if (r.name in wrong or not r.ok) else "ok"
        extra = f"; {len(r.kinks)} at a kink" if r.kinks else ""
        extra += f"; {len(r.one_sided)} from one side only" if r.one_sided else ""
        extra += f"; {len(r.unevaluable)} not evaluable" if r.unevaluable else ""
        lines.append(
            f"  {r.name:<{width}}  {shape_str(r.shape):<12} {status:<5}  "
            f"max rel error {r.max_rel_err:.1e}  ({r.method}{extra})"
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


PHRASES = {
    "wrong gradient": "is wrong",
    "wrong shape": "has the wrong shape",
    "wrong dtype": "has the wrong dtype",
    "not finite": "holds NaN or infinite values",
    "accumulates": "accumulates across backward calls",
    "not repeatable": "changes from one backward call to the next",
    "not linear in grad_out": "is not linear in grad_out",
    "mutates its argument": "was modified in place",
    "batch is not the sum of its samples": "of a batch is not the sum of its samples'",
    "non-differentiable point": "is checked at a non-differentiable point",
    "wrong reduction": "of a batch is not the mean/sum of its samples' losses",
    "could not be checked": "could not be checked",
    "missing from parameters()": "is missing from parameters()",
    "forward differs from the reference": "differs from the reference implementation's",
    "parameters differ from the reference": "differ from the reference implementation's",
}


def label(tensor: str, kind: str, input_label: str) -> str:
    """How the headline names a tensor: ``the gradient of W``, ``the input gradient``."""
    if kind == "mutates its argument":
        return f"the argument {tensor}"
    if kind == "missing from parameters()":
        return f"the Parameter {tensor}"
    if kind == "forward differs from the reference":
        return "the loss value" if tensor == "loss value" else "the output of forward(x)"
    if kind == "parameters differ from the reference":
        return "the layer's parameters()"
    if tensor == "loss value":
        return "the loss value"
    if tensor == "input":
        return input_label
    return f"the gradient of {tensor}"


DETAILS = ("full", "hints", "minimal")


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
    detail: str = "full",
) -> str:
    """The report: headline, what was checked, each problem, summary, reproduction.

    ``detail`` is one of :data:`DETAILS`: ``"full"`` gives every hint whole,
    ``"hints"`` the same report with each hint cut to its slip (no equation or
    code of the answer), ``"minimal"`` only :func:`minimal_text`.
    """
    if detail == "minimal":
        return minimal_text(subject, findings)
    first = findings[0]
    if first.kind == "raised an exception":
        while_ = first.details[-1] if first.details else ""
        who = "backward" if "backward(G)" in while_ else "the layer"
        who = "forward" if "forward(x)" in while_ or "numeric" in while_ else who
        who = "the reference implementation" if "reference" in while_ else who
        error_name = first.summary.split(":")[0]
        headline = f"Gradient check failed for {subject}: {who} raised {error_name}"
    else:
        tensor = label(first.tensor, first.kind, input_label)
        headline = f"Gradient check failed for {subject}: {tensor} {PHRASES.get(first.kind, '')}"
    more = len(findings) - 1
    headline += f", and {more} more problem{'s' if more > 1 else ''} below." if more else "."
    lines = [headline, "", "What was checked:"]
    lines += [f"  {s}" for s in setup]
    lines.append(f"  Pass rule: {tol.describe()}.")
    for i, f in enumerate(findings, 1):
        lines += ["", *_finding(i, len(findings), f, answers=detail == "full")]
    if results:
        lines += ["", *_summary(results, {f.tensor for f in findings})]
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
) -> dict[str, str]:
    """The report at every level of :data:`DETAILS`, by name."""
    args = (subject, setup, findings, results, tol, reproduce, input_label)
    return {detail: render(*args, detail=detail) for detail in DETAILS}


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
