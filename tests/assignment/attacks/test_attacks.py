"""Attack suite: a submission must not be able to forge its grade, see hidden tests, or
leave anything running.

Each attack is a payload appended to the untouched stubs of the student package
(``attack_payloads.py``), graded through ``python -m chainrule.assignment grade`` and,
where cheap, through the Gradescope zip's ``run_autograder`` (``attack_harness.py``).
Every test asserts that

- the score is at most what the honest part of the submission earns (0 for the stubs;
  the points of test_train_step when the payload carries an honest ``train_step``);
- no hidden test's name or source line reaches what a student sees before publication
  (the top-level output and the visible tests' names and outputs);
- no process of the submission is alive once the grading has returned;
- ``results.json`` is valid (``chainrule.assignment.results.validate``), under 1 MB, and
  lists exactly the tests graded (the grading completed).

Run: ``python3 -m pytest -q -m attacks tests/assignment/attacks -p no:cacheprovider``
(2-3 minutes on 2 cores, ``make`` included). ``CHAINRULE_ATTACKS_LOG=FILE`` appends one
JSON line per attack: the score it got, leaks, survivors, the size of results.json.

Against today's grader (commit bac69f2, run as root on 2 busy cores, 2 min 50 s): 27 of the
30 attack cases fail, as they should; the 2 baselines pass. Score got / honest score, of the
points selected ("FORGED": above the honest score); leaks: visible outputs showing hidden tests;
alive: processes of the submission still running after the grading.

    attack                          entry       score      leaks alive results  today
    1a  report-then-exit            cli          5 / 0 of 5   -    -    1 kB    FORGED
    1a  report-then-exit            gradescope   7 / 0 of 7   -    -    2 kB    FORGED
    1b  report-at-exit              cli          5 / 0 of 5   -    -    1 kB    FORGED
    2a  patch-checks                cli          4 / 0 of 8   -    -    2 kB    FORGED
    2b  patch-reporting             cli          5 / 0 of 5   -    -    1 kB    FORGED
    2c  fake-gradcheck-module       cli          5 / 0 of 5   -    -    1 kB    FORGED
    3   results-daemon              cli          4 / 0 of 4   -    1    1 kB    FORGED, alive
    3   results-daemon              gradescope   7 / 0 of 7   -    1    1 kB    FORGED, alive
    4   forge-results-kill-grader   cli         27 / 0 of 3   -    -    80 B    FORGED, killed
    4   forge-results-kill-grader   gradescope  27 / 0 of 3   -    -    80 B    FORGED
    5   plant-conftest              cli          5 / 0 of 7   -    -    2 kB    FORGED
    5   plant-conftest              gradescope   3 / 0 of 7   -    -    2 kB    FORGED
    6   nan-when-perturbed          cli          0 / 0 of 7   -    -    8 kB    held
    7   delegate-to-framework       cli         10 / 2 of 10  -    -    2 kB    FORGED
    8   leak-tests                  cli          0 / 0 of 5  4+32   -  120 kB    leaks
    8   leak-tests                  gradescope   0 / 0 of 5  4+32   -  119 kB    leaks
    9a  leave-processes             cli          0 / 0 of 3   -   51    3 kB    alive
    9a  leave-processes             gradescope   0 / 0 of 3   -   51    3 kB    alive
    9b  huge-message                cli          0 / 0 of 2   -    -   42 MB    too big
    9c  eat-memory                  cli          0 / 0 of 3   -    -    2 kB    10 GiB taken
    10a steal-solution              cli          3 / 0 of 3   -    -    1 kB    FORGED
    10a steal-solution              gradescope   0 / 0 of 3   -    -    3 kB    held (no solution)
    10b shadow-framework            cli          2 / 0 of 7   -    -    2 kB    FORGED
    10b shadow-framework            gradescope   2 / 0 of 7   -    -    2 kB    FORGED
    10c rewrite-tests               cli          5 / 0 of 7   -    -    2 kB    FORGED
    10c rewrite-tests               gradescope   5 / 0 of 7   -    -    2 kB    FORGED
    10d lying-values                cli          6 / 2 of 8   -    -    4 kB    FORGED
    10e lying-builtins              cli          6 / 2 of 8   -    -    4 kB    FORGED
    10f spray-protocol              cli          0 / 0 of 5   -    -    3 kB    held
    10g tamper-installed-framework  gradescope   4 / 0 of 7   -    -    4 kB    FORGED

"4+32": all 4 hidden test names and 32 of their source lines in test_linear_backward's
output. Attack 4 leaves a results.json of 0 tests and score 27; through the command line the
grader is killed (exit -9). Scores of the attacks that poison the later tests (5, 10b, 10c,
10g) vary by a test or two with timing; any score above the honest one fails.

With the trusted process and the sandboxed worker (docs/assignments.md, "Threat model"),
run as root: all 32 cases pass (1 min 40 s); every score is the honest one, nothing hidden
shows, no process survives, results.json stays small. Cases 11a-11e came from a second review
of the new grader and each broke its first version (code as root in the trusted process
through requests on values the worker made up; hidden tests read through str.format; a faked
sandbox failure; a SysV queue between tests; a hidden test that trusted the student's
build_net and accuracy); they pass since. The notes below were written
against the old grader:

- 6, 10f: gradcheck sees NaN for what it is; nothing reads a worker's fds as a verdict.
- 10a through Gradescope: the zip holds no solution. Through the command line the solution
  sits next to ``--tests`` (make's layout), readable by the grader's user: only a worker
  under another uid passes (pytest's basetemp is 0700). Likewise 8 (test files on disk),
  10g (a writable install) and 4 (SIGKILL to the grader) need the uid drop: run the suite
  as root, as here; as an ordinary user they cannot pass.
- 7: process isolation alone does not stop it: the worker must not reach ``layers.Linear``
  & co (an import policy for student code), or the assignment must accept delegation.
- 10d, 10e: pass once the tests' comparisons run in the trusted process on plain data.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helpers beside this file

from attack_harness import Assignment, build_assignment, clean_up, grade, problems, summary
from attack_payloads import ATTACKS, HONEST_TRAIN_STEP, Attack

pytestmark = pytest.mark.attacks


@pytest.fixture(scope="session")
def assignment(tmp_path_factory: pytest.TempPathFactory) -> Assignment:
    """backprop_by_hand made once (stubs, every test, the Gradescope zip and its wheel)."""
    return build_assignment(tmp_path_factory.mktemp("attacks"))


# Reading the grader's files, writing its install, killing it: only a worker under
# another uid is stopped, and that needs the grader to run as root (Gradescope, CI).
NEEDS_ROOT = {"4", "8", "10a", "10g"}
_not_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="the full sandbox needs the grader to run as root"
)
CASES = [
    pytest.param(
        attack, entry, id=f"{attack.key}-{attack.name}-{entry}",
        marks=[_not_root] if attack.key in NEEDS_ROOT else [],
    )
    for attack in ATTACKS
    for entry in attack.entries
]  # fmt: skip


def _attack(attack: Attack, entry: str, assignment: Assignment, tmp_path: Path) -> list[str]:
    graded = grade(assignment, attack, entry, tmp_path)
    try:
        found = problems(graded, attack, assignment.secrets)
        log = os.environ.get("CHAINRULE_ATTACKS_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as f:
                line = {"attack": f"{attack.key} {attack.name}", **summary(graded, found)}
                f.write(json.dumps(line) + "\n")
        return found
    finally:
        clean_up(graded.token)


@pytest.mark.parametrize(("attack", "entry"), CASES)
def test_attack(attack: Attack, entry: str, assignment: Assignment, tmp_path: Path) -> None:
    found = _attack(attack, entry, assignment, tmp_path)
    assert not found, f"attack {attack.key} ({attack.summary}) through {entry}:\n  " + (
        "\n  ".join(found)
    )


def test_baseline_untouched_stubs_earn_nothing(assignment: Assignment, tmp_path: Path) -> None:
    """The honest baseline the attacks are judged against: the stubs score 0."""
    stubs = Attack("0", "stubs", "the untouched stubs", {}, ("test_linear.py", "test_train.py"))
    assert _attack(stubs, "cli", assignment, tmp_path) == []


def test_baseline_honest_train_step_earns_test_train_step(
    assignment: Assignment, tmp_path: Path
) -> None:
    """The stubs plus an honest train_step score exactly the hard-coded honest score, 2."""
    honest = Attack(
        "0", "train-step", "the stubs and an honest train_step",
        {"backprop/train.py": HONEST_TRAIN_STEP}, ("test_train.py",), honest_train_step=True,
    )  # fmt: skip
    graded = grade(assignment, honest, "cli", tmp_path)
    try:
        assert problems(graded, honest, assignment.secrets) == []
        assert graded.results_text is not None
        assert json.loads(graded.results_text)["score"] == graded.honest == 2.0
    finally:
        clean_up(graded.token)
