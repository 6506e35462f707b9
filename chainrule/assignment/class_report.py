"""The class's grades and what went wrong most: ``grades.csv``, ``report.md``, ``failures.png``.

Built from each student's ``results.json`` (as ``grade`` writes it):

- ``grades.csv``: one row a submission (its id, its folder or zip name as
  submitted, the submitters' names, emails and student ids from Gradescope's
  metadata), one column a test (its score),
  the total, and a ``reason`` when the submission could not be graded or
  looped, crashed or failed to import somewhere (which tests).
- ``report.md``: the tests most often failed, the gradient-check findings
  most common across the class (kind and slip: "W: wrong gradient — negated"),
  and the submissions that could not be graded, with
- ``failures.png``: the same two counts as bar charts.

A test is "failed" when it earned less than its points (a partial score
counts as failed). Student-written text (names, outputs) is data: in the CSV a
cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a leading ``'`` so a spreadsheet does not run it as a formula; in Markdown, ``|`` and line breaks
are escaped.
"""

from __future__ import annotations

import csv
import statistics
import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chainrule.assignment.submissions import Submission
from chainrule.assignment.testfiles import GradedTest

CSV_NAME, REPORT_NAME, CHART_NAME = "grades.csv", "report.md", "failures.png"
TOP = 10  # rows of each table in the report


def column_names(tests: Sequence[GradedTest]) -> list[str]:
    """A column name for each test: its function, or ``file::function`` if that repeats."""
    names = [t.function for t in tests]
    return [t.function if names.count(t.function) == 1 else t.node_id for t in tests]


def _by_test(results: dict[str, Any], tests: Sequence[GradedTest]) -> dict[str, dict[str, Any]]:
    """Each test's entry in ``results``, keyed by node id (missing tests: absent)."""
    found = {}
    for entry in results.get("tests", []):
        if not isinstance(entry, dict):
            continue
        function = str(entry.get("name", "")).split(":")[0]
        file = str((entry.get("extra_data") or {}).get("file", ""))
        found[f"{file}::{function}"] = entry
    return {t.node_id: found[t.node_id] for t in tests if t.node_id in found}


def failure_kind(output: str) -> str:
    """What a failed test's output says happened, in a word or two."""
    credit = ("Partial credit", "No partial credit")
    paragraphs = [p for p in output.split("\n\n") if not p.startswith(credit)]
    first = paragraphs[0] if paragraphs else ""
    if first.startswith("Timed out"):
        return "timed out"
    if first.startswith("Not run"):
        return "not run"
    if "The process running your code" in first:
        return "crashed"
    if "could not import your code" in first:
        return "import failed"
    if first.startswith("NotImplementedError"):
        return "not implemented"
    if first.startswith("GradcheckError"):
        return "gradient check"
    return "failed"


_REASONS = ("timed out", "crashed", "import failed", "not run")


def row_reason(results: dict[str, Any], entries: dict[str, dict[str, Any]], columns: dict[str,
               str]) -> str:  # fmt: skip
    """Why a submission lost points other than by wrong answers ("" when it did not)."""
    if not entries:
        return str(results.get("output", "not graded")).splitlines()[0][:300]
    kinds: dict[str, list[str]] = {}
    for node, entry in entries.items():
        if entry.get("status") == "failed":
            kind = failure_kind(str(entry.get("output", "")))
            if kind in _REASONS:
                kinds.setdefault(kind, []).append(columns[node])
    return "; ".join(f"{kind}: {', '.join(names)}" for kind, names in kinds.items())


# What a spreadsheet may read as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("\r", " ")[:300]


