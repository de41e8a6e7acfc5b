"""Speed of the simulated bench, measured side by side in one run.

- a query on ``@labsim`` against the same query on stock pyvisa-sim (``@sim``);
- a labctl role reading against a bare pyvisa loop on the same simulated instrument;
- a 100,000-point binary waveform through the labctl scope driver, against the same bytes read
  through stock pyvisa-sim's byte-by-byte reads.

Run: ``.venv/bin/python benchmarks/bench_sim.py`` (or ``make bench``).
"""

from __future__ import annotations

import statistics
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyvisa

from labctl.bench import connect_bench
from labctl.sim.bench import default_bench_path

K2400 = "GPIB0::24::INSTR"
DSOX = "USB0::0x2A8D::0x1797::CN57000001::INSTR"


def median_time(action: Callable[[], object], repeats: int) -> float:
    """Median seconds per call over ``repeats`` calls, after a warm-up."""
    for _ in range(min(20, repeats)):
        action()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def stock_pyvisa_sim(block_bytes: int) -> pyvisa.ResourceManager:
    """Stock pyvisa-sim with one instrument: an *IDN?, a property, and a binary block."""
    payload = "A" * block_bytes
    header = f"#{len(str(block_bytes))}{block_bytes}"
    text = textwrap.dedent(f"""
        spec: "1.1"
        devices:
          plain:
            eom:
              GPIB INSTR: {{q: "\\n", r: "\\n"}}
            dialogues:
              - q: "*IDN?"
                r: "KEITHLEY INSTRUMENTS INC.,MODEL 2400,4096321,C32"
              - q: "BLOCK?"
                r: "{header}{payload}"
            properties:
              level:
                default: 0
                getter: {{q: "SOUR:VOLT?", r: "{{:+.6E}}"}}
                setter: {{q: "SOUR:VOLT {{:s}}"}}
                specs: {{type: float}}
        resources:
          {K2400}: {{device: plain}}
    """)
    path = Path(tempfile.mkdtemp()) / "stock.yaml"
    path.write_text(text)
    return pyvisa.ResourceManager(f"{path}@sim")


def main() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    points = 100_000
    stock = stock_pyvisa_sim(2 * points)
    labsim = pyvisa.ResourceManager("@labsim")
    plain, ours = stock.open_resource(K2400), labsim.open_resource(K2400)
    plain.write_termination = "\n"  # stock pyvisa-sim matches its YAML eom exactly

    idn_stock = median_time(lambda: plain.query("*IDN?"), 2000)
    idn_ours = median_time(lambda: ours.query("*IDN?"), 2000)
    rows.append(("`*IDN?` query, stock pyvisa-sim / @labsim",
                 f"{idn_stock * 1e6:.1f} µs / {idn_ours * 1e6:.1f} µs "
                 f"(×{idn_ours / idn_stock:.2f})"))
    get_stock = median_time(lambda: plain.query("SOUR:VOLT?"), 2000)
    get_ours = median_time(lambda: ours.query(":SOURce:VOLTage?"), 2000)
    rows.append(("setting query, stock / @labsim (long form, normalised)",
                 f"{get_stock * 1e6:.1f} µs / {get_ours * 1e6:.1f} µs "
                 f"(×{get_ours / get_stock:.2f})"))
    ours.write(":SOUR:FUNC VOLT;:SOUR:VOLT 5;:SENS:CURR:PROT 0.1;:SENS:CURR:NPLC 0.01;:OUTP 1")
    read_ours = median_time(lambda: ours.query(":READ?"), 2000)
    rows.append(("`:READ?` with the device physics and the clock, @labsim",
                 f"{read_ours * 1e6:.1f} µs"))
    labsim.close()

    with connect_bench(default_bench_path()) as bench:
        smu = bench["smu"]
        smu.configure_measurement(nplc=0.01)
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.output_on()
        smu.set_level(5.0)
        raw = smu.inner.instrument.adapter.connection
        bare = median_time(lambda: raw.query(":READ?"), 1000)
        role = median_time(smu.measure, 1000)
        rows.append(("a reading: bare pyvisa `:READ?` / labctl `smu.measure()`",
                     f"{bare * 1e6:.1f} µs / {role * 1e6:.1f} µs (×{role / bare:.2f}; the role "
                     "also checks `OUTP?` so a read never switches the output on)"))

    block_stock = median_time(lambda: plain.query_binary_values(
        "BLOCK?", datatype="h", container=np.array, expect_termination=True), 5)
    with connect_bench({"visa_library": "@labsim", "roles": {
            "scope": {"driver": "keysight_dsox", "address": DSOX}}},
            visa_library="@labsim") as bench:
        scope = bench["scope"]
        scope.set_timebase(2e-6)
        scope.configure_channel(3, scale=1.0)
        scope.instrument.write(":SINGle")
        bench.clock.sleep(1e-3)  # the pre-trigger memory fills
        scope.instrument.write(":TRIGger:FORCe")  # no generator here: force the trigger
        bench.clock.sleep(1e-3)  # the post-trigger part
        length = len(scope.waveform(3, points=points))
        block_ours = median_time(lambda: scope.waveform(3, points=points), 20)
    rows.append((f"{points:,}-point WORD waveform: stock pyvisa-sim bytes / labctl driver "
                 "on @labsim (set-up, preamble and block)",
                 f"{block_stock * 1e3:.1f} ms / {block_ours * 1e3:.2f} ms "
                 f"(×{block_stock / block_ours:.0f} faster; {length:,} points)"))
    stock.close()
    return rows


if __name__ == "__main__":
    for name, value in main():
        print(f"| {name} | {value} |")
