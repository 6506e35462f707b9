"""Fixtures for the assignment tools' tests: a tiny assignment, and submissions to grade."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

# The tiny assignment's own tests are data here, not tests of chainrule.
collect_ignore = ["tiny"]

TINY = Path(__file__).parent / "tiny"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A fresh copy of the tiny assignment's marked sources."""
    return Path(shutil.copytree(TINY, tmp_path / "tiny"))


@pytest.fixture
def submit(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write a submission from {relative path: source}, starting from the tiny solution."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "submission"
        shutil.copytree(TINY / "calc", root / "calc", dirs_exist_ok=True)
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        return root

    return write
