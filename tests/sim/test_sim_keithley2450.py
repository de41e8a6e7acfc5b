"""The simulated Keithley 2450 on @labsim: labctl's driver and pymeasure's, against DUT physics."""

from __future__ import annotations

import math
import textwrap
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
import pyvisa
from pyvisa.rname import to_canonical_name

from labctl.bench import Bench, connect_bench
from labctl.drivers.keithley2450 import Keithley2450
from labctl.errors import InstrumentError

ADDRESS = "USB0::0x05E6::0x2450::04400001::INSTR"
IDN = "KEITHLEY INSTRUMENTS,MODEL 2450,04400001,1.7.3c"
READ = ':READ? "defbuffer1", READ, SOUR, REL, SOURSTAT'

# The device under test, written out here so that the expected currents are computed
# independently of the simulator: a single-carrier SCLC device (Mott-Gurney above the
# trap-filled limit), without mobile ions.
Q = 1.602176634e-19  # C
EPS0 = 8.8541878128e-12  # F/m
THICKNESS, EPS_R, MOBILITY, N_FREE, N_TRAP, AREA = 1e-6, 30.0, 2e-6, 1e19, 1e22, 1e-6
V_TFL = Q * N_TRAP * THICKNESS**2 / (2 * EPS0 * EPS_R)  # ≈ 3.0 V
#: Above 1.25 V_TFL the traps are filled and J = J_ohm + J_Mott-Gurney exactly.
V_FILLED = 1.25 * V_TFL
OHMIC = Q * N_FREE * MOBILITY / THICKNESS * AREA  # A/V
CHILD = 9 / 8 * EPS0 * EPS_R * MOBILITY / THICKNESS**3 * AREA  # A/V²

DUT = (
    "{model: sclc, thickness: 1 um, eps_r: 30, mobility: 0.02 cm**2/V/s, "
    "trap_density: 1e16 cm**-3, free_carrier_density: 1e13 cm**-3, area: 1 mm**2, "
    "ion_strength: 0}"
)


def sclc_current(volts: float | np.ndarray) -> float | np.ndarray:
    """A through the device at ``volts`` (above V_FILLED)."""
    return OHMIC * volts + CHILD * volts**2


def sclc_voltage(amps: float) -> float:
    """V that drives ``amps`` through the device (above V_FILLED)."""
    return (-OHMIC + math.sqrt(OHMIC**2 + 4 * CHILD * amps)) / (2 * CHILD)


