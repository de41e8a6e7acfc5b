"""SCLC hysteresis versus scan rate, with labctl as a library.

Runs the SCLC procedure forward and back at several dwell times and prints how far the reverse
current sits above the forward one: mobile ions make that gap largest when the sweep takes about
as long as the ions need to move.

    .venv/bin/python procedures/scripts/hysteresis_vs_scan_rate.py            # simulated bench
    .venv/bin/python procedures/scripts/hysteresis_vs_scan_rate.py my_bench.yaml
"""

from __future__ import annotations

import sys

import numpy as np

from labctl.bench import connect_bench
from labctl.procedures.sclc import SCLCSweep
from labctl.run.engine import RunEngine
from labctl.sim.bench import default_bench_path
from labctl.storage.runfile import RunFile


def hysteresis(path: str) -> float:
    """Mean relative gap between the reverse and the forward current above 1 V."""
    with RunFile(path) as run:
        data = run.read("jv")
    forward = data["direction"] == 0
    levels = data["source"][forward]
    up = np.abs(data["current"][forward])
    back_levels = data["source"][~forward][::-1]  # the reverse sweep, in rising order
    down = np.interp(levels, back_levels, np.abs(data["current"][~forward])[::-1])
    high = levels > 1.0
    return float(np.mean(down[high] / up[high] - 1))


def main(bench_file: str) -> None:
    with connect_bench(bench_file) as bench:
        engine = RunEngine(bench)
        print(f"{'dwell':>8} {'sweep time':>11} {'hysteresis':>11}")
        for dwell in (0.001, 0.03, 0.3, 3.0):
            procedure = SCLCSweep(v_max="9 V", points=61, spacing="linear", dwell=dwell,
                                  direction="both", block=200)
            handle = engine.run(procedure, out_dir="runs")
            print(f"{dwell:>7g}s {procedure.estimated_duration():>10.0f}s "
                  f"{hysteresis(handle.file):>10.1%}   {handle.file}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(default_bench_path()))
