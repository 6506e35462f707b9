"""``fit(progress="notebook")``: live curves inside a kernel, the tqdm bars outside one."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest

import chainrule
from chainrule import progress
from chainrule.progress import LiveCurves
from layers.errors import HyperparameterError

PNG = b"\x89PNG\r\n\x1a\n"


class _FakeDisplay:
    """Records what IPython.display.display would show, and its in-place updates."""

    def __init__(self) -> None:
        self.shown: list[Any] = []
        self.updates: list[Any] = []

    def __call__(self, obj: Any, display_id: bool = False) -> _FakeDisplay:
        assert display_id is True  # one output, updated in place
        self.shown.append(obj)
        return self

    def update(self, obj: Any) -> None:
        self.updates.append(obj)


class _Image:
    def __init__(self, data: bytes, format: str) -> None:
        self.data, self.format = data, format


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    return X, (X[:, 0] > 0).astype(int)


def test_curves_are_drawn_once_then_updated_every_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeDisplay()
    fit_module = importlib.import_module("chainrule.fit")  # chainrule.fit is the function
    monkeypatch.setattr(
        fit_module, "live_curves", lambda: LiveCurves(fake, _Image)
    )  # "in a kernel"
    X, y = _data()
    net = chainrule.mlp(2, 4, 2, rng=0)
    history = chainrule.fit(net, X, y, epochs=3, progress="notebook")
    assert len(history.loss) == 3
    assert len(fake.shown) == 1 and len(fake.updates) == 2
    for image in [*fake.shown, *fake.updates]:
        assert image.format == "png" and image.data[:8] == PNG


def test_outside_a_kernel_the_bars_stand_in(capsys: pytest.CaptureFixture[str]) -> None:
    assert progress.live_curves() is None  # pytest is no Jupyter kernel
    X, y = _data()
    chainrule.fit(chainrule.mlp(2, 4, 2, rng=0), X, y, epochs=1, progress="notebook")
    assert "epoch 1/1" in capsys.readouterr().err


def test_other_strings_are_refused() -> None:
    X, y = _data()
    with pytest.raises(HyperparameterError, match="'notebook'"):
        chainrule.fit(chainrule.mlp(2, 4, 2, rng=0), X, y, epochs=1, progress="yes")
