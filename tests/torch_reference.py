"""Shared helpers for comparisons against PyTorch autograd (skipped without torch)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def assert_rel_close(ours: npt.ArrayLike, theirs: npt.ArrayLike, rel: float = 1e-10) -> None:
    """Assert ``max|ours − theirs| ≤ rel · max(|theirs|)``, shapes and dtypes equal.

    Norm-wise relative error: an entry that is exactly zero in one framework
    and 1e-19 in the other is agreement, not a 100 % error.
    """
    a, b = np.asarray(ours), np.asarray(theirs)
    assert a.shape == b.shape, f"shape {a.shape} != {b.shape}"
    assert a.dtype == b.dtype, f"dtype {a.dtype} != {b.dtype}"
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    err = float(np.max(np.abs(a - b))) if a.size else 0.0
    assert err <= rel * max(scale, np.finfo(b.dtype).tiny), (
        f"max abs error {err:.3e} exceeds {rel:g} × max|reference| = {rel * scale:.3e}"
    )


def to_numpy(t: Any) -> npt.NDArray[Any]:
    """A torch tensor's values as an ndarray."""
    return np.asarray(t.detach().numpy())
