"""``labctl demo``: the main job on the simulated bench.

Four runs, headless, each on a simulated sample: an SCLC sweep, transient electroluminescence, a
solar-cell J–V and a 12-hour DC stress. Every run streams into its run file and its live
analysis; the demo prints what the analysis found next to what the simulated device was built
with, and draws each run's report figure.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labctl.bench import connect_bench
from labctl.errors import LimitError
from labctl.procedures import get_procedure
from labctl.run.engine import RunEngine
from labctl.sim.bench import default_bench_path
from labctl.units import for_people


@dataclass(frozen=True)
class DemoRun:
    title: str
    procedure: str
    bench: str  #: file name under instruments/ (or "default")
    parameters: dict[str, Any]
    #: (result name, unit, function of the simulated device giving the true value)
    truths: tuple[tuple[str, str, Any], ...]


RUNS = (
    DemoRun("SCLC sweep of an electron-only device", "sclc", "default",
            {"v_max": "9 V", "points": 201},
            (("trap_density", "1/m**3", lambda d: d.p.trap_density),
             ("mobility", "m**2/(V*s)", lambda d: d.p.mobility),
             ("v_tfl", "V", lambda d: d.v_tfl))),
    DemoRun("Transient electroluminescence of a PeLED", "trel", "benches/peled.yaml",
            {"averages": 32},
            (("delay_time", "s", lambda d: d.describe()["delay_time"]),
             ("rise_time", "s", lambda d: d.describe()["rise_time"]),
             ("overshoot_ratio", "", lambda d: d.describe()["overshoot_ratio"]),
             ("decay_time_fast", "s", lambda d: d.describe()["decay_time"]))),
    DemoRun("Solar-cell J-V, reverse then forward", "solar_jv", "benches/solar.yaml",
            {"scan_rate": "10 mV/s"},
            (("voc", "V", lambda d: d.voc()),
             ("jsc", "A/m**2", lambda d: d.jsc()),
             ("ff", "", lambda d: d.fill_factor()),
             ("pce", "", lambda d: d.pce()))),
    DemoRun("12-hour DC stress at 20 mA/cm² (simulated time)", "dc_drive", "benches/peled.yaml",
            {"duration": "12 h", "sample_interval": "60 s"},
            (("t50", "s", lambda d: d.describe()["t50_power"]),
             ("overshoot_ratio", "", lambda d: d.describe()["peak_ratio_power"]))),
)


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="run the main procedures on the simulated bench")
    demo.add_argument("--out", default="demo-output", help="folder for run files and figures")
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from labctl.report import write_report

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _show_limits()
    failures = 0
    for number, demo in enumerate(RUNS, start=1):
        bench_file = (default_bench_path() if demo.bench == "default"
                      else default_bench_path().parent / demo.bench)
        print(f"\n[{number}/{len(RUNS)}] {demo.title}  ({demo.procedure}, {bench_file.name})")
        started = time.perf_counter()
        with connect_bench(bench_file) as bench:
            sim_start = bench.clock.now()
            handle = RunEngine(bench).run(get_procedure(demo.procedure)(demo.parameters),
                                          out_dir=out / "runs")
            device = bench.resource_manager.visalib.bench.dut
            simulated = bench.clock.now() - sim_start
        wall = time.perf_counter() - started
        print(f"    {handle.status} in {wall:.2f} s of wall time for {_duration(simulated)} "
              "of bench time")
        if handle.status != "completed":
            print(f"    error: {handle.error}")
            failures += 1
            continue
        results = handle.analysis.results if handle.analysis else {}
        print(f"    {'quantity':<18} {'measured':>16} {'simulated device':>18}")
        for name, unit, truth in demo.truths:
            measured = results.get(name, {}).get("value")
            print(f"    {name:<18} {for_people(measured, unit, name=name):>16} "
                  f"{for_people(truth(device), unit, name=name):>18}")
        figure = write_report(handle.file, out / f"{demo.procedure}.png")
        print(f"    run file {handle.file}\n    figure   {figure}")
    print(f"\nEvery output was ramped to zero and switched off after each run. Files in {out}/.")
    return 1 if failures else 0


def _show_limits() -> None:
    with connect_bench(default_bench_path()) as bench:
        smu = bench["smu"]
        print(f"bench: {bench.config.name}; smu: {smu.identify()}")
        print("limits: " + ", ".join(f"{k} = {v}" for k, v in bench.limits.describe().items()))
        try:
            smu.source_voltage(12.0, compliance_current=0.01)
        except LimitError as exc:
            print(f"refused before any I/O: {exc}")


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.2f} s"
