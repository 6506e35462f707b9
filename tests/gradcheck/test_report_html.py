"""The HTML report of a gradient check: wrong entries highlighted, well-formed, escaped."""

from __future__ import annotations

from html import escape

import html5lib  # type: ignore[import-untyped]
import numpy as np
import pytest
from broken_layers import SignFlippedLinear

from gradcheck import (
    CheckResult,
    EntryRow,
    Finding,
    GradcheckError,
    Kind,
    TensorResult,
    check_layer,
)
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


def _result(layer: str, findings: list[Finding], results: list[TensorResult]) -> CheckResult:
    return CheckResult(not findings, layer, 0, findings, results)


def test_the_result_of_a_non_raising_check_renders_as_its_error_does() -> None:
    result = check_layer(SignFlippedLinear(3, 2, rng=0), np.ones((2, 3)), raise_on_failure=False)
    assert not result.ok and result.error is not None
    assert result._repr_html_() == result.error._repr_html_() == check_html(_failure())


def test_the_page_says_no_more_than_the_hint_level_of_the_check() -> None:
    """A grader that shows students the "slip" level must not leak the answer through HTML."""
    full = _failure()
    answer = full.findings[0]
    assert answer.hint and answer.slip and answer.slip != answer.hint
    assert escape(answer.hint) in full._repr_html_()
    with pytest.raises(GradcheckError) as caught:
        check_layer(SignFlippedLinear(3, 2, rng=0), np.ones((2, 3)), hints="slip")
    page = caught.value._repr_html_()
    assert escape(answer.slip) in page and escape(answer.hint) not in page
    assert "(t − y) where (y − t)" not in page  # the answer's example
    with pytest.raises(GradcheckError) as caught:
        check_layer(SignFlippedLinear(3, 2, rng=0), np.ones((2, 3)), hints="none")
    assert "Hint:" not in caught.value._repr_html_()


def test_a_passing_result_and_hostile_text() -> None:
    row = EntryRow(where="(0,)", numeric=1.0, analytic=1.0, ok=True)
    ok = _result("Linear(2, 2)", [], [TensorResult("W", (2, 2), "all", [row])])
    page = check_html(ok)
    assert "✓ every gradient is right" in page and "✗" not in page
    wrong = EntryRow(where="<i>", numeric=1.0, analytic=-1.0, ok=False)
    evil = Finding(
        "<b>W</b>", Kind.WRONG_GRADIENT, "<script>x</script>", [], [wrong], "<img src=x>"
    )
    page = check_html(_result("<script>alert(1)</script>", [evil], []))
    html5lib.HTMLParser(strict=True).parseFragment(page)
    for raw in ("<script>", "<b>W", "<img", "<i>"):
        assert raw not in page


def test_a_findings_own_columns_and_details_are_shown() -> None:
    """A forward compared with a reference is not "numeric" against "analytic"."""
    row = EntryRow(where="(0, 1)", numeric=2.0, analytic=3.0, ok=False)
    finding = Finding(
        "output", Kind.FORWARD_CHANGED, "the forward differs", ["at x[0]: 2 vs 3"], [row],
        columns=("reference", "forward"),
    )  # fmt: skip
    page = check_html(_result("Linear(2, 2)", [finding], []))
    html5lib.HTMLParser(strict=True).parseFragment(page)
    assert ">reference</th>" in page and ">forward</th>" in page and ">numeric</th>" not in page
    assert "at x[0]: 2 vs 3" in page
