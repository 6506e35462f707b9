"""The check drivers: ``check_layer``, ``check_loss`` and ``check_function``.

Each runs the same story in the same order, appending what it finds to a
:class:`Run`: call the checked code once (forward, backward), check the form
of each gradient (:mod:`gradcheck.contract`), compare its numbers with
numeric derivatives (:mod:`gradcheck.compare`), check the backward contract,
and hand the findings to one tail, :func:`_outcome`, that renders the report
(:mod:`gradcheck.report`) and raises :class:`GradcheckError` or returns a
:class:`CheckResult`. If the checked code raises, that is a finding too, its
hint keyed on the mistake (a stub, a transposed product), naming the
parameter whose gradient was being written.

With ``reference=`` (a trusted object of the same kind) the numeric side
comes from the reference's forward pass, given the checked object's
parameter values, and the two forward outputs must agree: a doctored forward
with a backward to match cannot pass. The checked object is then only called
and read, so it may be a proxy to an object in another process.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import numpy.typing as npt

import layers._checks
import layers.parameter
from gradcheck import contract, hints
from gradcheck.compare import (
    WORST,
    KinkMode,
    Options,
    Tolerance,
    compare_tensor,
    numeric_finding,
    unchecked_finding,
    where_of,
)
from gradcheck.contract import INPUT, Harness
from gradcheck.hints import Diagnosis, HintLevel
from gradcheck.numeric import Probe
from gradcheck.report import render_all, small_input_lines, subject_of
from gradcheck.result import (
    CheckResult,
    EntryRow,
    Finding,
    GradcheckError,
    Kind,
    NondifferentiableError,
    TensorResult,
)
from layers._checks import in_native_byte_order, shape_str
from layers.errors import ChainruleError, ShapeError
from layers.parameter import Parameter

Array = npt.NDArray[Any]
Subject = Literal["layer", "loss", "function"]

if TYPE_CHECKING:  # for the overloads' keywords only: nothing of this is needed at run time
    from typing_extensions import TypedDict, Unpack

    class _Keywords(TypedDict, total=False):
        seed: int
        rtol: float | None
        atol: float | None
        richardson: bool
        kinks: KinkMode
        contract_checks: bool
        max_entries: int
        sampled: int
        directions: int
        hints: HintLevel | None

    class _LossKeywords(_Keywords, total=False):
        reference: Any

    class _LayerKeywords(_LossKeywords, total=False):
        row_wise: bool | None

    class _FunctionKeywords(_Keywords, total=False):
        vjp: Callable[[Array, Array], Any] | None


X_NAME = "x"  # a plain function's input, as findings name it


@dataclass
class Run:
    """What a check found so far, and where it is (for a crash report).

    ``phase`` says what the checker was doing, ``actor`` whose code it was
    running (``"backward"``, ``"forward"``, ``"the reference implementation"``).
    """

    tol: Tolerance
    subject: Subject
    phase: str = "running forward(x)"
    actor: str = "forward"
    findings: list[Finding] = field(default_factory=list)
    results: list[TensorResult] = field(default_factory=list)
    crashed: BaseException | None = None
    out_shape: tuple[int, ...] | None = None  # what forward / f gave, once it ran
    value: float = float("nan")  # a loss's or a scalar function's value

    def at(self, actor: str, phase: str) -> None:
        self.actor, self.phase = actor, phase

    def add(self, finding: Finding | None) -> None:
        if finding is not None:
            self.findings.append(finding)


def _own_copy(x: npt.ArrayLike, float_dtype: npt.DTypeLike = np.float64) -> Array:
    """The checker's own float copy of ``x`` (it perturbs it in place), in native byte order.

    Integers become ``float_dtype``: the layer's dtype, or float64.
    """
    arr = in_native_byte_order(np.array(x, copy=True))
    return arr if arr.dtype.kind == "f" else arr.astype(float_dtype)


# -- a crash in the checked code -------------------------------------------------------------

_NUMPY_DIR = str(Path(np.__file__).parent)
_OUR_DIR = str(Path(__file__).parent)
# The core's input checks raise on behalf of their caller: the line to show is
# the caller's (e.g. a student's `self.W.grad = Xᵀ G`), not the check itself.
_CHECK_FILES = (str(Path(layers.parameter.__file__)), str(Path(layers._checks.__file__)))


def _user_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The deepest frame of the traceback outside NumPy, gradcheck and the core's checks.

    An exception raised in another process (a course grader runs a student's
    code apart) carries that process's frames as ``exc.remote_frames``.
    """
    remote = getattr(exc, "remote_frames", None)
    frames = remote if remote else traceback.extract_tb(exc.__traceback__)
    skip = (_NUMPY_DIR, _OUR_DIR)
    mine = [f for f in frames if not f.filename.startswith(skip) and f.filename not in _CHECK_FILES]
    return mine[-1] if mine else (frames[-1] if frames else None)


def _written_parameter(
    exc: BaseException, line: str, params: list[tuple[str, Parameter]], default: str
) -> str:
    """The name of the parameter whose gradient was being written when ``exc`` was raised.

    Found by identity where the frames are at hand (the Parameter's own check,
    or ``self.b.grad[...] = …`` in the layer's frame), else by the name in the
    message or the line; ``default`` when no parameter was being written.
    """
    by_id = {id(p): name for name, p in params}
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        owner = frame.f_locals.get("self")
        if id(owner) in by_id:  # raised inside the Parameter itself (its .grad setter)
            return by_id[id(owner)]
        source = traceback.extract_tb(tb, limit=1)[0].line or ""
        for attr in re.findall(r"\.(\w+)\.grad\b", source):
            found = by_id.get(id(getattr(owner, attr, None)))
            if found is not None:
                return found
        tb = tb.tb_next
    said = re.search(r"Parameter '([^']+)'", str(exc))
    attrs = [said.group(1)] if said else re.findall(r"(\w+)\.grad\b", line)
    named = [name for name, _ in params if attrs and name.split(".")[-1] == attrs[-1]]
    return named[0] if len(named) == 1 else default


