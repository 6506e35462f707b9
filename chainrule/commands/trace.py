"""``chainrule trace``: a worked example as a Markdown table (the notes' net, or ``--net``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.commands.common import print_json
from chainrule.commands.example_net import (
    add_net_options,
    random_example,
    refuse_net_options_without_net,
)
from chainrule.errors import DataError
from chainrule.trace import (
    DEFAULT_T,
    DEFAULT_W1,
    DEFAULT_W2,
    DEFAULT_X,
    notes_trace,
    trace_markdown,
)
from chainrule.tracer import trace_net


def _numbers_only(value: Any) -> bool:
    if isinstance(value, list):
        return all(_numbers_only(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _json_array(text: str) -> Any:
    # argparse names the function in its message for a ValueError ("invalid _json_array
    # value"); an ArgumentTypeError's own text is shown instead.
    expected = f"expected a JSON list of numbers such as [1, 2] or [[1, 0], [0, 1]], got {text!r}"
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise argparse.ArgumentTypeError(expected) from exc
    if not isinstance(value, list) or not _numbers_only(value):
        raise argparse.ArgumentTypeError(expected)
    try:
        array = np.asarray(value, dtype=np.float64)
    except ValueError as exc:  # ragged rows
        raise argparse.ArgumentTypeError(f"{expected} (rows of equal length)") from exc
    if not np.isfinite(array).all():
        raise argparse.ArgumentTypeError(f"{expected} (finite numbers)")
    return value


def add_parser(subparsers: Any) -> None:
    """Register ``trace`` and its options."""
    p = subparsers.add_parser(
        "trace",
        help="print every forward/backward intermediate of the notes' net as Markdown",
        description="For one sample, compute z = W1 x, h = σ(z), y = W2 h, L = ‖y − t‖² and "
        "the backward pass ∇_y L, ∇_h L, ∇_W2 L, ∇_z L, ∇_W1 L with the framework's own "
        "layers, and print them as a Markdown table. Arrays are JSON lists. With --net "
        "(e.g. 4-8-3 --seed 0 --batch 1): the same for a net of its own.",
    )
    add_net_options(p)
    # Defaults are None so that one given with --net is told it does nothing there.
    p.add_argument("--x", type=_json_array, default=None, help="input x, e.g. '[1, 2]'")
    p.add_argument("--w1", type=_json_array, default=None, help="W1 (H, D)")
    p.add_argument("--w2", type=_json_array, default=None, help="W2 (M, H)")
    p.add_argument("--t", type=_json_array, default=None, help="target t (M,)")
    p.add_argument("--digits", type=int, default=6, help="significant digits (default 6)")
    p.add_argument("--out", default=None, help="also write the table to this .md file")
    p.add_argument("--json", action="store_true", help="print the numbers as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Trace and print; return the exit status."""
    refuse_net_options_without_net(args)
    if args.net is None:
        result = notes_trace(
            DEFAULT_X if args.x is None else args.x,
            DEFAULT_W1 if args.w1 is None else args.w1,
            DEFAULT_W2 if args.w2 is None else args.w2,
            DEFAULT_T if args.t is None else args.t,
        )
    else:
        given = [f"--{k}" for k in ("x", "w1", "w2", "t") if getattr(args, k) is not None]
        if given:
            raise DataError(
                f"{', '.join(given)} set the notes' net; --net draws its own numbers from "
                f"--seed: give one or the other"
            )
        net, X, t, loss = random_example(args)
        one = args.batch == 1  # a batch of one is traced as the notes' single sample
        result = trace_net(net, X[0] if one else X, t[0] if one else t, loss)
    table = trace_markdown(result, digits=args.digits)
    if args.out is not None:
        Path(args.out).write_text(table, encoding="utf-8")
    if args.json:
        print_json(result.as_dict())
    else:
        print(table, end="")
    return 0
