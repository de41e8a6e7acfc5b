"""The @labsim backend: opening, fresh state, error queue, bulk reads, faults, real clients."""

from __future__ import annotations

import textwrap
import warnings

import pytest
import pyvisa
from pyvisa.errors import VisaIOError

from labctl.sim.bench import default_bench_path
from labctl.sim.faults import GARBAGE

K2400 = "GPIB0::24::INSTR"


@pytest.fixture
def rm():
    manager = pyvisa.ResourceManager("@labsim")
    yield manager
    manager.close()


def bench_file(tmp_path, faults="", dut="model: sclc"):
    text = f"""
    name: faulty bench
    resources:
      GPIB0::24::INSTR:
        device: keithley2400
        filename: keithley2400.yaml
        {faults}
    sim:
      dut: {{{dut}}}
    """
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_default_bench_answers_idn_like_the_real_instruments(rm):
    assert K2400 in rm.list_resources()
    idn = rm.open_resource(K2400).query("*IDN?")
    assert idn.startswith("KEITHLEY INSTRUMENTS INC.,MODEL 2400,")
    assert ",MODEL 2410," in rm.open_resource("GPIB0::25::INSTR").query("*IDN?")


def test_another_bench_file_opens_with_path_at_labsim(tmp_path):
    manager = pyvisa.ResourceManager(f"{bench_file(tmp_path)}@labsim")
    try:
        assert manager.list_resources() == (K2400,)
    finally:
        manager.close()


def test_every_resource_manager_starts_fresh():
    first = pyvisa.ResourceManager("@labsim")
    first.open_resource(K2400).write(":SOUR:VOLT 3.5")
    assert float(first.open_resource(K2400).query(":SOUR:VOLT?")) == 3.5
    first.close()
    second = pyvisa.ResourceManager("@labsim")
    try:
        assert float(second.open_resource(K2400).query(":SOUR:VOLT?")) == 0.0
    finally:
        second.close()


def test_error_queue_has_real_scpi_codes_and_rst_restores_defaults(rm):
    k = rm.open_resource(K2400)
    k.write(":SOUR:BOGUS 1")
    k.write(":SOUR:VOLT 500")  # beyond ±210 V
    assert k.query("SYST:ERR?") == '-113,"Undefined header"\n'
    assert k.query(":SYSTem:ERRor:NEXT?") == '-222,"Data out of range"\n'
    assert k.query("SYST:ERR?") == '0,"No error"\n'
    k.write(":SOUR:VOLT 2;:SENS:CURR:PROT 0.05")
    k.write("*RST")
    assert float(k.query(":SOURce:VOLTage:LEVel?")) == 0.0
    assert float(k.query(":SENS:CURR:PROT?")) == pytest.approx(1.05e-4)
    assert k.query("*OPC?").strip() == "1"
    assert k.query("*IDN?;*OPC?").strip().endswith(";1")


def test_replies_are_read_in_bulk_not_byte_by_byte(rm, monkeypatch):
    k = rm.open_resource(K2400)
    device = rm.visalib.bench.devices[K2400]
    calls = []
    original = device.read_bulk
    monkeypatch.setattr(device, "read_bulk", lambda *a: calls.append(a) or original(*a))
    k.write(":SOUR:LIST:VOLT " + ",".join(["1"] * 100))
    assert len(k.query(":SOUR:LIST:VOLT?")) > 1000
    assert len(calls) <= 2


def test_compliance_clamps_the_reading_and_sets_the_status_bit(rm):
    k = rm.open_resource(K2400)
    k.write(":SOUR:FUNC VOLT;:SENS:CURR:PROT 0.001;:SOUR:VOLT 8;:OUTP ON")
    volts, amps, _, _, status = (float(x) for x in k.query(":READ?").split(","))
    assert amps == pytest.approx(0.001, rel=1e-2)
    assert volts < 8  # the SMU became a current source at the limit
    assert int(status) & 8
    k.write(":SENS:CURR:PROT 0.1")
    *_, status = (float(x) for x in k.query(":READ?").split(","))
    assert not int(status) & 8


def test_readings_advance_the_simulated_clock_by_the_integration_time(rm):
    k = rm.open_resource(K2400)
    clock = rm.visalib.clock
    k.write(":SENS:CURR:NPLC 10;OUTP 1")
    start = clock.now()
    k.query(":READ?")
    assert clock.now() - start == pytest.approx(10 / 50 + 0.003 + 0.0, abs=2e-3)


def test_fault_timeout_after_n_queries(tmp_path):
    manager = pyvisa.ResourceManager(f"{bench_file(tmp_path, 'faults: {timeout_after: 2}')}@labsim")
    k = manager.open_resource(K2400)
    k.timeout = 50
    k.query("*IDN?")
    k.query("*IDN?")
    with pytest.raises(VisaIOError) as info:
        k.query("*IDN?")
    assert info.value.error_code == pyvisa.constants.StatusCode.error_timeout
    manager.close()


def test_fault_disconnect_then_heal_on_reopen(tmp_path):
    path = bench_file(tmp_path, "faults: {disconnect_after: 3}")
    manager = pyvisa.ResourceManager(f"{path}@labsim")
    k = manager.open_resource(K2400)
    for _ in range(3):
        k.write("*CLS")
    with pytest.raises(VisaIOError) as info:
        k.write("*CLS")
    assert info.value.error_code == pyvisa.constants.StatusCode.error_connection_lost
    k.close()
    assert manager.open_resource(K2400).query("*IDN?").startswith("KEITHLEY")
    manager.close()


def test_fault_garbage_reply_once(tmp_path):
    manager = pyvisa.ResourceManager(f"{bench_file(tmp_path, 'faults: {garbage_after: 1}')}@labsim")
    k = manager.open_resource(K2400)
    assert k.query("*IDN?").startswith("KEITHLEY")
    k.write("*IDN?")
    assert k.read_raw() == GARBAGE + b"\n"
    assert k.query("*IDN?").startswith("KEITHLEY")  # once only
    manager.close()


def test_fault_stuck_compliance_and_queued_error(tmp_path):
    faults = 'faults: {stuck_compliance: true, error_after: 1, error: [-310, "System error"]}'
    manager = pyvisa.ResourceManager(f"{bench_file(tmp_path, faults)}@labsim")
    k = manager.open_resource(K2400)
    k.write(":SENS:CURR:PROT 0.1;:SOUR:VOLT 0.1;:OUTP 1")
    *_, status = (float(x) for x in k.query(":READ?").split(","))
    assert int(status) & 8
    assert k.query("SYST:ERR?").strip() == '-310,"System error"'
    manager.close()


def test_pymeasure_keithley2400_works_unmodified_against_labsim():
    from pymeasure.instruments.keithley import Keithley2400

    smu = Keithley2400(K2400, visa_library="@labsim")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pymeasure deprecates apply_voltage
        smu.apply_voltage(compliance_current=0.1)
        smu.measure_current()
    smu.enable_source()
    smu.source_voltage = 5
    current = smu.current
    # The default device: J = (9/8) ε0 εr μ V²/L³ above the trap-filled limit (3 V), times 1 mm².
    child = 9 / 8 * 8.8541878128e-12 * 30 * 2e-6 * 25 / 1e-18 * 1e-6
    assert current == pytest.approx(child, rel=0.1)
    assert smu.check_errors() == []
    smu.shutdown()
    assert smu.source_enabled is False
    assert default_bench_path().exists()
