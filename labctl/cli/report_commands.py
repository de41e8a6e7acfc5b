"""``labctl report`` (the procedure's figure with its analysis) and ``labctl export`` (CSV)."""

from __future__ import annotations

import argparse
from pathlib import Path

from labctl.cli.run_commands import parse_settings


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="draw a run's standard figure with its analysis")
    report.add_argument("file", help="run file (.h5) or CSV")
    report.add_argument("-o", "--output", required=True, help="out.png, out.pdf or out.svg")
    report.add_argument("--procedure", help="which analysis (needed for CSV files)")
    report.add_argument("--set", dest="settings", action="append", default=[],
                        metavar="NAME=VALUE")
    report.set_defaults(handler=run_report)

    export = sub.add_parser("export", help="write a stream of a run file as pymeasure-style CSV")
    export.add_argument("file", help="run file (.h5)")
    export.add_argument("-o", "--output", required=True, help="out.csv")
    export.add_argument("--stream", help="which stream (default: the first)")
    export.add_argument("--row", type=int, help="export the arrays (trace, spectrum) of one row")
    export.set_defaults(handler=run_export)


def run_report(args: argparse.Namespace) -> int:
    from labctl.report import write_report

    out = write_report(args.file, args.output, args.procedure, parse_settings(args.settings))
    print(f"wrote {out}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from labctl.errors import ParameterError
    from labctl.storage.csv_io import export_csv
    from labctl.storage.runfile import RunFile

    with RunFile(args.file) as run:
        streams = run.streams()
        stream = args.stream or streams[0]
        if stream not in streams:
            raise ParameterError(f"--stream {stream!r}: the run has {', '.join(streams)}")
        out = export_csv(run, stream, Path(args.output), row=args.row)
    print(f"wrote {out}")
    return 0
