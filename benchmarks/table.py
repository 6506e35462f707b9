"""Turn ``train_speed.py --json`` output into the Markdown table of benchmarks/README.md.

python benchmarks/train_speed.py --json > speed.json
python benchmarks/table.py speed.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

ORDER = ["engine", "layers", "numpy", "torch", "sklearn", "floor", "floor_cm"]


def rate(x: float) -> str:
    return f"{x / 1e3:,.0f}k" if x >= 1e4 else f"{x / 1e3:.1f}k"


def table(report: dict[str, Any]) -> str:
    rows = []
    names = [n for n in ORDER if any(n in w["rates"] for w in report["workloads"].values())]
    others = [n for n in names if n != "engine"]
    head = ["workload", "threads", *names, *(f"÷{n}" for n in others)]
    rows.append("| " + " | ".join(head) + " |")
    rows.append("|---|" + "---:|" * (len(head) - 1))
    for key, w in report["workloads"].items():
        r = w["rates"]
        cells = [key, str(w["threads"])]
        cells += [
            f"{rate(r[n]['median'])} (±{50 * r[n]['spread']:.0f}%)" if n in r else "—"
            for n in names
        ]
        cells += [f"{w['ratios'][f'engine/{n}']:.2f}" if n in r else "—" for n in others]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print(table(json.load(f)))
