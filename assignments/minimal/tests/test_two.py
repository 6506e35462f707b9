from calc.other import triple

from chainrule.assignment import points


@points(1)
def test_triple() -> None:
    """triple(2) is 6."""
    assert triple(2) == 6