def _transposed_shapes(exc: BaseException) -> tuple[str, str] | None:
    """``(got, expected)`` when the exception is a gradient written with its shape transposed.

    Two ways to write ``Xᵀ G`` for ``∇_W L``: ``self.W.grad = …`` meets the
    Parameter's own check (a ``ShapeError`` that says it looks transposed),
    ``self.W.grad[...] = …`` NumPy's broadcast (a ``ValueError`` naming both
    shapes). Either way the two shapes in the message are each other's reverse.
    """
    message = str(exc)
    if "looks transposed" not in message and "could not broadcast" not in message:
        return None
    shapes = [(int(a), int(b)) for a, b in re.findall(r"\((\d+), ?(\d+)\)", message)]
    pair = next(((s, t) for s in shapes for t in shapes if s != t and s == t[::-1]), None)
    if pair is None:
        return None
    # The Parameter's message says expected (p), got (g); NumPy's: from (g) into (p).
    got, expected = pair[::-1] if "looks transposed" in message else pair
    return shape_str(got), shape_str(expected)


def _written_shapes(
    exc: BaseException, tensor: str, params: list[tuple[str, Parameter]]
) -> tuple[str, str] | None:
    """``(got, expected)`` when ``exc`` is a gradient of the wrong shape written into ``tensor``.

    ``self.b.grad = …`` meets the Parameter's own check ("expected a gradient of
    shape (3,) …, got (4,)"); ``self.b.grad[...] = …`` NumPy's broadcast ("could not
    broadcast input array from shape (4,) into shape (3,)"): the same mistake.
    """
    shape = next((p.shape for name, p in params if name == tensor), None)
    if shape is None:
        return None
    message = str(exc)
    found = re.search(r"from shape (\([\d, ]*\)) into shape (\([\d, ]*\))", message)
    if found is None:
        found = re.search(r"gradient of shape (\([\d, ]*\)).*?, got (\([\d, ]*\))", message)
        pair = (found.group(2), found.group(1)) if found else None
    else:
        pair = (found.group(1), found.group(2))
    if pair is None or pair[1].replace(" ", "") != shape_str(shape).replace(" ", ""):
        return None
    return pair


def _crash_finding(run: Run, exc: BaseException, params: list[tuple[str, Parameter]]) -> Finding:
    """The finding for an exception the checked code raised during ``run.phase``."""
    message = str(exc).strip()
    details = []
    frame = _user_frame(exc)
    line = (frame.line or "") if frame is not None else ""
    if frame is not None:
        details.append(f"raised at {Path(frame.filename).name}:{frame.lineno}, in {frame.name}:")
        if frame.line:
            details.append(f"    {frame.line.strip()}")
    details.append(f"while {run.phase}")
    tensor = _written_parameter(exc, line, params, X_NAME if run.subject == "function" else INPUT)
    shapes = _transposed_shapes(exc)
    advice: Diagnosis
    if isinstance(exc, NotImplementedError):
        where = f"`{frame.name}`" if frame is not None else "the function that raised"
        advice = hints.not_written(where, message)
    elif shapes is not None:
        advice = hints.transposed_gradient(f"{tensor}'s gradient", shapes)
    elif (written := _written_shapes(exc, tensor, params)) is not None:
        advice = hints.gradient_shape(tensor, *written)
    elif isinstance(exc, ChainruleError):
        advice = hints.OUR_ERROR
    else:
        advice = hints.crashed(run.subject)
    summary = f"{type(exc).__name__}: {message or '(no message)'}"
    # Our own errors may end in advice that quotes the answer: cut it for the bare summary.
    bare = summary.split(": check the order of the product")[0]
    return Finding(
        tensor,
        Kind.RAISED,
        summary,
        details=details,
        hint=advice.hint,
        slip=advice.slip,
        bare_summary=bare if bare != summary else None,
        raised_by=f"{run.actor} raised {type(exc).__name__}",
    )


# -- against a reference implementation -------------------------------------------------------


def _parameter_list(shapes: list[tuple[int, ...]], names: list[str] | None = None) -> str:
    if not shapes:
        return "no Parameter"
    listed = [
        f"{n} {shape_str(s)}" if names else shape_str(s)
        for n, s in zip(names or shapes, shapes, strict=True)
    ]
    return f"{len(shapes)} Parameter{'s' if len(shapes) > 1 else ''}: {', '.join(listed)}"


def _adopt_parameters(layer: Harness, reference: Harness) -> Finding | None:
    """Copy the layer's parameter values into the reference's, by position in ``parameters()``.

    Returns a finding naming both lists when their number or shapes differ
    (nothing is copied then).
    """
    values = [np.asarray(p.value) for _, p in layer.params]  # one read each: a proxy copies
    mine = [tuple(v.shape) for v in values]
    theirs = [tuple(p.shape) for _, p in reference.params]
    if mine != theirs:
        names = [name for name, _ in reference.params]
        return Finding(
            "parameters()",
            Kind.PARAMETERS_DIFFER,
            f"layer.parameters() lists {_parameter_list(mine)}; the reference's lists "
            f"{_parameter_list(theirs, names)}",
            hint=hints.PARAMETERS_DIFFER.hint,
            slip=hints.PARAMETERS_DIFFER.slip,
        )
    for value, (_, p) in zip(values, reference.params, strict=True):
        p.value[...] = value
    return None


