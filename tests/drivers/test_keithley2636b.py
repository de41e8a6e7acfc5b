"""Exact command traffic of the Keithley 2636B driver and its two-channel SourceMeter role."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import threading

import numpy as np
import pytest
from pymeasure.test import expected_protocol

from labctl.drivers.keithley2636b import (
    MAX_ERRORS,
    READ_TEMPLATE,
    Keithley2636B,
    Keithley2636BSourceMeter,
    parse_buffer,
    parse_reading,
)
from labctl.drivers.keithley2636b_scripts import (
    SCRIPT_LINES,
    SCRIPT_NAME,
    SCRIPT_TEXT,
    SCRIPT_VERSION,
    load_messages,
)
from labctl.errors import InstrumentError, ParameterError
from labctl.roles import SourceMeter
from labctl.roles.conformance import missing_members

IDN = "Keithley Instruments Inc., Model 2636B, 4381234, 4.0.4"
NO_ERROR = ("print(errorqueue.count)", "0.00000e+00")
SCRIPTS_LOADED = ("print(labctl_version)", SCRIPT_VERSION)


def error_entry(code, message, severity=20):
    """One ``errorqueue.next()`` entry as TSP prints it: code, message, severity, node 1."""
    reply = f"{code:.5e}\t{message}\t{severity:.5e}\t1.00000e+00"
    return ("print(errorqueue.next())", reply)


def role(inst, channel="a", clock=None, **kwargs):
    if clock is not None:
        kwargs["clock"] = clock
    return Keithley2636BSourceMeter(inst, channel=channel, name=f"smu{channel}", **kwargs)


def read_message(n):
    return (
        f"local t = timer.measure.t() local i, v = smu{n}.measure.iv() "
        f'print(string.format("%.7e\\t%.7e\\t%s\\t%.6f", i, v, '
        f"tostring(smu{n}.source.compliance), t))"
    )


def printbuffer(n, count):
    return f"labctl_print_buffer(smu{n}, {count})"


def buffer_reply(rows):
    """``printbuffer`` text for rows of (I, V, t, status) at 10 digits, as TSP prints it."""
    return ", ".join(f"{value:.9e}" for row in rows for value in row)


# ------------------------------------------------------------------ role and capabilities
def test_role_satisfies_the_source_meter_protocol():
    with expected_protocol(Keithley2636B, []) as inst:
        assert missing_members(role(inst), SourceMeter) == []


def test_capabilities_state_the_2636b_limits():
    caps = Keithley2636BSourceMeter.capabilities
    assert caps.model == "Keithley 2636B"
    assert (caps.max_voltage, caps.max_current) == (200.0, 1.5)
    assert caps.hardware_sweep and caps.pulsed
    assert caps.max_sweep_points == 60_000
    assert (caps.min_nplc, caps.max_nplc) == (0.001, 25.0)


@pytest.mark.parametrize(("channel", "node"), [("a", "smua"), ("b", "smub"), ("B", "smub")])
def test_channel_selects_the_tsp_node(channel, node):
    with expected_protocol(
        Keithley2636B, [(f"print({node}.source.func)", "0.00000e+00")]
    ) as inst:
        smu = role(inst, channel)
        assert smu.smu.node == node
        assert smu.source_mode == "current"


def test_default_names_say_which_channel():
    with expected_protocol(Keithley2636B, []) as inst:
        a = Keithley2636BSourceMeter(inst)
        b = Keithley2636BSourceMeter(inst, channel="b")
    assert a.name == "Keithley 2636B SourceMeter channel a"
    assert b.name == "Keithley 2636B SourceMeter channel b"


def test_unknown_channel_is_refused_without_traffic():
    with expected_protocol(Keithley2636B, []) as inst:
        with pytest.raises(ParameterError, match=r"channel = 'c' is not one of \['a', 'b'\]"):
            role(inst, "c")


def test_two_channels_share_the_instrument_lock_and_never_mix_traffic():
    """Channel a drives an LED, channel b holds a photodiode at 0 V and reads its current."""
    with expected_protocol(
        Keithley2636B,
        [
            ("smua.source.func = smua.OUTPUT_DCVOLTS", None),
            ("smua.source.limiti = 0.02", None),
            ("smua.source.autorangev = smua.AUTORANGE_ON", None),
            ("smua.source.levelv = 2.6", None),
            NO_ERROR,
            ("smub.source.func = smub.OUTPUT_DCVOLTS", None),
            ("smub.source.limiti = 0.001", None),
            ("smub.source.autorangev = smub.AUTORANGE_ON", None),
            ("smub.source.levelv = 0", None),
            NO_ERROR,
            ("smua.source.output = smua.OUTPUT_ON", None),
            NO_ERROR,
            ("smub.source.output = smub.OUTPUT_ON", None),
            NO_ERROR,
            ("print(smua.source.output)", "1.00000e+00"),
            (read_message("a"), "1.2340000e-02\t2.6000000e+00\tfalse\t1053.210000"),
            ("print(smub.source.output)", "1.00000e+00"),
            (read_message("b"), "-3.4560000e-07\t1.2000000e-05\tfalse\t1053.270000"),
        ],
    ) as inst:
        led, photodiode = role(inst, "a"), role(inst, "b")
        assert led.lock is photodiode.lock is inst.lock
        led.source_voltage(2.6, compliance_current=0.02)
        photodiode.source_voltage(0.0, compliance_current=1e-3)
        led.output_on()
        photodiode.output_on()
        emitted, detected = led.measure(), photodiode.measure()
    assert (emitted.voltage, emitted.current) == (2.6, 0.01234)
    assert detected.current == pytest.approx(-3.456e-7)
    assert detected.time - emitted.time == pytest.approx(0.06)


def test_a_lock_given_by_the_bench_is_used():
    lock = threading.RLock()
    with expected_protocol(Keithley2636B, []) as inst:
        a, b = role(inst, "a", lock=lock), role(inst, "b", lock=lock)
    assert a.lock is lock and b.lock is lock


def test_identify_sends_idn():
    with expected_protocol(Keithley2636B, [("*IDN?", IDN)]) as inst:
        assert role(inst, "b").identify() == IDN


# ------------------------------------------------------------------- instrument properties
PROPERTIES = [
    # attribute, value, set message, get message, reply, value read back
    ("source_function", "voltage", "smu{n}.source.func = smu{n}.OUTPUT_DCVOLTS",
     "print(smu{n}.source.func)", "1.00000e+00", "voltage"),
    ("source_function", "current", "smu{n}.source.func = smu{n}.OUTPUT_DCAMPS",
     "print(smu{n}.source.func)", "0.00000e+00", "current"),
    ("source_voltage", -12.5, "smu{n}.source.levelv = -12.5",
     "print(smu{n}.source.levelv)", "-1.25000e+01", -12.5),
    ("source_current", 2.5e-7, "smu{n}.source.leveli = 2.5e-07",
     "print(smu{n}.source.leveli)", "2.50000e-07", 2.5e-7),
    ("compliance_current", 1e-9, "smu{n}.source.limiti = 1e-09",
     "print(smu{n}.source.limiti)", "1.00000e-09", 1e-9),
    ("compliance_voltage", 21, "smu{n}.source.limitv = 21",
     "print(smu{n}.source.limitv)", "2.10000e+01", 21.0),
    ("source_voltage_autorange", True, "smu{n}.source.autorangev = smu{n}.AUTORANGE_ON",
     "print(smu{n}.source.autorangev)", "1.00000e+00", True),
    ("source_current_autorange", False, "smu{n}.source.autorangei = smu{n}.AUTORANGE_OFF",
     "print(smu{n}.source.autorangei)", "0.00000e+00", False),
    ("output_enabled", True, "smu{n}.source.output = smu{n}.OUTPUT_ON",
     "print(smu{n}.source.output)", "1.00000e+00", True),
    ("output_enabled", False, "smu{n}.source.output = smu{n}.OUTPUT_OFF",
     "print(smu{n}.source.output)", "0.00000e+00", False),
    ("nplc", 0.001, "smu{n}.measure.nplc = 0.001",
     "print(smu{n}.measure.nplc)", "1.00000e-03", 0.001),
    ("current_range", 1e-7, "smu{n}.measure.rangei = 1e-07",
     "print(smu{n}.measure.rangei)", "1.00000e-07", 1e-7),
    ("voltage_range", 2, "smu{n}.measure.rangev = 2",
     "print(smu{n}.measure.rangev)", "2.00000e+00", 2.0),
    ("current_autorange", True, "smu{n}.measure.autorangei = smu{n}.AUTORANGE_ON",
     "print(smu{n}.measure.autorangei)", "1.00000e+00", True),
    ("voltage_autorange", False, "smu{n}.measure.autorangev = smu{n}.AUTORANGE_OFF",
     "print(smu{n}.measure.autorangev)", "0.00000e+00", False),
]


@pytest.mark.parametrize("n", ["a", "b"])
@pytest.mark.parametrize(("attr", "value", "set_msg", "get_msg", "reply", "expected"), PROPERTIES)
def test_channel_property_traffic(n, attr, value, set_msg, get_msg, reply, expected):
    with expected_protocol(
        Keithley2636B, [(set_msg.format(n=n), None), (get_msg.format(n=n), reply)]
    ) as inst:
        channel = getattr(inst, f"smu{n}")
        setattr(channel, attr, value)
        assert getattr(channel, attr) == expected


@pytest.mark.parametrize("n", ["a", "b"])
@pytest.mark.parametrize(("reply", "expected"), [("true", True), ("false", False)])
def test_compliance_state_is_read_as_a_bool(n, reply, expected):
    with expected_protocol(
        Keithley2636B, [(f"print(smu{n}.source.compliance)", reply)]
    ) as inst:
        assert inst.channels[n].in_compliance is expected


def test_high_z_output_reads_as_off():
    with expected_protocol(Keithley2636B, [("print(smua.source.output)", "2.00000e+00")]) as inst:
        assert inst.smua.output_enabled is False


@pytest.mark.parametrize(
    ("attr", "value"),
    [
        ("source_voltage", 201),
        ("source_current", -1.6),
        ("compliance_current", 0),
        ("compliance_voltage", 5e-4),
        ("nplc", 26),
        ("nplc", 1e-4),
        ("current_range", 2),
        ("voltage_range", 201),
        ("source_function", "resistance"),
        ("output_enabled", "yes"),
    ],
)
def test_property_validators_refuse_without_traffic(attr, value):
    with expected_protocol(Keithley2636B, []) as inst, pytest.raises(ValueError):
        setattr(inst.smub, attr, value)


@pytest.mark.parametrize(
    ("attr", "message", "reply"),
    [
        ("output_enabled", "print(smua.source.output)", "nil"),
        ("output_enabled", "print(smua.source.output)", "5.00000e+00"),
        ("source_function", "print(smua.source.func)", "2.00000e+00"),
        ("source_voltage", "print(smua.source.levelv)", "nil"),
        ("in_compliance", "print(smua.source.compliance)", "1.00000e+00"),
    ],
)
def test_garbage_property_replies_are_instrument_errors(attr, message, reply):
    with expected_protocol(Keithley2636B, [(message, reply)]) as inst:
        with pytest.raises(InstrumentError, match=r"2636B answered|from the 2636B"):
            getattr(inst.smua, attr)


def test_error_queue_properties():
    with expected_protocol(
        Keithley2636B,
        [
            ("print(errorqueue.count)", "2.00000e+00"),
            error_entry(-221, "Settings conflict"),
            error_entry(0, "Queue Is Empty", severity=0),
        ],
    ) as inst:
        assert inst.error_count == 2
        assert inst.next_error == (-221, "Settings conflict")
        assert inst.next_error == (0, "Queue Is Empty")


def test_check_errors_reads_exactly_the_counted_entries():
    with expected_protocol(
        Keithley2636B,
        [
            ("print(errorqueue.count)", "2.00000e+00"),
            error_entry(1102, "Parameter too big"),
            error_entry(-285, "TSP Syntax error"),
        ],
    ) as inst:
        assert inst.check_errors() == [(1102, "Parameter too big"), (-285, "TSP Syntax error")]


def test_check_errors_stops_at_a_bound_on_a_garbled_count():
    entry = error_entry(-350, "Queue overflow")
    pairs = [("print(errorqueue.count)", "1.00000e+09"), *[entry] * MAX_ERRORS]
    with expected_protocol(Keithley2636B, pairs) as inst:
        assert len(inst.check_errors()) == MAX_ERRORS


def test_unreadable_error_entry_is_an_instrument_error():
    with expected_protocol(Keithley2636B, [("print(errorqueue.next())", "oops")]) as inst:
        with pytest.raises(InstrumentError, match="unreadable error queue entry"):
            _ = inst.next_error


def test_script_version_reads_nil_when_the_helpers_are_absent():
    with expected_protocol(
        Keithley2636B, [("print(labctl_version)", "nil"), SCRIPTS_LOADED]
    ) as inst:
        assert inst.script_version == "nil"
        assert inst.script_version == SCRIPT_VERSION


def test_load_scripts_sends_loadscript_lines_endscript_and_runs_it():
    messages = load_messages()
    assert messages[0] == f"loadscript {SCRIPT_NAME}"
    assert messages[-2:] == ["endscript", f"{SCRIPT_NAME}()"]
    assert messages[1:-2] == list(SCRIPT_LINES)
    assert SCRIPT_LINES[-1] == f'labctl_version = "{SCRIPT_VERSION}"'
    with expected_protocol(Keithley2636B, [(m, None) for m in messages]) as inst:
        inst.load_scripts()


# ----------------------------------------------------------------------------- sourcing
@pytest.mark.parametrize("n", ["a", "b"])
def test_source_voltage_sets_function_then_compliance_then_level(n):
    with expected_protocol(
        Keithley2636B,
        [
            (f"smu{n}.source.func = smu{n}.OUTPUT_DCVOLTS", None),
            (f"smu{n}.source.limiti = 0.01", None),
            (f"smu{n}.source.autorangev = smu{n}.AUTORANGE_ON", None),
            (f"smu{n}.source.levelv = 1.5", None),
            NO_ERROR,
        ],
    ) as inst:
        smu = role(inst, n)
        smu.source_voltage(1.5, compliance_current=0.01)
        assert smu._mode == "voltage"


@pytest.mark.parametrize("n", ["a", "b"])
def test_source_current_sets_voltage_compliance(n):
    with expected_protocol(
        Keithley2636B,
        [
            (f"smu{n}.source.func = smu{n}.OUTPUT_DCAMPS", None),
            (f"smu{n}.source.limitv = 5", None),
            (f"smu{n}.source.autorangei = smu{n}.AUTORANGE_ON", None),
            (f"smu{n}.source.leveli = 0.002", None),
            NO_ERROR,
        ],
    ) as inst:
        smu = role(inst, n)
        smu.source_current(2e-3, compliance_voltage=5)
        assert smu._mode == "current"


def test_instrument_errors_after_configuration_are_raised_with_code_and_message():
    with expected_protocol(
        Keithley2636B,
        [
            ("smua.source.func = smua.OUTPUT_DCVOLTS", None),
            ("smua.source.limiti = 1.5", None),
            ("smua.source.autorangev = smua.AUTORANGE_ON", None),
            ("smua.source.levelv = 150", None),
            ("print(errorqueue.count)", "2.00000e+00"),
            error_entry(5007, "SMU A, Power limit"),
            error_entry(-221, "Settings conflict"),
        ],
    ) as inst, pytest.raises(
        InstrumentError, match="smua reported: 5007: SMU A, Power limit; -221: Settings conflict"
    ):
        role(inst).source_voltage(150, compliance_current=1.5)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda s: s.source_voltage(250, 0.01), "level"),
        (lambda s: s.source_voltage(-201, 0.01), "level"),
        (lambda s: s.source_voltage(1, 2.0), "compliance_current"),
        (lambda s: s.source_voltage(1, 0), "compliance_current"),
        (lambda s: s.source_current(1.6, 1), "level"),
        (lambda s: s.source_current(1e-3, 300), "compliance_voltage"),
        (lambda s: s.configure_measurement(nplc=30), "nplc"),
        (lambda s: s.configure_measurement(nplc=1e-4), "nplc"),
        (lambda s: s.configure_measurement(current_range=2.0), "current_range"),
        (lambda s: s.configure_measurement(voltage_range=300), "voltage_range"),
        (lambda s: s.ramp_to(1.0, rate=0), "rate"),
        (lambda s: s.sweep([0, 1], dwell=-1), "dwell"),
        (lambda s: s.pulse_sweep([1], width=50e-6, period=0.01), "width"),
        (lambda s: s.pulse_sweep([1], width=200.0, period=300.0), "width"),
        (lambda s: s.pulse_sweep([1], width=1e-3, period=2000.0), "period"),
        (lambda s: s.pulse_sweep([1], width=1e-3, period=5e-4), "period"),
        (lambda s: s.pulse_sweep(np.zeros(60_001), width=1e-3, period=0.01), "levels"),
    ],
)
def test_out_of_range_requests_send_nothing(call, name):
    with expected_protocol(Keithley2636B, []) as inst:
        with pytest.raises(ParameterError, match=name) as info:
            call(role(inst, "b"))
    assert "range" in str(info.value) or "must be" in str(info.value)


def test_levels_are_checked_against_the_known_mode_before_anything_is_sent():
    with expected_protocol(
        Keithley2636B,
        [
            ("smua.source.func = smua.OUTPUT_DCAMPS", None),
            ("smua.source.limitv = 3", None),
            ("smua.source.autorangei = smua.AUTORANGE_ON", None),
            ("smua.source.leveli = 0", None),
            NO_ERROR,
        ],
    ) as inst:
        smu = role(inst)
        smu.source_current(0, compliance_voltage=3)
        for call in (
            lambda: smu.set_level(2.0),
            lambda: smu.sweep([0, 0.5, 1.6]),
            lambda: smu.pulse_sweep([0.1], width=1e-3, period=0.01, bias=-2.0),
            lambda: smu.sweep([]),
        ):
            with pytest.raises(ParameterError, match="level"):
                call()


# ------------------------------------------------------------------------------- output
@pytest.mark.parametrize("n", ["a", "b"])
def test_output_on_off_and_state(n):
    with expected_protocol(
        Keithley2636B,
        [
            (f"smu{n}.source.output = smu{n}.OUTPUT_ON", None),
            NO_ERROR,
            (f"print(smu{n}.source.output)", "1.00000e+00"),
            (f"smu{n}.source.output = smu{n}.OUTPUT_OFF", None),
            (f"print(smu{n}.source.output)", "0.00000e+00"),
        ],
    ) as inst:
        smu = role(inst, n)
        smu.output_on()
        assert smu.output_enabled is True
        smu.output_off()
        assert smu.output_enabled is False


def test_output_on_refused_by_the_interlock_is_an_instrument_error():
    with expected_protocol(
        Keithley2636B,
        [
            ("smua.source.output = smua.OUTPUT_ON", None),
            ("print(errorqueue.count)", "1.00000e+00"),
            error_entry(802, "OUTPUT blocked by interlock"),
        ],
    ) as inst, pytest.raises(InstrumentError, match="802: OUTPUT blocked by interlock"):
        role(inst).output_on()


# ---------------------------------------------------------------------------- measuring
@pytest.mark.parametrize("n", ["a", "b"])
def test_measure_parses_current_voltage_compliance_and_time(n):
    with expected_protocol(
        Keithley2636B,
        [
            (f"print(smu{n}.source.output)", "1.00000e+00"),
            (read_message(n), "1.0000000e-02\t2.9870000e+00\ttrue\t12.345600"),
            (f"print(smu{n}.source.output)", "1.00000e+00"),
            (read_message(n), "3.2100000e-03\t2.5000000e+00\tfalse\t12.400000"),
        ],
    ) as inst:
        smu = role(inst, n)
        first = smu.measure()
        assert (first.current, first.voltage, first.time) == (0.01, 2.987, 12.3456)
        assert first.in_compliance is True
        second = smu.measure()
        assert second.in_compliance is False
        assert second.current == pytest.approx(3.21e-3)


def test_measure_with_output_off_refuses_instead_of_measuring():
    with expected_protocol(Keithley2636B, [("print(smua.source.output)", "0.00000e+00")]) as inst:
        with pytest.raises(InstrumentError, match="output on"):
            role(inst).measure()


@pytest.mark.parametrize(
    "reply",
    [
        "1.00000e-02\t2.50000e+00",  # compliance and time missing
        "1.00000e-02\tnil\tfalse\t1.0",  # not a number
        "1.00000e-02\t2.50000e+00\t1\t1.0",  # compliance not a boolean
    ],
)
def test_garbage_reading_is_an_instrument_error(reply):
    with expected_protocol(
        Keithley2636B, [("print(smua.source.output)", "1.00000e+00"), (read_message("a"), reply)]
    ) as inst:
        with pytest.raises(InstrumentError):
            role(inst).measure()


def test_configure_measurement_nplc_and_fixed_ranges():
    with expected_protocol(
        Keithley2636B,
        [
            ("smub.measure.nplc = 10", None),
            ("smub.measure.rangei = 1e-06", None),
            ("smub.measure.rangev = 0.2", None),
            NO_ERROR,
        ],
    ) as inst:
        smu = role(inst, "b")
        smu.configure_measurement(nplc=10, current_range=1e-6, voltage_range=0.2)
        assert smu._nplc == 10


def test_configure_measurement_autoranges_by_default():
    with expected_protocol(
        Keithley2636B,
        [
            ("smua.measure.nplc = 1", None),
            ("smua.measure.autorangei = smua.AUTORANGE_ON", None),
            ("smua.measure.autorangev = smua.AUTORANGE_ON", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).configure_measurement()


def test_configure_measurement_error_is_raised():
    with expected_protocol(
        Keithley2636B,
        [
            ("smua.measure.nplc = 0.001", None),
            ("smua.measure.rangei = 1e-10", None),
            ("smua.measure.autorangev = smua.AUTORANGE_ON", None),
            ("print(errorqueue.count)", "1.00000e+00"),
            error_entry(1102, "Parameter too small"),
        ],
    ) as inst, pytest.raises(InstrumentError, match="1102: Parameter too small"):
        role(inst).configure_measurement(nplc=0.001, current_range=1e-10)


# ------------------------------------------------------------------- levels and ramps
def test_level_set_level_and_mode_read_the_mode_once():
    with expected_protocol(
        Keithley2636B,
        [
            ("print(smub.source.func)", "0.00000e+00"),
            ("print(smub.source.leveli)", "1.00000e-04"),
            ("smub.source.leveli = 0.0002", None),
            ("print(smub.source.func)", "1.00000e+00"),
            ("smub.source.levelv = 3.3", None),
            ("print(smub.source.levelv)", "3.30000e+00"),
        ],
    ) as inst:
        smu = role(inst, "b")
        assert smu.level == 1e-4
        smu.set_level(2e-4)
        assert smu.source_mode == "voltage"  # re-read: the front panel may have changed it
        smu.set_level(3.3)
        assert smu.level == 3.3


def test_ramp_steps_at_the_requested_rate(fake_clock):
    with expected_protocol(
        Keithley2636B,
        [
            ("print(smua.source.func)", "1.00000e+00"),
            ("print(smua.source.levelv)", "0.00000e+00"),
            ("smua.source.levelv = 0.5", None),
            ("smua.source.levelv = 1", None),
            ("smua.source.levelv = 1.5", None),
            ("smua.source.levelv = 2", None),
        ],
    ) as inst:
        role(inst, clock=fake_clock).ramp_to(2.0, rate=10.0)
    assert fake_clock.t == pytest.approx(0.2)  # 2 V at 10 V/s
    assert fake_clock.sleeps == pytest.approx([0.05] * 4)


# ------------------------------------------------------------------------------- sweeps
LED_LEVELS = [0.0, 1.5, 2.5, 3.0]
#: I, V, t, status per point; the last point hits the 20 mA limit (status 0x40) at 2.97 V.
LED_ROWS = [
    (1.2e-10, 2.0e-6, 0.0, 4.0),
    (3.51e-7, 1.5, 0.02312, 4.0),
    (8.42e-3, 2.5, 0.04624, 0.0),
    (2.0e-2, 2.97, 0.06936, 64.0),
]


def test_hardware_sweep_runs_the_list_and_reads_the_buffer_once():
    with expected_protocol(
        Keithley2636B,
        [
            ("smua.measure.nplc = 0.1", None),
            ("smua.measure.autorangei = smua.AUTORANGE_ON", None),
            ("smua.measure.autorangev = smua.AUTORANGE_ON", None),
            NO_ERROR,
            ("print(smua.source.func)", "1.00000e+00"),
            ("print(smua.source.output)", "1.00000e+00"),
            SCRIPTS_LOADED,
            ("labctl_list_sweep(smua, {0,1.5,2.5,3}, 0.01)", None),
            NO_ERROR,
            (printbuffer("a", 4), buffer_reply(LED_ROWS)),
        ],
    ) as inst:
        smu = role(inst)
        smu.configure_measurement(nplc=0.1)
        result = smu.sweep(LED_LEVELS, dwell=0.01)
    assert result.hardware_timed
    np.testing.assert_array_equal(result.source, LED_LEVELS)
    np.testing.assert_allclose(result.current, [1.2e-10, 3.51e-7, 8.42e-3, 2.0e-2])
    np.testing.assert_allclose(result.voltage, [2e-6, 1.5, 2.5, 2.97])
    np.testing.assert_allclose(result.time, [0, 0.02312, 0.04624, 0.06936], atol=1e-12)
    np.testing.assert_array_equal(result.in_compliance, [False, False, False, True])


def test_sweep_asks_the_nplc_when_this_role_has_not_set_it():
    rows = [(-1e-9, 0.0, 0.0, 0.0), (-2e-9, -0.5, 0.5, 0.0)]
    with expected_protocol(
        Keithley2636B,
        [
            ("print(smub.source.func)", "1.00000e+00"),
            ("print(smub.source.output)", "1.00000e+00"),
            SCRIPTS_LOADED,
            ("print(smub.measure.nplc)", "5.00000e+00"),
            ("labctl_list_sweep(smub, {0,-0.5}, 0)", None),
            NO_ERROR,
            (printbuffer("b", 2), buffer_reply(rows)),
        ],
    ) as inst:
        result = role(inst, "b").sweep([0.0, -0.5])
    np.testing.assert_allclose(result.current, [-1e-9, -2e-9])
    np.testing.assert_allclose(result.time, [0.0, 0.5])


def test_sweep_loads_the_helpers_when_the_instrument_lacks_them():
    pairs = [
        ("print(smua.source.func)", "0.00000e+00"),
        ("print(smua.source.output)", "1.00000e+00"),
        ("print(labctl_version)", "nil"),
        *[(message, None) for message in load_messages()],
        NO_ERROR,
        ("print(smua.measure.nplc)", "1.00000e+00"),
        ("labctl_list_sweep(smua, {1e-06,2e-06}, 0.1)", None),
        NO_ERROR,
        (printbuffer("a", 2), buffer_reply([(1e-6, 2.1, 0.0, 0.0), (2e-6, 2.3, 0.16, 0.0)])),
    ]
    with expected_protocol(Keithley2636B, pairs) as inst:
        result = role(inst).sweep([1e-6, 2e-6], dwell=0.1)
    np.testing.assert_allclose(result.voltage, [2.1, 2.3])


def test_a_failed_helper_load_is_an_instrument_error_and_no_sweep_runs():
    pairs = [
        ("print(smua.source.func)", "1.00000e+00"),
        ("print(smua.source.output)", "1.00000e+00"),
        ("print(labctl_version)", "nil"),
        *[(message, None) for message in load_messages()],
        ("print(errorqueue.count)", "1.00000e+00"),
        error_entry(-285, "TSP Syntax error at line 3"),
    ]
    with expected_protocol(Keithley2636B, pairs) as inst:
        with pytest.raises(InstrumentError, match="-285: TSP Syntax error at line 3"):
            role(inst).sweep([0, 1])


def test_long_sweeps_send_the_list_in_chunks_of_100():
    levels = np.round(np.linspace(0, 2, 150), 6)
    rows = [(v * 1e-3, v, 0.001 * k, 0.0) for k, v in enumerate(levels)]
    with expected_protocol(
        Keithley2636B,
        [
            ("print(smua.source.func)", "1.00000e+00"),
            ("print(smua.source.output)", "1.00000e+00"),
            SCRIPTS_LOADED,
            ("print(smua.measure.nplc)", "1.00000e-02"),
            ("labctl_points = {}", None),
            ("labctl_extend(labctl_points, {" + ",".join(f"{v:g}" for v in levels[:100]) + "})",
             None),
            ("labctl_extend(labctl_points, {" + ",".join(f"{v:g}" for v in levels[100:]) + "})",
             None),
            ("labctl_list_sweep(smua, labctl_points, 0)", None),
            NO_ERROR,
            (printbuffer("a", 150), buffer_reply(rows)),
        ],
    ) as inst:
        result = role(inst).sweep(levels)
    assert len(result) == 150
    np.testing.assert_allclose(result.voltage, levels, rtol=1e-5)


def test_sweep_refused_by_the_instrument_raises_and_reads_no_buffer():
    with expected_protocol(
        Keithley2636B,
        [
            ("print(smua.source.func)", "1.00000e+00"),
            ("print(smua.source.output)", "1.00000e+00"),
            SCRIPTS_LOADED,
            ("print(smua.measure.nplc)", "2.50000e+01"),
            ("labctl_list_sweep(smua, {0,1}, 0)", None),
            ("print(errorqueue.count)", "1.00000e+00"),
            error_entry(
                -286, "TSP Runtime error: labctl: 2 points exceed the buffer capacity of 0"
            ),
        ],
    ) as inst:
        with pytest.raises(InstrumentError, match="-286: TSP Runtime error: labctl: 2 points"):
            role(inst).sweep([0, 1])


def test_a_short_buffer_is_an_instrument_error():
    with expected_protocol(
        Keithley2636B,
        [
            ("print(smua.source.func)", "1.00000e+00"),
            ("print(smua.source.output)", "1.00000e+00"),
            SCRIPTS_LOADED,
            ("print(smua.measure.nplc)", "1.00000e+00"),
            ("labctl_list_sweep(smua, {0,1}, 0)", None),
            NO_ERROR,
            (printbuffer("a", 2), "1.00000e-03, 0.00000e+00, 0.00000e+00, 0.00000e+00"),
        ],
    ) as inst:
        with pytest.raises(InstrumentError, match="expected 8 values"):
            role(inst).sweep([0, 1])


def test_parse_buffer_refuses_text():
    with pytest.raises(InstrumentError, match="unreadable buffer"):
        parse_buffer("1.0, 2.0, nil, 0.0", 1)


def test_sweep_needs_the_output_on():
    pairs = [("print(smua.source.func)", "1.00000e+00"), ("print(smua.source.output)", "0.0e+00")]
    with expected_protocol(Keithley2636B, pairs) as inst:
        with pytest.raises(InstrumentError, match="output on"):
            role(inst).sweep([0, 1])


class TimeoutLog:
    """A stand-in VISA session whose timeout (ms) records every change."""

    def __init__(self, timeout: int) -> None:
        self._timeout = timeout
        self.changes: list[int] = []

    @property
    def timeout(self) -> int:
        return self._timeout

    @timeout.setter
    def timeout(self, value: int) -> None:
        self.changes.append(value)
        self._timeout = value

    def close(self) -> None:
        """The adapter closes its session when it is collected; there is nothing to close."""


def test_sweep_and_readout_extend_the_visa_timeout_then_restore_it():
    rows = [(0.0, 0.0, 0.0, 0.0)] * 3
    with expected_protocol(
        Keithley2636B,
        [
            ("print(smua.source.func)", "1.00000e+00"),
            ("print(smua.source.output)", "1.00000e+00"),
            SCRIPTS_LOADED,
            ("print(smua.measure.nplc)", "1.00000e+00"),
            ("labctl_list_sweep(smua, {0,0,0}, 0.5)", None),
            NO_ERROR,
            (printbuffer("a", 3), buffer_reply(rows)),
        ],
    ) as inst:
        inst.adapter.connection = session = TimeoutLog(2000)
        role(inst).sweep([0, 0, 0], dwell=0.5)
    # Sweep: 2 × 3 × (0.5 s dwell + 3 × 1/50 s + 5 ms) = 3.39 s, plus 5 s margin.
    # Readout: 12 values at 5000/s, plus 5 s margin. Each restored to 2 s afterwards.
    assert session.changes == [8390, 2000, 5002, 2000]


def test_pulse_sweep_pulses_over_the_bias_and_reads_at_the_end_of_each_pulse():
    # An LED pulsed to 2.0, 2.5 and 3.0 V for 1 ms every 50 ms over 0 V.
    rows = [
        (1.1e-4, 2.0, 0.0, 0.0),
        (6.2e-3, 2.5, 0.05, 0.0),
        (2.0e-2, 2.93, 0.1, 64.0),
    ]
    with expected_protocol(
        Keithley2636B,
        [
            ("print(smua.source.func)", "1.00000e+00"),
            ("print(smua.source.output)", "1.00000e+00"),
            SCRIPTS_LOADED,
            ("labctl_pulse_sweep(smua, {2,2.5,3}, 0.001, 0.05, 0)", None),
            NO_ERROR,
            (printbuffer("a", 3), buffer_reply(rows)),
        ],
    ) as inst:
        result = role(inst).pulse_sweep([2.0, 2.5, 3.0], width=1e-3, period=0.05, bias=0.0)
    assert result.hardware_timed
    np.testing.assert_allclose(result.current, [1.1e-4, 6.2e-3, 2.0e-2])
    np.testing.assert_allclose(np.diff(result.time), [0.05, 0.05])
    np.testing.assert_array_equal(result.in_compliance, [False, False, True])


def test_current_pulses_on_channel_b_with_a_bias():
    rows = [(1e-3, 2.4, 0.0, 0.0), (2e-3, 2.6, 0.2, 0.0)]
    with expected_protocol(
        Keithley2636B,
        [
            ("smub.source.func = smub.OUTPUT_DCAMPS", None),
            ("smub.source.limitv = 4", None),
            ("smub.source.autorangei = smub.AUTORANGE_ON", None),
            ("smub.source.leveli = 1e-05", None),
            NO_ERROR,
            ("print(smub.source.output)", "1.00000e+00"),
            SCRIPTS_LOADED,
            ("labctl_pulse_sweep(smub, {0.001,0.002}, 0.0005, 0.2, 1e-05)", None),
            NO_ERROR,
            (printbuffer("b", 2), buffer_reply(rows)),
        ],
    ) as inst:
        smu = role(inst, "b")
        smu.source_current(1e-5, compliance_voltage=4)
        result = smu.pulse_sweep([1e-3, 2e-3], width=5e-4, period=0.2, bias=1e-5)
    np.testing.assert_allclose(result.voltage, [2.4, 2.6])
    np.testing.assert_allclose(result.source, [1e-3, 2e-3])


def test_pulse_too_short_for_the_nplc_is_refused_by_the_instrument():
    with expected_protocol(
        Keithley2636B,
        [
            ("print(smua.source.func)", "1.00000e+00"),
            ("print(smua.source.output)", "1.00000e+00"),
            SCRIPTS_LOADED,
            ("labctl_pulse_sweep(smua, {3}, 0.001, 0.1, 0)", None),
            ("print(errorqueue.count)", "1.00000e+00"),
            error_entry(
                -286,
                "TSP Runtime error: labctl: width 0.001 s is too short for one reading at "
                "nplc 1 (0.02006 s)",
            ),
        ],
    ) as inst:
        with pytest.raises(InstrumentError, match="too short for one reading at nplc 1"):
            role(inst).pulse_sweep([3.0], width=1e-3, period=0.1)


def test_pulse_sweep_needs_the_output_on():
    pairs = [("print(smub.source.func)", "1.00000e+00"), ("print(smub.source.output)", "0.0e+00")]
    with expected_protocol(Keithley2636B, pairs) as inst:
        with pytest.raises(InstrumentError, match="output on"):
            role(inst, "b").pulse_sweep([1.0], width=1e-3, period=0.01)


# ------------------------------------------------------------------ the TSP script itself
def test_script_lines_fit_one_message_each_and_never_send_comments():
    assert all(len(line) <= 100 for line in SCRIPT_LINES)
    assert not any(line.startswith("--") for line in SCRIPT_LINES)
    assert "#" not in SCRIPT_TEXT  # Lua 5.0 has no length operator: table.getn only


@pytest.mark.skipif(shutil.which("luac") is None, reason="needs the Lua compiler luac")
def test_script_compiles(tmp_path):
    path = tmp_path / "labctl.lua"
    path.write_text("\n".join(SCRIPT_LINES) + "\n")
    subprocess.run(["luac", "-p", str(path)], check=True, capture_output=True)


#: A stand-in for the 2636B's TSP objects: enough of smua, trigger.timer and localnode for the
#: helpers to run, recording the trigger model at ``initiate()`` and the state afterwards.
LUA_HARNESS = r"""
local function smu_object()
  local smu = {OUTPUT_DCVOLTS = 1, OUTPUT_DCAMPS = 0, AUTORANGE_ON = 1, AUTORANGE_OFF = 0,
    ENABLE = 1, SOURCE_HOLD = 1, SOURCE_IDLE = 0, AUTOZERO_ONCE = 1, AUTOZERO_AUTO = 2}
  smu.source = {func = 1, levelv = 0.5, leveli = 0, limiti = 0.02, limitv = 2,
    autorangev = 1, autorangei = 1, rangev = 20, rangei = 1}
  smu.measure = {nplc = 0.01, delay = -1, autozero = 2, autorangei = 1, autorangev = 1,
    rangei = 1e-3, rangev = 2}
  smu.nvbuffer1 = {capacity = 60000, clear = function() end}
  smu.nvbuffer2 = {capacity = 140000, clear = function() end}
  smu.trigger = {source = {}, measure = {}, endpulse = {}, endsweep = {}, arm = {},
    SOURCE_COMPLETE_EVENT_ID = 21, ARMED_EVENT_ID = 22}
  smu.trigger.source.listv = function(t) smu.list = t end
  smu.trigger.source.listi = function(t) smu.list = t end
  smu.trigger.measure.iv = function(i, v) smu.ibuf = i smu.vbuf = v end
  smu.measure.iv = function() return 1.234e-2, 2.6 end
  smu.source.compliance = false
  smu.trigger.initiate = function()
    local t = smu.trigger
    print("count", t.count, "points", table.getn(smu.list), "rangev", smu.source.rangev,
      "autorangev", smu.source.autorangev, "levelv", smu.source.levelv)
    print("source.stimulus", t.source.stimulus, "measure.stimulus", t.measure.stimulus,
      "endpulse.stimulus", t.endpulse.stimulus, "endpulse.action", t.endpulse.action,
      "endsweep.action", t.endsweep.action, "limiti", t.source.limiti)
    print("delay", smu.measure.delay, "autozero", smu.measure.autozero,
      "autorangei", smu.measure.autorangei, "rangei", smu.measure.rangei)
    for k = 1, 3 do
      local timer = trigger.timer[k]
      print("timer" .. k, timer.delay, timer.count, tostring(timer.passthrough), timer.stimulus)
    end
  end
  return smu
