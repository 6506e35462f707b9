"""The command line: train --json, evaluate, predict, trace, errors, python -m chainrule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chainrule.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def _json_out(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # exactly one JSON object, nothing else
    result: dict[str, Any] = json.loads(out)
    return result


def test_train_json_writes_checkpoint_metrics_and_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    argv = ["train", "--data", "spirals", "--hidden", "16", "--epochs", "3", "--out", str(out),
            "--json", "--val-size", "0.2"]  # fmt: skip
    result = _json_out(capsys, argv)
    assert 0.0 <= float(result["test_accuracy"]) <= 1.0
    paths = result["paths"]
    assert isinstance(paths, dict)
    for key in ("checkpoint", "metrics", "curves_png", "confusion_png", "decision_boundary_png"):
        assert Path(paths[key]).is_file(), key
    for key in ("curves_png", "confusion_png", "decision_boundary_png"):
        assert Path(paths[key]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] == result["test_accuracy"]
    assert len(metrics["history"]["val_loss"]) == 3 and metrics["config"]["hidden"] == [16]

    # evaluate rebuilds the same split from the checkpoint: the same number
    again = _json_out(capsys, ["evaluate", str(out / "model.npz"), "--json"])
    assert again["test_accuracy"] == result["test_accuracy"]


def test_same_seed_same_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["train", "--data", "moons", "--hidden", "8", "--epochs", "2", "--json", "--no-plots"]
    a = _json_out(capsys, [*argv, "--out", str(tmp_path / "a")])
    b = _json_out(capsys, [*argv, "--out", str(tmp_path / "b")])
    assert a["test_loss"] == b["test_loss"]
    with np.load(tmp_path / "a/model.npz") as fa, np.load(tmp_path / "b/model.npz") as fb:
        for key in ("layers.0.W", "layers.0.b", "layers.2.W", "layers.2.b"):
            np.testing.assert_array_equal(fa[key], fb[key])


def test_human_output_and_predict_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"{i % 7},{(i * 3) % 5},{'odd' if i % 2 else 'even'}\n" for i in range(40))
    data = tmp_path / "d.csv"
    data.write_text("a,b,kind\n" + rows)
    out = tmp_path / "run"
    argv = ["train", "--data", str(data), "--label", "kind", "--hidden", "4", "--epochs", "2",
            "--optimizer", "adam", "--dtype", "float32", "--out", str(out), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "test accuracy" in text and str(out / "model.npz") in text
    new = tmp_path / "new.csv"
    new.write_text("a,b\n1,2\n3,4\n")
    result = _json_out(capsys, ["predict", str(out / "model.npz"), str(new), "--json"])
    assert len(result["predictions"]) == 2
    assert set(result["predictions"]) <= {"even", "odd"}
    assert main(["predict", str(out / "model.npz"), str(new)]) == 0
    assert len(capsys.readouterr().out.split()) == 2


def test_regression_train_and_predict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    argv = ["train", "--data", "diabetes", "--hidden", "8", "--epochs", "2", "--json",
            "--out", str(out), "--no-plots"]  # fmt: skip
    result = _json_out(capsys, argv)
    assert {"test_r2", "test_mse", "test_loss"} <= set(result)
    feats = tmp_path / "x.npz"
    np.savez(feats, X=np.zeros((3, 10)))
    pred = _json_out(capsys, ["predict", str(out / "model.npz"), str(feats), "--json"])
    values = np.asarray(pred["predictions"])
    assert values.shape == (3, 1) and 25 < values.mean() < 346  # back in the target's units


def test_trace_prints_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md = tmp_path / "t.md"
    assert main(["trace", "--x", "[1, 2]", "--w1", "[[2, -1], [0, 0]]", "--w2", "[[1, 1]]",
                 "--t", "[0]", "--out", str(md)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "| 9 | ∇_W⁽¹⁾ L = (∇_z L) xᵀ | (2, 2) | [0.5, 1; 0.5, 1] |" in text
    assert md.read_text(encoding="utf-8") == text
    result = _json_out(capsys, ["trace", "--json"])
    assert result["L"] == pytest.approx(0.0625)


def test_errors_are_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--data", "nope", "--out", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("chainrule train: error: unknown data set 'nope'")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    assert main(["evaluate", str(bad)]) == 1
    assert "refusing" in capsys.readouterr().err
    assert main(["trace", "--x", "[1, 2, 3]"]) == 1
    assert main([]) == 2


def test_defaults_are_the_main_job() -> None:
    args = build_parser().parse_args(["train"])
    assert (args.data, args.hidden, args.epochs, args.optimizer) == ("digits", [256], 30, "sgd")


def test_python_dash_m(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chainrule", "trace"], cwd=ROOT, capture_output=True, text=True,
        check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "| 4 | L = ‖y − t‖² | scalar | 0.0625 | loss |" in done.stdout


def test_assignment_subcommand_is_registered_when_present(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse
    import types

    def register(subparsers: Any) -> None:
        p = subparsers.add_parser("assignment", help="fake")
        p.set_defaults(func=lambda args: print("assignment ran") or 0)

    fake = types.ModuleType("chainrule.assignment.cli")
    fake.register = register  # type: ignore[attr-defined]
    monkeypatch.setitem(
        sys.modules, "chainrule.assignment", types.ModuleType("chainrule.assignment")
    )
    monkeypatch.setitem(sys.modules, "chainrule.assignment.cli", fake)
    assert isinstance(build_parser(), argparse.ArgumentParser)
    assert main(["assignment"]) == 0
    assert capsys.readouterr().out == "assignment ran\n"


def test_import_chainrule_stays_light() -> None:
    # The autograder imports chainrule too: no scikit-learn, matplotlib, tqdm or mnist1d.
    code = (
        "import sys, chainrule, chainrule.cli; "
        "print(sorted(m for m in ('sklearn', 'matplotlib', 'tqdm', 'mnist1d', 'scipy') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
