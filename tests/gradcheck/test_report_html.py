"""The HTML report of a gradient check: wrong entries highlighted, well-formed, escaped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import html5lib  # type: ignore[import-untyped]
import numpy as np
import pytest
from broken_layers import SignFlippedLinear

from gradcheck import GradcheckError, check_layer
from gradcheck.findings import EntryRow, Finding, TensorResult
from gradcheck.report_html import WRONG, check_html


def _failure() -> GradcheckError:
    with pytest.raises(GradcheckError) as caught:
        check_layer(SignFlippedLinear(3, 2, rng=0), np.ones((2, 3)))
    return caught.value


def test_failing_check_highlights_exactly_its_wrong_entries() -> None:
    err = _failure()
    page = err._repr_html_()
    html5lib.HTMLParser(strict=True).parseFragment(page)
    assert page == check_html(err)
    bad_rows = sum(not r.ok for f in err.findings for r in f.rows[:12])
    bad_results = sum(not r.ok for r in err.results)
    assert bad_rows > 0
    assert page.count(f'<tr style="{WRONG}">') == bad_rows + bad_results
    assert page.count("✗ wrong") == bad_rows + bad_results
    assert "wrong gradient" in page and "<code>W</code>" in page
    assert "negated" in page  # the hint
    assert "✗ 1 problem found" in page


@dataclass
class _Result:
    """Stands in for the check result another module builds: the same public attributes."""

    layer: str
    findings: list[Finding] = field(default_factory=list)
    results: list[TensorResult] = field(default_factory=list)


def test_a_passing_result_and_hostile_text() -> None:
    row = EntryRow(where="(0,)", numeric=1.0, analytic=1.0, ok=True)
    ok: Any = _Result("Linear(2, 2)", [], [TensorResult("W", (2, 2), "all", [row])])
    page = check_html(ok)
    assert "✓ every gradient is right" in page and "✗" not in page
    wrong = EntryRow(where="<i>", numeric=1.0, analytic=-1.0, ok=False)
    evil = Finding("<b>W</b>", "wrong gradient", "<script>x</script>", [], [wrong], "<img src=x>")
    page = check_html(_Result("<script>alert(1)</script>", [evil]))
    html5lib.HTMLParser(strict=True).parseFragment(page)
    for raw in ("<script>", "<b>W", "<img", "<i>"):
        assert raw not in page
