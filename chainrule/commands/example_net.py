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
    p.add_argument("--seed", type=int, default=0, help="seed of its weights and data (default 0)")
    p.add_argument(
        "--activation",
        choices=sorted(ACTIVATIONS),
        default="sigmoid",
        help="its hidden activation (default sigmoid, as in the notes)",
    )
    p.add_argument(
        "--loss",
        choices=sorted(LOSSES),
        default="mse",
        help="its loss: mse (targets drawn at random) or softmax-ce (random labels)",
    )
    p.add_argument("--batch", type=int, default=4, help="its batch size (default 4)")  # fmt: skip


def random_example(args: argparse.Namespace) -> tuple[Layer, Any, Any, Loss]:
    """The ``--net`` net, a batch ``X`` and targets ``t``, all from ``--seed``."""
    if args.batch < 1:
        raise DataError(f"--batch must be ≥ 1, got {args.batch}")
    sizes = args.net
    net = mlp(sizes[0], sizes[1:-1], sizes[-1], args.activation, rng=args.seed)
    rng = np.random.default_rng([args.seed, 1])  # a stream apart from the weights'
    X = rng.normal(size=(args.batch, sizes[0]))
    if args.loss == "softmax-ce":
        t = rng.integers(0, sizes[-1], size=args.batch)
    else:
        t = rng.normal(size=(args.batch, sizes[-1]))
    return net, X, t, LOSSES[args.loss]()
