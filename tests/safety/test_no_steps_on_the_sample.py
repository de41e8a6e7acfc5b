"""Whatever a procedure does, the simulated sample never sees a voltage step larger than the
bench's ``limits.max_step``: recorded at the device under test after every message."""

from __future__ import annotations

import itertools

import pytest

from labctl.bench import connect_bench
from labctl.procedures import get_procedure
from labctl.run.engine import RunEngine
from labctl.sim.bench import default_bench_path
from labctl.sim.instrument import SimInstrument

BENCHES = default_bench_path().parent / "benches"


@pytest.fixture
def seen(monkeypatch):
    """The DC voltage on the device after every message to any instrument of the bench."""
    record: list[float] = []
    original = SimInstrument.process

    def process(self, message):
        reply = original(self, message)
        record.append(float(self.bench.drive().voltage))
        return reply

    monkeypatch.setattr(SimInstrument, "process", process)
    return record


CASES = [
    ("sclc", default_bench_path(), {"v_max": "9 V", "points": 101}),
    ("sclc", default_bench_path(), {"v_max": "9 V", "points": 301, "spacing": "linear",
                                    "block": 2000}),
    ("solar_jv", BENCHES / "solar.yaml", {"scan_rate": "50 mV/s"}),
    ("jvl", BENCHES / "peled.yaml", {"compliance_current": "30 mA", "step": "20 mV"}),
    ("dc_drive", BENCHES / "peled.yaml", {"mode": "voltage", "voltage": "3.5 V",
                                         "duration": "10 min", "sample_interval": "1 min"}),
    ("lateral_pl", BENCHES / "lateral_pl.yaml", {"gap": "1 mm", "fields": [4e5, -4e5],
                                                 "on_time": "60 s", "off_time": "60 s",
                                                 "baseline_time": "10 s",
                                                 "spectrum_interval": "10 s"}),
]


@pytest.mark.parametrize(("procedure", "bench_file", "values"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_the_sample_never_steps_by_more_than_max_step(procedure, bench_file, values, seen,
                                                      tmp_path):
    with connect_bench(bench_file) as bench:
        handle = RunEngine(bench).run(get_procedure(procedure)(values), out_dir=tmp_path)
        max_step = bench.limits.max_step
    assert handle.status == "completed", handle.error
    assert len(seen) > 10
    steps = [abs(b - a) for a, b in itertools.pairwise(seen)]
    assert max(steps) <= max_step * (1 + 1e-9), f"largest step {max(steps):g} V"
    assert seen[-1] == 0.0  # and it ends at zero, off
