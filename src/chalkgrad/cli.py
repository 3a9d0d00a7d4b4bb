"""The ``chalkgrad`` command line (thin: parse, call the library, print)."""

from __future__ import annotations

import argparse
import sys


def _version() -> str:
    from . import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chalkgrad",
        description="Deep learning from first principles that shows its work.",
        epilog="Run without a command to see the worked backpropagation demo.",
    )
    parser.add_argument("--version", action="version", version=f"chalkgrad {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="print a worked backpropagation of a 2-2-2 network")
    demo.add_argument("--digits", type=int, default=9, help="decimal places shown (default 9)")
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in (None, "demo"):
        from .demo import worked_backprop

        digits = getattr(args, "digits", 9)
        if not 0 <= digits <= 17:
            parser.error(f"--digits must be between 0 and 17, got {digits}")
        print(worked_backprop(digits))
        return 0
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover
    return 2


if __name__ == "__main__":
    sys.exit(main())
