"""What a grading depended on, as one SHA-256: a resumed ``grade-all`` keeps current results.

A result is current when the files of the tests (and of the starter and
reference code they may use), the submission's own files, and the options
that change scores (the time limits) are all as they were when it was graded.
The digest covers each file's path relative to its root and its bytes, in
sorted order, so renaming, adding, removing or editing any file changes it.
Caches the grading itself may leave (``__pycache__``, ``.hypothesis``,
``.pytest_cache``: any folder whose name starts with a dot) are left out, or
every run would look changed. Symbolic links are not followed (the grader
does not follow them either); their targets' names are hashed instead.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from chainrule.assignment.grade import SKIP_DIRS

FINGERPRINT = "fingerprint.txt"  # beside each student's results.json


def _hash_tree(digest: Any, label: str, root: Path | None) -> None:
    """Feed ``root``'s files (a folder, or one file such as a zip) into ``digest``."""
    digest.update(f"\0root {label}\0".encode())
    if root is None or not root.exists():
        digest.update(b"absent")
        return
    if root.is_file():
        files = [(root.name, root)]
    else:
        files = []
        for dirpath, dirnames, filenames in os.walk(root):  # does not follow symbolic links
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            files += [(os.path.relpath(os.path.join(dirpath, f), root), Path(dirpath, f))
                      for f in filenames]  # fmt: skip
    for rel, path in sorted(files):
        digest.update(f"\0file {rel}\0".encode("utf-8", "surrogateescape"))
        if path.is_symlink():
            digest.update(f"link {os.readlink(path)}".encode("utf-8", "surrogateescape"))
            continue
        try:
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
        except OSError as exc:  # unreadable: hashed as such, so it counts as changed if fixed
            digest.update(f"unreadable {type(exc).__name__}".encode())


def assignment_digest(
    tests: Path, starter: Path | None, reference: Path | None, options: dict[str, Any]
) -> Any:
    """The digest of what every submission's grading shares (hashed once a run)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(options, sort_keys=True).encode())
    for label, root in (("tests", tests), ("starter", starter), ("reference", reference)):
        _hash_tree(digest, label, root)
    return digest


def fingerprint(assignment: Any, submission: Path) -> str:
    """The SHA-256 (hex) of everything one submission's grading depends on.

    ``assignment`` is :func:`assignment_digest` (copied, not changed).
    """
    digest = assignment.copy()
    _hash_tree(digest, "submission", submission)
    return str(digest.hexdigest())


def read_fingerprint(folder: Path) -> str | None:
    try:
        return (folder / FINGERPRINT).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def write_fingerprint(folder: Path, value: str) -> None:
    (folder / FINGERPRINT).write_text(value + "\n", encoding="ascii")
