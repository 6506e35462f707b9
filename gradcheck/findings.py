"""Plain records of what a check found: one row per entry, one result per tensor.

They carry numbers only; :mod:`gradcheck.report` turns them into text and
:class:`gradcheck.GradcheckError` exposes them as attributes, so a program
(a course autograder, say) can read them without parsing the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EntryRow:
    """One compared number: an entry ``index`` of a tensor, or a direction ``u``."""

    where: str  # "(1, 2)" for an entry, "u₃" for the third random direction
    numeric: float  # NaN when the forward pass could be evaluated on neither side
    analytic: float
    ok: bool
    note: str = ""
    evaluated: bool = True  # False: no numeric derivative exists to compare with

    @property
    def abs_err(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_err(self) -> float:
        scale = max(abs(self.analytic), abs(self.numeric))
        return self.abs_err / scale if scale > 0 else 0.0


@dataclass
class Finding:
    """One problem: which tensor, what kind, what to tell the user.

    What to tell comes at two depths, because a course grader may show the
    *kind* of slip but not the answer: ``slip`` says what is wrong (negated,
    transposed, all zeros, the diagonal of the Jacobian only) without the
    equation or code of the right gradient; ``hint`` is the full advice and
    may quote them. ``bare_summary`` is ``summary`` without the equation it
    quotes, for the few summaries that quote one.

    ``kind`` is one of ``"wrong gradient"``, ``"wrong shape"``, ``"wrong dtype"``,
    ``"not finite"``, ``"accumulates"``, ``"not repeatable"``,
    ``"not linear in grad_out"``, ``"mutates its argument"``,
    ``"batch is not the sum of its samples"``, ``"wrong reduction"``,
    ``"non-differentiable point"``, ``"could not be checked"``, ``"raised an exception"``,
    ``"missing from parameters()"``, ``"forward differs from the reference"``,
    ``"parameters differ from the reference"``.
    """

    tensor: str
    kind: str
    summary: str
    details: list[str] = field(default_factory=list)
    rows: list[EntryRow] = field(default_factory=list)
    hint: str | None = None
    columns: tuple[str, str] = ("numeric", "analytic")  # what a row's two numbers are
    slip: str | None = None  # the hint without the answer's equation or code
    bare_summary: str | None = None  # the summary without them (None: it has none)


@dataclass
class TensorResult:
    """The numeric comparison of one tensor's gradient (input or a parameter)."""

    name: str
    shape: tuple[int, ...]
    method: str  # e.g. "all 6 entries" or "24 sampled entries and 4 random directions"
    rows: list[EntryRow] = field(default_factory=list)
    transposed: list[float] = field(default_factory=list)  # rows read from the transpose
    diagonal: list[float] = field(default_factory=list)  # the Jacobian's diagonal term
    kinks: list[str] = field(default_factory=list)  # where a kink was met
    one_sided: list[str] = field(default_factory=list)  # where forward refused one side
    unevaluable: list[str] = field(default_factory=list)  # where it refused both: a failure

    @property
    def bad(self) -> list[EntryRow]:
        return [r for r in self.rows if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.bad

    @property
    def max_rel_err(self) -> float:
        return max((r.rel_err for r in self.rows), default=0.0)

    def worst(self, k: int) -> list[EntryRow]:
        """The ``k`` rows with the largest error, failing rows first."""
        return sorted(self.rows, key=lambda r: (r.ok, -r.abs_err))[:k]
