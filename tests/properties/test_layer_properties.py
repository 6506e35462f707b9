"""Every layer and random Sequential stacks pass check_layer over drawn inputs (float64)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradcheck import check_layer
from gradcheck.strategies import ACTIVATIONS, activation_cases, linear_cases, sequential_cases


@given(linear_cases(), st.integers(0, 2**16))
def test_linear_gradients_match_numeric(case: tuple[Any, Any], seed: int) -> None:
    layer, x = case
    check_layer(layer, x, seed=seed)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@given(data=st.data())
def test_activation_gradients_match_numeric(name: str, data: st.DataObject) -> None:
    layer, z = data.draw(activation_cases(name))
    check_layer(layer, z, seed=data.draw(st.integers(0, 2**16)))


@given(sequential_cases(), st.integers(0, 2**16))
def test_random_stacks_match_numeric(case: tuple[Any, Any], seed: int) -> None:
    net, x = case
    check_layer(net, x, seed=seed)


@given(linear_cases(), st.integers(0, 2**16))
def test_linear_single_sample_matches_numeric(case: tuple[Any, Any], seed: int) -> None:
    """A single sample ``x`` of shape ``(D,)``: the notes' unbatched ``y = W x + b``."""
    layer, x = case
    check_layer(layer, x[0], seed=seed)
