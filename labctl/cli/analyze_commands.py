"""``labctl analyze``: the live analysis, run on a stored file."""

from __future__ import annotations

import argparse
import json

from labctl.analysis.offline import load_and_analyze
from labctl.cli.run_commands import parse_settings
from labctl.units import for_people


def register(sub: argparse._SubParsersAction) -> None:
    analyze = sub.add_parser("analyze", help="analyse a run file or a CSV file")
    analyze.add_argument("file", help="labctl run file (.h5) or CSV with 'Name (unit)' headers")
    analyze.add_argument("--procedure", help="which analysis (needed for CSV files)")
    analyze.add_argument("--set", dest="settings", action="append", default=[],
                         metavar="NAME=VALUE", help='e.g. --set thickness="400 nm"')
    analyze.add_argument("--json", action="store_true", help="print exactly one JSON object")
    analyze.set_defaults(handler=run_analyze)


def run_analyze(args: argparse.Namespace) -> int:
    analysed = load_and_analyze(args.file, args.procedure, parse_settings(args.settings))
    name, result = analysed.name, analysed.result
    payload = {"procedure": name, **result.to_json()}
    if analysed.status is not None:
        payload["status"] = analysed.status
    if args.json:
        print(json.dumps(payload))
        return 0
    status = f" (run {analysed.status})" if analysed.status else ""
    print(f"{name} analysis of {args.file}{status}")
    width = max((len(k) for k in result.quantities), default=8)
    for key, quantity in result.quantities.items():
        shown = for_people(quantity.value, quantity.unit, name=key)
        note = f"   {quantity.note}" if quantity.note else ""
        print(f"  {key:<{width}}  {shown:>16}{note}")
    for warning in result.warnings:
        print(f"  warning: {warning}")
    return 0