def _forward_finding(
    tensor: str, mine: npt.ArrayLike, theirs: npt.ArrayLike, tol: Tolerance, at: str
) -> Finding | None:
    """The checked forward output against the reference's, under the pass rule of ``tol``.

    ``at`` says what both were given (``"the same x and parameter values"``).
    """
    a, r = np.asarray(mine, np.float64), np.asarray(theirs, np.float64)
    changed = "the forward pass was changed (the gradients are checked against the reference)"
    hint, slip = hints.FORWARD_CHANGED.hint, hints.FORWARD_CHANGED.slip
    if a.shape != r.shape:
        summary = (
            f"forward gives shape {shape_str(a.shape)}, the reference implementation "
            f"{shape_str(r.shape)}, at {at}: {changed}"
        )
        return Finding(tensor, Kind.FORWARD_CHANGED, summary, hint=hint, slip=slip)
    close = tol.close(a, r)
    if np.all(close):
        return None
    if a.ndim == 0:
        summary = (
            f"forward gives {float(a):.6g}, the reference implementation {float(r):.6g}, "
            f"at {at}: {changed}"
        )
        return Finding(tensor, Kind.FORWARD_CHANGED, summary, hint=hint, slip=slip)
    rows = [
        EntryRow(where_of(a.shape, i), float(r.flat[i]), float(a.flat[i]), ok=bool(close.flat[i]))
        for i in range(a.size)
    ]
    return Finding(
        tensor,
        Kind.FORWARD_CHANGED,
        f"{int(np.sum(~close))} of the {a.size} outputs of forward differ from the reference "
        f"implementation's at {at}: {changed}. Worst:",
        rows=sorted(rows, key=lambda row: (row.ok, -row.abs_err))[:WORST],
        columns=("reference", "forward"),
        hint=hint,
        slip=slip,
    )


# -- the steps every check shares ------------------------------------------------------------


def _numbers(
    run: Run,
    name: str,
    probe: Probe,
    analytic: Array,
    rng: np.random.Generator,
    opts: Options,
    *,
    what: str,
    batch: int | None,
    width: int | None,
    grad_out: Array | None = None,
    named: str | None = None,
) -> None:
    """Compare one gradient with numeric derivatives; a disagreement becomes a finding."""
    __tracebackhide__ = True
    res = compare_tensor(name, probe, analytic, run.tol, rng, opts)
    run.results.append(res)
    run.add(unchecked_finding(res))
    if any(not r.ok and r.evaluated for r in res.rows):
        run.add(
            numeric_finding(
                res,
                batch=batch,
                width=width,
                what=what,
                grad_out=grad_out,
                named=named,
                function=run.subject == "function",
            )
        )


def _kink_finding(run: Run, what: str) -> Finding | None:
    """With ``kinks="raise"``: the first tensor checked at a kink, and where."""
    kinked = [(r.name, k) for r in run.results for k in r.kinks]
    if not kinked:
        return None
    advice = hints.at_a_kink(what)
    return Finding(
        kinked[0][0],
        Kind.KINK,
        f"{len(kinked)} checked value(s) sit at a kink, where the gradient is not defined:",
        details=[f"{name} {where}" for name, where in kinked[:5]],
        hint=advice.hint,
        slip=advice.slip,
    )


# The checker's own stream: `default_rng(seed)` is how users draw x (the docs too), and a
# grad_out G equal to x would hide a backward that uses x where G belongs.
_CHECKER_STREAM = 0x67726164  # "grad"


def _checker_rng(seed: int) -> np.random.Generator:
    """The random upstream gradients and directions of a check with ``seed``."""
    return np.random.default_rng([_CHECKER_STREAM, seed])


def _outcome(
    run: Run,
    opts: Options,
    *,
    subject: str,
    setup: list[str],
    reproduce: list[str],
    seed: int,
    input_label: str,
    kink_at: str,
) -> CheckResult:
    """The one tail of every check: findings → report → :class:`CheckResult` (with its error)."""
    if opts.kinks == "raise":
        kink = _kink_finding(run, kink_at)
        if kink is not None:
            run.findings.insert(0, kink)
    input_ok = any(r.name == INPUT and r.ok for r in run.results)
    for f in run.findings:  # no simple slip fits: say where to look
        if f.kind == Kind.WRONG_GRADIENT and f.hint is None:
            of_function = run.subject == "function"
            rows = next((r.rows for r in run.results if r.name == f.tensor), [])
            entries = [r for r in rows if r.evaluated and not r.where.startswith("u")]
            wrong = [r.where for r in entries if not r.ok]
            partly = wrong if 0 < len(wrong) < len(entries) else None
            f.slip, f.hint = hints.fallback(
                f.tensor, input_ok, of_function=of_function, wrong=partly
            )
    if not run.findings:
        return CheckResult(True, subject, seed, results=run.results)
    level = opts.level
    input_name = X_NAME if run.subject == "function" else INPUT
    texts = render_all(
        subject,
        setup,
        run.findings,
        run.results,
        run.tol,
        reproduce,
        input_label,
        level,
        input_name,
    )
    if level != "full":  # the findings say no more than the report: no answer below "full"
        for f in run.findings:
            f.hint = f.slip if level == "slip" else None
            f.summary = f.bare_summary or f.summary
            f.bare_summary = None
    kind = NondifferentiableError if run.findings[0].kind == Kind.KINK else GradcheckError
    error = kind(
        texts["full"],
        layer=subject,
        findings=run.findings,
        results=run.results,
        seed=seed,
        texts=texts,
        level=level,
    )
    return CheckResult(False, subject, seed, run.findings, run.results, texts["full"], texts, error)


