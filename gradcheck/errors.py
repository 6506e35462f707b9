"""``GradcheckError``: a failed gradient check, with the full report as its message.

It subclasses ``AssertionError``, so a plain pytest test that calls
:func:`gradcheck.check_layer` shows the report as its failure. ``str(err)``
is the whole human-readable report (self-contained: readable without the
layer's source); the attributes give the same facts to a program.
"""

from __future__ import annotations

from gradcheck.findings import Finding, TensorResult
from gradcheck.report import DETAILS, minimal_text
from gradcheck.report_html import check_html
from layers.errors import HyperparameterError


class GradcheckError(AssertionError):
    """A gradient (or the backward contract) is wrong.

    Attributes
    ----------
    layer : str
        What was checked, as its ``repr``: ``"Linear(3, 2)"``, ``"MSELoss(reduction='mean')"``.
    parameter : str or None
        The tensor of the first problem: ``"input"`` for the gradient that
        ``backward`` returns (for a loss: ``∂L/∂y``), else the parameter's
        name (``"W"``, ``"b"``; in a ``Sequential`` ``"layers[2].W"``).
    kind : str
        The first problem's kind, e.g. ``"wrong gradient"``, ``"accumulates"``
        (see :class:`gradcheck.findings.Finding`).
    hint : str or None
        The first problem's likely cause, when one fits.
    findings : list of Finding
        Every problem found, in the order the report lists them.
    results : list of TensorResult
        The numeric comparison of every tensor (also those that passed).
    seed : int
        The seed that reproduces the random upstream gradient and directions.
    report : str
        The full report (also ``str(err)``).
    texts : dict of str
        The report at each level of detail, by name (see :func:`report_text`).
    """

    def __init__(
        self,
        report: str,
        *,
        layer: str = "",
        findings: list[Finding] | None = None,
        results: list[TensorResult] | None = None,
        seed: int = 0,
        texts: dict[str, str] | None = None,
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
        self.kind: str | None = first.kind if first else None
        self.hint: str | None = first.hint if first else None

    def __str__(self) -> str:
        return self.report

    def _repr_html_(self) -> str:  # shown by Jupyter: the report, wrong entries highlighted
        return check_html(self)


class NondifferentiableError(GradcheckError):
    """The point checked is a kink of the function (raised with ``kinks="raise"``).

    The gradient is not defined there (ReLU at 0), so it cannot be called
    right or wrong: draw inputs away from the kink, or use ``kinks="accept"``
    to accept any value between the left and right derivatives.
    """


def report_text(error: GradcheckError, detail: str = "full") -> str:
    """The report of a failed check at the level of detail a grader chooses to show.

    - ``"full"``: the whole report, ``str(error)``, hints with the equation or
      code that fixes the mistake;
    - ``"hints"``: the same report with each hint cut to its *slip*, the kind
      of mistake (negated, transposed, all zeros, the Jacobian's diagonal
      only, …) without the answer; worst entries, tensor names and what was
      compared are kept;
    - ``"minimal"``: which tensors are wrong and the kind of finding, one line
      each.

    An error built elsewhere without these texts never gives more than the
    minimal text below the full level.
    """
    if detail not in DETAILS:
        raise HyperparameterError(f"report_text: detail must be one of {DETAILS}, got {detail!r}")
    if detail == "full":
        return str(error)
    stored = getattr(error, "texts", {}).get(detail)
    return stored if stored is not None else minimal_text(error.layer, error.findings)


def failed_check(
    subject: str,
    findings: list[Finding],
    results: list[TensorResult],
    seed: int,
    texts: dict[str, str],
) -> GradcheckError:
    """The error a failed check raises: a kink first is a :class:`NondifferentiableError`."""
    kind = findings[0].kind
    error = NondifferentiableError if kind == "non-differentiable point" else GradcheckError
    return error(
        texts["full"], layer=subject, findings=findings, results=results, seed=seed, texts=texts
    )
