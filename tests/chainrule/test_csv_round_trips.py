"""Ordinary CSVs as users meet them, through the command line, from other directories."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from chainrule import DataError, load_dataset
from chainrule.cli import main

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("setosa", "versicolor", "virginica")


def _rows(n: int = 60) -> list[tuple[float, float, float, str]]:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        k = i % 3
        a, b, c = rng.normal(loc=(2.0 * k, -k, 0.5 * k), scale=0.3)
        rows.append((round(a, 3), round(b, 3), round(c, 3), KINDS[k]))
    return rows


def _write(
    path: Path,
    header: str | None,
    rows: list[tuple[float, float, float, str]],
    label_first: bool = False,
) -> Path:
    lines = [] if header is None else [header]
    for a, b, c, kind in rows:
        lines.append(f"{kind},{a},{b},{c}" if label_first else f"{a},{b},{c},{kind}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_header_and_label_by_name_or_number_give_the_same_data(tmp_path: Path) -> None:
    rows = _rows()
    named = load_dataset(_write(tmp_path / "h.csv", "a,b,c,species", rows), label="species")
    by_number = load_dataset(tmp_path / "h.csv", label="3")
    from_end = load_dataset(tmp_path / "h.csv", label="-1")
    bare = load_dataset(_write(tmp_path / "n.csv", None, rows), label="3")
    first = load_dataset(_write(tmp_path / "f.csv", None, rows, label_first=True), label="0")
    for d in (by_number, from_end, bare, first):
        np.testing.assert_array_equal(d.X_train, named.X_train)
        np.testing.assert_array_equal(d.y_test, named.y_test)
        assert d.class_names == list(KINDS)
    assert len(named.X_train) + len(named.X_test) == 60  # no row became a header


def test_quoted_cells_bom_blank_lines_and_spaces(tmp_path: Path) -> None:
    text = '\ufeff"a","b","label"\n\n1, 2,"yes, really"\n3,4 ,no\n\n5,6,"yes, really"\n7,8,no\n'
    d = load_dataset(_write_text(tmp_path / "q.csv", text), test_size=0.5)
    assert d.class_names == ["no", "yes, really"] and d.n_features == 2


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "label", "message"),
    [
        ("1,2,0\n3,4,1\n", "label", "first line is data, not a header.*--label 2 for the last"),
        ("a,b\n1,0\n", "5", "label column 5 does not exist; the file has 2 columns"),
        ("a,b,a\n1,2,0\n", "a", "the header names 'a' 2 times"),
        ("a,label\n1,x\n2,y\n3,\n4,x\n", "label", "line 4: the label is empty"),
    ],
)
def test_label_column_errors(tmp_path: Path, text: str, label: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_dataset(_write_text(tmp_path / "e.csv", text), label=label)


@dataclass
class Ran:
    """What a user sees from one ``chainrule`` command."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def chainrule(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Ran]:
    """``chainrule ARGV`` typed in the folder ``cwd`` (run in-process: no interpreter start)."""

    def run(cwd: Path, *argv: str) -> Ran:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        status = main(list(argv))
        out, err = capsys.readouterr()
        return Ran(status, out, err)

    return run


@pytest.mark.parametrize("label", ["species", "3"])
def test_train_here_evaluate_and_predict_elsewhere(
    tmp_path: Path, label: str, chainrule: Callable[..., Ran]
) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    header = "a,b,c,species" if label == "species" else None
    _write(project / "iris.csv", header, _rows())
    trained = chainrule(project, "train", "--data", "iris.csv", "--label", label, "--hidden", "8",
                         "--epochs", "20", "--no-plots", "--out", "run", "--json")  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    accuracy = json.loads(trained.stdout)["test_accuracy"]
    metrics = json.loads((project / "run" / "metrics.json").read_text())
    assert metrics["config"]["lr"] == 0.05  # the rate used, never null
    model = str(project / "run" / "model.npz")

    refused = chainrule(elsewhere, "evaluate", model)
    assert refused.returncode == 1 and refused.stdout == ""
    assert f"--data {project / 'iris.csv'}" in refused.stderr, refused.stderr

    again = chainrule(elsewhere, "evaluate", model, "--data", "../project/iris.csv", "--json")
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert json.loads(again.stdout)["test_accuracy"] == accuracy

    # predict drops the label column it was trained with, wherever it is
    predicted = chainrule(elsewhere, "predict", model, "../project/iris.csv")
    assert predicted.returncode == 0, predicted.stderr
    assert set(predicted.stdout.split()) <= set(KINDS) and len(predicted.stdout.split()) == 60
    _write(elsewhere / "new.csv", None, _rows(6))
    features_only = elsewhere / "features.csv"
    features_only.write_text(
        "\n".join(
            ",".join(line.split(",")[:3]) for line in (elsewhere / "new.csv").read_text().split()
        )
    )
    for new in ("new.csv", "features.csv"):
        done = chainrule(elsewhere, "predict", model, new)
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.split()) == 6


def test_a_changed_file_is_said_to_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _write(tmp_path / "d.csv", "a,b,c,label", _rows())
    out = tmp_path / "run"
    assert main(["train", "--data", str(data), "--hidden", "4", "--epochs", "1", "--no-plots",
                 "--quiet", "--out", str(out)]) == 0  # fmt: skip
    capsys.readouterr()
    _write(data, "a,b,c,label", _rows()[::-1])
    assert main(["evaluate", str(out / "model.npz"), "--data", str(data)]) == 0
    assert "is not the file the model was trained on" in capsys.readouterr().err


def test_piping_into_head_ends_quietly(tmp_path: Path, chainrule: Callable[..., Ran]) -> None:
    """The real command in a subprocess whose reader goes away, as `chainrule ... | head -1`."""
    data = _write(tmp_path / "d.csv", "a,b,c,label", _rows())
    assert chainrule(tmp_path, "train", "--data", "d.csv", "--hidden", "4", "--epochs", "1",
                     "--no-plots", "--quiet", "--out", "run").returncode == 0  # fmt: skip
    many = tmp_path / "many.csv"
    many.write_text("a,b,c\n" + "1.5,-0.5,0.25\n" * 40_000)  # ~400 KB of predictions
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    reader = subprocess.Popen(
        [sys.executable, "-m", "chainrule", "predict", "run/model.npz", str(many)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert reader.stdout is not None and reader.stderr is not None
    with reader.stdout, reader.stderr:
        reader.stdout.readline()
        reader.stdout.close()  # what `| head -1` does
        err = reader.stderr.read().decode()
    assert reader.wait(timeout=60) == 141 and err == "", err
    assert data.exists()


def test_predict_on_an_npz_without_rows_says_so(
    tmp_path: Path, chainrule: Callable[..., Ran]
) -> None:
    _write(tmp_path / "d.csv", "a,b,c,species", _rows())
    trained = chainrule(tmp_path, "train", "--data", "d.csv", "--label", "species", "--hidden",
                        "4", "--epochs", "1", "--no-plots", "--quiet", "--out", "run")  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    np.savez(tmp_path / "empty.npz", X=np.zeros((0, 3)))
    ran = chainrule(tmp_path, "predict", "run/model.npz", "empty.npz")
    assert ran.returncode == 1 and "X has no rows (shape (0, 3))" in ran.stderr, ran.stderr