class _MisuseError(Exception):
    """The check was called wrongly (found only once the checked code ran): ``error`` says how."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _attempt(
    run: Run, steps: Callable[[], None], params: list[tuple[str, Parameter]] | None = None
) -> None:
    """Run a check's steps; an exception of the checked code becomes the first finding."""
    __tracebackhide__ = True
    try:
        steps()
    except _MisuseError as misuse:  # ours to raise, not the checked code's doing
        raise misuse.error from None
    except Exception as exc:  # the checked code raised: that is a failed check too
        run.findings.insert(0, _crash_finding(run, exc, params or []))
        run.crashed = exc


def _finish(result: CheckResult, run: Run, raise_on_failure: bool) -> CheckResult | None:
    """Raise the failed check's error (chained to a crash), or hand back the result."""
    __tracebackhide__ = True  # pytest shows the user's call and our report, not this
    if not raise_on_failure:
        return result
    if result.error is not None:
        raise result.error from run.crashed
    return None


# -- check_layer ---------------------------------------------------------------------------


def _against_reference(run: Run, h: Harness, ref: Harness, x: Array, out: Array) -> bool:
    """Give ``ref`` the layer's parameter values and compare the two forward outputs.

    Returns whether the reference can stand in for the layer's forward pass
    in the numeric derivatives (the same parameters, the same output shape).
    """
    run.at("the reference implementation", "giving the reference the layer's parameter values")
    problem = _adopt_parameters(h, ref)
    usable = problem is None
    if usable:
        run.phase = "running the reference's forward(x)"
        theirs = ref.forward(x.copy())
        problem = _forward_finding(
            "forward", out, theirs, run.tol, "the same x and parameter values"
        )
        usable = theirs.shape == out.shape
    run.add(problem)
    return usable


def _layer_steps(
    run: Run, h: Harness, x: Array, rng: np.random.Generator, opts: Options, ref: Harness | None
) -> None:
    """Forward, backward, form, numbers, contract: each step appends to ``run.findings``.

    With a reference ``ref`` (named like ``h``, by position), the numeric
    derivatives perturb the reference's parameters and run its forward pass;
    ``h``'s parameters are only read, and its attributes never walked.
    """
    __tracebackhide__ = True
    out = h.forward(x.copy())
    G = rng.standard_normal(out.shape).astype(out.dtype if out.dtype.kind == "f" else np.float64)
    run.out_shape = out.shape
    # The tolerances of the least precise dtype the layer touches (x, output, parameters).
    if np.dtype(np.float32) in [x.dtype, out.dtype, *(p.dtype for _, p in h.params)]:
        run.tol = opts.tolerance(np.float32)
    comparable = ref is None or _against_reference(run, h, ref, x, out)
    run.at("backward", f"running backward(G) with G of shape {shape_str(G.shape)}")
    x_seen, G_seen = x.copy(), G.copy()
    first = h.gradients(x_seen, G_seen)
    run.add(contract.untouched("input", x, x_seen))
    run.add(contract.untouched("grad_out", G, G_seen))
    expected = {INPUT: (x.shape, x.dtype, f"the input x {shape_str(x.shape)}")}
    for name, p in h.params:
        expected[name] = (p.shape, p.dtype, f"the parameter {name} {shape_str(p.shape)}")
    well_formed = {}
    for name, (shape, dtype, of) in expected.items():
        problem = contract.check_form(name, first[name], shape, dtype, of)
        run.add(problem)
        if problem is None:
            well_formed[name] = first[name]

    if comparable:
        source = h if ref is None else ref
        whose = "forward" if ref is None else "the reference implementation"
        run.at(whose, "computing numeric derivatives (forward at θ ± h)")
        if ref is not None:
            run.phase = "computing numeric derivatives (the reference's forward at θ ± h)"
        x_run = x.copy()
        params = dict(source.params)
        weights = G.astype(np.float64)
        for name, analytic in well_formed.items():
            theta = x_run if name == INPUT else params[name].value
            probe = Probe(theta, lambda: source.layer.forward(x_run), weights)
            what = "∂L/∂x" if name == INPUT else f"∂L/∂{name}"
            batch = x.shape[0] if x.ndim == 2 else None
            width = G.shape[-1] if G.ndim >= 1 else None
            _numbers(run, name, probe, analytic, rng, opts, what=what, batch=batch,
                     width=width, grad_out=G)  # fmt: skip

    if opts.contract_checks and len(well_formed) == len(expected):
        run.at("the layer", "repeating forward/backward (contract checks, also on single rows)")
        broken = contract.repeatable(h, x.copy(), G, first)
        broken += contract.linear(h, x.copy(), G, first, rng)
        broken += contract.row_wise(h, x.copy(), G, first, opts.row_wise)
        for f in run.findings:  # a contract break often explains a wrong number
            cause = next((c for c in broken if c.tensor == f.tensor and c.hint), None)
            if cause and cause.hint and (f.hint is None or cause.root_cause):
                f.hint, f.slip = cause.hint, cause.slip
        run.findings += broken
        if ref is None:
            run.findings += contract.unlisted(h.layer)


