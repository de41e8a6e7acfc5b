"""Exact command traffic of the Keithley 2400/2410 drivers and their SourceMeter role."""

from __future__ import annotations

import numpy as np
import pytest
from pymeasure.test import expected_protocol

from labctl.drivers.keithley2400 import (
    Keithley2400,
    Keithley2400SourceMeter,
    Keithley2410,
    Keithley2410SourceMeter,
)
from labctl.errors import InstrumentError, NotSupportedError, ParameterError
from labctl.roles import SourceMeter
from labctl.roles.conformance import missing_members

INIT = (":FORMAT:ELEMENTS VOLTAGE, CURRENT, RESISTANCE, TIME, STATUS", None)
NO_ERROR = ("SYST:ERR?", '0,"No error"')


def role(inst, clock=None, cls=Keithley2400SourceMeter):
    kwargs = {"clock": clock} if clock else {}
    return cls(inst, name="smu", **kwargs)


def test_role_satisfies_the_source_meter_protocol():
    with expected_protocol(Keithley2400, [INIT]) as inst:
        assert missing_members(role(inst), SourceMeter) == []


def test_source_voltage_sets_function_then_compliance_then_level():
    with expected_protocol(
        Keithley2400,
        [
            INIT,
            (":SOURCE:FUNCTION VOLT", None),
            (":SENS:FUNC 'CURR'", None),
            (":SENSE:CURRENT:PROTECTION 0.01", None),
            (":SOURCE:VOLTAGE:RANGE:AUTO 1", None),
            (":SOURCE:VOLTAGE 1.5", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).source_voltage(1.5, compliance_current=0.01)


def test_source_current_sets_voltage_compliance():
    with expected_protocol(
        Keithley2400,
        [
            INIT,
            (":SOURCE:FUNCTION CURR", None),
            (":SENS:FUNC 'VOLT'", None),
            (":SENSE:VOLTAGE:PROTECTION 5", None),
            (":SOURCE:CURRENT:RANGE:AUTO 1", None),
            (":SOURCE:CURRENT 0.002", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).source_current(2e-3, compliance_voltage=5)


def test_instrument_error_after_configuration_is_raised():
    with expected_protocol(
        Keithley2400,
        [
            INIT,
            (":SOURCE:FUNCTION VOLT", None),
            (":SENS:FUNC 'CURR'", None),
            (":SENSE:CURRENT:PROTECTION 0.01", None),
            (":SOURCE:VOLTAGE:RANGE:AUTO 1", None),
            (":SOURCE:VOLTAGE 1", None),
            ("SYST:ERR?", '-221,"Settings conflict"'),
            NO_ERROR,
        ],
    ) as inst, pytest.raises(InstrumentError, match="-221: Settings conflict"):
        role(inst).source_voltage(1, compliance_current=0.01)


@pytest.mark.parametrize(
    ("level", "compliance", "name"),
    [(250, 0.01, "level"), (1, 2.0, "compliance_current"), (1, 0, "compliance_current")],
)
def test_out_of_range_requests_send_nothing(level, compliance, name):
    with expected_protocol(Keithley2400, [INIT]) as inst:
        with pytest.raises(ParameterError, match=name) as info:
            role(inst).source_voltage(level, compliance)
        assert "allowed range" in str(info.value)


def test_output_on_off_and_state():
    with expected_protocol(
        Keithley2400,
        [INIT, ("OUTPUT 1", None), ("OUTPUT?", "1"), ("OUTPUT 0", None), ("OUTPUT?", "0")],
    ) as inst:
        smu = role(inst)
        smu.output_on()
        assert smu.output_enabled is True
        smu.output_off()
        assert smu.output_enabled is False


def test_measure_parses_elements_and_compliance_bit():
    with expected_protocol(
        Keithley2400,
        [
            INIT,
            ("OUTPUT?", "1"),
            (":READ?", "+1.500000E+00,+1.000000E-02,+9.910000E+37,+1.234500E+01,+8.000000E+00"),
            ("OUTPUT?", "1"),
            (":READ?", "+1.500000E+00,+3.000000E-03,+9.910000E+37,+1.240000E+01,+0.000000E+00"),
        ],
    ) as inst:
        smu = role(inst)
        first = smu.measure()
        assert (first.voltage, first.current, first.time) == (1.5, 0.01, 12.345)
        assert first.in_compliance is True
        assert smu.measure().in_compliance is False


def test_measure_with_output_off_refuses_instead_of_switching_it_on():
    with expected_protocol(Keithley2400, [INIT, ("OUTPUT?", "0")]) as inst:
        with pytest.raises(InstrumentError, match="output on"):
            role(inst).measure()


def test_garbage_reading_is_an_instrument_error():
    with expected_protocol(Keithley2400, [INIT, ("OUTPUT?", "1"), (":READ?", "1.0,2.0")]) as inst:
        with pytest.raises(InstrumentError, match="multiple of 5"):
            role(inst).measure()


def test_configure_measurement_nplc_and_ranges():
    with expected_protocol(
        Keithley2400,
        [
            INIT,
            (":SENSE:CURRENT:NPLCYCLES 0.1", None),
            (":SENSE:CURRENT:RANGE 0.001", None),
            (":SENSE:VOLTAGE:RANGE:AUTO 1", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).configure_measurement(nplc=0.1, current_range=1e-3)


def test_configure_measurement_rejects_nplc_out_of_range():
    with expected_protocol(Keithley2400, [INIT]) as inst:
        with pytest.raises(ParameterError, match="nplc"):
            role(inst).configure_measurement(nplc=20)


def test_ramp_steps_at_the_requested_rate(fake_clock):
    with expected_protocol(
        Keithley2400,
        [
            INIT,
            (":SOURCE:FUNCTION?", "VOLT"),
            (":SOURCE:VOLTAGE?", "0"),
            (":SOURCE:VOLTAGE 0.5", None),
            (":SOURCE:VOLTAGE 1", None),
            (":SOURCE:VOLTAGE 1.5", None),
            (":SOURCE:VOLTAGE 2", None),
        ],
    ) as inst:
        role(inst, fake_clock).ramp_to(2.0, rate=10.0)
    assert fake_clock.t == pytest.approx(0.2)  # 2 V at 10 V/s
    assert len(fake_clock.sleeps) == 4


def test_hardware_sweep_loads_a_list_and_reads_the_buffer_once():
    levels = [0.0, 0.5, 1.0]
    reply = ",".join(
        f"{v:e},{v * 1e-3:e},9.91e37,{t:e},0" for v, t in zip(levels, (1.0, 1.1, 1.2), strict=True)
    )
    with expected_protocol(
        Keithley2400,
        [
            INIT,
            (":SOURCE:FUNCTION?", "VOLT"),
            ("OUTPUT?", "1"),
            (":SOURCE:VOLTAGE:RANGE 1", None),
            (":SOUR:LIST:VOLT 0,0.5,1", None),
            (":SOURCE:VOLTAGE 0", None),  # the idle level stays at the first point: no step
            (":SOUR:VOLT:MODE LIST", None),
            (":SOURCE:DELAY 0.01", None),
            (":TRIG:COUN 3", None),
            NO_ERROR,
            (":READ?", reply),
            (":SOUR:VOLT:MODE FIX", None),
            (":TRIG:COUN 1", None),
        ],
    ) as inst:
        result = role(inst).sweep(levels, dwell=0.01)
    assert result.hardware_timed
    np.testing.assert_allclose(result.current, [0, 0.5e-3, 1e-3])
    np.testing.assert_allclose(result.time, [0, 0.1, 0.2], atol=1e-12)


def test_long_sweeps_append_in_chunks_of_100():
    levels = np.linspace(0, 1, 150)
    reply = ",".join(f"{v:e},0,0,0,0" for v in levels)
    with expected_protocol(
        Keithley2400,
        [
            INIT,
            (":SOURCE:FUNCTION?", "VOLT"),
            ("OUTPUT?", "1"),
            (":SOURCE:VOLTAGE:RANGE 1", None),
            (":SOUR:LIST:VOLT " + ",".join(f"{v:g}" for v in levels[:100]), None),
            (":SOUR:LIST:VOLT:APP " + ",".join(f"{v:g}" for v in levels[100:]), None),
            (":SOURCE:VOLTAGE 0", None),
            (":SOUR:VOLT:MODE LIST", None),
            (":SOURCE:DELAY 0", None),
            (":TRIG:COUN 150", None),
            NO_ERROR,
            (":READ?", reply),
            (":SOUR:VOLT:MODE FIX", None),
            (":TRIG:COUN 1", None),
        ],
    ) as inst:
        assert len(role(inst).sweep(levels)) == 150


def test_sweep_needs_the_output_on():
    pairs = [INIT, (":SOURCE:FUNCTION?", "VOLT"), ("OUTPUT?", "0")]
    with expected_protocol(Keithley2400, pairs) as inst:
        with pytest.raises(InstrumentError, match="output on"):
            role(inst).sweep([0, 1])


def test_pulsed_sourcing_is_refused_without_traffic():
    with expected_protocol(Keithley2400, [INIT]) as inst:
        with pytest.raises(NotSupportedError, match="2636B"):
            role(inst).pulse_sweep([1, 2], width=1e-3, period=0.1)


def test_2410_reaches_1100_volts():
    with expected_protocol(
        Keithley2410,
        [
            INIT,
            (":SOURCE:FUNCTION VOLT", None),
            (":SENS:FUNC 'CURR'", None),
            (":SENSE:CURRENT:PROTECTION 1e-05", None),
            (":SOURCE:VOLTAGE:RANGE:AUTO 1", None),
            (":SOURCE:VOLTAGE 1000", None),
            NO_ERROR,
        ],
    ) as inst:
        smu = role(inst, cls=Keithley2410SourceMeter)
        smu.source_voltage(1000, compliance_current=1e-5)
        with pytest.raises(ParameterError, match=r"1\.1 kV"):
            smu.source_voltage(1200, compliance_current=1e-5)


def test_2400_instrument_refuses_2410_voltages():
    with expected_protocol(Keithley2400, [INIT]) as inst, pytest.raises(ValueError):
        inst.source_voltage = 500
