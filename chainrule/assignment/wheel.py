"""The framework's wheel, shipped inside the Gradescope zip.

Grading with the very version the instructor tested needs that version on
Gradescope: ``make`` builds a wheel from this source tree (or takes
``--wheel``) and ``setup.sh`` installs it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from chainrule.assignment.errors import AssignmentError
from chainrule.assignment.runner import FRAMEWORK_ROOT


def framework_version() -> str:
    pyproject = FRAMEWORK_ROOT / "pyproject.toml"
    if pyproject.is_file():
        found = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(), re.MULTILINE)
        if found:
            return found.group(1)
    from importlib.metadata import version

    return version("chainrule")


# pyproject.toml's `license = "MIT"` (PEP 639) needs setuptools 77 or newer.
MIN_SETUPTOOLS_MAJOR = 77


def _local_setuptools_can_build() -> bool:
    """True when the setuptools installed here is new enough to build our pyproject.

    A fresh virtual environment may hold an old setuptools; pip's isolated build
    then fetches a current one from the package index instead.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("setuptools")
    except PackageNotFoundError:
        return False
    major = re.match(r"\d+", installed)
    return major is not None and int(major.group()) >= MIN_SETUPTOOLS_MAJOR


def build_wheel(dest: Path) -> Path:
    """Build the framework's wheel from its source tree into ``dest``.

    The build runs on a clean copy of the tree, so no stale ``build/`` of an
    earlier build can slip old files into the wheel, and the tree stays clean.
    """
    if not (FRAMEWORK_ROOT / "pyproject.toml").is_file():
        raise AssignmentError(
            "chainrule is installed without its source tree, so make cannot build its "
            "wheel; pass --wheel PATH (e.g. from `pip download chainrule --no-deps`) or "
            "--no-wheel (setup.sh then installs chainrule from PyPI)"
        )
    ignore = shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
        "tests", "benchmarks", "examples", "assignments", "runs", ".venv",
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="chainrule-wheel-") as tmp:
        tree = Path(shutil.copytree(FRAMEWORK_ROOT, Path(tmp) / "src", ignore=ignore))
        cmd = [sys.executable, "-m", "pip", "wheel", str(tree), "--no-deps"]
        cmd += ["--quiet", "--wheel-dir", str(dest)]
        if _local_setuptools_can_build():
            cmd.append("--no-build-isolation")  # works offline: no download of setuptools
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheels = sorted(dest.glob("chainrule-*.whl"))
    if done.returncode != 0 or not wheels:
        raise AssignmentError(f"building the chainrule wheel failed:\n{done.stderr[-2000:]}")
    return wheels[-1]
