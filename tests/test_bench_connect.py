"""Connecting a bench file to instruments, on the simulated bench."""

from __future__ import annotations

import textwrap

import pytest

from labctl.bench import connect_bench
from labctl.errors import BenchError
from labctl.roles import SourceMeter
from labctl.roles.conformance import missing_members
from labctl.safety import LimitedSourceMeter
from labctl.sim.bench import default_bench_path
from labctl.sim.clock import SimClock


def write(tmp_path, text):
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_default_bench_yields_connected_limited_roles_on_the_sim_clock():
    with connect_bench(default_bench_path(), needs={"smu": SourceMeter}) as bench:
        smu = bench["smu"]
        assert isinstance(smu, LimitedSourceMeter)
        assert missing_members(smu, SourceMeter) == []
        assert isinstance(bench.clock, SimClock)
        assert "MODEL 2400" in bench.snapshot()["smu"]["idn"]


def test_roles_on_one_address_share_one_instrument_and_one_lock(tmp_path):
    path = write(tmp_path, """
        visa_library: "@labsim"
        roles:
          first: {driver: keithley2400, address: GPIB0::24::INSTR}
          second: {driver: keithley2400, address: GPIB0::24::INSTR}
          other: {driver: keithley2410, address: GPIB0::25::INSTR}
    """)
    with connect_bench(path) as bench:
        first, second, other = (bench[n].inner for n in ("first", "second", "other"))
        assert first.instrument is second.instrument
        assert first.lock is second.lock
        assert other.lock is not first.lock


def test_an_address_where_nothing_answers_is_named(tmp_path):
    path = write(tmp_path, """
        visa_library: "@labsim"
        roles:
          smu: {driver: keithley2400, address: GPIB0::7::INSTR}
    """)
    with pytest.raises(BenchError, match=r"roles\.smu: nothing answers at GPIB0::7::INSTR"):
        connect_bench(path)


def test_an_unknown_visa_library_is_named(tmp_path):
    path = write(tmp_path, """
        visa_library: "@nosuchbackend"
        roles:
          smu: {driver: keithley2400, address: GPIB0::24::INSTR}
    """)
    with pytest.raises(BenchError, match="cannot load the VISA library '@nosuchbackend'"):
        connect_bench(path)


def test_a_real_bench_file_can_be_rehearsed_on_the_simulator(tmp_path):
    path = write(tmp_path, """
        visa_library: "@py"
        roles:
          smu: {driver: keithley2410, address: GPIB0::25::INSTR}
        limits: {max_voltage: 500 V, max_current: 1 mA}
    """)
    with connect_bench(path, visa_library="@labsim") as bench:
        assert "MODEL 2410" in bench["smu"].identify()
        assert bench.limits.max_voltage == 500


def test_closing_the_bench_leaves_every_output_off_at_zero():
    bench = connect_bench(default_bench_path())
    smu = bench["smu"]
    smu.source_voltage(0.0, compliance_current=0.01)
    smu.output_on()
    smu.set_level(3.0)
    raw = smu.inner
    bench.close()
    # Read the state through a fresh connection to the same simulated instrument.
    sim = bench.resource_manager.visalib.bench.instruments["GPIB0::24::INSTR"]
    assert sim.output is False
    assert float(sim.get("source_voltage")) == 0.0
    assert raw.capabilities.model == "Keithley 2400"
