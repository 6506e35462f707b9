"""grade-all: a class graded at once, through the same sandboxed path as ``grade``, with
a row for every submission (empty, looping, crashing, a hostile zip), the same scores
as grading one by one, a class report, and a resumed run that regrades nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from chainrule.assignment.class_report import _draw_panel, column_names, failure_kind
from chainrule.assignment.cli import main
from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.grade import grade
from chainrule.assignment.grade_all import grade_all
from chainrule.assignment.submissions import find_submissions, unpack_zip
from chainrule.assignment.testfiles import discover

MINIMAL = Path(__file__).resolve().parents[2] / "assignments" / "minimal"
TESTS = MINIMAL / "tests"
WRONG_DOUBLE = "def double(x):\n    return x + x + 1\n\ndef square(x):\n    return x * x\n"
LOOPS = "import time\n\ndef double(x):\n    while True:\n        time.sleep(0.01)\n\n" \
        "def square(x):\n    return x * x\n"  # fmt: skip
CRASHES = "import os\nos._exit(3)\n"


def _folder(root: Path, name: str, ops: str | None = None) -> Path:
    shutil.copytree(MINIMAL / "calc", root / name / "calc")
    if ops is not None:
        (root / name / "calc" / "ops.py").write_text(ops)
    return root / name


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _class(root: Path) -> Path:
    """Seven submissions: right, wrong, looping, crashing, empty, zipped, a zip-slip attempt."""
    root.mkdir()
    _folder(root, "alice")
    _folder(root, "bob", WRONG_DOUBLE)
    _folder(root, "carol", LOOPS)
    _folder(root, "dave", CRASHES)
    (root / "erin").mkdir()
    files = {f"calc/{p.name}": p.read_bytes() for p in (MINIMAL / "calc").glob("*.py")}
    _zip(root / "frank.zip", files)
    _zip(root / "mallory.zip", {"calc/ops.py": b"x = 1\n", "../../evil.py": b"boom\n"})
    (root / "notes.txt").write_text("not a submission")
    return root


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def test_a_class_graded_at_once_matches_one_by_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subs = _class(tmp_path / "class")
    out = tmp_path / "out"
    status = main(["grade-all", str(subs), "--tests", str(TESTS), "--out", str(out),
                   "--timeout", "4", "--parallel", "2"])  # fmt: skip
    assert status == 0
    printed = capsys.readouterr().out
    assert "notes.txt: neither a folder nor a .zip" in printed
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    rows = _rows(out)
    assert set(rows) == {"alice", "bob", "carol", "dave", "erin", "frank", "mallory"}
    columns = column_names(discover(TESTS))
    assert list(rows["alice"])[5:-2] == columns
    assert rows["alice"]["folder"] == "alice" and rows["frank"]["folder"] == "frank.zip"
    assert {k: float(r["total"]) for k, r in rows.items()} == {
        "alice": 5.0, "bob": 2.0, "carol": 2.0, "dave": 1.0, "erin": 0.0, "frank": 5.0,
        "mallory": 0.0,
    }  # fmt: skip
    # Each graded row matches `grade` on the same folder, test by test.
    for name in ("alice", "bob"):
        alone = grade(subs / name, TESTS, timeout=4)
        assert float(rows[name]["total"]) == alone["score"]
        by_function = {t["name"].split(":")[0]: t["score"] for t in alone["tests"]}
        assert {c: float(rows[name][c]) for c in columns} == by_function
    assert rows["carol"]["reason"] == "timed out: test_double, test_double_negative"
    assert rows["dave"]["reason"] == "crashed: test_double, test_square, test_double_negative"
    assert rows["erin"]["reason"] == "The submission is empty: no file was found in it."
    assert "'..' in its path" in rows["mallory"]["reason"]
    assert not (tmp_path / "evil.py").exists() and not (out / "evil.py").exists()
    assert rows["alice"]["reason"] == ""
    student = json.loads((out / "students" / "bob" / "results.json").read_text())
    assert student["score"] == 2.0 and len(student["tests"]) == 4
    report = (out / "report.md").read_text()
    assert report.startswith("# Class report: 7 submissions")
    assert "| test_double | 2 | 3 | 60% |" in report  # bob, carol, dave of the 5 graded
    assert (out / "failures.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / ".work").exists()

    # A second run keeps every result: nothing is graded again.
    (out / "students" / "bob" / "results.json").unlink()
    run = grade_all(subs, TESTS, out, timeout=4, parallel=2)
    assert (run.resumed, run.graded, run.failed) == (6, 1, 0)
    assert _rows(out) == rows


def test_a_resumed_run_regrades_what_changed_tests_submission_or_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results are kept only when the tests, the submission and the time limits are those
    they were graded with; stale results are regraded, and counted."""
    tests = tmp_path / "tests"
    shutil.copytree(TESTS, tests)
    subs = tmp_path / "class"
    subs.mkdir()
    _folder(subs, "alice")
    _folder(subs, "bob", WRONG_DOUBLE)
    out = tmp_path / "out"
    run = grade_all(subs, tests, out, timeout=4, parallel=2)
    assert (run.graded, run.resumed, run.regraded) == (2, 0, 0)
    assert (out / "students" / "alice" / "fingerprint.txt").is_file()
    assert float(_rows(out)["bob"]["total"]) == 2.0
    # bob resubmits a fixed folder: only bob is graded again.
    shutil.copy(MINIMAL / "calc" / "ops.py", subs / "bob" / "calc" / "ops.py")
    messages: list[str] = []
    run = grade_all(subs, tests, out, timeout=4, parallel=2, progress=messages.append)
    assert (run.graded, run.resumed, run.regraded) == (1, 1, 1)
    assert "1 submission(s) graded by an earlier run are graded again" in messages[1]
    assert float(_rows(out)["bob"]["total"]) == 5.0
    # The instructor edits a test file: everyone is graded again.
    first = sorted(tests.glob("test_*.py"))[0]
    first.write_text(first.read_text() + "\n# fixed\n")
    run = grade_all(subs, tests, out, timeout=4, parallel=2)
    assert (run.graded, run.resumed, run.regraded) == (2, 0, 2)
    # Caches left by the grading itself change nothing; other time limits do.
    (tests / "__pycache__").mkdir(exist_ok=True)
    (tests / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert grade_all(subs, tests, out, timeout=4, parallel=2).resumed == 2
    assert grade_all(subs, tests, out, timeout=5, parallel=2).regraded == 2
    # A solution beside the tests is the reference grading uses: adding or editing it
    # regrades. Given as a relative path, it is found from where grade-all was called.
    shutil.copytree(MINIMAL / "calc", tmp_path / "solution" / "calc")
    monkeypatch.chdir(tmp_path)
    run = grade_all(subs, tests, out, timeout=5, parallel=2, reference=Path("solution"))
    assert run.regraded == 2 and float(_rows(out)["bob"]["total"]) == 5.0
    assert grade_all(subs, tests, out, timeout=5, parallel=2).resumed == 2  # the same default


def test_gradescope_export_names_the_submitters(tmp_path: Path) -> None:
    root = tmp_path / "export"
    root.mkdir()
    _folder(root, "submission_101")
    _folder(root, "submission_102", WRONG_DOUBLE)
    (root / "submission_metadata.yml").write_text(
        "submission_101:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '42'\n"
        "    :email: ada@example.edu\n  :score: 0.0\n"
        "submission_102:\n  :submitters:\n  - :name: '=HYPERLINK(\"x\")'\n  - :name: Bo\n"
        'submission_103:\n  :submitters:\n  - :name: "\\t=1+1"\n    :sid: "\\r=2+2"\n'
        "    :email: '@SUM(A1)'\n"
        "../../etc:\n  :submitters: []\n"
    )
    (root / "submission_103").mkdir()  # empty: graded at once, its row is what matters
    subs, notes = find_submissions(root)
    assert [(s.id, s.names, s.sids) for s in subs] == [
        ("submission_101", "Ada Lovelace", "42"), ("submission_102", '=HYPERLINK("x"); Bo', ""),
        ("submission_103", "\t=1+1", "\r=2+2"),
    ]  # fmt: skip
    assert notes == ["1 submission(s) in submission_metadata.yml have no folder"]
    out = tmp_path / "out"
    grade_all(root, TESTS, out, timeout=10, parallel=2)
    rows = _rows(out)
    assert rows["submission_101"]["names"] == "Ada Lovelace"
    assert rows["submission_101"]["total"] == "5"
    assert rows["submission_102"]["names"].startswith("'=HYPERLINK")  # no formula in a sheet
    # OWASP's list: a leading tab or carriage return can start a formula too.
    assert rows["submission_103"]["names"] == "'\t=1+1"
    assert rows["submission_103"]["sids"] == "'\r=2+2"
    assert rows["submission_103"]["emails"] == "'@SUM(A1)"
    # Only safe_load: a YAML tag that would build an object is refused.
    (root / "submission_metadata.yml").write_text("x: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(AssignmentError, match="not valid YAML"):
        find_submissions(root)


def test_names_with_spaces_or_accents_get_a_row_under_a_safe_id(tmp_path: Path) -> None:
    """Moodle's folder names (spaces) and accented names are graded, each under an id safe
    as a file name, with the name as submitted in the ``folder`` column: no one is dropped."""
    root = tmp_path / "class"
    root.mkdir()
    moodle = "Jane Doe_123_assignsubmission_file_"
    _folder(root, moodle)
    (root / "josé").mkdir()  # empty: a row with the reason, not a missing row
    subs, notes = find_submissions(root)
    ids = {s.folder: s.id for s in subs}
    assert set(ids) == {moodle, "josé"}
    assert ids[moodle].startswith("Jane_Doe_123_assignsubmission_file-")
    assert ids["josé"].startswith("jose-") and ids["josé"].isascii()
    assert f"{moodle!r}: graded as {ids[moodle]}" in notes[0]
    out = tmp_path / "out"
    grade_all(root, TESTS, out, timeout=10, parallel=2)
    rows = _rows(out)
    assert {r["folder"]: r["total"] for r in rows.values()} == {moodle: "5", "josé": "0"}
    assert rows[ids["josé"]]["reason"] == "The submission is empty: no file was found in it."
    assert (out / "students" / ids[moodle] / "results.json").is_file()


def test_unpack_zip_refuses_what_could_escape_or_explode(tmp_path: Path) -> None:
    for i, (name, data) in enumerate([("/etc/x.py", b"1"), ("a/../../x.py", b"1"),
                                      ("a\\..\\x.py", b"1"), ("C:x.py", b"1")]):  # fmt: skip
        _zip(tmp_path / f"{i}.zip", {name: data})
        with pytest.raises(AssignmentError, match="has"):
            unpack_zip(tmp_path / f"{i}.zip", tmp_path / f"d{i}")
        assert not (tmp_path / f"d{i}").exists()
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.py", b"0" * (17 * 2**20))  # 17 MiB of zeros: a few KiB zipped
    assert bomb.stat().st_size < 100_000
    with pytest.raises(AssignmentError, match="more than"):
        unpack_zip(bomb, tmp_path / "bomb")
    (tmp_path / "junk.zip").write_bytes(b"PK not really")
    with pytest.raises(AssignmentError, match="could not be read"):
        unpack_zip(tmp_path / "junk.zip", tmp_path / "junk")
    link = io.BytesIO()
    with zipfile.ZipFile(link, "w") as zf:
        info = zipfile.ZipInfo("calc/ops.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
        zf.writestr("calc/other.py", "x = 1\n")
    (tmp_path / "link.zip").write_bytes(link.getvalue())
    notes = unpack_zip(tmp_path / "link.zip", tmp_path / "link")
    assert notes == ["calc/ops.py: a symbolic link in the zip, skipped"]
    assert not (tmp_path / "link" / "calc" / "ops.py").exists()


def test_failure_kinds() -> None:
    assert failure_kind("Timed out after 4 s and was stopped") == "timed out"
    assert failure_kind("Partial credit: 2 of 3\n\nGradcheckError: Gradient") == "gradient check"
    assert failure_kind("The tests could not import your code:\nValueError") == "import failed"
    assert failure_kind("WorkerError: The process running your code was killed") == "crashed"


def test_a_chart_panel_with_nothing_to_show_says_so() -> None:
    """No findings: the panel is a sentence, not an empty axis from -0.04 to 0.04."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (empty, full) = plt.subplots(1, 2)
    _draw_panel(empty, Counter(), "Gradient-check findings", "students",
                "no gradient-check findings")  # fmt: skip
    _draw_panel(full, Counter({"W: wrong gradient — negated": 3}), "Gradient-check findings",
                "students", "no gradient-check findings")  # fmt: skip
    assert not empty.axison and not empty.patches
    assert [t.get_text() for t in empty.texts] == ["no gradient-check findings"]
    assert full.axison and len(full.patches) == 1 and not full.texts
    plt.close(fig)


def test_an_interrupted_run_stops_at_once_and_resumes(tmp_path: Path) -> None:
    subs = tmp_path / "class"
    subs.mkdir()
    _folder(subs, "alice")
    _folder(subs, "carol", LOOPS)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "chainrule.assignment", "grade-all", str(subs), "--tests",
           str(TESTS), "--out", str(out), "--timeout", "5", "--parallel", "2"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(MINIMAL.parents[1])}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (out / "students" / "alice" / "results.json").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)  # carol's loop is still being graded
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert b"interrupted: run the same command again" in err
    assert not (out / "students" / "carol" / "results.json").exists()
    run = grade_all(subs, TESTS, out, timeout=5, parallel=2)  # the same limits: alice kept
    assert (run.resumed, run.graded) == (1, 1)
    assert set(_rows(out)) == {"alice", "carol"}
