"""A grade-all fingerprint changes exactly when something grading reads changes."""

from __future__ import annotations

from pathlib import Path

from chainrule.assignment.fingerprint import assignment_digest, fingerprint


def test_a_file_in_a_hidden_folder_counts_and_caches_do_not(tmp_path: Path) -> None:
    """Grading reads a submission's hidden folders too (e.g. .old/calc/ops.py may be the
    file found), so an edit there must regrade; caches that grading writes must not."""
    tests, sub = tmp_path / "tests", tmp_path / "alice"
    tests.mkdir()
    (tests / "test_a.py").write_text("def test_a(): pass\n")
    (sub / ".old" / "calc").mkdir(parents=True)
    (sub / ".old" / "calc" / "ops.py").write_text("x = 1\n")
    shared = assignment_digest(tests, None, None, {"timeout": 4.0})
    before = fingerprint(shared, sub)
    (sub / ".old" / "calc" / "ops.py").write_text("x = 2\n")
    edited = fingerprint(shared, sub)
    assert edited != before
    for cache in ("__pycache__", ".hypothesis", ".pytest_cache"):
        (sub / cache).mkdir()
        (sub / cache / "junk").write_bytes(b"cache")
    assert fingerprint(shared, sub) == edited
