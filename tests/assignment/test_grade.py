"""The grader: full marks for a correct submission, and a complete results.json whatever
the submission does (loops, crashes, exits, warns, is incomplete or misplaced)."""

from __future__ import annotations

import ast
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chainrule.assignment.cli import main
from chainrule.assignment.grade import grade
from chainrule.assignment.markers import strip_solutions
from chainrule.assignment.results import validate

MINIMAL = Path(__file__).resolve().parents[2] / "assignments" / "minimal"
TESTS = MINIMAL / "tests"
Submit = Callable[[dict[str, str]], Path]


@pytest.fixture
def submit(tmp_path: Path) -> Submit:
    """Write a submission from {relative path: source}, starting from the minimal solution."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "submission"
        shutil.copytree(MINIMAL / "calc", root / "calc", dirs_exist_ok=True)
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        return root

    return write


def by_function(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert validate(results) == [], validate(results)
    return {t["name"].split(":")[0]: t for t in results["tests"]}


def test_correct_submission_gets_full_marks() -> None:
    results = grade(MINIMAL, TESTS, timeout=30)
    tests = by_function(results)
    assert results["score"] == 5.0 == sum(t["max_score"] for t in tests.values())
    assert {t["status"] for t in tests.values()} == {"passed"}
    assert tests["test_double"]["name"] == "test_double: double(3) is 6."
    assert tests["test_double_negative"]["visibility"] == "after_published"
    assert tests["test_double"]["visibility"] == "visible"
    assert isinstance(results["execution_time"], float)


def test_infinite_loop_and_import_crash_cost_only_the_tests_they_touch(submit: Submit) -> None:
    sub = submit(
        {
            # A loop that never ends (sleeping: same timeout path, without eating the CPU
            # the other tests need; the timeout leaves room for a loaded machine).
            "calc/ops.py": "import time\n\ndef double(x):\n    while True:\n"
            "        time.sleep(0.01)\n\ndef square(x):\n    return x * x\n",
            "calc/other.py": "import numpy as np\n\nWEIGHTS = np.ones(3) @ np.ones(4)\n\n"
            "def triple(x):\n    return 3 * x\n",
        }
    )
    tests = by_function(grade(sub, TESTS, timeout=4))
    assert {k: t["score"] for k, t in tests.items()} == {
        "test_double": 0.0,
        "test_square": 1.0,
        "test_double_negative": 0.0,
        "test_triple": 0.0,
    }
    assert tests["test_double"]["output"].startswith("Timed out after 4 s")
    triple = tests["test_triple"]["output"]
    assert "could not import your code" in triple
    assert 'File "calc/other.py", line 3' in triple and "ValueError: matmul" in triple
    assert "importlib" not in triple  # the student's frames only


def test_wrong_answers_exit_and_warnings(submit: Submit) -> None:
    """Failures say what and where, never with a hidden test's source; a stray warning
    (or a print to stderr) costs nothing; os._exit costs only the tests that reach it."""
    sub = submit(
        {
            "calc/ops.py": "import sys, warnings\nimport numpy as np\n"
            "warnings.warn('imported!')\n\n"
            "def double(x):\n    return helper(x)\n\n"
            "def helper(x):\n    return x + x + 1\n\n"
            "def square(x):\n    print('debug', file=sys.stderr)\n    np.exp(1000.0)\n"
            "    return x * x\n",
            "calc/other.py": "import os\n\ndef triple(x):\n    os._exit(0)\n",
        }
    )
    results = grade(sub, TESTS, timeout=30)
    tests = by_function(results)
    assert {k: t["score"] for k, t in tests.items()} == {
        "test_double": 0.0,
        "test_square": 1.0,
        "test_double_negative": 0.0,
        "test_triple": 0.0,
    }
    # Hidden tests: neither their names nor how many failed, until grades are published.
    assert results["output"] == (
        "Visible tests: 1 / 4 points over 3 tests. Not passed: test_double, test_triple. "
        "Hidden tests are graded too; their results appear when grades are published."
    )
    visible = tests["test_double"]["output"]
    assert visible.startswith("AssertionError: double(3) should be 6, got 7")
    hidden = tests["test_double_negative"]["output"]
    assert hidden.startswith("AssertionError: double(-4) is wrong")
    text = json.dumps(results)
    assert "hidden_detail" not in text  # no line of the hidden test's source...
    assert "== -8" not in text  # ...not even through pytest's rewriting of its assert
    square = tests["test_square"]["output"]
    assert "RuntimeWarning: overflow encountered in exp (calc/ops.py, line 13)" in square
    assert "UserWarning: imported!" in square
    assert "exited (code 0) in the middle of the test" in tests["test_triple"]["output"]


def test_misplaced_and_missing_files_use_the_starter(tmp_path: Path, submit: Submit) -> None:
    starter = tmp_path / "starter" / "calc"
    starter.mkdir(parents=True)
    for name in ("__init__.py", "ops.py", "other.py"):
        starter.joinpath(name).write_text(strip_solutions((MINIMAL / "calc" / name).read_text())[0])
    sub = tmp_path / "upload"
    (sub / "hw3" / "calc").mkdir(parents=True)
    (sub / "hw3" / "calc" / "ops.py").write_text((MINIMAL / "calc" / "ops.py").read_text())
    results = grade(sub, TESTS, starter=tmp_path / "starter", timeout=30)
    tests = by_function(results)
    assert "Using hw3/calc/ops.py as calc/ops.py." in results["output"]
    assert "calc/other.py is missing from the submission" in results["output"]
    assert tests["test_triple"]["status"] == "failed"
    assert "NotImplementedError: triple: return the result" in tests["test_triple"]["output"]
    assert results["score"] == 4.0


def test_cli_grade_writes_results_and_filters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results" / "results.json"
    assert main(["grade", str(MINIMAL), "--tests", str(TESTS), "--results", str(out),
                 "--only", "test_two.py"]) == 0  # fmt: skip
    results = json.loads(out.read_text())
    assert validate(results) == []
    assert [t["name"] for t in results["tests"]] == ["test_triple: triple(2) is 6."]
    assert "PASS 1/1  test_triple" in capsys.readouterr().out


def test_cli_grade_still_writes_results_when_it_cannot_grade(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    code = main(["grade", str(MINIMAL), "--tests", str(tmp_path / "nope"), "--results", str(out)])
    results = json.loads(out.read_text())
    assert code == 2 and validate(results) == [] and results["score"] == 0.0
    assert "does not exist" in results["output"]


def test_results_validator_follows_the_spec() -> None:
    good = {"score": 1.5, "execution_time": 0.2, "tests": [
        {"name": "a", "score": 1.5, "max_score": 2, "status": "passed", "visibility": "visible"}
    ]}  # fmt: skip
    assert validate(good) == []
    assert validate({**good, "execution_time": "0.2"}) == [
        "execution_time must be a finite number, got '0.2'"
    ]
    bad_test = {"name": 3, "status": "ok", "visibility": "secret", "max_score": float("nan")}
    assert validate({"tests": [bad_test], "colour": 1}) == [
        "unknown top-level key 'colour'",
        "tests[0]: max_score must be a finite number, got nan",
        "tests[0]: status must be 'passed' or 'failed', got 'ok'",
        "tests[0]: name must be a string",
        "tests[0]: visibility must be one of ('hidden', 'after_due_date', 'after_published', "
        "'visible'), got 'secret'",
    ]


def test_register_plugs_make_and_grade_into_a_parent_parser() -> None:
    import argparse

    from chainrule.assignment.cli import register

    parser = argparse.ArgumentParser(prog="chainrule")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["assignment", "grade", "sub", "--tests", "t", "--results", "r"])
    assert (args.submission, args.tests, args.results, args.timeout) == ("sub", "t", "r", 60.0)
    assert callable(args.func) and args.func.__name__ == "_run_grade"
    args = parser.parse_args(["assignment", "make", "src", "--out", "dist", "--no-wheel"])
    assert args.func.__name__ == "_run_make" and args.no_wheel and args.wheel is None
    with pytest.raises(SystemExit):
        parser.parse_args(["assignment"])  # a subcommand is required


@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox's user and namespaces need root")
def test_student_code_runs_boxed_in(submit: Submit) -> None:
    """As root: another uid, no groups, limits, the grader's folders out of reach."""
    probe = (
        "import os, resource\n\n"
        "def _can_list(path):\n"
        "    try:\n        os.listdir(path)\n        return True\n"
        "    except OSError:\n        return False\n\n"
        "def double(x):\n"
        "    facts = dict(uid=os.getuid(), groups=os.getgroups(),\n"
        f"        tests=_can_list({str(TESTS)!r}),\n"
        f"        repo_tests=_can_list({str(MINIMAL.parents[1] / 'tests')!r}),\n"
        "        nproc=resource.getrlimit(resource.RLIMIT_NPROC)[0],\n"
        "        memory=resource.getrlimit(resource.RLIMIT_AS)[0])\n"
        "    raise ValueError(repr(facts))\n\n"
        "def square(x):\n    return x * x\n"
    )
    results = grade(submit({"calc/ops.py": probe}), TESTS, only=["test_one.py::test_double"])
    output = by_function(results)["test_double"]["output"]
    facts = ast.literal_eval(output.split("ValueError: ", 1)[1].splitlines()[0])
    assert facts["uid"] != 0 and facts["groups"] == []
    assert not facts["tests"] and not facts["repo_tests"]
    assert 0 < facts["nproc"] <= 64 and 0 < facts["memory"] < 2**40


