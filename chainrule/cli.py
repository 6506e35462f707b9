"""The command line: ``chainrule train | evaluate | predict | trace | explain`` (``assignment``).

Each subcommand module adds its parser and sets ``func``; :func:`main`
parses, calls ``args.func(args)`` and turns our errors into one readable
line on stderr and exit status 1 (argparse's usage errors give 2).
"""

from __future__ import annotations

import argparse
import os
import sys

from chainrule.commands import evaluate, explain, predict, trace, train
from chainrule.commands.common import printable
from layers.errors import ChainruleError


def build_parser() -> argparse.ArgumentParser:
    """The full parser, including ``assignment`` when that package is installed."""
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Train, evaluate and inspect small neural nets whose every gradient "
        "is derived by hand. Start with: chainrule train",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (train, evaluate, predict, trace, explain):
        module.add_parser(subparsers)
    try:
        from chainrule.assignment.cli import register  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        pass
    else:
        register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        status: int = args.func(args)
        sys.stdout.flush()  # a closed pipe shows up here at the latest
    except ChainruleError as exc:
        print(f"chainrule {args.command}: error: {printable(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"chainrule {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return reader_went_away()
    return status


def reader_went_away() -> int:
    """``chainrule … | head``: the reader closed the pipe, which is no error of ours.

    Python would report the BrokenPipeError again when it flushes stdout at
    exit, so stdout is pointed at /dev/null first (as the Python docs advise).
    Returns 141 (128 + SIGPIPE), the status a shell shows for a writer cut off.
    """
    try:
        target = sys.stdout.fileno()
    except (OSError, ValueError):  # stdout is not a file (captured): nothing to flush later
        return 141
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, target)
    os.close(devnull)
    return 141


if __name__ == "__main__":
    sys.exit(main())
