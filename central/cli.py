"""``cqrs-central``: the central service's command line.

One ``add_parser`` block per command, and one entry in ``COMMANDS`` to run it. Each handler takes
the parsed arguments and returns the exit status (0 success, 2 bad input).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from central.calculate_cmd import DEFAULT_YEAR, FORMATS, run_calculate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cqrs-central",
        description="CQRS central service: ingest aggregate extracts, calculate achievement and payment.",
    )
    parser.add_argument("--data-dir", metavar="DIR", type=Path, default=None,
                        help="folder for the central service's database and files")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    calculate = commands.add_parser(
        "calculate", help="print QOF points and £, and V&I / enhanced-service claims, for an extract",
        description="Calculate an aggregate extract (CSV) against one year's rules. Bad input exits "
                    "with status 2 and lists every problem by line.",
    )
    calculate.add_argument("extract", metavar="EXTRACT.csv", help="the extract file")
    calculate.add_argument("--year", default=DEFAULT_YEAR,
                           help=f"QOF year of the rules (default {DEFAULT_YEAR})")
    calculate.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")

    return parser


def _calculate(args: argparse.Namespace) -> int:
    return run_calculate(args.extract, year=args.year, fmt=args.format)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "calculate": _calculate,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
