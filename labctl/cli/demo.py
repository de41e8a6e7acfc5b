"""``labctl demo``: a tour of the simulated bench, safe from the first command to the last."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from labctl.bench import connect_bench
from labctl.errors import LimitError
from labctl.safety import guarded_outputs
from labctl.sim.bench import default_bench_path


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="run a dark J-V sweep on the simulated bench")
    demo.add_argument("--out", default="demo-output", help="folder for the CSV and the plot")
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with connect_bench(default_bench_path()) as bench:
        smu = bench.role("smu")
        print(f"bench: {bench.config.name}")
        print(f"  smu: {smu.identify()}")
        print("  limits: " + ", ".join(f"{k} = {v}" for k, v in bench.limits.describe().items()))
        try:
            smu.source_voltage(12.0, compliance_current=0.01)
        except LimitError as exc:
            print(f"  refused before any I/O: {exc}")

        levels = np.concatenate([np.linspace(0, 8, 161), np.linspace(8, 0, 161)[1:]])
        with guarded_outputs(smu):
            smu.configure_measurement(nplc=1)
            smu.source_voltage(0.0, compliance_current=0.08)
            smu.output_on()
            result = smu.sweep(levels, dwell=0.01)
        print(
            f"swept {len(result)} points 0 -> 8 -> 0 V "
            f"({'hardware-timed' if result.hardware_timed else 'point by point'}) "
            f"in {result.time[-1]:.2f} s of bench time"
        )
        print(f"after the sweep: output {'ON' if smu.output_enabled else 'off'}, "
              f"level {smu.level:g} V")

    area = bench.config.raw.get("sim", {}).get("dut", {}).get("area", "1 mm**2")
    print(f"\n{'V (V)':>8} {'I fwd (A)':>12} {'I rev (A)':>12}   device area {area}")
    forward, reverse = result.current[:161], result.current[160:][::-1]
    for index in range(0, 161, 20):
        print(f"{levels[index]:8.2f} {forward[index]:12.4e} {reverse[index]:12.4e}")

    csv_path = out / "sclc_sweep.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Time (s)", "Voltage (V)", "Current (A)", "Compliance"])
        for row in zip(result.time, result.voltage, result.current, result.in_compliance,
                       strict=True):
            writer.writerow([f"{row[0]:.6g}", f"{row[1]:.6g}", f"{row[2]:.6g}", int(row[3])])
    png_path = out / "sclc_sweep.png"
    _plot(levels, result.current, png_path)
    print(f"\nwrote {csv_path} and {png_path}")
    return 0


def _plot(levels: np.ndarray, current: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4), dpi=120)
    half = len(levels) // 2 + 1
    ax.loglog(levels[1:half], np.abs(current[1:half]), "o-", ms=2, label="forward")
    ax.loglog(levels[half:-1], np.abs(current[half:-1]), "s-", ms=2, label="reverse")
    ax.set_xlabel("Voltage (V)")
    ax.set_ylabel("|Current| (A)")
    ax.set_title("Dark J-V of the simulated electron-only device")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
