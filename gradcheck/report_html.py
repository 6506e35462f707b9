"""A failed (or passed) gradient check as an HTML report, for notebooks.

:func:`check_html` reads only the public attributes a check's outcome
carries, so it renders a :class:`gradcheck.GradcheckError` and any result
object with the same attributes: ``layer``, ``findings`` (each a
:class:`gradcheck.Finding`: ``tensor, kind, summary, hint, rows``
of :class:`gradcheck.EntryRow`: ``where, numeric, analytic, ok``)
and ``results`` (each a :class:`gradcheck.TensorResult`: ``name,
ok, max_rel_err``).

The wrong entries are highlighted with a translucent red and marked ✗ (not
by colour alone); text keeps the notebook theme's colour, so the report
reads in light and dark themes. Standard library only.
"""

from __future__ import annotations

import html
from typing import Any

WRONG = "background: rgba(220, 50, 50, 0.22)"
RIGHT = "background: rgba(40, 160, 80, 0.15)"
LINE = "border-bottom: 1px solid color-mix(in srgb, currentColor 25%, transparent)"
CELL = f"padding: 0.15em 0.6em; text-align: left; {LINE}"
NUM = f"padding: 0.15em 0.6em; text-align: right; font-variant-numeric: tabular-nums; {LINE}"
MAX_ROWS = 12  # entries shown per finding; the wrong ones first


def _e(value: object) -> str:
    return html.escape(str(value))


def _number(x: float) -> str:
    return f"{x:.6g}"


def _results_table(results: list[Any]) -> str:
    if not results:
        return ""
    rows = "".join(
        f'<tr style="{RIGHT if r.ok else WRONG}"><td style="{CELL}"><code>{_e(r.name)}</code></td>'
        f'<td style="{CELL}">{"✓ right" if r.ok else "✗ wrong"}</td>'
        f'<td style="{NUM}">{_number(r.max_rel_err)}</td></tr>'
        for r in results
    )
    return (
        '<table style="border-collapse: collapse; color: inherit; margin: 0.3em 0">'
        f'<thead><tr><th style="{CELL}">gradient</th><th style="{CELL}">verdict</th>'
        f'<th style="{NUM}">max relative error</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _finding(f: Any) -> str:
    # A check below the "full" hint level has already cut its findings' hints and
    # summaries to what that level may say: the page shows them as they are.
    summary, hint = f.summary, f.hint
    first, second = getattr(f, "columns", ("numeric", "analytic"))  # e.g. reference, forward
    parts = [
        f'<p style="margin: 0.6em 0 0.2em"><strong>{_e(f.kind)}</strong> in '
        f"<code>{_e(f.tensor)}</code>: {_e(summary)}</p>",
        *(f'<p style="margin: 0.1em 0 0.1em 1em">{_e(d)}</p>' for d in f.details),
    ]
    if f.rows:
        shown = sorted(f.rows, key=lambda r: r.ok)[:MAX_ROWS]
        body = "".join(
            f'<tr style="{RIGHT if r.ok else WRONG}">'
            f'<td style="{CELL}"><code>{_e(r.where)}</code></td>'
            f'<td style="{NUM}">{_number(r.numeric)}</td>'
            f'<td style="{NUM}">{_number(r.analytic)}</td>'
            f'<td style="{CELL}">{"✓" if r.ok else "✗ wrong"}</td></tr>'
            for r in shown
        )
        more = len(f.rows) - len(shown)
        parts.append(
            '<table style="border-collapse: collapse; color: inherit">'
            f'<thead><tr><th style="{CELL}">entry</th><th style="{NUM}">{_e(first)}</th>'
            f'<th style="{NUM}">{_e(second)}</th><th style="{CELL}"></th></tr></thead>'
            f"<tbody>{body}</tbody></table>"
            + (
                f'<p style="margin: 0.2em 0; opacity: 0.7">… and {more} more entries</p>'
                if more
                else ""
            )
        )
    if hint:
        parts.append(f'<p style="margin: 0.3em 0"><em>Hint:</em> {_e(hint)}</p>')
    return "".join(parts)


def check_html(outcome: Any) -> str:
    """The HTML report of a gradient check: verdict, each tensor, each finding with its entries."""
    findings = list(getattr(outcome, "findings", []) or [])
    results = list(getattr(outcome, "results", []) or [])
    verdict = (
        f"✗ {len(findings)} problem{'s' if len(findings) != 1 else ''} found"
        if findings
        else "✓ every gradient is right"
    )
    return (
        '<div style="color: inherit">'
        f'<p style="margin: 0 0 0.3em"><strong>gradcheck of <code>{_e(outcome.layer)}</code>: '
        f"{_e(verdict)}</strong></p>"
        + _results_table(results)
        + "".join(_finding(f) for f in findings)
        + "</div>"
    )