@overload
def check_layer(
    layer: Any,
    x: npt.ArrayLike,
    *,
    raise_on_failure: Literal[True] = ...,
    **options: Unpack[_LayerKeywords],
) -> None: ...
@overload
def check_layer(
    layer: Any,
    x: npt.ArrayLike,
    *,
    raise_on_failure: Literal[False],
    **options: Unpack[_LayerKeywords],
) -> CheckResult: ...


def check_layer(
    layer: Any,
    x: npt.ArrayLike,
    *,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
    richardson: bool = False,
    kinks: KinkMode = "accept",
    row_wise: bool | None = None,
    contract_checks: bool = True,
    max_entries: int = 64,
    sampled: int = 12,
    directions: int = 4,
    reference: Any = None,
    hints: HintLevel | None = None,
    raise_on_failure: bool = True,
) -> CheckResult | None:
    """Check every gradient ``layer.backward`` computes at ``x``; raise if one is wrong.

    The checked scalar is ``L = Σ G ∘ layer(x)`` with a random upstream
    gradient ``G ~ N(0, 1)`` (never all ones, so a backward that ignores
    ``grad_out`` fails). ``backward(G)`` must return ``∇_x L`` and fill each
    ``Parameter.grad`` with ``∇_θ L``; each is compared, by name, with
    numeric derivatives (see :mod:`gradcheck.compare`), and the backward
    contract is checked (see :mod:`gradcheck.contract`). Parameter values are
    restored exactly afterwards.

    Parameters
    ----------
    layer : Layer
        Anything with ``forward(x)``, ``backward(grad_out)`` and (optionally) ``parameters()``.
    x : array_like
        The input, ``(D,)`` or ``(N, D)``, of the layer's dtype; integers are converted.
    seed : int
        Seeds ``G``, the sampled entries and the random directions: the same seed
        reproduces the same check.
    rtol, atol : float, optional
        Pass rule ``|a − n| ≤ atol + rtol·max(|a|, |n|)``; defaults per dtype
        (float64 1e-6 / 1e-8, float32 2e-3 / 1e-4).
    richardson : bool
        Use the 5-point stencil (error ``O(h⁴)``) for every entry, not only to re-check failures.
    kinks : {"accept", "raise", "off"}
        At a non-differentiable point (ReLU at 0): accept any value between the
        left and right derivatives, raise :class:`NondifferentiableError`, or don't look.
    row_wise : bool or None
        Require (True), skip (False) or, if the forward pass is row-wise, apply
        (None) the check that a batch's gradient is the sum of its rows'.
    contract_checks : bool
        Also check repeatability, linearity in ``grad_out`` and row-wise sums.
    max_entries, sampled, directions : int
        Tensors up to ``max_entries`` entries are checked entry by entry; larger
        ones on ``sampled`` random entries and ``directions`` random directions.
    reference : Layer, optional
        A trusted object of the same kind (the instructor's class, built with
        the same arguments). The numeric derivatives then come from
        ``reference.forward``, after the layer's parameter values are copied
        into the reference's (by position in ``parameters()``; the reference's
        are restored afterwards), and ``layer``'s forward output must match the
        reference's. ``layer`` is then only called and read, never perturbed
        or walked, so it may be a proxy to an object in another process whose
        attributes are copies (it needs ``forward``, ``backward`` and
        ``parameters()``, whose entries have ``value``, ``grad``, ``shape``,
        ``dtype`` and ``zero_grad()``). The gradients still come from its
        ``backward`` and its ``Parameter.grad``, named after the reference's
        parameters.
    hints : {"full", "slip", "none"}, optional
        How much the report says about the likely mistake (default: the
        process-wide level, :func:`gradcheck.set_hint_level`, itself ``"full"``).
    raise_on_failure : bool
        True: return None when right, raise :class:`GradcheckError` when not.
        False: return a :class:`CheckResult` either way.

    Raises
    ------
    GradcheckError
        When anything is wrong, or the layer raises; ``str(err)`` is the full report.
    """
    __tracebackhide__ = True  # a failure shows the caller's line and the report only
    opts = Options(rtol, atol, richardson, kinks, row_wise, contract_checks, max_entries,
                   sampled, directions, hints, who="check_layer")  # fmt: skip
    rng = _checker_rng(seed)
    x_arr = _own_copy(x, getattr(layer, "dtype", np.float64))
    ref = None if reference is None else Harness(reference)
    h = Harness(layer) if ref is None else Harness(layer, [name for name, _ in ref.params])
    perturbed = h if ref is None else ref  # the one whose parameters the probes move
    saved = perturbed.snapshot()
    run = Run(opts.tolerance(x_arr.dtype), "layer")
    try:
        _attempt(run, lambda: _layer_steps(run, h, x_arr, rng, opts, ref), h.params)
    finally:
        perturbed.restore(saved)

    subject = subject_of(layer)
    out = shape_str(run.out_shape) if run.out_shape is not None else "(not computed)"
    setup = [
        f"L = Σ G ∘ layer(x), x of shape {shape_str(x_arr.shape)} ({x_arr.dtype}), "
        f"G ~ N(0, 1) of the output's shape {out} drawn with seed {seed}.",
        "Each gradient that backward(G) gives was compared with central differences "
        "(L(θ + h) − L(θ − h)) / 2h, h ≈ ∛ε·max(1, |θ|).",
    ]
    values = " (with the same parameter values)" if h.params else ""
    call = f"check_layer(layer, x, seed={seed})"
    if reference is not None:
        setup.append(
            f"The numeric derivatives are those of the reference implementation "
            f"{subject_of(reference)}, given the layer's parameter values; the layer's "
            f"forward output must match the reference's."
        )
        call = f"check_layer(layer, x, seed={seed}, reference=reference)"
        values += f", reference = {subject_of(reference)}"
    reproduce = [
        f"To reproduce: {call} with layer = {subject}{values} and",
        *small_input_lines("x", x_arr),
    ]
    result = _outcome(
        run,
        opts,
        subject=subject,
        setup=setup,
        reproduce=reproduce,
        seed=seed,
        input_label="the input gradient ∂L/∂x (the array backward returns)",
        kink_at="inputs",
    )
    return _finish(result, run, raise_on_failure)


