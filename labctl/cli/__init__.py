"""The ``labctl`` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from labctl import __version__
from labctl.cli import (
    analyze_commands,
    bench_commands,
    demo,
    report_commands,
    run_commands,
)
from labctl.errors import LabctlError

COMMANDS = (run_commands, analyze_commands, report_commands, bench_commands, demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labctl", description="Measurement bench control for perovskite optoelectronics."
    )
    parser.add_argument("--version", action="version", version=f"labctl {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * args.verbose, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.handler(args) or 0)
    except LabctlError as exc:
        print(f"labctl: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("labctl: interrupted; outputs were ramped down and switched off", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
