"""The ready assignment "backprop by hand": made, graded in Gradescope's layout, and
each typical student mistake losing exactly the points of the tests it breaks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chainrule.assignment.grade import grade
from chainrule.assignment.make import MakeReport, make
from chainrule.assignment.results import validate

SRC = Path(__file__).resolve().parents[2] / "assignments" / "backprop_by_hand"
TESTS = SRC / "tests"
# Modules backprop/train.py imports: a mistake in one of them reaches test_train.py too.
USED_BY_TRAIN = {"linear", "sigmoid", "losses", "sgd"}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MakeReport]:
    """The assignment, made once (with the framework's wheel) for the tests below."""
    out = tmp_path_factory.mktemp("backprop") / "dist"
    return out, make(SRC, out, check_starter=False, grader_wheels=False)


def test_make_writes_the_student_version(dist: tuple[Path, MakeReport]) -> None:
    out, report = dist
    assert report.solutions == 7 and report.hidden == 4 and report.points == 27
    student = out / "student"
    # The student version imports, and every stub raises NotImplementedError.
    probe = """
import json, numpy as np
from backprop.linear import Linear
from backprop.sigmoid import Sigmoid
from backprop.softmax import Softmax
from backprop.losses import MSELoss, SoftmaxCrossEntropyLoss as CE
from backprop.sgd import SGD
from backprop.train import train_step, build_net, circle_data
X, T, labels = circle_data(4)
calls = {
    "Linear": lambda: (lambda l: (l.forward(X), l.backward(np.ones((4, 3)))))(Linear(2, 3)),
    "Sigmoid": lambda: (lambda l: (l.forward(X), l.backward(X)))(Sigmoid()),
    "Softmax": lambda: (lambda l: (l.forward(X), l.backward(X)))(Softmax()),
    "MSELoss": lambda: (lambda l: (l.forward(X, T), l.backward()))(MSELoss()),
    "SoftmaxCE": lambda: (lambda l: (l.forward(X, labels), l.backward()))(CE()),
    "SGD": lambda: SGD(Linear(2, 3).parameters(), lr=0.1).step(),
    "train_step": lambda: train_step(None, None, None, X, T),
}
raised = {}
for name, call in calls.items():
    try:
        call()
        raised[name] = "nothing"
    except NotImplementedError as exc:
        raised[name] = str(exc)
print(json.dumps(raised))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(student), str(SRC.parents[1])])}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=student, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    raised = json.loads(done.stdout)
    assert raised["Linear"].startswith("Linear.backward: fill self.W.grad and self.b.grad")
    assert raised["Softmax"] == (
        "Softmax.backward: return the gradient w.r.t. z (the full Jacobian, not just its diagonal)"
    )
    assert raised["Sigmoid"] == "Sigmoid.backward: compute grad_z"
    assert "nothing" not in raised.values()

    # Hidden tests are gone from the student's copy, and only they are.
    def names(folder: Path) -> set[str]:
        return {m for p in folder.glob("test_*.py") for m in re.findall(r"^def (test_\w+)",
                p.read_text(), re.MULTILINE)}  # fmt: skip

    hidden = {"test_linear_many_shapes", "test_sigmoid_backward_extreme_inputs",
              "test_softmax_many_shapes", "test_fit_trains_the_notes_net"}  # fmt: skip
    assert names(out / "autograder" / "tests") - names(student / "tests") == hidden
    assert "README.md" in os.listdir(student)


def test_run_autograder_in_gradescope_layout_gives_the_solution_full_marks(
    dist: tuple[Path, MakeReport], tmp_path: Path
) -> None:
    out, report = dist
    root = tmp_path / "autograder"
    with zipfile.ZipFile(out / "autograder" / "autograder.zip") as zf:
        zf.extractall(root / "source")
        # The solution ships: gradcheck differentiates its forward passes, in a
        # process the student's code cannot reach (the attack suite checks that).
        assert any(n.startswith("solution/backprop/") for n in zf.namelist())
        for info in zf.infolist():  # keep the modes, as Gradescope's unzip does
            (root / "source" / info.filename).chmod(info.external_attr >> 16 & 0o777)
    shutil.copytree(out / "autograder" / "solution" / "backprop", root / "submission" / "backprop")
    # Install the framework from the wheel in the zip (no dependencies: numpy,
    # pytest and hypothesis come from this interpreter), as setup.sh would.
    wheel = root / "source" / "wheels" / str(report.wheel)
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(site), str(wheel)], check=True,
    )  # fmt: skip
    for package in ("layers", "losses", "optim", "gradcheck", "chainrule/assignment"):
        assert (site / package / "__init__.py").is_file() or (site / package).is_dir(), package
    run = root / "source" / "run_autograder"
    assert os.access(run, os.X_OK)
    for script in (run, root / "source" / "setup.sh"):  # setup.sh would install: parse only
        subprocess.run(["bash", "-n", str(script)], check=True)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
           "PYTHONPATH": str(site)}  # fmt: skip
    done = subprocess.run(["bash", str(run)], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert validate(results) == []
    assert results["score"] == 27.0, results["output"]
    assert all(t["status"] == "passed" for t in results["tests"])
    assert len(results["tests"]) == 14


# Each mistake: (file, correct code, wrong code, the tests it breaks, the gradient the
# report's first line must name, and a word of gradcheck's hint).
LINEAR = {"test_linear_backward", "test_linear_many_shapes", "test_fit_trains_the_notes_net"}
MISTAKES = {
    "sign": ("linear", "self.W.grad[...] = G.T @ X", "self.W.grad[...] = -(G.T @ X)",
             LINEAR, "the gradient of W", "negated"),
    # Assigning a gradient of the wrong shape is refused at once by Parameter.grad,
    # whose ShapeError says it looks transposed.
    "transpose": ("linear", "self.W.grad[...] = G.T @ X", "self.W.grad = X.T @ G",
                  LINEAR, "backward raised ShapeError", "transposed"),
    "missing factor 2": ("losses", "2.0 * (Y - T) * _scale", "(Y - T) * _scale",
                         {"test_mse_backward_mean", "test_mse_backward_sum",
                          "test_fit_trains_the_notes_net"}, "MSELoss", "factor 2"),
    "dropped bias gradient": ("linear", "self.b.grad[...] = G.sum(axis=0)", "pass",
                              LINEAR, "the gradient of b", "all zeros"),
    "diagonal softmax Jacobian": ("softmax", "grad_z: Array = p * (g - g_dot_p)",
                                  "grad_z: Array = g * p * (1 - p)",
                                  {"test_softmax_backward", "test_softmax_many_shapes"},
                                  "∂L/∂x", "diagonal"),
    "mean/sum mix-up": ("losses", "(p - T) * _scale(self.reduction, p.shape[0])", "(p - T)",
                        {"test_softmax_cross_entropy_backward_mean"}, "∂L/∂y", "mean/sum"),
    "accumulating backward": ("linear", "self.W.grad[...] = G.T @ X", "self.W.grad += G.T @ X",
                              LINEAR, "the gradient of W", "adds to W.grad"),
}  # fmt: skip


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_each_typical_mistake_loses_exactly_the_points_of_the_tests_it_breaks(
    mistake: str, tmp_path: Path
) -> None:
    module, right, wrong, broken, gradient, hint = MISTAKES[mistake]
    sub = tmp_path / "submission"
    shutil.copytree(SRC / "backprop", sub / "backprop")
    path = sub / "backprop" / f"{module}.py"
    assert path.read_text().count(right) == 1
    path.write_text(path.read_text().replace(right, wrong))
    # Only test files that import the module can change score; check that, then grade them.
    touched = [f"test_{module}.py" if module != "losses" else "test_losses.py"]
    if module in USED_BY_TRAIN:
        touched.append("test_train.py")
    for other in TESTS.glob("test_*.py"):
        if other.name not in touched:
            assert f"backprop.{module}" not in other.read_text()
            assert module not in USED_BY_TRAIN or "backprop.train" not in other.read_text()
    results = grade(sub, TESTS, only=touched, timeout=60)
    assert validate(results) == []
    tests = {t["name"].split(":")[0]: t for t in results["tests"]}
    lost = {name for name, t in tests.items() if t["status"] == "failed"}
    assert lost == broken
    assert results["score"] == sum(t["max_score"] for t in tests.values()) - sum(
        tests[name]["max_score"] for name in broken
    )
    for name in broken - {"test_fit_trains_the_notes_net"}:
        output = tests[name]["output"]
        headline, _, rest = output.partition("\n")
        assert headline.startswith("GradcheckError: Gradient check failed for "), output
        assert gradient in headline, output
        hints = [
            line for line in rest.splitlines() if line.strip().startswith(("Hint:", "ShapeError:"))
        ]
        assert any(hint in line for line in hints), output
        # The grader's default feedback names the slip, never the answer (the student's
        # own lines, quoted where their code raised, are theirs to see).
        for answer in ("G.sum(axis=0)", "Gᵀ X", "p ∘ (g", "2(y − t)", "p − T"):
            assert not any(answer in line for line in hints), (answer, output)
    if "test_fit_trains_the_notes_net" in broken:
        assert "the other tests say which" in tests["test_fit_trains_the_notes_net"]["output"] or (
            "Where, in your code" in tests["test_fit_trains_the_notes_net"]["output"]
        )
