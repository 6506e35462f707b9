"""Backprop by hand: the backward passes of a 1-hidden-layer network, written by you.

Each module stands alone (``from backprop.linear import Linear``), so a bug
in one file costs only the tests of that file.
"""