# -- check_loss ----------------------------------------------------------------------------


def _reduction(loss: Any, y: Array, t: Array, total: float) -> Finding | None:
    """A batch's loss must be the mean (or sum) of its samples' losses."""
    reduction = getattr(loss, "reduction", None)
    if reduction not in ("mean", "sum") or y.ndim != 2 or y.shape[0] < 2:
        return None
    per_sample = np.array([loss.forward(y[i : i + 1], t[i : i + 1]) for i in range(y.shape[0])])
    expected = float(per_sample.mean() if reduction == "mean" else per_sample.sum())
    if contract.same(np.float64(total), np.float64(expected), y.dtype):
        return None
    ratio = total / expected if expected else float("nan")
    advice = hints.wrong_reduction(reduction)
    return Finding(
        "loss value",
        Kind.WRONG_REDUCTION,
        f"forward(y, t) of the batch gave {total:.6g}, but the {y.shape[0]} "
        f"samples' losses, one by one, have {reduction} {expected:.6g} "
        f"(ratio {ratio:.4g})",
        hint=advice.hint,
        slip=advice.slip,
    )


def _loss_steps(
    run: Run,
    loss: Any,
    y: Array,
    t: Array,
    rng: np.random.Generator,
    opts: Options,
    reference: Any = None,
) -> None:
    """Forward, backward, form, numbers, contract: each step appends to ``run.findings``."""
    __tracebackhide__ = True
    run.at("forward", "running forward(y, t)")
    y_seen, t_seen = y.copy(), t.copy()
    run.value = float(loss.forward(y_seen, t_seen))
    numeric_from = loss if reference is None else reference
    if reference is not None:
        run.at("the reference implementation", "running the reference's forward(y, t)")
        theirs = np.float64(reference.forward(y.copy(), t.copy()))
        run.add(_forward_finding("loss value", run.value, theirs, run.tol, "the same y and t"))
    run.at("backward", "running backward()")
    grad = loss.backward()
    run.add(contract.untouched("y", y, y_seen))
    run.add(contract.untouched("t", t, t_seen))
    of = f"the predictions y {shape_str(y.shape)}"
    form = contract.check_form(INPUT, grad, y.shape, y.dtype, of, "loss")
    if form:
        run.add(form)
        return
    whose = "forward" if reference is None else "the reference implementation"
    run.at(whose, "computing numeric derivatives (forward at y ± h)")
    if reference is not None:
        run.phase = "computing numeric derivatives (the reference's forward at y ± h)"
    y_run = y.copy()
    probe = Probe(y_run, lambda: np.float64(numeric_from.forward(y_run, t)), np.ones(()))
    batch = y.shape[0] if y.ndim == 2 else None
    # A loss's gradient is ∂L/∂y, also in its hints.
    _numbers(run, INPUT, probe, np.asarray(grad), rng, opts, what="∂L/∂y", batch=batch,
             width=y.shape[-1], named="∂L/∂y")  # fmt: skip
    if opts.contract_checks:
        run.at("the loss", "repeating forward/backward (contract checks, also on single rows)")
        loss.forward(y.copy(), t.copy())
        if not contract.same(np.asarray(loss.backward()), np.asarray(grad), y.dtype):
            run.add(
                Finding(
                    INPUT,
                    Kind.NOT_REPEATABLE,
                    "a second forward/backward with the same y and t gave a different ∂L/∂y",
                    hint=hints.NOT_REPEATABLE.hint,
                    slip=hints.NOT_REPEATABLE.slip,
                )
            )
        run.add(_reduction(loss, y.copy(), t.copy(), run.value))


@overload
def check_loss(
    loss: Any,
    y: npt.ArrayLike,
    t: npt.ArrayLike,
    *,
    raise_on_failure: Literal[True] = ...,
    **options: Unpack[_LossKeywords],
) -> None: ...
@overload
def check_loss(
    loss: Any,
    y: npt.ArrayLike,
    t: npt.ArrayLike,
    *,
    raise_on_failure: Literal[False],
    **options: Unpack[_LossKeywords],
) -> CheckResult: ...


