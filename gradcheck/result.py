"""What a check found, as plain records, and the two ways it is handed back.

``EntryRow`` is one compared number, ``TensorResult`` one tensor's comparison,
``Finding`` one problem (of a :class:`Kind`). A failed check raises
:class:`GradcheckError` (an ``AssertionError``, so pytest shows its report);
with ``raise_on_failure=False`` it returns a :class:`CheckResult` instead.
Both carry the same attributes, so a program (a course grader, the HTML
report) reads the facts without parsing the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Kind(str, Enum):
    """What kind of problem a :class:`Finding` is. A ``str``: compares equal to its text."""

    WRONG_GRADIENT = "wrong gradient"
    WRONG_SHAPE = "wrong shape"
    WRONG_DTYPE = "wrong dtype"
    NOT_FINITE = "not finite"
    ACCUMULATES = "accumulates"
    NOT_REPEATABLE = "not repeatable"
    NOT_LINEAR = "not linear in grad_out"
    MUTATES = "mutates its argument"
    BATCH_NOT_SUM = "batch is not the sum of its samples"
    WRONG_REDUCTION = "wrong reduction"
    KINK = "non-differentiable point"
    UNCHECKABLE = "could not be checked"
    RAISED = "raised an exception"
    UNLISTED = "missing from parameters()"
    FORWARD_CHANGED = "forward differs from the reference"
    PARAMETERS_DIFFER = "parameters differ from the reference"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


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

    ``kind`` is a :class:`Kind` (a ``str``: ``f.kind == "wrong gradient"`` holds).
    """

    tensor: str
    kind: Kind
    summary: str
    details: list[str] = field(default_factory=list)
    rows: list[EntryRow] = field(default_factory=list)
    hint: str | None = None
    columns: tuple[str, str] = ("numeric", "analytic")  # what a row's two numbers are
    slip: str | None = None  # the hint without the answer's equation or code
    bare_summary: str | None = None  # the summary without them (None: it has none)
    raised_by: str = ""  # for RAISED: who raised ("backward", "forward", …), for the headline
    # Its hint is the root cause of the same tensor's wrong numbers too (a backward
    # that ignores grad_out), and replaces whatever their numbers suggested.
    root_cause: bool = False


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
        return max((r.rel_err for r in self.rows if r.evaluated), default=0.0)

    def worst(self, k: int) -> list[EntryRow]:
        """The ``k`` rows with the largest error, failing rows first."""
        return sorted(self.rows, key=lambda r: (r.ok, -r.abs_err))[:k]


@dataclass
class CheckResult:
    """The outcome of a check run with ``raise_on_failure=False``.

    ``ok`` is True when nothing was found; ``report`` is then ``""``. Otherwise
    the attributes are those of the :class:`GradcheckError` the check would
    have raised (``error`` is that error, for ``raise result.error``).
    """

    ok: bool
    layer: str
    seed: int
    findings: list[Finding] = field(default_factory=list)
    results: list[TensorResult] = field(default_factory=list)
    report: str = ""
    texts: dict[str, str] = field(default_factory=dict)
    error: GradcheckError | None = None

    @property
    def parameter(self) -> str | None:
        return self.findings[0].tensor if self.findings else None

    @property
    def kind(self) -> Kind | None:
        return self.findings[0].kind if self.findings else None

    def __bool__(self) -> bool:
        return self.ok

    def _repr_html_(self) -> str:  # shown by Jupyter: the report, wrong entries highlighted
        from gradcheck.report_html import check_html

        return check_html(self)


class GradcheckError(AssertionError):
    """A gradient (or the backward contract) is wrong.

    Attributes
    ----------
    layer : str
        What was checked, as its ``repr``: ``"Linear(3, 2)"``, ``"MSELoss(reduction='mean')"``.
    parameter : str or None
        The tensor of the first problem: ``"input"`` for the gradient that
        ``backward`` returns (for a loss: ``∂L/∂y``; for a function: ``"x"``),
        else the parameter's name (``"W"``, ``"b"``; in a ``Sequential``
        ``"layers[2].W"``); for a crash, the parameter whose gradient was being
        written when it happened, if any.
    kind : Kind or None
        The first problem's kind, e.g. ``"wrong gradient"``, ``"accumulates"``.
    hint : str or None
        The first problem's likely cause at the hint level of the check
        (``"full"``: the advice; ``"slip"``: the kind of slip; ``"none"``: None).
    findings : list of Finding
        Every problem found, in the order the report lists them.
    results : list of TensorResult
        The numeric comparison of every tensor (also those that passed).
    seed : int
        The seed that reproduces the random upstream gradient and directions.
    report : str
        The report at the check's hint level (also ``str(err)``).
    texts : dict of str
        The report at each level of detail up to the check's, by name (see
        :func:`gradcheck.report_text`).
    ok : bool
        Always False (as :attr:`CheckResult.ok`).
    """

    ok = False

    def __init__(
        self,
        report: str,
        *,
        layer: str = "",
        findings: list[Finding] | None = None,
        results: list[TensorResult] | None = None,
        seed: int = 0,
        texts: dict[str, str] | None = None,
        level: str = "full",
    ) -> None:
        super().__init__(report)  # args = (report,): pickles (and crosses processes) as is
        self.report = report
        self.texts = dict(texts or {"full": report})
        self.layer = layer
        self.findings = findings or []
        self.results = results or []
        self.seed = seed
        first = self.findings[0] if self.findings else None
        self.parameter: str | None = first.tensor if first else None
        self.kind: Kind | None = first.kind if first else None
        self.hint: str | None = None
        if first is not None and level != "none":
            # A check cuts its findings to its level itself; an error built by hand from
            # full findings is cut here too.
            self.hint = first.hint if level == "full" else first.slip

    def __str__(self) -> str:
        return self.report

    def _repr_html_(self) -> str:  # shown by Jupyter: the report, wrong entries highlighted
        from gradcheck.report_html import check_html

        return check_html(self)


class NondifferentiableError(GradcheckError):
    """The point checked is a kink of the function (raised with ``kinks="raise"``).

    The gradient is not defined there (ReLU at 0), so it cannot be called
    right or wrong: draw inputs away from the kink, or use ``kinks="accept"``
    to accept any value between the left and right derivatives.
    """
