"""A class of 30 "backprop by hand" submissions, graded by one ``grade-all`` and one by one.

Builds the class (correct ones, each typical mistake, pairs of mistakes, an
infinite loop, crashes, the untouched starter, empty submissions, zips, a
hostile zip), then times::

    chainrule assignment grade-all CLASS --tests DIST/autograder/tests --out OUT
    chainrule assignment grade SUB --tests ... --results R.json     (for each SUB)

and checks that every total and every test's score agree.

    python benchmarks/grade_all_class.py WORKDIR [--timeout 20]

``WORKDIR`` gets ``dist/`` (the made assignment), ``class/``, ``out/`` and
``one_by_one/``; the timings are printed and written to ``WORKDIR/timings.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "assignments" / "backprop_by_hand"

# (module, right code, wrong code): one typical mistake each.
MISTAKES = {
    "sign": ("linear", "self.W.grad[...] = G.T @ X", "self.W.grad[...] = -(G.T @ X)"),
    "transpose": ("linear", "self.W.grad[...] = G.T @ X", "self.W.grad = X.T @ G"),
    "no_bias": ("linear", "self.b.grad[...] = G.sum(axis=0)", "pass"),
    "accumulates": ("linear", "self.W.grad[...] = G.T @ X", "self.W.grad += G.T @ X"),
    "factor2": ("losses", "2.0 * (Y - T) * _scale", "(Y - T) * _scale"),
    "mean_sum": ("losses", "(p - T) * _scale(self.reduction, p.shape[0])", "(p - T)"),
    "softmax_diag": ("softmax", "grad_z: Array = p * (g - g_dot_p)",
                     "grad_z: Array = g * p * (1 - p)"),
    "sigmoid_sign": ("sigmoid", "g * h * (1.0 - h)", "-g * h * (1.0 - h)"),
    "sigmoid_no_g": ("sigmoid", "g * h * (1.0 - h)", "h * (1.0 - h)"),
    "sgd_plus": ("sgd", "p.value -= self.lr * v", "p.value += self.lr * v"),
    "sgd_no_momentum": ("sgd", "v *= self.momentum", "v *= 0.0"),
}  # fmt: skip
SPECIAL = {
    "loops": ("sigmoid", "grad_z: Array = g * h * (1.0 - h)  # SOLUTION",
              "while True:\n            pass"),
    "exits": ("softmax", "import numpy as np", "import numpy as np\nimport os\nos._exit(1)"),
    "segfault": ("sgd", "v *= self.momentum", "__import__('ctypes').string_at(0)"),
    "import_error": ("losses", "import numpy as np", "import numpy as np\nimport no_such_module"),
}  # fmt: skip


def _edit(folder: Path, module: str, right: str, wrong: str) -> None:
    path = folder / "backprop" / f"{module}.py"
    text = path.read_text()
    assert right in text, (module, right)
    path.write_text(text.replace(right, wrong, 1))


def _zip_folder(folder: Path, zip_path: Path, prefix: str = "") -> None:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*.py")):
            zf.write(path, prefix + path.relative_to(folder).as_posix())
    shutil.rmtree(folder)


def build_class(dist: Path, root: Path) -> list[str]:
    """Write 30 submissions into ``root``; return their ids."""
    root.mkdir(parents=True)
    solution = dist / "autograder" / "solution" / "backprop"
    starter = dist / "student" / "backprop"

    def copy(name: str, source: Path = solution, inside: str = "") -> Path:
        shutil.copytree(source, root / name / inside / "backprop")
        return root / name / inside

    for i in range(3):
        copy(f"correct_{i}")
    copy("correct_nested", inside="hw1")  # an extra folder: the grader finds the files
    for name, (module, right, wrong) in {**MISTAKES, **SPECIAL}.items():
        _edit(copy(name), module, right, wrong)
    pairs = [("sign", "factor2"), ("no_bias", "softmax_diag"), ("sigmoid_sign", "mean_sum"),
             ("accumulates", "sgd_plus"), ("transpose", "sigmoid_no_g"),
             ("factor2", "sgd_no_momentum"), ("sign", "sigmoid_sign")]  # fmt: skip
    for a, b in pairs:
        folder = copy(f"{a}+{b}")
        _edit(folder, *MISTAKES[a])
        _edit(folder, *MISTAKES[b])
    copy("starter", starter)
    (root / "empty").mkdir()
    copy("zipped")
    _zip_folder(root / "zipped", root / "zipped.zip", prefix="my_work/")
    with zipfile.ZipFile(root / "zip_slip.zip", "w") as zf:
        zf.writestr("../../backprop/linear.py", "x = 1\n")
    ids = sorted(p.name.removesuffix(".zip") for p in root.iterdir())
    assert len(ids) == 30, len(ids)
    return ids


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "chainrule.assignment", *args]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--timeout", default="20")
    args = parser.parse_args()
    work: Path = args.workdir.resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    dist = work / "dist"
    subprocess.run(_cli("make", str(SRC), "--out", str(dist), "--no-starter-check",
                        "--no-grader-wheels"),
                   check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
    ids = build_class(dist, work / "class")
    tests = dist / "autograder" / "tests"

    start = time.perf_counter()
    subprocess.run(_cli("grade-all", str(work / "class"), "--tests", str(tests), "--out",
                        str(work / "out"), "--timeout", args.timeout),
                   check=True, env=env, cwd=ROOT)  # fmt: skip
    at_once = time.perf_counter() - start

    alone: dict[str, float] = {}
    start = time.perf_counter()
    for sub in sorted((work / "class").iterdir()):
        sid = sub.name.removesuffix(".zip")
        folder = sub
        if sub.suffix == ".zip":  # as an instructor would: unzip, then grade
            folder = work / "unzipped" / sid
            try:
                with zipfile.ZipFile(sub) as zf:
                    if any(".." in n for n in zf.namelist()):
                        raise ValueError("zip slip")
                    zf.extractall(folder)
            except ValueError:
                alone[sid] = 0.0
                continue
        if not any(folder.rglob("*.py")):
            alone[sid] = 0.0
            continue
        out = work / "one_by_one" / f"{sid}.json"
        subprocess.run(_cli("grade", str(folder), "--tests", str(tests), "--results", str(out),
                            "--quiet", "--timeout", args.timeout),
                       env=env, cwd=ROOT, check=False)  # fmt: skip
        alone[sid] = float(json.loads(out.read_text())["score"])
    one_by_one = time.perf_counter() - start

    with open(work / "out" / "grades.csv", newline="") as f:
        together = {row["id"]: float(row["total"]) for row in csv.DictReader(f)}
    differ = {k: (together.get(k), alone.get(k)) for k in ids if together.get(k) != alone.get(k)}
    timings = {"submissions": len(ids), "cpus": os.cpu_count(), "grade_all_s": round(at_once, 1),
               "one_by_one_s": round(one_by_one, 1), "totals_differ": differ,
               "totals": together}  # fmt: skip
    (work / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print(json.dumps({k: v for k, v in timings.items() if k != "totals"}, indent=2))
    return 0 if not differ else 1


if __name__ == "__main__":
    raise SystemExit(main())
