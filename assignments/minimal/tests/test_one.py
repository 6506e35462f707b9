from calc.ops import double, square

from chainrule.assignment import points


@points(2)
def test_double() -> None:
    """double(3) is 6."""
    assert double(3) == 6, f"double(3) should be 6, got {double(3)}"


@points(1)
def test_square() -> None:
    """square(4) is 16."""
    assert square(4) == 16


# A comment above a hidden test belongs to it: students see neither.
@points(1, hidden=True)
def test_double_negative() -> None:
    """double works for negative numbers too."""
    hidden_detail = abs(-4)  # no line of a hidden test reaches a student
    assert double(-hidden_detail) == -8, "double(-4) is wrong"