def test_a_failed_test_without_a_message_never_says_passed() -> None:
    from chainrule.assignment.grade import _test_result
    from chainrule.assignment.runner import Outcome
    from chainrule.assignment.testfiles import GradedTest

    test = GradedTest("t.py", "test_x", 1.0, False, None, "", 1, 2, False)
    failed = _test_result(test, Outcome(False, "", 0.1))
    assert failed["status"] == "failed" and "Passed" not in failed["output"]
    assert _test_result(test, Outcome(True, "", 0.1))["output"] == "Passed."


def test_the_grading_has_a_time_budget(submit: Submit) -> None:
    """Tests not started within --total-timeout fail as 'not run'; results are still complete."""
    sub = submit(
        {
            "calc/ops.py": "import time\n\ndef double(x):\n    while True:\n"
            "        time.sleep(0.01)\n\ndef square(x):\n    while True:\n"
            "        time.sleep(0.01)\n",
        }
    )
    results = grade(sub, TESTS, timeout=3, total_timeout=4, jobs=1)
    tests = by_function(results)
    assert len(tests) == 4 and results["score"] == 0.0
    outputs = [t["output"] for t in tests.values()]
    assert outputs[0].startswith("Timed out after 3 s")
    budget = "Not run: the grading's time budget (4 s) was used up"
    assert any(o.startswith(budget) for o in outputs)
    assert results["execution_time"] < 10


def test_a_symlinked_package_is_not_followed(tmp_path: Path) -> None:
    """The second review: ``calc -> <the solution>/calc`` submitted as a symbolic link."""
    from chainrule.assignment.grade import collect_submission

    starter = tmp_path / "starter" / "calc"
    starter.mkdir(parents=True)
    for name in ("__init__.py", "ops.py", "other.py"):
        starter.joinpath(name).write_text(strip_solutions((MINIMAL / "calc" / name).read_text())[0])
    sub = tmp_path / "upload"
    sub.mkdir()
    (sub / "calc").symlink_to(MINIMAL / "calc", target_is_directory=True)
    (sub / "ops.py").symlink_to(MINIMAL / "calc" / "ops.py")
    notes = collect_submission(sub, tmp_path / "starter", tmp_path / "taken")
    assert "calc/ops.py is missing from the submission" in " ".join(notes)
    assert "NotImplementedError" in (tmp_path / "taken" / "calc" / "ops.py").read_text()