def bench_text(faults: str = "", dut: str = DUT) -> str:
    return f"""
    name: 2450 test bench
    visa_library: "@labsim"
    roles:
      smu: {{driver: keithley2450, address: "{ADDRESS}"}}
    limits:
      max_voltage: 10 V
      max_current: 100 mA
      max_power: 2 W
      max_step: 0.5 V
      max_ramp_rate: 1 kV/s  # these tests exercise sweeps, not the limits
    resources:
      {ADDRESS}:
        device: keithley2450
        filename: keithley2450.yaml
        {faults}
    sim:
      seed: 7
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


def values(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


# --------------------------------------------------------------------------- identity
def test_default_bench_has_the_2450_answering_idn_like_the_real_one():
    manager = pyvisa.ResourceManager("@labsim")
    try:
        assert to_canonical_name(ADDRESS) in manager.list_resources()
        assert manager.open_resource(ADDRESS).query("*IDN?").strip() == IDN
    finally:
        manager.close()


def test_identify_through_the_role(tmp_path):
    with sim_bench(tmp_path) as bench:
        assert bench["smu"].identify() == IDN
        assert bench.snapshot()["smu"]["idn"] == IDN


# --------------------------------------------------------------- source and measure
def test_source_voltage_and_measure_match_the_mott_gurney_current(tmp_path):
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.output_on()
        for volts in (4.0, 6.0, 8.0):
            smu.set_level(volts)  # the limits ramp there at 10 V/s
            reading = smu.measure()
            assert reading.voltage == pytest.approx(volts, rel=1e-4)
            assert reading.current == pytest.approx(sclc_current(volts), rel=2e-3)
            assert not reading.in_compliance
            assert smu.level == volts
        assert smu.source_mode == "voltage"


def test_source_current_reads_the_voltage_the_device_needs(tmp_path):
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_current(10e-3, compliance_voltage=10)
        smu.output_on()
        reading = smu.measure()
        assert reading.current == pytest.approx(10e-3, rel=1e-3)
        assert reading.voltage == pytest.approx(sclc_voltage(10e-3), rel=2e-3)
        assert reading.voltage > V_FILLED
        assert not reading.in_compliance
        assert smu.source_mode == "current"


def test_current_compliance_clamps_the_reading_and_flags_it(tmp_path):
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=20e-3)
        smu.output_on()
        smu.set_level(8.0)  # would drive 38 mA without the limit
        reading = smu.measure()
        assert reading.in_compliance
        assert reading.current == pytest.approx(20e-3, rel=1e-3)
        # Readback is on: the reported voltage is what the clamped source actually delivers.
        assert reading.voltage == pytest.approx(sclc_voltage(20e-3), rel=2e-3)
        assert smu.level == 8.0  # the programmed level is unchanged


def test_voltage_compliance_while_sourcing_current(tmp_path):
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_current(50e-3, compliance_voltage=5)
        smu.output_on()
        reading = smu.measure()
        assert reading.in_compliance
        assert reading.voltage == pytest.approx(5.0, rel=1e-3)
        assert reading.current == pytest.approx(sclc_current(5.0), rel=2e-3)


def test_readings_advance_the_simulated_clock_by_the_integration_time(tmp_path):
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.output_on()
        for nplc in (0.1, 1.0, 10.0):
            smu.configure_measurement(nplc=nplc)
            start = bench.clock.now()
            smu.measure()
            elapsed = bench.clock.now() - start
            # One integration at 50 Hz mains, plus a few ms of overhead.
            assert nplc / 50 < elapsed < nplc / 50 + 0.005


# ------------------------------------------------------------------------------ sweeps
def test_hardware_sweep_matches_the_device_and_runs_on_the_simulated_clock(tmp_path):
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
        assert result.hardware_timed
        np.testing.assert_allclose(result.voltage, levels, rtol=1e-4)
        np.testing.assert_allclose(result.current, sclc_current(levels), rtol=2e-3)
        assert not result.in_compliance.any()
        # Each point: the sweep delay, then one integration (and a few ms of overhead).
        steps = np.diff(result.time)
        assert np.all(steps > dwell + nplc / 50)
        assert np.all(steps < dwell + nplc / 50 + 0.005)
        assert elapsed == pytest.approx(len(levels) * steps.mean(), rel=0.05)
        # The sweep leaves the output on, at the last level.
        assert smu.output_enabled and smu.level == levels[-1]


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
    np.testing.assert_allclose(result.voltage[clamped], sclc_voltage(limit), rtol=2e-3)


def test_long_sweep_loads_the_list_in_chunks(tmp_path):
    levels = np.linspace(4.0, 8.0, 250)
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.configure_measurement(nplc=0.01)
        smu.output_on()
        result = smu.sweep(levels)
    assert len(result) == 250
    np.testing.assert_allclose(result.current, sclc_current(levels), rtol=2e-3)


def test_current_sweep_reads_voltages(tmp_path):
    currents = np.array([10e-3, 15e-3, 20e-3])  # all above the trap-filled limit
    with sim_bench(tmp_path) as bench:
        smu = bench["smu"]
        smu.source_current(0.0, compliance_voltage=10)
        smu.output_on()
        result = smu.sweep(currents, dwell=0.01)
    np.testing.assert_allclose(result.current, currents, rtol=1e-3)
    np.testing.assert_allclose(result.voltage, [sclc_voltage(i) for i in currents], rtol=2e-3)


# ------------------------------------------------------------------- raw SCPI traffic
def test_read_elements_and_source_status_word(rm):
    k = rm.open_resource(ADDRESS)
    k.write(":SOUR:FUNC VOLT;:SOUR:VOLT:ILIM 0.02;:SOUR:VOLT 8")
    k.write(":OUTP ON")
    measured, source, rel, status = values(k.query(READ))
    assert measured == pytest.approx(0.02, rel=1e-3)
    assert source < 8 and rel == 0.0
    assert int(status) == 128 + 32 + 8  # output on, limited, readback on
    assert k.query(":SOUR:VOLT:ILIM:TRIP?").strip() == "1"
    k.write(":SOUR:VOLT:READ:BACK OFF")
    _, source, rel, status = values(k.query(READ))
    assert source == 8.0  # the programmed level without readback
    assert rel > 0  # relative to the first reading in defbuffer1
    assert int(status) == 128 + 32
    k.write(":SOUR:VOLT:ILIM 0.1")
    *_, status = values(k.query(READ))
    assert int(status) == 128
    assert k.query(":TRAC:ACT? \"defbuffer1\"").strip() == "3"


def test_read_with_the_output_off_measures_zero_and_leaves_it_off(rm):
    k = rm.open_resource(ADDRESS)
    k.write(":SOUR:VOLT 5")
    measured, source, _, status = values(k.query(READ))
    assert abs(measured) < 1e-9 and abs(source) < 1e-3 and int(status) & 128 == 0
    assert k.query(":OUTP?").strip() == "0"


def test_list_sweep_messages_fill_the_buffer(rm):
    k = rm.open_resource(ADDRESS)
    clock = rm.visalib.clock
    k.write(":SOUR:VOLT:ILIM 0.1;:SENS:CURR:NPLC 1")
    k.write(":SOUR:VOLT:RANG 8")
    assert float(k.query(":SOUR:VOLT:RANG?")) == 20.0
    assert k.query(":SOUR:VOLT:RANG:AUTO?").strip() == "0"
    k.write(":SOUR:LIST:VOLT 4,5,6")
    k.write(":SOUR:LIST:VOLT:APP 7,8")
    assert k.query(":SOUR:LIST:VOLT:POIN?").strip() == "5"
    k.write(':SOUR:SWE:VOLT:LIST 1, 0.1, 1, OFF, "defbuffer1"')
    k.write(':TRAC:CLE "defbuffer1"')
    assert k.query("SYST:ERR?").strip() == '0,"No error"'
    start = clock.now()
    k.write(":INIT")
    k.write("*WAI")
    assert clock.now() - start == pytest.approx(5 * (0.1 + 1 / 50), abs=5 * 0.005)
    data = values(k.query(':TRAC:DATA? 1, 5, "defbuffer1", READ, SOUR, REL, SOURSTAT'))
    rows = np.array(data).reshape(5, 4)
    np.testing.assert_allclose(rows[:, 0], sclc_current(np.arange(4.0, 8.1)), rtol=2e-3)
    np.testing.assert_allclose(rows[:, 2], np.arange(5) * (rows[1, 2] - rows[0, 2]), atol=1e-9)
    assert k.query(":OUTP?").strip() == "1"  # the sweep switched the output on
    assert float(k.query(":SOUR:VOLT?")) == 8.0  # and left the last level programmed


def test_instrument_limits_and_bad_messages_queue_real_scpi_errors(rm):
    k = rm.open_resource(ADDRESS)
    k.write(":SOUR:VOLT 211")  # beyond ±210 V
    k.write(":SOUR:CURR -1.1")  # beyond ±1.05 A
    k.write(":SOUR:VOLT:ILIM 2")
    k.write(":SOUR:BOGUS 1")
    k.write(':READ? "nobuffer"')
    k.write(":SOUR:VOLT:RANG 2;:SOUR:VOLT 5")  # 5 V is beyond the fixed 2 V range
    k.write(':TRAC:CLE "defbuffer1"')
    k.write(':TRAC:DATA? 1, 3, "defbuffer1", READ')  # the buffer is empty
    expected = [-222, -222, -222, -113, -224, -222, -222]
    assert [int(k.query("SYST:ERR?").split(",")[0]) for _ in expected] == expected
    assert k.query("SYST:ERR?").strip() == '0,"No error"'
    assert float(k.query(":SOUR:VOLT?")) == 0.0  # refused values change nothing


def test_fixed_measure_range_overflows(rm):
    k = rm.open_resource(ADDRESS)
    k.write(":SOUR:VOLT:ILIM 0.1;:SOUR:VOLT 5;:OUTP 1")
    k.write(":SENS:CURR:RANG 1e-6")
    assert float(k.query(":SENS:CURR:RANG?")) == 1e-6
    assert float(k.query(":READ?")) == 9.9e37
    k.write(":SENS:CURR:RANG:AUTO ON")
    assert float(k.query(":READ?")) == pytest.approx(sclc_current(5.0), rel=2e-3)
    assert float(k.query(":SENS:CURR:RANG?")) == 0.1


def test_rst_restores_defaults(rm):
    k = rm.open_resource(ADDRESS)
    k.write(":SOUR:FUNC CURR;:SOUR:CURR:VLIM 5;:OUTP 1;:SENS:FUNC 'VOLT'")
    k.write("*RST")
    assert k.query(":SOUR:FUNC?").strip() == "VOLT"
    assert k.query(":SENS:FUNC?").strip() == '"CURR:DC"'
    assert k.query(":OUTP?").strip() == "0"
    assert float(k.query(":SOUR:VOLT:ILIM?")) == pytest.approx(1.05e-4)
    assert float(k.query(":SOUR:CURR:VLIM?")) == 21.0


# -------------------------------------------------------------------------------- faults
def test_stuck_compliance_fault_flags_every_reading(tmp_path):
    text = bench_text(faults="faults: {stuck_compliance: true}")
    with sim_bench(tmp_path, text) as bench:
        smu = bench["smu"]
        smu.source_voltage(0.0, compliance_current=0.1)
        smu.output_on()
        smu.set_level(4.0)
        reading = smu.measure()
        assert reading.in_compliance
        assert reading.current == pytest.approx(sclc_current(4.0), rel=2e-3)
        assert smu.sweep([4.0, 4.5]).in_compliance.all()


def test_queued_error_fault_reaches_the_driver(tmp_path):
    text = bench_text(faults='faults: {error_after: 1, error: [-310, "System error"]}')
    with sim_bench(tmp_path, text) as bench:
        smu = bench["smu"]
        with pytest.raises(InstrumentError, match="-310: System error"):
            smu.source_voltage(1.0, compliance_current=0.01)


# ------------------------------------------------------------------------- pymeasure
def test_pymeasure_keithley2450_works_unmodified_against_labsim(rm, monkeypatch):
    from pymeasure.instruments.keithley import Keithley2450 as PymeasureKeithley2450

    model = rm.visalib.bench.instruments[to_canonical_name(ADDRESS)]
    sent: list[str] = []
    original = model.process
    monkeypatch.setattr(model, "process", lambda message: sent.append(message) or original(message))
    smu = PymeasureKeithley2450(ADDRESS, visa_library=rm.visalib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pymeasure deprecates apply_voltage
        smu.apply_voltage(compliance_current=0.1)
        smu.measure_current()
    smu.enable_source()
    smu.source_voltage = 5
    assert smu.current == pytest.approx(sclc_current(5.0), rel=2e-3)
    assert smu.source_voltage == 5.0
    assert smu.check_errors() == []
    smu.shutdown()
    assert smu.source_enabled is False
    assert smu.source_voltage == 0.0
    assert smu.check_errors() == []
    # What it sent, among others: short forms, optional nodes, a trailing ';', OUTPUT ON/OFF.
    for message in (":SOUR:FUNC VOLT", ":SOUR:FUNC?", ":SOUR:VOLT:RANG:AUTO 1",
                    ":SOUR:VOLT:ILIM 0.1", ":SENS:FUNC 'CURR';:SENS:CURR:NPLC 1.000000;",
                    ":SENS:CURR:RANG:AUTO 1;", "OUTPUT ON", ":SOUR:VOLT:LEV 5", ":READ?",
                    ":ABOR", "OUTPUT OFF", "SYST:ERR?"):
        assert message in sent
    assert not model.errors


def test_labctl_instrument_class_reads_settings_back(rm):
    inst = Keithley2450(ADDRESS, visa_library=rm.visalib)
    inst.source_mode = "current"
    inst.compliance_voltage = 21
    inst.source_current = 1e-6
    inst.source_current_range = 1e-3
    inst.current_nplc = 0.01
    inst.voltage_range = 200
    assert inst.source_mode == "current"
    assert inst.compliance_voltage == 21.0
    assert inst.source_current == pytest.approx(1e-6)
    assert inst.source_current_range == pytest.approx(1e-3)
    assert inst.source_current_range_auto_enabled is False
    assert inst.current_nplc == pytest.approx(0.01)
    assert inst.voltage_range == 200.0
    assert inst.source_current_readback_enabled is True
    assert inst.current_limit_tripped is False
    assert inst.check_errors() == []
