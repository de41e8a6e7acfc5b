"""Talking to the roles directly: a few points of a J-V, safe on every exit path.

A procedure is the usual way to measure, but a quick look at a sample needs only the bench, a
role and ``guarded_outputs``: however the block ends (error, Ctrl-C, kill), the source ramps to
0 V and switches off.

    .venv/bin/python procedures/scripts/roles_directly.py            # simulated bench
    .venv/bin/python procedures/scripts/roles_directly.py my_bench.yaml
"""

from __future__ import annotations

import sys

from labctl.bench import connect_bench
from labctl.roles import SourceMeter
from labctl.safety import guarded_outputs, sigterm_raises
from labctl.sim.bench import default_bench_path


def main(bench_file: str) -> None:
    with sigterm_raises(), connect_bench(bench_file, needs={"smu": SourceMeter}) as bench:
        smu = bench["smu"]
        print(smu.identify())
        with guarded_outputs(smu):
            smu.configure_measurement(nplc=1)
            smu.source_voltage(0.0, compliance_current=0.01)  # compliance before output on
            smu.output_on()
            for level in (0.5, 1.0, 2.0, 4.0):
                smu.set_level(level)  # a large step becomes a ramp at the sample's ramp rate
                bench.clock.sleep(0.1)
                reading = smu.measure()
                flag = "  (compliance)" if reading.in_compliance else ""
                print(f"{reading.voltage:8.3f} V  {reading.current:12.4e} A{flag}")
        print(f"output {'ON' if smu.output_enabled else 'off'} at {smu.level:g} V")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(default_bench_path()))