def check_loss(
    loss: Any,
    y: npt.ArrayLike,
    t: npt.ArrayLike,
    *,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
    richardson: bool = False,
    kinks: KinkMode = "accept",
    contract_checks: bool = True,
    max_entries: int = 64,
    sampled: int = 12,
    directions: int = 4,
    reference: Any = None,
    hints: HintLevel | None = None,
    raise_on_failure: bool = True,
) -> CheckResult | None:
    """Check that ``loss.backward()`` returns ``∂L/∂y`` for ``L = loss.forward(y, t)``.

    Parameters are as for :func:`gradcheck.check_layer` (``seed`` seeds the
    sampled entries and directions for large ``y``); ``t`` is never
    differentiated. Also checked: the gradient's shape and dtype, a repeated
    forward/backward gives the same, ``y`` and ``t`` are not modified, and a
    batch's loss is the mean (or sum) of its samples' for a loss with a
    ``reduction`` attribute.

    ``reference``, a trusted loss of the same kind (see
    :func:`gradcheck.check_layer`), supplies the numeric derivatives instead of
    ``loss.forward``, and ``loss.forward(y, t)`` must match its value.

    Raises
    ------
    GradcheckError
        When anything is wrong, or the loss raises; ``str(err)`` is the full report
        (with ``raise_on_failure=False``: returns a :class:`CheckResult` instead).
    """
    __tracebackhide__ = True  # a failure shows the caller's line and the report only
    opts = Options(rtol, atol, richardson, kinks, None, contract_checks, max_entries,
                   sampled, directions, hints, who="check_loss")  # fmt: skip
    rng = _checker_rng(seed)
    y_arr = _own_copy(y)
    t_arr = np.array(t, copy=True)
    run = Run(opts.tolerance(y_arr.dtype), "loss")
    _attempt(run, lambda: _loss_steps(run, loss, y_arr, t_arr, rng, opts, reference))
    subject = subject_of(loss)
    setup = [
        f"L = loss.forward(y, t) = {run.value:.6g}, y of shape {shape_str(y_arr.shape)} "
        f"({y_arr.dtype}), t of shape {shape_str(t_arr.shape)} ({t_arr.dtype}).",
        "∂L/∂y from backward() was compared with central differences "
        "(L(y + h) − L(y − h)) / 2h, h ≈ ∛ε·max(1, |y|).",
    ]
    call, also = f"check_loss(loss, y, t, seed={seed})", ""
    if reference is not None:
        setup.append(
            f"The numeric derivatives are those of the reference implementation "
            f"{subject_of(reference)}, whose loss value the loss must match."
        )
        call = f"check_loss(loss, y, t, seed={seed}, reference=reference)"
        also = f", reference = {subject_of(reference)}"
    reproduce = [
        f"To reproduce: {call} with loss = {subject}{also} and",
        *small_input_lines("y", y_arr),
        *small_input_lines("t", t_arr),
    ]
    result = _outcome(
        run,
        opts,
        subject=subject,
        setup=setup,
        reproduce=reproduce,
        seed=seed,
        input_label="∂L/∂y (the array backward() returns)",
        kink_at="y",
    )
    return _finish(result, run, raise_on_failure)


# -- check_function ------------------------------------------------------------------------


def _name_of(fn: Callable[..., Any]) -> str:
    """A function's name for the report (no memory address: the same check, the same text)."""
    return str(getattr(fn, "__qualname__", None) or type(fn).__name__)


class _VectorJacobian:
    """A ``vjp(x, g)`` seen as the contract checks see a layer: gradients by name."""

    def __init__(self, vjp: Callable[[Array, Array], Any]) -> None:
        self.vjp = vjp

    def gradients(self, x: Array, G: Array, *, zero: bool = True) -> dict[str, Array]:
        __tracebackhide__ = True
        return {X_NAME: np.array(self.vjp(x.copy(), G.copy()), copy=True)}


def _function_steps(
    run: Run,
    f: Callable[[Array], Any],
    x: Array,
    grad: Callable[[Array], Any] | None,
    vjp: Callable[[Array, Array], Any] | None,
    rng: np.random.Generator,
    opts: Options,
) -> None:
    """Value, gradient, form, numbers, contract: each step appends to ``run.findings``."""
    __tracebackhide__ = True
    run.at("f", "computing f(x)")
    x_seen = x.copy()
    out = f(x_seen)
    try:
        value = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"f(x) must be a number or an array of numbers, got {type(out).__name__}"
        ) from None
    run.add(contract.untouched(X_NAME, x, x_seen))
    run.out_shape = value.shape
    if grad is not None:
        if value.size != 1:
            raise _MisuseError(
                ShapeError(
                    f"check_function: f(x) has shape {shape_str(value.shape)}, but grad= is "
                    f"for f: R^D → R (one number); for f: R^D → R^M pass vjp=(x, g) ↦ gᵀ ∂f/∂x"
                )
            )
        run.value = float(value.reshape(-1)[0])
        G = np.ones(value.shape)
        run.at("grad", "computing grad(x)")
        x_seen = x.copy()
        analytic = grad(x_seen)
        called = "grad"
    else:
        assert vjp is not None
        G = rng.standard_normal(value.shape)
        run.at("vjp", f"computing vjp(x, g) with g of shape {shape_str(G.shape)}")
        x_seen = x.copy()
        analytic = vjp(x_seen, G.copy())
        called = "vjp"
    run.add(contract.untouched(X_NAME, x, x_seen))
    form = contract.check_form(X_NAME, analytic, x.shape, None, f"x {shape_str(x.shape)}",
                               "function")  # fmt: skip
    if form:
        run.add(form)
        return
    run.at("f", "computing numeric derivatives (f at x ± h)")
    x_run = x.copy()
    probe = Probe(x_run, lambda: f(x_run.copy()), G)  # a copy: f may write into its x
    named, what = ("∇f", "∇f(x)") if grad is not None else ("vjp(x, g)", "gᵀ ∂f/∂x")
    _numbers(run, X_NAME, probe, np.asarray(analytic), rng, opts, what=what, batch=None,
             width=None, named=named)  # fmt: skip
    if vjp is not None and opts.contract_checks:
        run.at("vjp", "calling vjp(x, g) for other g (is it linear in g?)")
        first = {X_NAME: np.asarray(analytic)}
        run.findings += contract.linear(_VectorJacobian(vjp), x, G, first, rng, call=called)


