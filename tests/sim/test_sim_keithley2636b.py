"""The simulated Keithley 2636B (TSP) on @labsim: labctl's driver on both channels, the TSP
subset, sweeps and pulses against DUT physics, the photodiode channel and faults."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
import pyvisa

from labctl.bench import Bench, connect_bench
from labctl.drivers.keithley2636b import Keithley2636B, raise_tsp_errors
from labctl.drivers.keithley2636b_scripts import SCRIPT_VERSION
from labctl.errors import InstrumentError
from labctl.sim.instruments.tsp import (
    LuaTable,
    TspRuntimeError,
    TspSyntaxError,
    lua_format,
    parse,
)

ADDRESS = "GPIB0::26::INSTR"
IDN = "Keithley Instruments Inc., Model 2636B, 4400001, 3.2.2"

# The device under test, written out so the expected currents are computed independently of the
# simulator: single-carrier SCLC (Mott-Gurney above the trap-filled limit).
Q = 1.602176634e-19  # C
EPS0 = 8.8541878128e-12  # F/m
THICKNESS, EPS_R, MOBILITY, N_FREE, N_TRAP, AREA = 1e-6, 30.0, 2e-6, 1e19, 1e22, 1e-6
V_TFL = Q * N_TRAP * THICKNESS**2 / (2 * EPS0 * EPS_R)  # ≈ 3.0 V
V_FILLED = 1.25 * V_TFL  # above it J = J_ohm + J_Mott-Gurney exactly
OHMIC = Q * N_FREE * MOBILITY / THICKNESS * AREA  # A/V
CHILD = 9 / 8 * EPS0 * EPS_R * MOBILITY / THICKNESS**3 * AREA  # A/V²
DARK_CURRENT = 25e-12  # A, the photodiode's dark current in the bench file below

DUT = (
    "thickness: 1 um, eps_r: 30, mobility: 0.02 cm**2/V/s, trap_density: 1e16 cm**-3, "
    "free_carrier_density: 1e13 cm**-3, area: 1 mm**2"
)
NO_IONS = f"{{model: sclc, {DUT}, ion_strength: 0}}"
WITH_IONS = f"{{model: sclc, {DUT}, ion_strength: 0.3, ion_time: 20 s, ion_voltage: 2 V}}"


def sclc_current(volts: float | np.ndarray) -> float | np.ndarray:
    return OHMIC * volts + CHILD * volts**2


def sclc_voltage(amps: float) -> float:
    return (-OHMIC + math.sqrt(OHMIC**2 + 4 * CHILD * amps)) / (2 * CHILD)


def bench_text(dut: str = NO_IONS, faults: str = "") -> str:
    return f"""
    name: 2636B test bench
    visa_library: "@labsim"
    roles:
      smu: {{driver: keithley2636b, address: "{ADDRESS}", channel: a}}
      photodiode: {{driver: keithley2636b, address: "{ADDRESS}", channel: b}}
    limits:
      max_voltage: 10 V
      max_current: 100 mA
      max_power: 2 W
      max_step: 0.5 V
      max_ramp_rate: 1 MV/s  # these tests exercise sweeps, not the limits
    resources:
      {ADDRESS}:
        device: keithley2636b
        filename: keithley2636b.yaml
        channels: {{a: dut, b: photodiode}}
        {faults}
    sim:
      seed: 11
      optics: {{photodiode_dark_current: 25 pA}}
      dut: {dut}
    """


@contextmanager
def sim_bench(tmp_path, text: str | None = None) -> Iterator[Bench]:
    """A connected bench on a fresh simulated bench, closed afterwards with its resource manager
    (the next resource manager then starts from a fresh device under test and clock)."""
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent(text or bench_text()))
    bench = connect_bench(path)
    try:
        yield bench
    finally:
        try:
            bench.close()
        finally:
            bench.resource_manager.close()


@pytest.fixture
def rm(tmp_path):
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent(bench_text()))
    manager = pyvisa.ResourceManager(f"{path}@labsim")
    yield manager
    manager.close()


@pytest.fixture
def tsp(rm):
    """A raw session to the simulated 2636B."""
    return rm.open_resource(ADDRESS)


def errors(session) -> list[tuple[int, str]]:
    """Drain the error queue as the driver does."""
    count = int(float(session.query("print(errorqueue.count)")))
    entries = []
    for _ in range(count):
        code, message, severity, node = session.query("print(errorqueue.next())").split("\t")
        assert float(severity) == 20 and float(node) == 1
        entries.append((int(float(code)), message))
    return entries


# --------------------------------------------------------------------------- identity
def test_default_bench_has_the_2636b_wired_to_the_dut_and_the_photodiode():
    manager = pyvisa.ResourceManager("@labsim")
    try:
        assert ADDRESS in manager.list_resources()
        assert manager.open_resource(ADDRESS).query("*IDN?").strip() == IDN
        model = manager.visalib.bench.instruments[ADDRESS]
        assert {k: c.connection for k, c in model.channels.items()} == {
            "a": "dut", "b": "photodiode"
        }
    finally:
        manager.close()


def test_both_roles_identify(tmp_path):
    with sim_bench(tmp_path) as bench:
        assert bench["smu"].identify() == IDN
        assert bench["photodiode"].identify() == IDN


# --------------------------------------------------------------- source and measure
def test_channel_a_sources_voltage_and_reads_the_mott_gurney_current(tmp_path):
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.output_on()
        for volts in (4.0, 6.0, 8.0):
            smu.set_level(volts)
            reading = smu.measure()
            assert reading.voltage == pytest.approx(volts, rel=1e-4)
            assert reading.current == pytest.approx(sclc_current(volts), rel=2e-3)
            assert not reading.in_compliance
        assert smu.level == 8.0 and smu.source_mode == "voltage"


def test_channel_a_sources_current(tmp_path):
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_current(15e-3, compliance_voltage=10)
        smu.output_on()
        reading = smu.measure()
    assert reading.current == pytest.approx(15e-3, rel=1e-3)
    assert reading.voltage == pytest.approx(sclc_voltage(15e-3), rel=2e-3)


def test_compliance_clamps_and_is_reported(tmp_path):
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=20e-3)
        smu.output_on()
        smu.set_level(8.0)
        reading = smu.measure()
        assert reading.in_compliance
        assert reading.current == pytest.approx(20e-3, rel=1e-3)
        assert reading.voltage == pytest.approx(sclc_voltage(20e-3), rel=2e-3)
        assert smu.inner.smu.in_compliance is True
        smu.source_voltage(8.0, compliance_current=0.1)
        assert not smu.measure().in_compliance


def test_channel_b_reads_the_dark_photodiode_while_channel_a_drives(tmp_path):
    """An SCLC device emits no light: the photodiode on channel b, held at 0 V, reads its dark
    current (reverse, so negative), whatever channel a does."""
    with sim_bench(tmp_path) as bench:
        smu, photodiode = bench["smu"], bench["photodiode"]
        smu.source_voltage(0.0, compliance_current=0.1)
        photodiode.source_voltage(0.0, compliance_current=1e-3)
        photodiode.configure_measurement(nplc=1)
        smu.output_on()
        photodiode.output_on()
        for volts in (0.0, 4.0, 8.0):
            smu.set_level(volts)
            driven, detected = smu.measure(), photodiode.measure()
            assert driven.voltage == pytest.approx(volts, abs=1e-3)
            assert detected.current == pytest.approx(-DARK_CURRENT, rel=1e-2)
            assert abs(detected.voltage) < 1e-4
            assert detected.time > driven.time  # one clock for both channels
        assert smu.level == 8.0 and photodiode.level == 0.0  # independent channels
        # The photodiode's channel never drives the device under test.
        smu.output_off()
        sim = bench.resource_manager.visalib.bench
        assert sim.drive().voltage == 0.0


def test_measure_timestamps_follow_the_integration_time(tmp_path):
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.configure_measurement(nplc=5)
        smu.output_on()
        first, second = smu.measure(), smu.measure()
    # timer.measure.t() at the start of each reading: 5 PLC at 50 Hz apart, plus overhead.
    assert 0.1 < second.time - first.time < 0.105


# ------------------------------------------------------------------------------ sweeps
def test_list_sweep_matches_the_device_and_runs_on_the_simulated_clock(tmp_path):
    levels = np.arange(4.0, 8.01, 0.5)
    dwell, nplc = 0.05, 0.5
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.configure_measurement(nplc=nplc)
        smu.output_on()
        smu.set_level(levels[0])
        start = bench.clock.now()
        result = smu.sweep(levels, dwell=dwell)
        elapsed = bench.clock.now() - start
        assert smu.level == levels[-1] and smu.output_enabled
        assert smu.inner.smu.source_voltage_autorange is True  # restored after the sweep
    assert result.hardware_timed
    np.testing.assert_allclose(result.voltage, levels, rtol=1e-4)
    np.testing.assert_allclose(result.current, sclc_current(levels), rtol=2e-3)
    steps = np.diff(result.time)
    assert np.all(steps > dwell + nplc / 50) and np.all(steps < dwell + nplc / 50 + 0.005)
    assert elapsed == pytest.approx(len(levels) * steps.mean(), rel=0.05)


def test_sweep_flags_compliance_per_point(tmp_path):
    levels = np.arange(4.0, 8.01, 0.5)
    limit = 20e-3
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=limit)
        smu.output_on()
        result = smu.sweep(levels)
    clamped = sclc_current(levels) > limit
    assert clamped.any() and not clamped.all()
    np.testing.assert_array_equal(result.in_compliance, clamped)
    np.testing.assert_allclose(result.current[clamped], limit, rtol=1e-3)


def test_long_sweep_is_sent_in_chunks_and_the_helpers_load_once(tmp_path):
    levels = np.round(np.linspace(4.0, 8.0, 150), 6)
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        inst = smu.inner.instrument
        assert inst.script_version == "nil"  # a fresh instrument has no helpers
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.configure_measurement(nplc=0.01)
        smu.output_on()
        result = smu.sweep(levels)
        assert inst.script_version == SCRIPT_VERSION
        assert inst.ask("print(labctl_points)").strip() == "nil"  # dropped after the sweep
        assert len(smu.sweep(levels[:3])) == 3  # second sweep: no reload
    assert len(result) == 150
    np.testing.assert_allclose(result.current, sclc_current(levels), rtol=2e-3)


def test_current_list_sweep(tmp_path):
    currents = np.array([10e-3, 15e-3, 20e-3])
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_current(0.0, compliance_voltage=10)
        smu.output_on()
        result = smu.sweep(currents, dwell=0.01)
    np.testing.assert_allclose(result.current, currents, rtol=1e-3)
    np.testing.assert_allclose(result.voltage, [sclc_voltage(i) for i in currents], rtol=2e-3)


def test_pulse_sweep_reads_at_the_end_of_each_pulse_once_per_period(tmp_path):
    levels = np.arange(4.0, 8.01, 1.0)
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.configure_measurement(nplc=0.01)
        smu.output_on()
        start = bench.clock.now()
        result = smu.pulse_sweep(levels, width=1e-3, period=0.05, bias=0.0)
        elapsed = bench.clock.now() - start
        assert smu.level == 0.0  # the output ends at the bias
    np.testing.assert_allclose(result.current, sclc_current(levels), rtol=2e-3)
    np.testing.assert_allclose(np.diff(result.time), 0.05, atol=1e-9)
    assert elapsed == pytest.approx(4 * 0.05 + 1e-3)


def test_pulse_too_short_for_the_integration_is_refused(tmp_path):
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.configure_measurement(nplc=1)
        smu.output_on()
        with pytest.raises(InstrumentError, match=r"-286: TSP Runtime error: labctl: width "
                           r"0.001 s is too short for one reading at nplc 1 \(0.02006 s\)"):
            smu.pulse_sweep([4.0], width=1e-3, period=0.1)
        # The helper restored what it changed.
        assert smu.inner.smu.current_autorange is True


def hysteresis(result, up: np.ndarray) -> float:
    """Largest relative gap between the return and the outward branch above V_FILLED."""
    n = len(up)
    outward, back = result.current[:n], result.current[n - 1 :][::-1]
    filled = up > V_FILLED
    return float(np.max(np.abs(back[filled] / outward[filled] - 1)))


def test_pulsed_sweep_suppresses_ion_hysteresis_near_the_ion_time(tmp_path):
    """A DC loop lasting about the ion time (20 s) leaves the return branch several per cent
    above the outward one; 1 ms pulses over 0 V at the same pace barely move the ions
    (Duijnstee et al. 2020)."""
    up = np.arange(0.0, 8.01, 0.5)
    loop = np.concatenate([up, up[-2::-1]])
    dwell = 0.6  # s per point: the loop takes about the ion time
    with sim_bench(tmp_path, bench_text(WITH_IONS)) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.output_on()
        dc = smu.sweep(loop, dwell=dwell)
    with sim_bench(tmp_path, bench_text(WITH_IONS)) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.configure_measurement(nplc=0.01)
        smu.output_on()
        pulsed = smu.pulse_sweep(loop, width=1e-3, period=dwell, bias=0.0)
    assert dc.time[-1] == pytest.approx(pulsed.time[-1], rel=0.1)
    assert hysteresis(dc, up) > 0.03
    assert hysteresis(pulsed, up) < 0.002
    # With the ions still, the pulsed currents are the ion-free device's.
    filled = loop > V_FILLED
    np.testing.assert_allclose(pulsed.current[filled], sclc_current(loop[filled]), rtol=3e-3)


# ------------------------------------------------------------------------ the TSP subset
def test_attributes_print_like_tsp(tsp):
    tsp.write("smub.source.func = smub.OUTPUT_DCAMPS")
    tsp.write("smub.source.leveli = 2.5e-07")
    tsp.write("smub.source.limitv = 21")
    tsp.write("smub.measure.nplc = 0.001")
    assert tsp.query("print(smub.source.func)").strip() == "0.00000e+00"
    assert tsp.query("print(smub.source.leveli)").strip() == "2.50000e-07"
    assert tsp.query("print(smub.source.limitv, smub.measure.nplc)").strip() == (
        "2.10000e+01\t1.00000e-03"
    )
    assert tsp.query("print(smua.source.func)").strip() == "1.00000e+00"  # channel a untouched
    tsp.write("smua.measure.rangei = 1e-07")
    assert tsp.query("print(smua.measure.rangei)").strip() == "1.00000e-07"
    assert tsp.query("print(smua.measure.autorangei)").strip() == "0.00000e+00"
    tsp.write("smua.measure.rangev = 3")  # picks the 20 V range
    assert tsp.query("print(smua.measure.rangev)").strip() == "2.00000e+01"
    assert tsp.query("print(smua.source.output)").strip() == "0.00000e+00"
    assert tsp.query("print(smua.source.compliance)").strip() == "false"
    assert tsp.query("print(labctl_version)").strip() == "nil"
    assert tsp.query("print(localnode.linefreq)").strip() == "5.00000e+01"
    assert errors(tsp) == []


def test_the_measure_line_of_the_driver(tsp, rm):
    tsp.write("smua.source.limiti = 0.1")
    tsp.write("smua.source.levelv = 5")
    tsp.write("smua.source.output = smua.OUTPUT_ON")
    line = (
        "local t = timer.measure.t() local i, v = smua.measure.iv() "
        'print(string.format("%.7e\\t%.7e\\t%s\\t%.6f", i, v, '
        "tostring(smua.source.compliance), t))"
    )
    before = rm.visalib.clock.now()
    current, voltage, compliance, time = tsp.query(line).strip().split("\t")
    assert float(current) == pytest.approx(sclc_current(5.0), rel=2e-3)
    assert float(voltage) == pytest.approx(5.0, rel=1e-4)
    assert compliance == "false"
    assert float(time) == pytest.approx(before, abs=1e-6)  # taken as the reading starts


def test_buffers_and_printbuffer(tsp):
    tsp.write("smua.source.limiti = 0.1")
    tsp.write("smua.source.output = smua.OUTPUT_ON")
    for volts in ("4", "6"):
        tsp.write(f"smua.source.levelv = {volts}")
        tsp.write("smua.measure.iv(smua.nvbuffer1, smua.nvbuffer2)")
    assert tsp.query("print(smua.nvbuffer1.n)").strip() == "2.00000e+00"
    assert float(tsp.query("print(smua.nvbuffer2.readings[2])")) == pytest.approx(6.0, rel=1e-4)
    reply = tsp.query("printbuffer(1, 2, smua.nvbuffer1.readings, smua.nvbuffer2.readings)")
    current1, voltage1, current2, voltage2 = (float(x) for x in reply.split(", "))
    assert current1 == pytest.approx(sclc_current(4.0), rel=2e-3)
    assert current2 == pytest.approx(sclc_current(6.0), rel=2e-3)
    assert (voltage1, voltage2) == (pytest.approx(4.0, rel=1e-4), pytest.approx(6.0, rel=1e-4))
    tsp.write("smua.nvbuffer1.clear()")
    assert tsp.query("print(smua.nvbuffer1.n)").strip() == "0.00000e+00"


def test_errors_have_the_instrument_codes_and_the_driver_raises_them(rm, tsp):
    tsp.write("smua.source.levelv = = 1")  # malformed
    tsp.write("for k = 1, 3 do print(k) end")  # beyond the simulated subset
    tsp.write("labctl_list_sweep(smua, {0, 1}, 0)")  # helpers not loaded
    tsp.write("smua.source.bogus = 1")
    tsp.write("smua.source.levelv = 300")  # beyond ±200 V
    tsp.write("smub.source.leveli = 1.6")  # beyond ±1.5 A DC
    tsp.write("smua.measure.nplc = 30")
    entries = errors(tsp)
    assert [code for code, _ in entries] == [-285, -285, -286, -286, -222, -222, -222]
    assert entries[0][1].startswith("TSP Syntax error at line 1:")
    assert entries[2][1] == (
        "TSP Runtime error at line 1: attempt to call a nil value (global 'labctl_list_sweep')"
    )
    assert entries[4][1] == "Parameter data out of range"
    assert tsp.query("print(smua.source.levelv)").strip() == "0.00000e+00"  # unchanged
    assert tsp.query("print(errorqueue.next())").strip().split("\t")[:2] == [
        "0.00000e+00", "Queue Is Empty"
    ]
    inst = Keithley2636B(ADDRESS, visa_library=rm.visalib)
    inst.write("smua.source.limitv = 500")
    with pytest.raises(InstrumentError, match="-222: Parameter data out of range"):
        raise_tsp_errors(inst, "smu")


def test_a_script_that_does_not_close_its_blocks_is_refused(tsp):
    for line in ("loadscript broken", "function f()", "print(1)", "endscript"):
        tsp.write(line)
    assert [code for code, _ in errors(tsp)] == [-285]
    tsp.write("broken()")
    assert [code for code, _ in errors(tsp)] == [-286]  # never defined


def test_rst_resets_both_channels_but_keeps_the_loaded_helpers(tmp_path):
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.output_on()
        smu.sweep([4.0, 4.5])
        inst = smu.inner.instrument
        inst.write("*RST")
        assert inst.smua.output_enabled is False and inst.smub.output_enabled is False
        assert inst.smua.compliance_current == pytest.approx(0.1)
        assert inst.smua.source_voltage == 0.0
        assert inst.script_version == SCRIPT_VERSION


# -------------------------------------------------------------------------------- faults
def test_stuck_compliance_fault(tmp_path):
    with sim_bench(tmp_path, bench_text(faults="faults: {stuck_compliance: true}")) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.output_on()
        smu.set_level(4.0)
        reading = smu.measure()
        assert reading.in_compliance
        assert reading.current == pytest.approx(sclc_current(4.0), rel=2e-3)
        assert smu.sweep([4.0, 4.5]).in_compliance.all()


def test_timeout_fault_counts_print_statements_as_queries(tmp_path):
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent(bench_text(faults="faults: {timeout_after: 2}")))
    manager = pyvisa.ResourceManager(f"{path}@labsim")
    try:
        session = manager.open_resource(ADDRESS)
        session.timeout = 50
        session.query("print(smua.source.output)")
        session.query("print(smua.source.output)")
        with pytest.raises(pyvisa.errors.VisaIOError):
            session.query("print(smua.source.output)")
    finally:
        manager.close()


# ----------------------------------------------------------------- interpreter details
@pytest.mark.parametrize(
    "text",
    [
        "smua.source.levelv = 1e-06",
        "smua.source.func = smua.OUTPUT_DCVOLTS",
        "labctl_points = {}",
        "labctl_extend(labctl_points, {0,0.5,-1.5e-3})",
        "labctl_pulse_sweep(smub, {0.001,0.002}, 0.0005, 0.2, 1e-05)",
        "print(errorqueue.next())",
        "local t = timer.measure.t() local i, v = smua.measure.iv() print(i, v, t)",
    ],
)
def test_the_driver_statement_shapes_parse(text):
    assert parse(text)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("smua.source.levelv = ", TspSyntaxError),
        ("print(", TspSyntaxError),
        ("x = 1 +", TspSyntaxError),
        ("if x then y() end", TspSyntaxError),
        ("smua:reset()", TspSyntaxError),
        ("a = {b = 1}", TspSyntaxError),
        ("$", TspSyntaxError),
    ],
)
def test_malformed_or_unsupported_tsp_is_a_syntax_error(text, error):
    with pytest.raises(error):
        parse(text)


def test_string_format_follows_c():
    assert lua_format("%.7e\t%s\t%.6f", 0.01234, "false", 1053.21) == (
        "1.2340000e-02\tfalse\t1053.210000"
    )
    assert lua_format("%d points of %d", 2.0, 60000.0) == "2 points of 60000"
    assert lua_format("%g s (%g)", 0.001, 0.02006) == "0.001 s (0.02006)"
    with pytest.raises(TspRuntimeError):
        lua_format("%e", "text")


def test_lua_tables_are_one_based():
    table = LuaTable([1.0, 2.0])
    table.set(3.0, 3.0)
    assert table.get(1.0) == 1.0 and table.get(3.0) == 3.0 and table.get(4.0) is None
    assert table.numbers("levels") == [1.0, 2.0, 3.0]
