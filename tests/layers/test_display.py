"""``_repr_html_``: every layer, net and loss shows a well-formed table that follows the theme."""

from __future__ import annotations

import html5lib  # type: ignore[import-untyped]
import pytest

from layers import Layer, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from losses import CrossEntropyLoss, Loss, MSELoss, SoftmaxCrossEntropyLoss

LAYERS: list[Layer] = [
    Linear(4, 3, rng=0), Linear(2, 5, bias=False, rng=0), Sigmoid(), ReLU(), Tanh(), Softmax(),
    Sequential(), Sequential(Linear(4, 8, rng=0), Sigmoid(), Linear(8, 3, rng=1)),
    Sequential(Linear(2, 2, rng=0), Sequential(Tanh(), Linear(2, 1, rng=1))),
]  # fmt: skip
LOSSES: list[Loss] = [MSELoss(), MSELoss("sum"), CrossEntropyLoss(), SoftmaxCrossEntropyLoss()]


def _well_formed(fragment: str) -> None:
    """html5lib in strict mode raises on any parse error (unclosed or misnested tags)."""
    html5lib.HTMLParser(strict=True).parseFragment(fragment)


def _follows_the_theme(fragment: str) -> None:
    lowered = fragment.lower()
    for fixed in ("#000", "#fff", "black", "white", "color: rgb"):
        assert fixed not in lowered, f"hard-coded colour {fixed!r}"
    assert "color: inherit" in lowered


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_every_layer_renders_well_formed(layer: Layer) -> None:
    fragment = layer._repr_html_()
    _well_formed(fragment)
    _follows_the_theme(fragment)
    assert fragment.startswith("<table") and fragment.endswith("</table>")


def test_sequential_lists_layers_shapes_and_parameter_counts() -> None:
    net = Sequential(Linear(4, 8, rng=0), Sigmoid(), Linear(8, 3, rng=1))
    fragment = net._repr_html_()
    assert "Sequential: 67 parameters" in fragment  # 4·8 + 8 + 8·3 + 3
    assert "<code>(0) Linear(4, 8)</code>" in fragment
    assert "W (8, 4), b (8,)" in fragment and "W (3, 8), b (3,)" in fragment
    assert fragment.count("(N, 8)") == 2 and "(N, 3)" in fragment  # Sigmoid keeps the shape
    assert ">40<" in fragment and ">27<" in fragment


def test_nested_positions_and_no_bias() -> None:
    fragment = Sequential(Linear(2, 2, bias=False, rng=0), Sequential(Tanh()))._repr_html_()
    assert "<code>(1.0) Tanh()</code>" in fragment
    assert "W (2, 2)</td>" in fragment and "b (" not in fragment


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_every_loss_renders_its_formula(loss: Loss) -> None:
    fragment = loss._repr_html_()
    _well_formed(fragment)
    _follows_the_theme(fragment)
    assert "reduction=&#x27;" + loss.reduction in fragment  # escaped, not raw quotes
    assert "L = " in fragment and "∇_" in fragment


def test_text_is_escaped() -> None:
    class Hostile(Layer):
        def __repr__(self) -> str:
            return "<script>alert(1)</script>"

    fragment = Sequential(Hostile())._repr_html_()
    assert "<script>" not in fragment and "&lt;script&gt;" in fragment
    _well_formed(fragment)
