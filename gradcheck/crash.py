"""When the checked code itself raises: a report that points at the failing line.

A student's ``backward`` that crashes (a shape mismatch in a matmul, an
``assert``, a typo) is a failed check too. The exception becomes a
:class:`GradcheckError` (chained to the original, so the traceback survives)
whose report names the exception, the line of the user's code that raised it
and what the checker was doing at the time.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import numpy as np

from gradcheck.findings import Finding
from gradcheck.report import shape_str
from layers.errors import ChainruleError

_NUMPY_DIR = str(Path(np.__file__).parent)
_OUR_DIR = str(Path(__file__).parent)
# The core's input checks raise on behalf of their caller: the line to show is
# the caller's (e.g. a student's `self.W.grad = Xᵀ G`), not the check itself.
_CHECK_FILES = tuple(
    str(Path(__file__).parent.parent / "layers" / name) for name in ("parameter.py", "_checks.py")
)


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


def _transposed(exc: BaseException, line: str) -> tuple[str, str] | None:
    """``(slip, advice)`` when the exception is a gradient written with its shape transposed.

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
    named = re.search(r"Parameter '([^']+)'", message) or re.search(r"(\w+)\.grad\b", line)
    grad = f"{named.group(1)}.grad" if named else "the gradient"
    # The Parameter's message says expected (p), got (g); NumPy's: from (g) into (p).
    got, expected = pair[::-1] if "looks transposed" in message else pair
    slip = (
        f"the array written into {grad} has shape {shape_str(got)}, the transpose of "
        f"{shape_str(expected)}: a product in the wrong order"
    )
    return (
        slip,
        "a gradient has the shape of what it is the gradient of (for ∇_W L: Gᵀ X, not Xᵀ G)",
    )


def crash_finding(phase: str, exc: BaseException) -> Finding:
    """The finding for an exception raised while ``phase`` (e.g. ``"running backward(G)"``)."""
    message = str(exc).strip() or "(no message)"
    details = []
    frame = _user_frame(exc)
    if frame is not None:
        details.append(f"raised at {Path(frame.filename).name}:{frame.lineno}, in {frame.name}:")
        if frame.line:
            details.append(f"    {frame.line.strip()}")
    details.append(f"while {phase}")
    transposed = _transposed(exc, (frame.line or "") if frame is not None else "")
    summary = f"{type(exc).__name__}: {message}"
    # Our own errors may end in advice that quotes the answer: cut it for the bare summary.
    bare = summary.split(": check the order of the product")[0]
    if isinstance(exc, NotImplementedError):
        where = f"`{frame.name}`" if frame is not None else "the function that raised"
        said = f"({str(exc).strip()!r})" if str(exc).strip() else ""
        hint = slip = f"{where} is not written yet: it still raises NotImplementedError{said}"
    elif isinstance(exc, ChainruleError):
        hint = slip = "the message above says what was expected and what came"
        if transposed:
            slip = transposed[0]
    elif transposed:
        slip = transposed[0]
        hint = f"{slip}; {transposed[1]}"
    else:
        hint = slip = (
            "the layer must run forward(x) and backward(grad_out) for x of shape (N, D) "
            "with any N (also N = 1) and return arrays; read the line above"
        )
    return Finding(
        "input",
        "raised an exception",
        summary,
        details=details,
        hint=hint,
        slip=slip,
        bare_summary=bare if bare != summary else None,
    )
