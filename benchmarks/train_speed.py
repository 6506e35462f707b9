"""Training speed of chainrule side by side with PyTorch, scikit-learn and the GEMM floor.

Run from the repository root (see benchmarks/README.md)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/train_speed.py

One process; the runners take turns (interleaved) with a pause before each
epoch, because OpenBLAS worker threads spin for about 0.1 s after their last
call and would steal a core from whoever runs next. Every runner gets the same
number of threads (NumPy's BLAS through threadpoolctl, ``torch.set_num_threads``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing it

from runners import (  # noqa: E402  (needs the path above)
    RUNNERS,
    EngineRunner,
    NumpyRunner,
    Problem,
    Runner,
    TorchRunner,
    Workload,
    make_problem,
)

WORKLOADS = {
    "64-128-10 b32": Workload(64, 128, 10, 32, 32768),
    "64-128-10 b128": Workload(64, 128, 10, 128, 65536),
    "784-256-10 b128": Workload(784, 256, 10, 128, 16384),
    "784-256-10 b1024": Workload(784, 256, 10, 1024, 16384),
    "784-256-10 b1": Workload(784, 256, 10, 1, 1024),
    "784-256-10 b128 float64": Workload(784, 256, 10, 128, 16384, "float64"),
    "64-128-10 b1": Workload(64, 128, 10, 1, 4096),
}
DEFAULT = [k for k in WORKLOADS if "float64" not in k and k != "64-128-10 b1"]
SWEEP = {  # --sweep: batch sizes at 64-128-10, widths at 784-H-10 b128
    **{f"64-128-10 b{b}": Workload(64, 128, 10, b, max(4096, 256 * b)) for b in (8, 512)},
    **{f"784-{h}-10 b128": Workload(784, h, 10, 128, 8192) for h in (64, 1024)},
}
WORKLOADS.update(SWEEP)


def auto_threads(w: Workload) -> int:
    """One BLAS thread when a step's products are too small to share, else all cores."""
    cores = os.cpu_count() or 1
    flops = w.batch * w.H * (w.D + w.K)
    return 1 if flops < 2_000_000 else cores


def blas_info() -> list[dict[str, Any]]:
    from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

    keep = ("internal_api", "prefix", "version", "architecture", "num_threads", "filepath")
    return [{k: d.get(k) for k in keep} for d in threadpool_info()]


def check_same_weights(w: Workload, runner: type[Runner] = EngineRunner) -> float:
    """One epoch of ``runner`` and PyTorch from the same start; largest relative difference."""
    small = dataclasses.replace(w, n_samples=min(w.n_samples, 64 * w.batch))
    p = make_problem(small)
    ours, theirs = runner(p, w.batch), TorchRunner(p, w.batch)
    ours.epoch()
    theirs.epoch()
    worst = 0.0
    for a, b in zip(ours.weights(), theirs.weights(), strict=True):
        worst = max(worst, float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-30)))
    return worst


def time_epochs(
    w: Workload, p: Problem, names: list[str], repeats: int, pause: float
) -> dict[str, dict[str, float]]:
    runners = {name: RUNNERS[name](p, w.batch) for name in names}
    for r in runners.values():  # warm up: first-call costs, buffers, page faults
        r.epoch()
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeats):
        for name, r in runners.items():
            time.sleep(pause)
            t0 = time.perf_counter()
            r.epoch()
            seconds[name].append(time.perf_counter() - t0)
    out = {}
    for name, s in seconds.items():
        rates = sorted(w.n_samples / x for x in s)
        out[name] = {
            "median": statistics.median(rates),
            "min": rates[0],
            "max": rates[-1],
            "spread": (rates[-1] - rates[0]) / statistics.median(rates),
        }
    return out


def traced_peak(w: Workload) -> dict[str, float]:
    """The engine's peak NumPy memory in one epoch, against the budget of the issue."""
    p = make_problem(w)
    tracemalloc.start()
    runner = EngineRunner(p, w.batch)
    runner.epoch()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    item = p.X.itemsize
    params = sum(q.value.nbytes for q in runner.net.parameters())
    activations = w.batch * (w.H + w.H + w.K) * item  # z, h = σ(z), logits
    data = p.X.nbytes + p.t.nbytes
    budget = 2 * params + activations + data
    return {
        "peak_mb": (peak + data) / 1e6,
        "budget_mb": budget / 1e6,
        "ratio": (peak + data) / budget,
    }


