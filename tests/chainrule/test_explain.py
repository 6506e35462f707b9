"""``chainrule explain``: the embedded numbers are the framework's; the page is valid HTML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import html5lib  # type: ignore[import-untyped]
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainrule.cli import main
from chainrule.explainer import explain, script_safe_json
from chainrule.model import mlp
from layers import Linear, Sequential, Softmax
from losses import CrossEntropyLoss, Loss, MSELoss, SoftmaxCrossEntropyLoss


def _parse(page: str) -> Any:
    """The page parsed by html5lib in strict mode: any parse error fails the test."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)


def _embedded(page: str) -> dict[str, Any]:
    """The JSON inside ``<script id="chainrule-data">``, as the browser's JSON.parse reads it."""
    scripts = [s for s in _parse(page).iter("script") if s.get("id") == "chainrule-data"]
    assert len(scripts) == 1
    data: dict[str, Any] = json.loads(scripts[0].text)
    return data


def _steps(view: dict[str, Any]) -> dict[str, Any]:
    return {s["key"]: s["value"] for s in view["trace"]["steps"]}


@st.composite
def nets(draw: st.DrawFn) -> tuple[Sequential, np.ndarray, Any, Loss]:
    """A random mlp, batch and loss (targets to suit the loss)."""
    widths = draw(st.lists(st.integers(1, 5), min_size=2, max_size=4))
    activation = draw(st.sampled_from(["sigmoid", "tanh", "relu"]))
    n = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    net = mlp(widths[0], widths[1:-1], widths[-1], activation, rng=seed)
    X = rng.normal(size=(n, widths[0]))
    kind = draw(st.sampled_from(["mse", "softmax-ce", "softmax+ce"]))
    reduction = draw(st.sampled_from(["mean", "sum"]))
    if kind == "mse":
        return net, X, rng.normal(size=(n, widths[-1])), MSELoss(reduction)
    labels = rng.integers(0, widths[-1], size=n)
    if kind == "softmax-ce":
        return net, X, labels, SoftmaxCrossEntropyLoss(reduction)
    return Sequential(*net.layers, Softmax()), X, labels, CrossEntropyLoss(reduction)


@given(nets())
def test_embedded_numbers_are_the_frameworks_forward_and_backward(
    case: tuple[Sequential, np.ndarray, Any, Loss],
) -> None:
    net, X, t, loss = case
    data = _embedded(explain(net, X, t, loss))
    assert [v["label"] for v in data["views"]] == ["one sample", f"batch of {len(X)}"]
    for view, x_in, t_in in zip(data["views"], (X[0], X), (t[0], t), strict=True):
        # The reference: Sequential's own forward and backward, run afresh.
        y = net.forward(x_in)
        L = loss.forward(y, t_in)
        net.backward(loss.backward())
        steps = _steps(view)
        np.testing.assert_array_equal(np.array(steps["y"]), y)
        assert steps["L"] == L
        linears = [layer for layer in net.layers if isinstance(layer, Linear)]
        for k, layer in enumerate(linears, start=1):
            np.testing.assert_array_equal(np.array(steps[f"grad_W{k}"]), layer.W.grad)
            assert layer.b is not None
            np.testing.assert_array_equal(np.array(steps[f"grad_b{k}"]), layer.b.grad)
        # Forward then backward, and every step shows its node's numbers.
        phases = [s["phase"] for s in view["trace"]["steps"]]
        assert phases == sorted(phases, key=lambda p: p == "backward")
        assert len(view["trace"]["nodes"]) == len(net.layers) + 2  # input, layers, loss


def test_default_page_shows_the_notes_numbers_in_the_notes_order() -> None:
    data = _embedded(explain())
    view = data["views"][0]
    assert view["label"] == "one sample"
    keys = [s["key"] for s in view["trace"]["steps"]]
    assert keys == ["z", "h", "y", "L", "grad_y", "grad_h", "grad_W2", "grad_z", "grad_W1"]
    v = _steps(view)  # worked by hand in tests/chainrule/test_trace.py
    np.testing.assert_allclose(v["z"], [0.0, np.log(3.0)], rtol=1e-15)
    assert v["h"] == [0.5, 0.75]
    assert v["y"] == [-0.25, 1.0]
    assert v["L"] == 0.0625
    assert v["grad_y"] == [-0.5, 0.0]
    assert v["grad_h"] == [-0.5, 0.5]
    assert v["grad_W2"] == [[-0.25, -0.375], [0.0, 0.0]]
    assert v["grad_z"] == [-0.125, 3 / 32]
    assert v["grad_W1"] == [[-0.125, -0.25], [3 / 32, 3 / 16]]
    equations = {s["key"]: s["equation"] for s in view["trace"]["steps"]}
    assert equations["grad_W1"] == "∇_W⁽¹⁾ L = (∇_z L) xᵀ"
    assert equations["grad_h"] == "∇_h L = ((∇_y L)ᵀ W⁽²⁾)ᵀ"
    # ∇_W⁽¹⁾ L = g xᵀ with the actual g and x plugged in.
    last = view["trace"]["steps"][-1]
    assert [o["name"] for o in last["operands"]] == ["∇_z L", "xᵀ"]
    assert last["operands"][0]["value"] == v["grad_z"]
    assert last["operands"][1]["value"] == [1.0, 2.0]
    # The batch view: the summed loss's gradient is the sum of the samples'.
    batch = _steps(data["views"][1])
    assert np.array(batch["grad_W1"]).shape == (2, 2)


