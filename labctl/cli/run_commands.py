"""``labctl procedures`` and ``labctl run``: headless runs with a progress bar and live analysis."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from labctl.bench import connect_bench
from labctl.errors import BenchError, ParameterError
from labctl.procedures import get_procedure, procedure_names
from labctl.run.engine import RunEngine, wait_interruptibly
from labctl.run.records import AnalysisUpdate, Progress, Record
from labctl.safety.signals import Terminated, sigterm_raises

#: Results that help to judge the others, shown after the headline numbers.
SECONDARY_RESULTS = {"n_t_min", "max_slope", "conductivity", "baseline", "plateau", "peak",
                     "decay_integral", "frequency", "drive_amplitude", "el_mean"}
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def register(sub: argparse._SubParsersAction) -> None:
    listing = sub.add_parser("procedures", help="list the procedures and their parameters")
    listing.add_argument("name", nargs="?", help="show one procedure in full")
    listing.set_defaults(handler=list_procedures)

    run = sub.add_parser("run", help="run a procedure headless")
    run.add_argument("procedure", help="procedure name (see `labctl procedures`)")
    run.add_argument("--sim", action="store_true",
                     help="run on the simulated bench (with --bench: that bench, simulated)")
    run.add_argument("--bench", help="bench file (YAML)")
    run.add_argument("--recipe", help="recipe file (TOML) with a [parameters] table")
    run.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                     help='a parameter with its unit, e.g. --set v_max="8 V" (repeatable)')
    run.add_argument("--out", default="runs", help="folder for the run file (default: runs)")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object with the file and the analysis")
    run.set_defaults(handler=run_procedure)

    sequence = sub.add_parser("sequence", help="run a sequence file: steps, sweeps, loops")
    sequence.add_argument("file", help="sequence file (TOML) with [[steps]]")
    sequence.add_argument("--sim", action="store_true", help="run on the simulated bench")
    sequence.add_argument("--bench", help="bench file (YAML)")
    sequence.add_argument("--out", default="runs", help="folder for the run files")
    sequence.add_argument("--json", action="store_true",
                          help="print one JSON object listing every run")
    sequence.set_defaults(handler=run_sequence_file)


def list_procedures(args: argparse.Namespace) -> int:
    names = [args.name] if args.name else procedure_names()
    for name in names:
        procedure = get_procedure(name)
        print(f"{name}: {procedure.title} — {procedure.description}")
        print(f"    roles: {', '.join(f'{r} ({t.__name__})' for r, t in procedure.needs.items())}"
              + "".join(f", {r} ({t.__name__}, optional)"
                        for r, t in getattr(procedure, "optional", {}).items()))
        if not args.name:
            continue
        for parameter in procedure.parameters:
            default = parameter.format(parameter.default) if parameter.default is not None else "—"
            unit = f" [{parameter.display_unit or parameter.unit}]" if parameter.unit else ""
            print(f"    {parameter.name}{unit} = {default}  ({parameter.describe_range()})"
                  + (f"  {parameter.doc}" if parameter.doc else ""))
    if not args.name:
        print("\n`labctl procedures NAME` lists a procedure's parameters.")
    return 0


def parse_settings(items: list[str]) -> dict[str, str]:
    values = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--set {item!r}: expected NAME=VALUE, e.g. --set v_max=\"8 V\"")
        values[name.strip()] = value.strip()
    return values


def read_recipe(path: str, procedure: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"recipe {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"recipe {path} is not valid TOML: {exc}") from exc
    named = data.get("procedure")
    if named and named != procedure:
        raise ParameterError(f"recipe {path} is for procedure {named!r}, not {procedure!r}")
    return dict(data.get("parameters") or {})


def bench_source(args: argparse.Namespace) -> Any:
    if args.bench:
        return args.bench
    if args.sim:
        from labctl.sim.bench import default_bench_path

        return default_bench_path()
    raise BenchError("give a bench file with --bench FILE, or --sim for the simulated bench")


def run_sequence_file(args: argparse.Namespace) -> int:
    from labctl.run.sequence import Sequence, run_sequence

    sequence = Sequence.from_file(args.file)
    viewer = TerminalViewer(quiet=args.json)

    def announce(number: int, total: int, step: Any) -> None:
        if not args.json:
            print(f"\n[{number}/{total}] {step.label}", file=sys.stderr)

    code = 0
    with sigterm_raises(), connect_bench(
        bench_source(args), visa_library="@labsim" if args.sim else None
    ) as bench:
        try:
            handles = run_sequence(RunEngine(bench), sequence, out_dir=args.out,
                                   subscribers=[viewer], on_step=announce)
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        except Terminated:
            return EXIT_TERMINATED
    viewer.close()
    runs = [{"file": str(h.file), "procedure": h.procedure.name, "status": h.status,
             "results": dict(h.analysis.results) if h.analysis else {},
             "warnings": list(h.analysis.warnings) if h.analysis else []} for h in handles]
    if args.json:
        print(json.dumps({"sequence": sequence.name, "runs": runs}))
    else:
        from labctl.units import for_people

        for number, run in enumerate(runs, start=1):
            print(f"{number:>3}. {run['procedure']:<12} {run['status']:<10} {run['file']}")
            headline = [(k, v) for k, v in run["results"].items()
                        if v.get("value") is not None and k not in SECONDARY_RESULTS][:4]
            if headline:
                print("     " + "  ".join(f"{k} {for_people(v['value'], v['unit'], 3, k)}"
                                        for k, v in headline))
    planned = len(sequence.expanded())
    if len(handles) < planned or any(h.status != "completed" for h in handles):
        code = EXIT_FAILED
    return code


def run_procedure(args: argparse.Namespace) -> int:
    procedure_class = get_procedure(args.procedure)
    values = read_recipe(args.recipe, args.procedure) if args.recipe else {}
    values.update(parse_settings(args.settings))
    procedure = procedure_class(values)  # every parameter checked before any connection
    bench_file = bench_source(args)

    viewer = TerminalViewer(quiet=args.json)
    with sigterm_raises(), connect_bench(
        bench_file, needs=dict(procedure_class.needs),
        visa_library="@labsim" if args.sim else None,
    ) as bench:
        engine = RunEngine(bench)
        handle = engine.start(procedure, out_dir=args.out, subscribers=[viewer])
        code = 0
        try:
            wait_interruptibly(handle)
        except KeyboardInterrupt:
            code = EXIT_INTERRUPTED
        except Terminated:
            code = EXIT_TERMINATED
    viewer.close()

    analysis = handle.analysis
    if args.json:
        print(json.dumps({
            "file": str(handle.file),
            "procedure": procedure.name,
            "status": handle.status,
            "results": dict(analysis.results) if analysis else {},
            "warnings": list(analysis.warnings) if analysis else [],
        }))
    else:
        print(f"{procedure.name}: {handle.status}" + (f" ({handle.error})" if handle.error else ""))
        if handle.status != "completed":
            print("every output was ramped down and switched off")
        if analysis is not None:
            print(format_results(analysis))
        print(f"run file: {handle.file}")
    if code:
        return code
    return 0 if handle.status == "completed" else EXIT_FAILED


def format_results(update: AnalysisUpdate) -> str:
    from labctl.units import for_people

    lines = []
    width = max((len(name) for name in update.results), default=10)
    for name, entry in update.results.items():
        lines.append(f"  {name:<{width}}  "
                     f"{for_people(entry.get('value'), entry.get('unit', ''), name=name)}")
    lines.extend(f"  warning: {w}" for w in update.warnings)
    return "\n".join(lines)


class TerminalViewer:
    """Progress bar and live analysis on stderr; a line per 10 % when stderr is not a terminal."""

    WIDTH = 30

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.fraction = 0.0
        self.message = ""
        self.analysis = ""
        self._last_decile = -1

    def __call__(self, record: Record) -> None:
        if self.quiet:
            return
        if isinstance(record, Progress):
            self.fraction, self.message = record.fraction, record.message
            self._draw()
        elif isinstance(record, AnalysisUpdate) and not record.final:
            from labctl.units import for_people

            # The headline numbers first; helpers such as the maximum slope last.
            ranked = sorted(record.results.items(),
                            key=lambda item: item[0] in SECONDARY_RESULTS)
            shown = [f"{k} {for_people(v['value'], v.get('unit', ''), 3, name=k)}"
                     for k, v in ranked if v.get("value") is not None][:4]
            self.analysis = "  ".join(shown)

    def _draw(self) -> None:
        filled = int(self.fraction * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        text = f"[{bar}] {self.fraction:4.0%}  {self.message}  {self.analysis}"
        if self.tty:
            sys.stderr.write("\r" + text[:160].ljust(160))
            sys.stderr.flush()
        elif int(self.fraction * 10) > self._last_decile:
            self._last_decile = int(self.fraction * 10)
            print(text, file=sys.stderr)

    def close(self) -> None:
        if self.tty and not self.quiet:
            sys.stderr.write("\n")