end
trigger = {timer = {}}
for k = 1, 8 do trigger.timer[k] = {EVENT_ID = 100 + k, reset = function() end} end
localnode = {linefreq = 50}
waitcomplete = function() end
timer = {measure = {t = function() return 86400.123456 end}}
format = {asciiprecision = 6}
printbuffer = function(first, last, ...)
  print("printbuffer", first, last, format.asciiprecision, select("#", ...))
end
smua = smu_object()
"""

LUA_AFTER = r"""
print("after", smua.source.levelv, smua.source.autorangev, smua.measure.delay,
  smua.measure.autozero, smua.measure.autorangei, smua.trigger.measure.stimulus,
  smua.trigger.endpulse.action, tostring(labctl_points))
"""


def run_lua(tmp_path, call: str) -> list[list[str]]:
    path = tmp_path / "run.lua"
    path.write_text(LUA_HARNESS + "\n".join(SCRIPT_LINES) + "\n" + call + "\n" + LUA_AFTER)
    done = subprocess.run(["lua", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines()]


@pytest.mark.skipif(shutil.which("lua") is None, reason="needs a Lua interpreter")
def test_script_list_sweep_configures_the_trigger_model(tmp_path):
    lines = run_lua(tmp_path, "labctl_list_sweep(smua, {0, -1.5, 3}, 0.01)")
    first, stimuli, measure, timer1 = lines[0], lines[1], lines[2], lines[3]
    # Three points; range fixed to the largest |level|; idles at the first point to start.
    assert first == ["count", "3", "points", "3", "rangev", "3", "autorangev", "0", "levelv", "0"]
    # Source steps at once; each reading waits for timer 1 (dwell) after the source completes.
    assert stimuli == ["source.stimulus", "0", "measure.stimulus", "101", "endpulse.stimulus",
                       "0", "endpulse.action", "1", "endsweep.action", "1", "limiti", "0.02"]
    assert measure == ["delay", "-1", "autozero", "2", "autorangei", "1", "rangei", "0.001"]
    assert timer1 == ["timer1", "0.01", "1", "false", "21"]
    # Afterwards: level at the last point, autorange back on, trigger model reset.
    assert lines[-1] == ["after", "3", "1", "-1", "2", "1", "0", "1", "nil"]


@pytest.mark.skipif(shutil.which("lua") is None, reason="needs a Lua interpreter")
def test_script_pulse_sweep_times_the_pulses_and_restores_the_measurement(tmp_path):
    lines = run_lua(tmp_path, "labctl_pulse_sweep(smua, {2, 2.5, 3}, 0.001, 0.05, 0.1)")
    first, stimuli, measure = lines[0], lines[1], lines[2]
    timers = {line[0]: line[1:] for line in lines[3:6]}
    assert first == ["count", "3", "points", "3", "rangev", "3", "autorangev", "0",
                     "levelv", "0.1"]
    assert stimuli == ["source.stimulus", "101", "measure.stimulus", "102", "endpulse.stimulus",
                       "103", "endpulse.action", "0", "endsweep.action", "0", "limiti", "0.02"]
    # For pulsing: no extra measure delay, autozero once, current range fixed to the limit.
    assert measure == ["delay", "0", "autozero", "1", "autorangei", "0", "rangei", "0.02"]
    # Timer 1: period, fires at arm and n - 1 more times. Timer 2 starts the reading so it ends
    # 60 µs before timer 3 ends the pulse: 1 ms - 0.01 NPLC / 50 Hz - 60 µs = 0.74 ms.
    assert timers["timer1"] == ["0.05", "2", "true", "22"]
    assert float(timers["timer2"][0]) == pytest.approx(0.74e-3)
    assert timers["timer2"][1:] == ["1", "false", "101"]
    assert timers["timer3"] == ["0.001", "1", "false", "101"]
    # Afterwards: at the bias, measurement settings as they were, trigger model reset.
    assert lines[-1] == ["after", "0.1", "1", "-1", "2", "1", "0", "1", "nil"]


@pytest.mark.skipif(shutil.which("lua") is None, reason="needs a Lua interpreter")
def test_script_refuses_a_pulse_shorter_than_a_reading_and_still_restores(tmp_path):
    call = "print(pcall(labctl_pulse_sweep, smua, {2}, 1e-4, 0.05, 0))"
    lines = run_lua(tmp_path, "smua.measure.nplc = 1\n" + call)
    assert lines[0][0] == "false"
    assert re.fullmatch(
        r"labctl: width 0.0001 s is too short for one reading at nplc 1 \(0.02006 s\)", lines[0][1]
    )
    assert lines[-1] == ["after", "0.5", "1", "-1", "2", "1", "0", "1", "nil"]


def test_more_levels_than_the_buffer_holds_fall_back_to_point_by_point(fake_clock):
    with expected_protocol(
        Keithley2636B,
        [
            ("print(smua.source.func)", "1.00000e+00"),
            ("print(smua.source.output)", "1.00000e+00"),
            ("smua.source.levelv = 0.1", None),
            (read_message("a"), "1.0000000e-06\t1.0000000e-01\tfalse\t5.000000"),
            ("smua.source.levelv = 0.2", None),
            (read_message("a"), "2.0000000e-06\t2.0000000e-01\tfalse\t5.100000"),
            ("smua.source.levelv = 0.3", None),
            (read_message("a"), "3.0000000e-06\t3.0000000e-01\ttrue\t5.200000"),
        ],
    ) as inst:
        smu = role(inst, clock=fake_clock)
        # As if the buffer held two points, so that three take the software path.
        smu.capabilities = dataclasses.replace(smu.capabilities, max_sweep_points=2)
        result = smu.sweep([0.1, 0.2, 0.3], dwell=0.25)
    assert not result.hardware_timed
    np.testing.assert_allclose(result.time, [0.0, 0.1, 0.2])
    np.testing.assert_array_equal(result.in_compliance, [False, False, True])
    assert fake_clock.sleeps == [0.25, 0.25, 0.25]


@pytest.mark.skipif(shutil.which("lua") is None, reason="needs a Lua interpreter")
def test_reading_line_keeps_every_digit_and_tab_separates(tmp_path):
    lines = run_lua(tmp_path, READ_TEMPLATE.format(ch="a"))
    # A day after power-on the time still has microseconds (plain print would give 86400.1).
    assert lines[0] == ["1.2340000e-02", "2.6000000e+00", "false", "86400.123456"]
    reading = parse_reading("\t".join(lines[0]))
    assert (reading.current, reading.voltage, reading.time) == (0.01234, 2.6, 86400.123456)


@pytest.mark.skipif(shutil.which("lua") is None, reason="needs a Lua interpreter")
def test_buffer_readout_raises_the_precision_only_while_it_prints(tmp_path):
    lines = run_lua(tmp_path, "labctl_print_buffer(smua, 4)\nprint(format.asciiprecision)")
    # printbuffer(1, 4, four buffer subtables) at 10 digits, then 6 digits again.
    assert lines[0] == ["printbuffer", "1", "4", "10", "4"]
    assert lines[1] == ["6"]
