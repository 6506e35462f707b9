"""Data sets, user files and their errors, splits, standardisation, minibatches."""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import numpy as np
import pytest

from chainrule import DataError, Standardizer, load_dataset, minibatches
from chainrule.data import split_indices


def test_digits_split_is_stratified_and_seeded() -> None:
    a = load_dataset("digits", seed=3)
    b = load_dataset("digits", seed=3)
    c = load_dataset("digits", seed=4)
    assert a.X_train.shape == (1347, 64) and a.X_test.shape == (450, 64)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.y_test, c.y_test)
    # every digit is about a quarter test: 178..183 per class → 44..46 in the test set
    counts = np.bincount(a.y_test, minlength=10)
    assert counts.min() >= 44 and counts.max() <= 46


def test_standardisation_is_fitted_on_train_only() -> None:
    d = load_dataset("digits", seed=0)
    assert d.standardizer is not None
    varying = d.standardizer.scale != 1.0
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(d.X_train[:, varying].std(axis=0), 1.0, rtol=1e-12)
    assert np.abs(d.X_test.mean(axis=0)).max() > 1e-3  # the test set was not used to fit


def test_standardizer_constant_feature_and_inverse() -> None:
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    s = Standardizer.fit(X)
    np.testing.assert_array_equal(s.transform(X), [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(s.inverse_transform(s.transform(X)), X)
    with pytest.raises(DataError, match=r"\(N, 2\)"):
        s.transform(np.ones((2, 3)))


def test_validation_split_and_regression_targets() -> None:
    d = load_dataset("diabetes", seed=0, val_size=0.2)
    assert d.task == "regression" and d.n_outputs == 1
    assert d.X_val is not None and d.y_val is not None
    assert len(d.X_train) + len(d.X_val) + len(d.X_test) == 442
    np.testing.assert_allclose(d.y_train.mean(), 0.0, atol=1e-12)  # targets standardised too


@pytest.mark.parametrize("name", ["spirals", "xor", "moons", "circles"])
def test_toy_sets_are_2d_and_seeded(name: str) -> None:
    a, b = load_dataset(name, seed=1), load_dataset(name, seed=1)
    assert a.n_features == 2 and a.n_outputs >= 2
    np.testing.assert_array_equal(a.X_train, b.X_train)


def test_unknown_name() -> None:
    with pytest.raises(DataError, match=r"unknown data set 'digitz'.*digits"):
        load_dataset("digitz")


def _write(tmp_path: Path, text: str, name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


CSV = "a,b,label\n" + "".join(f"{i},{i % 3},{'yes' if i % 2 else 'no'}\n" for i in range(20))


def test_csv_with_text_labels(tmp_path: Path) -> None:
    d = load_dataset(_write(tmp_path, CSV), seed=0, test_size=0.5)
    assert d.task == "classification" and d.class_names == ["no", "yes"]
    assert d.n_features == 2 and len(d.X_train) == 10


def test_csv_float_labels_mean_regression(tmp_path: Path) -> None:
    text = "x,label\n" + "".join(f"{i},{i * 0.5 + 0.25}\n" for i in range(10))
    d = load_dataset(_write(tmp_path, text), seed=0)
    assert d.task == "regression" and d.y_train.shape[1] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b,target\n1,2,0\n", "no label column 'label'.*'target'.*--label"),
        ("a,label\n1,0\n2,1\nthree,0\n4,1\n", "line 4, column 'a': expected a number, got 'three'"),
        ("a,label\n1,0\n2\n3,0\n4,1\n", "line 3: expected 2 values"),
        ("a,label\n", "header line and at least one data line"),
        ("a,label\n1,0\n2,1\n", "at least 4 samples"),
        ("a,label\n1,0\n2,0\n3,0\n4,0\n", "at least 2 classes"),
        ("a,label\n1,0\nnan,1\n3,0\n4,1\n", "NaN or infinite"),
    ],
)
def test_malformed_csv_is_refused_clearly(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_dataset(_write(tmp_path, text))


def test_npz_file_and_its_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.npz"
    rng = np.random.default_rng(0)
    np.savez(good, X=rng.normal(size=(40, 3)), y=np.arange(40) % 4)
    d = load_dataset(good, seed=0)
    assert d.n_outputs == 4 and d.n_features == 3
    wrong_keys = tmp_path / "keys.npz"
    np.savez(wrong_keys, features=np.ones((4, 2)))
    with pytest.raises(DataError, match=r"expected arrays 'X'.*\['features'\]"):
        load_dataset(wrong_keys)
    objects = tmp_path / "objects.npz"
    np.savez(objects, X=np.array([{"a": 1}] * 4, dtype=object), y=np.zeros(4))
    with pytest.raises(DataError, match=r"member .X. holds object values, not plain numbers"):
        load_dataset(objects)
    with pytest.raises(DataError, match=r"not an \.npz archive"):
        load_dataset(_write(tmp_path, "garbage", "bad.npz"))
    pickled = tmp_path / "p.npz"
    pickled.write_bytes(pickle.dumps({"X": [1, 2]}))
    with pytest.raises(DataError):
        load_dataset(pickled)
    with pytest.raises(DataError, match="no such file"):
        load_dataset(tmp_path / "missing.csv")


def test_split_indices_partition() -> None:
    y = np.repeat(np.arange(3), [10, 20, 30])
    keep, out = split_indices(y, 0.2, seed=0, stratify=True)
    assert np.array_equal(np.sort(np.concatenate([keep, out])), np.arange(60))
    assert np.bincount(y[out]).tolist() == [2, 4, 6]
    with pytest.raises(DataError, match=r"\(0, 1\)"):
        split_indices(y, 1.5, seed=0, stratify=False)


def test_minibatches_cover_every_sample_once_and_shuffle_by_seed() -> None:
    X, y = np.arange(10.0)[:, None], np.arange(10)
    batches = list(minibatches(X, y, 4, np.random.default_rng(0)))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    seen = np.concatenate([b[1] for b in batches])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    np.testing.assert_array_equal(np.concatenate([b[0][:, 0] for b in batches]), seen)
    again = np.concatenate([b[1] for b in minibatches(X, y, 4, np.random.default_rng(0))])
    np.testing.assert_array_equal(seen, again)
    assert [b[1].tolist() for b in minibatches(X, y, 5)] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_mnist1d_offline_no_file_and_global_random_state_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("mnist1d tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.chdir(tmp_path)
    np.random.seed(123)
    random.seed(7)
    expected_np, expected_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(7)
    d = load_dataset("mnist1d")
    assert (np.random.random(), random.random()) == (expected_np, expected_py)
    assert d.X_train.shape == (4000, 40) and d.X_test.shape == (1000, 40)
    assert d.n_outputs == 10
    assert list(tmp_path.iterdir()) == []  # no cached .pkl next to the user's files


def test_digits_are_read_from_sklearns_file_without_importing_it() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from chainrule.data.builtin import digits; X, y = digits(); "
        "print(X.shape, y.shape, 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["(1797,", "64)", "(1797,)", "False"]
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    from chainrule.data.builtin import digits

    X, y = digits()
    bunch = sklearn_datasets.load_digits()
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)
