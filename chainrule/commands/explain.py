"""``chainrule explain``: write the page that walks a net's forward and backward pass."""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path
from typing import Any

from chainrule.commands.example_net import (
    add_net_options,
    random_example,
    refuse_net_options_without_net,
)
from chainrule.errors import DataError
from chainrule.explainer import explain


def add_parser(subparsers: Any) -> None:
    """Register ``explain`` and its options."""
    p = subparsers.add_parser(
        "explain",
        help="write an interactive HTML page of a net's forward and backward pass",
        description="Write one self-contained HTML page (no network needed) that steps through "
        "the forward pass and then the backward pass of a net, each gradient with the notes' "
        "equation and its numbers, computed by chainrule's own layers. Default: the notes' "
        "1-hidden-layer example. With --net 4-8-3 --seed 0: a net of its own.",
    )
    add_net_options(p)
    p.add_argument("--out", default="explain.html", help="the page to write (default explain.html)")
    p.add_argument("--open", action="store_true", help="open the page in the web browser")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the page; return the exit status."""
    path = Path(args.out)
    refuse_net_options_without_net(args)
    if args.net is None:
        page = explain()
    else:
        net, X, t, loss = random_example(args)
        page = explain(net, X, t, loss)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise DataError(f"--out {path}: cannot write the page there ({exc.strerror})") from None
    print(f"wrote {path} (open it in a web browser)")
    if args.open:
        webbrowser.open(path.resolve().as_uri())
    return 0
