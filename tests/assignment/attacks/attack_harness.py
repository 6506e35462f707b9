"""Grade a submission (the untouched stubs plus a payload) and judge what came out.

- :func:`build_assignment` runs ``make`` once: the student's stubs, every test, the
  Gradescope zip, and the zip's framework wheel installed (no dependencies) for the
  Gradescope runs.
- :func:`grade` builds the submission in a fresh folder named by a unique token, grades
  it with one of the two entry points (``python -m chainrule.assignment grade`` or the
  zip's ``run_autograder`` in Gradescope's layout), and returns a :class:`Graded`.
- :func:`problems` says everything wrong with it: a score above the honest one, a
  hidden test's name or line where a student sees it before publication, a process of
  the submission still alive, an invalid or oversized ``results.json``, a grading that
  did not complete.

The token is a path component of the submission, of ``AUTOGRADER_ROOT`` and of
``TMPDIR``: the grader's command line holds it, so a payload can tell its own grading
from anything else on the machine (and acts on nothing else), and every process the
submission starts carries it (argv or environment), so survivors are found by it.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attack_payloads import Attack

from chainrule.assignment.make import make
from chainrule.assignment.results import validate
from chainrule.assignment.testfiles import GradedTest, discover

REPO = Path(__file__).resolve().parents[3]
SRC = REPO / "assignments" / "backprop_by_hand"

# What honest work earns. The untouched stubs pass no test (0 / 27: `make` warns about
# any test the starter passes, and test_baseline_* re-measures it). With the solution's
# train_step added to the stubs, exactly test_train_step passes: 2 / 27, measured with
#   python -m chainrule.assignment grade SUB --tests dist/autograder/tests --results r.json
# over all 14 tests (test_train_step uses the framework's own layers, loss and SGD;
# test_fit_trains_the_notes_net needs the student's, which are stubs).
HONEST_STUB_POINTS: dict[str, float] = {}
HONEST_TRAIN_STEP_POINTS = {"test_train_step": 2.0}

RESULTS_LIMIT = 1_000_000  # bytes
GRADING_LIMIT = 240.0  # seconds before the harness gives up on a grading
SURVIVOR_GRACE = 1.5  # seconds for killed processes to disappear
SEEN_BEFORE_PUBLICATION = (None, "visible", "after_due_date")


@dataclass(frozen=True)
class Secrets:
    """What a student must not see before publication: hidden tests' names and lines."""

    names: frozenset[str]
    lines: frozenset[str]


@dataclass(frozen=True)
class Assignment:
    """``make``'s output for backprop_by_hand, made once per session."""

    dist: Path
    tests: Path  # dist/autograder/tests: every test, hidden ones included
    starter: Path  # dist/autograder/starter: the untouched stubs
    zip: Path  # dist/autograder/autograder.zip
    site: Path  # the zip's wheel, installed without dependencies
    specs: tuple[GradedTest, ...]
    secrets: Secrets


@dataclass
class Graded:
    """One grading: what the grader left, and what was alive afterwards."""

    entry: str
    token: str
    expected: list[GradedTest]
    honest: float
    returncode: int | None  # None: it had to be stopped
    seconds: float
    results_text: str | None
    survivors: list[str]
    log: str


def _secrets(tests: Path, student: Path) -> Secrets:
    """Hidden tests' names, and their source lines that are long enough to be telling
    (24+ characters: ``layer = Sigmoid()`` is also what gradcheck's report says) and
    appear nowhere a student already has (the visible tests, the stubs)."""
    known = {
        line.strip()
        for path in student.rglob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
    }
    names, lines = set(), set()
    for spec in discover(tests):
        if not spec.hidden:
            continue
        names.add(spec.function)
        source = (tests / spec.file).read_text(encoding="utf-8").splitlines()
        for line in source[spec.first - 1 : spec.last]:
            text = line.strip()
            if len(text) >= 24 and text not in known:
                lines.add(text)
    return Secrets(frozenset(names), frozenset(lines))


def build_assignment(tmp: Path) -> Assignment:
    """``make`` backprop_by_hand into ``tmp`` and install the zip's wheel for Gradescope runs."""
    dist = tmp / "dist"
    report = make(SRC, dist, check_starter=False, grader_wheels=False)
    assert report.wheel is not None
    wheel = dist / "autograder" / "gradescope" / "wheels" / report.wheel
    site = tmp / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-compile", "--target", str(site), str(wheel)],
        check=True, env=_clean_env(),
    )  # fmt: skip
    tests = dist / "autograder" / "tests"
    return Assignment(
        dist=dist,
        tests=tests,
        starter=dist / "autograder" / "starter",
        zip=dist / "autograder" / "autograder.zip",
        site=site,
        specs=tuple(discover(tests)),
        secrets=_secrets(tests, dist / "student"),
    )


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what pytest or a developer set for themselves."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "PYTHON", "COV_", "HYPOTHESIS")) and k != "TMPDIR"
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def selected(specs: tuple[GradedTest, ...], only: tuple[str, ...], entry: str) -> list[GradedTest]:
    """The tests a run grades: ``--only``'s rule, or whole files in Gradescope's layout."""
    if entry == "gradescope":
        files = {pattern.split("::")[0] for pattern in only}
        return [t for t in specs if any(fnmatch.fnmatch(t.file, f) for f in files)]
    return [t for t in specs if any(fnmatch.fnmatch(t.node_id, p) or t.file == p for p in only)]


