"""The Gradescope autograder zip: ``setup.sh``, ``run_autograder`` and what they need.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh``
once to build its image, then ``run_autograder`` for each submission, which
must leave ``/autograder/results/results.json``. Our scripts install the
framework from the wheel inside the zip (so the grader runs the very version
the instructor tested) with only what the tests import (NumPy, pytest,
hypothesis: from wheels in the zip too, when ``make`` could fetch them for
Gradescope's Python), and honour two environment variables so the same
scripts run anywhere: ``AUTOGRADER_ROOT`` (instead of ``/autograder``) and
``AUTOGRADER_PYTHON`` (an interpreter that already has chainrule).

The zip holds the tests (hidden ones too: Gradescope never shows the
source), the starter files and the solution, which gradcheck's numeric
derivatives run on. The student's code runs as another user in a sandbox
that sees none of them (see ``docs/assignments.md``, "Threat model").
``run_autograder`` deletes any ``results.json`` before grading, passes no
path on a command line, and writes a failing result if the grader does not
finish normally.
"""

from __future__ import annotations

import shlex
import zipfile
from pathlib import Path

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, to build the autograder's image.
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
cd "$ROOT/source"
if [ -n "${{AUTOGRADER_PYTHON:-}}" ]; then
    PY="$AUTOGRADER_PYTHON"
else
    # Ubuntu ships python3 without ensurepip: install python3-venv when venv fails.
    if ! python3 -m venv "$ROOT/venv" >/dev/null 2>&1; then
        rm -rf "$ROOT/venv"
        apt-get update && apt-get install -y python3 python3-pip python3-venv
        python3 -m venv "$ROOT/venv"
    fi
    PY="$ROOT/venv/bin/python"
fi
{install}
"$PY" -c "import chainrule.assignment, layers, losses, optim, gradcheck"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission; it must leave results/results.json.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PY="${{AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"  # a results.json planted before grading never counts
chmod go-rwx "$ROOT/source" "$ROOT/results" 2>/dev/null || true
cd "$ROOT/source"
"$PY" -m chainrule.assignment gradescope --timeout {timeout:g}
status=$?
if [ "$status" -ne 0 ] || [ ! -s "$RESULTS" ]; then
    printf '{{"score": 0, "execution_time": 0, "tests": [], "output": "%s"}}\\n' \\
        "The autograder did not finish normally (exit status $status); tell the course staff." \\
        > "$RESULTS"
fi
"""


def install_command(wheel_name: str | None, version: str, index_url: str | None,
                    offline: bool, python: str = '"$PY" -m pip') -> str:  # fmt: skip
    """The shell line(s) that install the framework and what the tests import.

    Only the core and the ``student`` extra (pytest, hypothesis): grading needs
    nothing of the application's dependencies. With the dependency wheels in
    ``wheels/`` (``offline``) the package index is not used, unless they do not
    fit the Python at hand; then it is, with a line saying so.
    """
    if wheel_name is None:  # make checked that the instructor named an index serving it
        index = shlex.quote(str(index_url))
        return f'{python} install --extra-index-url {index} "chainrule[student]=={version}"'
    target = f'"wheels/{wheel_name}[student]"'
    if not offline:
        return f"{python} install --find-links wheels {target}"
    return (
        f"if ! {python} install --no-index --find-links wheels {target}; then\n"
        f'    echo "setup.sh: the wheels in the zip do not fit this Python; '
        f'using the package index" >&2\n'
        f"    {python} install --find-links wheels {target}\n"
        f"fi"
    )


def scripts(
    wheel_name: str | None,
    version: str,
    timeout: float,
    *,
    index_url: str | None = None,
    offline: bool = False,
) -> dict[str, str]:
    """``setup.sh`` and ``run_autograder``, for a wheel in ``wheels/`` (or ``index_url``)."""
    install = install_command(wheel_name, version, index_url, offline)
    return {
        "setup.sh": SETUP_SH.format(install=install),
        "run_autograder": RUN_AUTOGRADER.format(timeout=timeout),
    }


def write_zip(source: Path, zip_path: Path) -> None:
    """Zip the directory ``source`` with its files at the root; scripts stay executable."""
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts:
                continue
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), (2024, 1, 1, 0, 0, 0))
            mode = 0o755 if path.name in ("setup.sh", "run_autograder") else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