def test_page_is_self_contained_and_strictly_valid() -> None:
    page = explain(mlp(4, 8, 3, rng=0), np.ones((2, 4)), [0, 2], SoftmaxCrossEntropyLoss())
    tree = _parse(page)
    assert page.startswith("<!DOCTYPE html>")
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
        assert all(e.get(attr) is None for e in tree.iter(tag)), (
            f"<{tag} {attr}> loads from outside"
        )
    assert "http://" not in page and "https://" not in page
    assert "{{" not in page  # every placeholder filled


def test_hostile_text_is_escaped_in_the_page_and_in_the_json() -> None:
    hostile = "</script><script>alert(1)</script><!-- & \u2028"
    page = explain(title=hostile)
    assert "<script>alert(1)" not in page
    tree = _parse(page)
    assert len(list(tree.iter("script"))) == 2  # the data and our script, nothing injected
    assert _embedded(page)["title"] == hostile  # read back unchanged
    assert tree.find(".//title").text.endswith(hostile + " with MSELoss(reduction='sum')")
    assert json.loads(script_safe_json({"a": hostile})) == {"a": hostile}
    assert "<" not in script_safe_json({"a": hostile})


def test_explain_leaves_the_nets_gradients_as_they_were() -> None:
    net = mlp(3, 2, 2, rng=0)
    before = [p.grad.copy() for p in net.parameters()]
    explain(net, np.ones((2, 3)), np.zeros((2, 2)))
    for p, g in zip(net.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.grad, g)


def test_one_sample_input_gives_one_view_and_mismatched_targets_are_refused() -> None:
    data = _embedded(explain(mlp(3, 2, 2, rng=0), np.ones(3), np.zeros(2)))
    assert [v["label"] for v in data["views"]] == ["one sample"]
    with pytest.raises(ValueError, match="x has 2 samples but t has 3"):
        explain(mlp(3, 2, 2, rng=0), np.ones((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="give both x and t"):
        explain(mlp(3, 2, 2, rng=0))


def test_command_line_default_and_a_net_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes, own = tmp_path / "notes.html", tmp_path / "own.html"
    assert main(["explain", "--out", str(notes)]) == 0
    assert f"wrote {notes}" in capsys.readouterr().out
    assert _embedded(notes.read_text(encoding="utf-8")) == _embedded(explain())
    assert main(["explain", "--net", "4-8-3", "--seed", "0", "--out", str(own)]) == 0
    data = _embedded(own.read_text(encoding="utf-8"))
    nodes = data["views"][1]["trace"]["nodes"]
    assert [n["label"] for n in nodes] == ["input", "Linear(4, 8)", "Sigmoid()", "Linear(8, 3)",
                                           "MSELoss(reduction='mean')"]  # fmt: skip
    assert [n["shape"] for n in nodes] == [[4, 4], [4, 8], [4, 8], [4, 3], []]
    with pytest.raises(SystemExit):
        main(["explain", "--net", "4-x"])
    assert "expected widths such as 4-8-3" in capsys.readouterr().err


def test_trace_command_for_a_net_of_its_own_agrees_with_the_page(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["--net", "3-2", "--seed", "1", "--batch", "2"]
    assert main(["trace", *argv, "--json"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    page = tmp_path / "p.html"
    assert main(["explain", *argv, "--out", str(page)]) == 0
    capsys.readouterr()
    batch = _steps(_embedded(page.read_text(encoding="utf-8"))["views"][1])
    assert numbers["grad_W1"] == batch["grad_W1"]
    assert numbers["L"] == batch["L"]
    assert main(["trace", *argv]) == 0
    table = capsys.readouterr().out
    assert table.startswith("Worked example: Linear(3, 2), a batch of 2.")
    assert "| 4 | ∇_W⁽¹⁾ L = (∇_Y L)ᵀ X | (2, 3) |" in table


def test_the_handout_and_the_page_show_the_same_single_sample(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``trace --batch 1`` is the page's "one sample" view, whatever batch the page has."""
    assert main(["trace", "--net", "4-8-3", "--seed", "0", "--batch", "1", "--json"]) == 0
    single = json.loads(capsys.readouterr().out)
    page = tmp_path / "p.html"
    assert main(["explain", "--net", "4-8-3", "--seed", "0", "--out", str(page)]) == 0
    capsys.readouterr()
    one = _steps(_embedded(page.read_text(encoding="utf-8"))["views"][0])
    assert single["L"] == one["L"] and single["grad_W1"] == one["grad_W1"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explain", "--batch", "5", "--loss", "softmax-ce"], "--loss, --batch describe a net"),
        (["trace", "--seed", "3"], "--seed describe a net of its own: give --net too"),
        (["trace", "--net", "4-8-3", "--x", "[1, 2, 3, 4]"], "--x set the notes' net"),
        (["explain", "--net", "4-8-3", "--seed", "-1"], "--seed must be ≥ 0, got -1"),
        (["explain", "--net", "3000-3000-10"], "the page shows every one of them"),
        (["explain", "--out", "/nonexistent/dir/x.html"], "--out /nonexistent/dir/x.html: cannot"),
    ],
)
def test_options_that_would_be_ignored_or_fail_are_our_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("x", ['[1, "a"]', '{"a": 1}', "[[1, 2], [3]]", "[true, false]", "[1e400]"])
def test_trace_refuses_what_is_not_a_list_of_numbers(
    capsys: pytest.CaptureFixture[str], x: str
) -> None:
    with pytest.raises(SystemExit):
        main(["trace", "--x", x])
    assert "expected a JSON list of numbers" in capsys.readouterr().err