def honest_score(tests: list[GradedTest], honest_train_step: bool) -> float:
    passes = dict(HONEST_STUB_POINTS)
    if honest_train_step:
        passes.update(HONEST_TRAIN_STEP_POINTS)
    return sum(passes.get(t.function, 0.0) for t in tests)


def write_submission(assignment: Assignment, dest: Path, files: dict[str, str], token: str) -> None:
    """The untouched stubs, with each payload appended to its file."""
    shutil.copytree(assignment.starter, dest, dirs_exist_ok=True)
    for rel, code in files.items():
        path = dest / rel
        assert path.is_file(), f"{rel} is not a file of the student package"
        stub = path.read_text(encoding="utf-8")
        path.write_text(stub + "\n\n" + code.replace("@@TOKEN@@", token), encoding="utf-8")


def _processes() -> Iterator[tuple[int, bytes, bytes]]:
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    environ = f.read()
            except OSError:
                environ = b""
        except OSError:
            continue
        yield int(entry), cmdline, environ


def marked(token: str) -> list[tuple[int, str]]:
    """Live processes whose command line or environment holds ``token``."""
    key = token.encode()
    return [
        (pid, cmdline.replace(b"\0", b" ").decode(errors="replace").strip()[:200])
        for pid, cmdline, environ in _processes()
        if key in cmdline or key in environ
    ]


def survivors(token: str, grace: float = SURVIVOR_GRACE) -> list[str]:
    """Processes of this grading still alive ``grace`` seconds after it ended."""
    end = time.monotonic() + grace
    while True:
        alive = marked(token)
        if not alive or time.monotonic() > end:
            return [f"{pid}: {cmd}" for pid, cmd in alive]
        time.sleep(0.1)


def clean_up(token: str) -> None:
    """Kill whatever of this grading is left (only processes marked by its token)."""
    for _ in range(3):
        alive = marked(token)
        if not alive:
            break
        for pid, _cmd in alive:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
    for flag in Path("/tmp").glob(f"{token}.*"):
        flag.unlink(missing_ok=True)


