"""Plots drawn in a helper process, so that importing matplotlib overlaps training.

``chainrule train`` spends about half its time on plots: some 0.8 s importing
matplotlib and about a second drawing. :func:`start` launches one worker
process per plot *before* training; each imports matplotlib at once, on the
other core, while the main process trains. :meth:`PlotWorker.draw` then sends
the job as one line of JSON (plain lists and strings, no pickles) and waits
for the PNG. If a worker cannot start or fails, the caller draws the plot
itself, in process: the same figure either way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.history import History


class PlotWorker:
    """One helper process that imports matplotlib now and draws one plot later."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process: subprocess.Popen[str] | None = subprocess.Popen(
            [sys.executable, "-m", "chainrule.plot_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )

    def draw(self, job: dict[str, Any]) -> Path | None:
        """Send ``job``; the written PNG's path, or ``None`` if the worker failed."""
        if self.process is None:
            return None
        try:
            out, _ = self.process.communicate(json.dumps(job) + "\n", timeout=120)
        except (OSError, subprocess.SubprocessError):
            self.close()
            return None
        self.process = None
        try:
            return Path(json.loads(out.strip().splitlines()[-1])["path"])
        except (ValueError, KeyError, IndexError):
            return None

    def close(self) -> None:
        """End the worker without a job (nothing to draw)."""
        if self.process is not None:
            self.process.kill()
            self.process.communicate()  # waits, and closes the pipes
            self.process = None


def start(n: int) -> list[PlotWorker | None]:
    """``n`` workers (``None`` where one could not start)."""
    workers: list[PlotWorker | None] = []
    for _ in range(n):
        try:
            workers.append(PlotWorker())
        except OSError:
            workers.append(None)
    return workers


def run_job(job: dict[str, Any]) -> Path:
    """Draw one plot from a JSON job (in the worker, or in process as the fallback)."""
    from chainrule import plots

    if job["kind"] == "history":
        history = History(**job["history"])
        return plots.plot_history(history, job["path"], job["title"])
    C = np.asarray(job["matrix"], dtype=np.int64)
    return plots.plot_confusion(C, job["class_names"], job["path"], job["title"])


def main() -> int:
    import matplotlib.figure  # noqa: F401  (the slow import, done while the parent trains)
    from matplotlib.backends import backend_agg  # noqa: F401

    line = sys.stdin.readline()
    if not line.strip():
        return 0
    path = run_job(json.loads(line))
    print(json.dumps({"path": str(path)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
