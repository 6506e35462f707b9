"""The net that ``chainrule explain`` and ``chainrule trace`` show: ``--net 4-8-3 --seed 0``.

Without ``--net`` it is the notes' example; with it, :func:`chainrule.mlp`
of those widths (the notes' sigmoid unless ``--activation`` says otherwise),
initialised and fed with random numbers from ``--seed``.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from chainrule.errors import DataError
from chainrule.model import ACTIVATIONS, mlp
from layers import Layer
from losses import Loss, MSELoss, SoftmaxCrossEntropyLoss

LOSSES = {"mse": MSELoss, "softmax-ce": SoftmaxCrossEntropyLoss}


def widths(text: str) -> list[int]:
    """``"4-8-3"`` as ``[4, 8, 3]``: input, hidden layers, output."""
    try:
        sizes = [int(part) for part in text.split("-")]
    except ValueError:
        sizes = []
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected widths such as 4-8-3 (input-hidden-…-output, each ≥ 1), got {text!r}"
        )
    return sizes


def add_net_options(p: argparse.ArgumentParser) -> None:
    """``--net``, ``--seed``, ``--activation``, ``--loss``, ``--batch``."""
    p.add_argument(
        "--net",
        type=widths,
        default=None,
        help="layer widths of a net of its own, e.g. 4-8-3 (default: the notes' net)",
    )
    # Defaults are None so that one given without --net is told it does nothing there.
    p.add_argument(
        "--seed", type=int, default=None, help="seed of its weights and data (default 0)"
    )
    p.add_argument(
        "--activation",
        choices=sorted(ACTIVATIONS),
        default=None,
        help="its hidden activation (default sigmoid, as in the notes)",
    )
    p.add_argument(
        "--loss",
        choices=sorted(LOSSES),
        default=None,
        help="its loss: mse (targets drawn at random) or softmax-ce (random labels)",
    )
    p.add_argument("--batch", type=int, default=None, help="its batch size (default 4)")


NET_OPTIONS = ("seed", "activation", "loss", "batch")


def refuse_net_options_without_net(args: argparse.Namespace) -> None:
    """``--seed`` and the others describe the ``--net`` net: alone they would be ignored."""
    given = [f"--{name}" for name in NET_OPTIONS if getattr(args, name) is not None]
    if args.net is None and given:
        raise DataError(
            f"{', '.join(given)} describe a net of its own: give --net too (e.g. --net 4-8-3), "
            f"or leave them out for the notes' example"
        )


def random_example(args: argparse.Namespace) -> tuple[Layer, Any, Any, Loss]:
    """The ``--net`` net, a batch ``X`` and targets ``t``, all from ``--seed``."""
    seed = 0 if args.seed is None else args.seed
    batch = 4 if args.batch is None else args.batch
    loss = args.loss or "mse"
    if batch < 1:
        raise DataError(f"--batch must be ≥ 1, got {batch}")
    if seed < 0:
        raise DataError(f"--seed must be ≥ 0, got {seed}")
    sizes = args.net
    net = mlp(sizes[0], sizes[1:-1], sizes[-1], args.activation or "sigmoid", rng=seed)
    # Streams apart from the weights' and from each other, so the first sample and its
    # target are the same whatever --batch is (trace --batch 1 shows the page's one sample).
    X = np.random.default_rng([seed, 1]).normal(size=(batch, sizes[0]))
    targets = np.random.default_rng([seed, 2])
    t: np.ndarray[Any, Any]
    if loss == "softmax-ce":
        t = targets.integers(0, sizes[-1], size=batch)
    else:
        t = targets.normal(size=(batch, sizes[-1]))
    return net, X, t, LOSSES[loss]()