def write_class_report(
    out: Path,
    subs: Sequence[Submission],
    tests: Sequence[GradedTest],
    results: Sequence[dict[str, Any] | None],
) -> None:
    """Write ``grades.csv``, ``report.md`` and ``failures.png`` into ``out``."""
    columns = dict(zip([t.node_id for t in tests], column_names(tests), strict=True))
    out_of = sum(t.points for t in tests)
    failed: Counter[str] = Counter()
    findings: Counter[str] = Counter()
    totals, trouble = [], []
    with open(out / CSV_NAME, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "folder", "names", "emails", "sids", *columns.values(), "total",
                         "reason"])  # fmt: skip
        for sub, res in zip(subs, results, strict=True):
            res = res or {"score": 0.0, "output": "not graded yet", "tests": []}
            entries = _by_test(res, tests)
            scores = [entries[t.node_id]["score"] if t.node_id in entries else 0.0 for t in tests]
            reason = row_reason(res, entries, columns)
            writer.writerow([_csv_cell(v)
                             for v in (sub.id, sub.folder, sub.names, sub.emails, sub.sids)]
                            + [f"{s:g}" for s in scores]
                            + [f"{float(res['score']):g}", _csv_cell(reason)])  # fmt: skip
            totals.append(float(res["score"]))
            if reason:
                trouble.append((sub.id, reason))
            seen = set()
            for test in tests:
                entry = entries.get(test.node_id)
                if entries and (entry is None or entry.get("score", 0) < test.points):
                    failed[columns[test.node_id]] += 1
                for finding in ((entry or {}).get("extra_data") or {}).get("gradcheck", []):
                    slip = str(finding.get("slip", "")).split(";")[0].strip()
                    key = f"{finding.get('tensor')}: {finding.get('kind')}"
                    seen.add(f"{key} — {slip}" if slip else key)
            findings.update(seen)  # each kind counts once a student
    _write_chart(out / CHART_NAME, failed, findings)
    graded = [t for t, r in zip(totals, results, strict=True) if r and r.get("tests")]
    lines = [
        f"# Class report: {len(subs)} submissions",
        "",
        f"- Graded: {len(graded)}; could not be graded: {len(subs) - len(graded)}.",
    ]
    if graded:
        lines.append(
            f"- Total (of {out_of:g} points): mean {statistics.mean(graded):.2f}, median "
            f"{statistics.median(graded):g}, full marks {sum(t >= out_of for t in graded)}."
        )
    lines += ["", f"![Most failed tests and gradient-check findings]({CHART_NAME})", "",
              "## Tests most often failed", "", "| test | points | failed by | share |",
              "|---|---:|---:|---:|"]  # fmt: skip
    points = {columns[t.node_id]: t.points for t in tests}
    for name, n in failed.most_common(TOP):
        lines.append(f"| {name} | {points[name]:g} | {n} | {n / max(1, len(graded)):.0%} |")
    lines += ["", "## Gradient-check findings across the class (students)", "",
              "| tensor: kind — slip | students |", "|---|---:|"]  # fmt: skip
    lines += [f"| {_md(k)} | {n} |" for k, n in findings.most_common(TOP)] or ["| (none) | 0 |"]
    if trouble:
        lines += ["", "## Submissions that timed out, crashed, did not import or were not graded",
                  "", "| id | reason |", "|---|---|"]  # fmt: skip
        lines += [f"| {_md(i)} | {_md(r)} |" for i, r in trouble]
    (out / REPORT_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _label(text: str, width: int = 46) -> str:
    """A bar's label: the slip's name (up to its first colon), on two lines at most."""
    kind, sep, slip = text.partition(" — ")
    head = f"{kind} — {slip.split(': ')[0]}" if sep else text
    lines = textwrap.wrap(head, width)
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")


def _draw_panel(ax: Any, counts: Counter[str], title: str, unit: str, empty: str) -> None:
    """One bar chart of ``counts`` (most common at the top); ``empty`` says so when none."""
    ax.set_title(title)
    top = counts.most_common(TOP)[::-1]
    if not top:  # no bars: a clean panel with the sentence, not an axis from -0.04 to 0.04
        ax.set_axis_off()
        ax.text(0.5, 0.5, empty, ha="center", va="center", fontsize=13, color="0.35",
                transform=ax.transAxes)  # fmt: skip
        return
    ax.barh(range(len(top)), [n for _, n in top], color="tab:red" if unit == "submissions"
            else "tab:blue")  # fmt: skip
    ax.set_yticks(range(len(top)), [_label(k) for k, _ in top], fontsize=8)
    ax.set_xlabel(unit)
    ax.xaxis.get_major_locator().set_params(integer=True)


def _write_chart(path: Path, failed: Counter[str], findings: Counter[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(15, 7.5), layout="constrained")
    _draw_panel(axes[0], failed, "Tests most often failed", "submissions", "no failed tests")
    _draw_panel(axes[1], findings, "Gradient-check findings", "students",
                "no gradient-check findings")  # fmt: skip
    fig.savefig(path, dpi=110)
    plt.close(fig)
