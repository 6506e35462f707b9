"""Real data sets that need no download: scikit-learn's digits and diabetes, MNIST-1D.

scikit-learn ships digits and diabetes inside the package; MNIST-1D is
generated procedurally by the ``mnist1d`` package from its ten templates
(``make_dataset``, never ``get_dataset``, which would download or write a
pickle). Everything here is imported lazily, so ``import chainrule`` stays
light and these packages are needed only by whoever loads these sets.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chainrule.errors import DataError

Pair = tuple[npt.NDArray[np.float64], npt.NDArray[Any]]


def _require(module: str, data_set: str) -> None:
    raise DataError(
        f"the {data_set} data set needs the {module!r} package, which is not installed; "
        f"install the application's extras with: pip install 'chainrule[app]'"
    )


def _sklearn_data_file(name: str) -> Path | None:
    """A data file scikit-learn ships (``sklearn/datasets/data/NAME``), found without
    importing scikit-learn (which takes 1.5–2 s); ``None`` if it is not there."""
    spec = importlib.util.find_spec("sklearn")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "data" / name
        if path.is_file():
            return path
    return None


def digits() -> Pair:
    """8×8 images of handwritten digits: ``X`` (1797, 64) in 0..16, labels 0..9.

    Read straight from the ``digits.csv.gz`` scikit-learn installs (64 pixel
    columns then the label, as its ``load_digits`` reads it), with NumPy.
    """
    path = _sklearn_data_file("digits.csv.gz")
    if path is not None:
        table = np.loadtxt(path, delimiter=",", dtype=np.float64)
        if table.ndim == 2 and table.shape[1] == 65:
            return np.ascontiguousarray(table[:, :-1]), table[:, -1].astype(np.int64)
    try:
        from sklearn.datasets import load_digits  # type: ignore[import-untyped]
    except ImportError:
        _require("scikit-learn", "digits")
    bunch = load_digits()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


def diabetes() -> Pair:
    """Diabetes progression (regression): ``X`` (442, 10), target ``y`` (442, 1)."""
    try:
        from sklearn.datasets import load_diabetes
    except ImportError:
        _require("scikit-learn", "diabetes")
    bunch = load_diabetes()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, np.float64)[:, None]


def mnist1d() -> tuple[Pair, Pair]:
    """MNIST-1D with the package defaults: 4,000 train and 1,000 test signals of length 40.

    ``make_dataset`` reseeds NumPy's and Python's *global* random generators
    (``np.random.seed(42)``); we save both states and put them back, so loading
    the data never changes the random numbers of the caller's code.
    """
    try:
        from mnist1d.data import get_dataset_args, make_dataset  # type: ignore[import-untyped]
    except ImportError:
        _require("mnist1d", "mnist1d")
    numpy_state = np.random.get_state()
    python_state = random.getstate()
    try:
        data = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
    train = (np.asarray(data["x"], np.float64), np.asarray(data["y"], np.int64))
    test = (np.asarray(data["x_test"], np.float64), np.asarray(data["y_test"], np.int64))
    return train, test
