"""When the checked code itself raises: a report that points at the failing line.

A student's ``backward`` that crashes (a shape mismatch in a matmul, an
``assert``, a typo) is a failed check too. The exception becomes a
:class:`GradcheckError` (chained to the original, so the traceback survives)
whose report names the exception, the line of the user's code that raised it
and what the checker was doing at the time.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import numpy as np

from gradcheck.findings import Finding
from layers.errors import ChainruleError

_NUMPY_DIR = str(Path(np.__file__).parent)
_OUR_DIR = str(Path(__file__).parent)
# The core's input checks raise on behalf of their caller: the line to show is
# the caller's (e.g. a student's `self.W.grad = Xᵀ G`), not the check itself.
_CHECK_FILES = tuple(
    str(Path(__file__).parent.parent / "layers" / name) for name in ("parameter.py", "_checks.py")
)


def _user_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The deepest frame of the traceback outside NumPy, gradcheck and the core's checks."""
    frames = traceback.extract_tb(exc.__traceback__)
    skip = (_NUMPY_DIR, _OUR_DIR)
    mine = [f for f in frames if not f.filename.startswith(skip) and f.filename not in _CHECK_FILES]
    return mine[-1] if mine else (frames[-1] if frames else None)


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
    return Finding(
        "input",
        "raised an exception",
        f"{type(exc).__name__}: {message}",
        details=details,
        hint=(
            "the message above says what was expected and what came"
            if isinstance(exc, ChainruleError)
            else "the layer must run forward(x) and backward(grad_out) for x of shape (N, D) "
            "with any N (also N = 1) and return arrays; read the line above"
        ),
    )
