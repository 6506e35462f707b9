"""``chainrule trace``: a worked example as a Markdown table (the notes' net, or ``--net``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from chainrule.commands.common import print_json
from chainrule.commands.example_net import add_net_options, random_example
from chainrule.trace import (
    DEFAULT_T,
    DEFAULT_W1,
    DEFAULT_W2,
    DEFAULT_X,
    notes_trace,
    trace_markdown,
)
from chainrule.tracer import trace_net


def _json_array(text: str) -> Any:
    # argparse names the function in its message for a ValueError ("invalid _json_array
    # value"); an ArgumentTypeError's own text is shown instead.
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise argparse.ArgumentTypeError(
            f"expected a JSON list such as [1, 2] or [[1, 0], [0, 1]], got {text!r}"
        ) from exc


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
    p.add_argument("--x", type=_json_array, default=DEFAULT_X, help="input x, e.g. '[1, 2]'")
    p.add_argument("--w1", type=_json_array, default=DEFAULT_W1, help="W1 (H, D)")
    p.add_argument("--w2", type=_json_array, default=DEFAULT_W2, help="W2 (M, H)")
    p.add_argument("--t", type=_json_array, default=DEFAULT_T, help="target t (M,)")
    p.add_argument("--digits", type=int, default=6, help="significant digits (default 6)")
    p.add_argument("--out", default=None, help="also write the table to this .md file")
    p.add_argument("--json", action="store_true", help="print the numbers as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Trace and print; return the exit status."""
    if args.net is None:
        result = notes_trace(args.x, args.w1, args.w2, args.t)
    else:
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