def _run(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[int | None, float]:
    start = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            code: int | None = proc.wait(timeout=GRADING_LIMIT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
    return code, time.perf_counter() - start


def grade(assignment: Assignment, attack: Attack, entry: str, tmp: Path) -> Graded:
    """Grade the stubs plus ``attack``'s payload through ``entry``; the caller cleans up."""
    token = "atk" + uuid.uuid4().hex[:16]
    work = tmp / token
    (work / "tmp").mkdir(parents=True)
    expected = selected(assignment.specs, attack.only, entry)
    assert expected, f"{attack.only} selects no test"
    log = work / "grader.log"
    if entry == "cli":
        submission, results = work / "submission", work / "results" / "results.json"
        write_submission(assignment, submission, attack.files, token)
        cmd = [sys.executable, "-m", "chainrule.assignment", "grade", str(submission),
               "--tests", str(assignment.tests), "--results", str(results), "--jobs", "2",
               "--timeout", f"{attack.timeout:g}"]  # fmt: skip
        for pattern in attack.only:
            cmd += ["--only", pattern]
        env = _clean_env(PYTHONPATH=str(REPO), TMPDIR=str(work / "tmp"))
    else:
        root = work / "autograder"
        with zipfile.ZipFile(assignment.zip) as zf:
            zf.extractall(root / "source")
            for info in zf.infolist():  # keep the modes, as Gradescope's unzip does
                (root / "source" / info.filename).chmod(info.external_attr >> 16 & 0o777)
        keep = {t.file for t in expected}
        for path in (root / "source" / "tests").glob("test_*.py"):
            if path.name not in keep:  # an autograder with fewer tests: faster, same grader
                path.unlink()
        write_submission(assignment, root / "submission", attack.files, token)
        site = work / "site"  # the autograder's own install, as setup.sh leaves it
        shutil.copytree(assignment.site, site)
        results = root / "results" / "results.json"
        cmd = ["bash", str(root / "source" / "run_autograder")]
        env = _clean_env(
            AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable, PYTHONPATH=str(site),
            TMPDIR=str(work / "tmp"),
        )  # fmt: skip
    code, seconds = _run(cmd, work, env, log)
    if attack.settle:
        time.sleep(attack.settle)  # what a daemon does once the grader has returned
    alive = survivors(token)
    text = results.read_text(encoding="utf-8", errors="replace") if results.is_file() else None
    return Graded(
        entry=entry,
        token=token,
        expected=expected,
        honest=honest_score(expected, attack.honest_train_step),
        returncode=code,
        seconds=seconds,
        results_text=text,
        survivors=alive,
        log=log.read_text(encoding="utf-8", errors="replace")[-3000:],
    )


def seen_before_publication(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, text) of everything a student reads before the grades are published."""
    seen = [("output", str(data.get("output", "")))]
    for i, test in enumerate(data.get("tests") or []):
        if isinstance(test, dict) and test.get("visibility") in SEEN_BEFORE_PUBLICATION:
            seen.append((f"tests[{i}] {str(test.get('name', ''))[:40]!r}",
                         f"{test.get('name', '')}\n{test.get('output', '')}"))  # fmt: skip
    return seen


def leaks(data: dict[str, Any], secrets: Secrets) -> list[str]:
    found = []
    for where, text in seen_before_publication(data):
        names = sorted(n for n in secrets.names if n in text)
        lines = sorted(line for line in secrets.lines if line in text)
        if names or lines:
            found.append(
                f"{where} shows {len(names)} hidden test name(s) {names[:4]} and {len(lines)} "
                f"hidden source line(s) {lines[:2]}"
            )
    return found


def score_of(data: dict[str, Any]) -> float:
    """The submission's score as Gradescope reads it: ``score``, else the tests' sum."""
    if isinstance(data.get("score"), (int, float)):
        return float(data["score"])
    return float(sum(t.get("score", 0) for t in data.get("tests") or [] if isinstance(t, dict)))


def extra_problems(name: str, data: dict[str, Any]) -> list[str]:
    if name == "memory-limited":  # the worker must be resource-limited
        outputs = "\n".join(str(t.get("output", "")) for t in data.get("tests") or [])
        if "no memory limit" in outputs:
            return ["the worker allocated 10 GiB: no memory limit"]
        return []
    raise ValueError(f"unknown extra check {name!r}")


def problems(graded: Graded, attack: Attack, secrets: Secrets) -> list[str]:
    """Everything wrong with a grading under attack ([] when the grader held)."""
    found = []
    if graded.returncode != 0:
        how = "did not finish" if graded.returncode is None else f"exited {graded.returncode}"
        found.append(f"the grader {how}: the grading did not complete")
    if graded.survivors:
        found.append(
            f"{len(graded.survivors)} process(es) of the submission alive after the grading, "
            f"e.g. {graded.survivors[:3]}"
        )
    if graded.results_text is None:
        return [*found, "no results.json"]
    size = len(graded.results_text.encode())
    if size >= RESULTS_LIMIT:
        found.append(f"results.json is {size:,} bytes (limit {RESULTS_LIMIT:,})")
    try:
        data = json.loads(graded.results_text)
    except ValueError as exc:
        return [*found, f"results.json is not JSON: {exc}"]
    found += [f"invalid results.json: {p}" for p in validate(data)[:5]]
    if not isinstance(data, dict):
        return found
    score = score_of(data)
    if score > graded.honest + 1e-9:
        found.append(f"score {score:g} > honest {graded.honest:g}: a forged grade")
    names = sorted(str(t.get("name", "")).split(":")[0] for t in data.get("tests") or [])
    expected = sorted(t.function for t in graded.expected)
    if names != expected:
        found.append(
            f"results list {len(names)} tests, not the {len(expected)} graded: the grading "
            f"did not complete"
        )
    found += leaks(data, secrets)
    found += [p for name in attack.extra for p in extra_problems(name, data)]
    return found


def summary(graded: Graded, found: list[str]) -> dict[str, Any]:
    """One line of the attack log (``CHAINRULE_ATTACKS_LOG``): what the attack got."""
    data: Any = None
    if graded.results_text is not None:
        try:
            data = json.loads(graded.results_text)
        except ValueError:
            data = None
    return {
        "entry": graded.entry,
        "score": score_of(data) if isinstance(data, dict) else None,
        "honest": graded.honest,
        "max": sum(t.points for t in graded.expected),
        "leaks": sum("hidden test name" in p for p in found),
        "survivors": len(graded.survivors),
        "results_bytes": None if graded.results_text is None else len(graded.results_text),
        "returncode": graded.returncode,
        "seconds": round(graded.seconds, 1),
        "problems": found,
    }