def rss_child(name: str, key: str, threads: int) -> None:
    """In a fresh process: the peak RSS one epoch adds on top of data and model."""
    from threadpoolctl import threadpool_limits

    def status(field: str) -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) * 1024
        return 0

    w = WORKLOADS[key]
    p = make_problem(w)
    with threadpool_limits(threads):
        if name == "torch":
            import torch

            torch.set_num_threads(threads)
        runner = RUNNERS[name](p, w.batch)
        rss0 = status("VmRSS:")
        Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark
        runner.epoch()
    print(json.dumps({"extra_mb": (status("VmHWM:") - rss0) / 1e6}))


def rss_extra(name: str, key: str, threads: int) -> float:
    cmd = [sys.executable, __file__, "--rss-child", name, key, str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return float(json.loads(out.strip().splitlines()[-1])["extra_mb"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--workloads", nargs="+", default=DEFAULT, choices=list(WORKLOADS))
    ap.add_argument("--runners", nargs="+", default=list(RUNNERS), choices=list(RUNNERS))
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--pause", type=float, default=0.3, help="seconds before each epoch")
    ap.add_argument("--threads", default="auto", help="'auto' or a number, for every runner")
    ap.add_argument("--memory", default="784-256-10 b1024", help="workload for peak memory")
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    ap.add_argument("--sweep", action="store_true", help="add the batch-size and width sweeps")
    ap.add_argument("--rss-child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child:
        rss_child(args.rss_child[0], args.rss_child[1], int(args.rss_child[2]))
        return

    import torch
    from threadpoolctl import threadpool_limits

    if args.sweep:
        args.workloads = list(dict.fromkeys([*args.workloads, *SWEEP]))
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    report: dict[str, Any] = {"env": env, "blas": blas_info(), "workloads": {}}
    say = (lambda *a: None) if args.json else print
    say(f"BLAS: {[(b['prefix'], b.get('architecture'), b['num_threads']) for b in report['blas']]}")
    say(f"env: {env}; torch {torch.__version__}, numpy {np.__version__}")
    for key in args.workloads:
        w = WORKLOADS[key]
        n = auto_threads(w) if args.threads == "auto" else int(args.threads)
        with threadpool_limits(n):
            torch.set_num_threads(n)
            diff = check_same_weights(w)
            runners = list(args.runners)
            if "numpy" in runners:  # the hand-written loop must do the same work
                diff_numpy = check_same_weights(w, NumpyRunner)
                if not diff_numpy < 1e-4:  # not timed: it would not be the same race
                    say(f"{key}: the numpy runner's weights differ by {diff_numpy:.1e}; left out")
                    runners.remove("numpy")
            res = time_epochs(w, make_problem(w), runners, args.repeats, args.pause)
        entry: dict[str, Any] = {"threads": n, "max_rel_weight_diff_vs_torch": diff, "rates": res}
        c = res.get("engine", {}).get("median")
        if c:
            entry["ratios"] = {f"engine/{o}": c / res[o]["median"] for o in res if o != "engine"}
        report["workloads"][key] = entry
        say(
            f"\n{key}  ({n} thread{'s' if n > 1 else ''}; weights after one epoch vs torch: "
            f"max rel diff {diff:.1e})"
        )
        for name, r in res.items():
            say(
                f"  {name:10s} {r['median']:>12,.0f} samples/s  (min {r['min']:,.0f}, "
                f"max {r['max']:,.0f}, spread {100 * r['spread']:.0f}%)"
            )
        for ratio, v in entry.get("ratios", {}).items():
            say(f"  {ratio:18s} {v:.2f}")
    if args.memory and "engine" in args.runners:
        w = WORKLOADS[args.memory]
        n = auto_threads(w) if args.threads == "auto" else int(args.threads)
        mem: dict[str, Any] = {"workload": args.memory, "chainrule_traced": traced_peak(w)}
        mem["extra_rss_mb"] = {name: rss_extra(name, args.memory, n) for name in args.runners}
        report["memory"] = mem
        t = mem["chainrule_traced"]
        say(
            f"\npeak memory, {args.memory}: engine {t['peak_mb']:.1f} MB traced (data "
            f"included) vs budget {t['budget_mb']:.1f} MB = {t['ratio']:.2f}x"
        )
        say(
            "  peak RSS added by one epoch: "
            + ", ".join(f"{k} {v:.1f} MB" for k, v in mem["extra_rss_mb"].items())
        )
    if args.json:
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
