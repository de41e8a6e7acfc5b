"""The function generator answers to the sample's limits too, counting what a high-impedance
device sees when the load is set to 50 Ω."""

from __future__ import annotations

import math

import pytest

from labctl.bench import connect_bench
from labctl.errors import LimitError
from labctl.sim.bench import default_bench_path

PELED = default_bench_path().parent / "benches" / "peled.yaml"  # max_voltage 8 V


def test_levels_beyond_the_limit_are_refused_before_any_io():
    with connect_bench(PELED) as bench:
        generator = bench["generator"]
        sim = bench.resource_manager.visalib.bench
        before = sum(i.faults.messages for i in sim.instruments.values())
        with pytest.raises(LimitError, match=r"limits\.max_voltage"):
            generator.square(100.0, high=10.0, low=-10.0)
        # 4.5 V into the 50 Ω setting is up to 9 V on a high-impedance LED.
        with pytest.raises(LimitError, match="load is set to 50"):
            generator.pulse(1e-3, 10e-6, high=4.5)
        assert sum(i.faults.messages for i in sim.instruments.values()) == before
        generator.set_load(math.inf)
        generator.pulse(1e-3, 10e-6, high=4.5)  # as programmed, within 8 V
        assert sim.generator_drive() is None  # configured, not switched on
