"""The framework's wheel, and the wheels of what the tests import, shipped by ``make``.

Grading with the very version the instructor tested needs that version on
Gradescope: ``make`` builds a wheel from this source tree (or takes
``--wheel``) and ``setup.sh`` installs it. chainrule is not on the package
index, so the student's folder carries the wheel too. The wheels of NumPy,
pytest and hypothesis (for Gradescope's image, and for any platform the
instructor names) let both install without the index, and without the
application's dependencies, which grading never uses.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
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


# What an assignment's tests import besides the framework: its core dependency and the
# `student` extra (pyproject.toml; a test keeps the two lists equal).
STUDENT_REQUIREMENTS = ("numpy>=1.24", "pytest>=7", "hypothesis>=6.80")
# pytest and hypothesis need these below Python 3.11; `pip download --python-version`
# does not evaluate their markers for the target Python, so they are named explicitly.
BACKPORTS = ("exceptiongroup>=1", "tomli>=1")


@dataclass(frozen=True)
class WheelTarget:
    """The Python and platform that dependency wheels are downloaded for."""

    python: str | None  # "3.10"; None: the Python running make
    platforms: tuple[str, ...] = ()  # pip platform tags; empty: this machine's

    def describe(self) -> str:
        """The Python and platform by name (never "this platform": a README is read elsewhere)."""
        if self.python is None:
            return (
                f"Python {sys.version_info.major}.{sys.version_info.minor} on "
                f"{sysconfig.get_platform()}"
            )
        return f"Python {self.python} on {', '.join(self.platforms) or sysconfig.get_platform()}"


# Gradescope's default autograder image: Ubuntu 22.04, its python3 is 3.10, x86-64.
GRADESCOPE = WheelTarget("3.10", ("manylinux_2_17_x86_64", "manylinux2014_x86_64"))
HERE = WheelTarget(None)


def parse_target(text: str) -> WheelTarget:
    """``here``, ``gradescope`` or ``PYTHON:PLATFORM[,PLATFORM...]`` (``3.12:win_amd64``)."""
    if text == "here":
        return HERE
    if text == "gradescope":
        return GRADESCOPE
    python, _, platforms = text.partition(":")
    if not re.fullmatch(r"3\.\d{1,2}", python) or not re.fullmatch(r"[\w.]+(,[\w.]+)*", platforms):
        raise AssignmentError(
            f"a wheel target is 'here', 'gradescope' or PYTHON:PLATFORM such as "
            f"'3.12:win_amd64' or '3.11:macosx_11_0_arm64', got {text!r}"
        )
    return WheelTarget(python, tuple(platforms.split(",")))


def wheel_targets(names: list[str]) -> list[str]:
    """What the binary wheels among ``names`` run on, from their tags: ``CPython 3.11 on
    manylinux_2_17_x86_64`` (pure-Python ``-none-any`` wheels run anywhere and say nothing)."""
    found = []
    for name in names:
        parts = name.removesuffix(".whl").split("-")
        if len(parts) < 5 or parts[-1] == "any":
            continue
        python, platform = parts[-3].split(".")[0], parts[-1].split(".")[0]
        match = re.fullmatch(r"cp(\d)(\d+)", python)
        label = f"CPython {match[1]}.{match[2]}" if match else python
        if f"{label} on {platform}" not in found:
            found.append(f"{label} on {platform}")
    return found


def download_dependency_wheels(dest: Path, target: WheelTarget) -> list[str]:
    """Wheels of NumPy, pytest, hypothesis (and theirs) for ``target`` into ``dest``.

    From pip's cache, else the package index: binary wheels only, so nothing
    is built. Returns the names of the wheels in ``dest`` afterwards.
    """
    requirements = list(STUDENT_REQUIREMENTS)
    python = target.python or f"{sys.version_info.major}.{sys.version_info.minor}"
    if tuple(int(p) for p in python.split(".")) < (3, 11):
        requirements += BACKPORTS
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
           "--dest", str(dest)]  # fmt: skip
    if target.python is not None:
        cmd += ["--python-version", target.python, "--implementation", "cp"]
        for platform in target.platforms:
            cmd += ["--platform", platform]
    done = subprocess.run(cmd + requirements, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssignmentError(
            f"downloading the wheels of {', '.join(requirements)} for {target.describe()} "
            f"failed:\n{done.stderr[-1500:]}"
        )
    return sorted(p.name for p in dest.glob("*.whl"))