@overload
def check_function(
    f: Callable[[Array], Any],
    x: npt.ArrayLike,
    grad: Callable[[Array], Any] | None = ...,
    *,
    raise_on_failure: Literal[True] = ...,
    **options: Unpack[_FunctionKeywords],
) -> None: ...
@overload
def check_function(
    f: Callable[[Array], Any],
    x: npt.ArrayLike,
    grad: Callable[[Array], Any] | None = ...,
    *,
    raise_on_failure: Literal[False],
    **options: Unpack[_FunctionKeywords],
) -> CheckResult: ...


def check_function(
    f: Callable[[Array], Any],
    x: npt.ArrayLike,
    grad: Callable[[Array], Any] | None = None,
    *,
    vjp: Callable[[Array, Array], Any] | None = None,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
    richardson: bool = False,
    kinks: KinkMode = "accept",
    contract_checks: bool = True,
    max_entries: int = 64,
    sampled: int = 12,
    directions: int = 4,
    hints: HintLevel | None = None,
    raise_on_failure: bool = True,
) -> CheckResult | None:
    """Check a plain function's hand-written gradient at ``x``; raise if it is wrong.

    Either ``f: R^D → R`` with ``grad(x)`` returning ``∇f(x)`` (x's shape), or
    ``f: R^D → R^M`` with ``vjp(x, g)`` returning ``gᵀ ∂f/∂x`` (x's shape)
    for an upstream ``g`` of ``f(x)``'s shape: the checker draws
    ``g ~ N(0, 1)`` and compares with the numeric derivatives of ``Σ g ∘ f``,
    and checks that ``vjp`` is linear in ``g``. ``f`` takes the array ``x``
    (any shape) and returns a number or an array; it is called at ``x`` and
    at points a step ``h`` away, never with ``x`` itself (copies), and ``x``
    must come back unchanged from ``f``, ``grad`` and ``vjp``.

    >>> import numpy as np
    >>> f = lambda v: v[0] ** 2 * np.cos(v[0] * v[1])        # the notes' x² cos(xy)
    >>> grad = lambda v: np.array([2 * v[0] * np.cos(v[0] * v[1])
    ...                            - v[0] ** 2 * np.sin(v[0] * v[1]) * v[1],
    ...                            -v[0] ** 3 * np.sin(v[0] * v[1])])
    >>> check_function(f, [1.0, 2.0], grad)                  # quiet when right

    The other keywords are :func:`gradcheck.check_layer`'s; the report, the
    hints and the result are the same as for a layer, with the tensor ``"x"``.
    """
    __tracebackhide__ = True  # a failure shows the caller's line and the report only
    if (grad is None) == (vjp is None):
        raise TypeError("check_function: pass exactly one of grad=(x ↦ ∇f(x)) and vjp=(x, g)")
    opts = Options(rtol, atol, richardson, kinks, None, contract_checks, max_entries,
                   sampled, directions, hints, who="check_function")  # fmt: skip
    rng = _checker_rng(seed)
    try:
        x_arr = _own_copy(x)
    except (TypeError, ValueError):
        got = f"{x!r:.60}"
        why = f"check_function: x must be numbers (an array or a list), got {got}"
        raise TypeError(why) from None
    run = Run(opts.tolerance(x_arr.dtype), "function")
    _attempt(run, lambda: _function_steps(run, f, x_arr, grad, vjp, rng, opts))
    name = _name_of(f)
    subject = f"the function {name}"
    x_desc = f"x of shape {shape_str(x_arr.shape)} ({x_arr.dtype})"
    if grad is not None:
        setup = [
            f"f(x) = {run.value:.6g} at {x_desc}.",
            "grad(x) was compared with central differences (f(x + h) − f(x − h)) / 2h, "
            "h ≈ ∛ε·max(1, |x|).",
        ]
        helper, label = f"grad = {_name_of(grad)}", "∇f (the array grad(x) returns)"
        call = f"check_function(f, x, grad, seed={seed})"
    else:
        assert vjp is not None
        out = shape_str(run.out_shape) if run.out_shape is not None else "(not computed)"
        setup = [
            f"y = f(x) of shape {out} at {x_desc}; g ~ N(0, 1) of y's shape drawn with "
            f"seed {seed}.",
            "vjp(x, g) was compared with central differences of Σ g ∘ f: "
            "(Σ g ∘ f(x + h) − Σ g ∘ f(x − h)) / 2h, h ≈ ∛ε·max(1, |x|).",
        ]
        helper, label = f"vjp = {_name_of(vjp)}", "gᵀ ∂f/∂x (the array vjp(x, g) returns)"
        call = f"check_function(f, x, vjp=vjp, seed={seed})"
    reproduce = [
        f"To reproduce: {call} with f = {name}, {helper} and",
        *small_input_lines("x", x_arr),
    ]
    result = _outcome(
        run,
        opts,
        subject=subject,
        setup=setup,
        reproduce=reproduce,
        seed=seed,
        input_label=label,
        kink_at="x",
    )
    return _finish(result, run, raise_on_failure)
