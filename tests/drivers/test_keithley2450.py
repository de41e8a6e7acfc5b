"""Exact command traffic of the Keithley 2450 driver and its SourceMeter role."""

from __future__ import annotations

import dataclasses
import logging
from contextlib import contextmanager

import numpy as np
import pytest
from pymeasure.adapters.protocol import ProtocolAdapter
from pymeasure.test import expected_protocol
from pyvisa.errors import VisaIOError

from labctl.drivers import keithley2450 as k2450
from labctl.drivers.keithley2450 import Keithley2450, Keithley2450SourceMeter
from labctl.errors import InstrumentError, NotSupportedError, ParameterError
from labctl.roles import SourceMeter
from labctl.roles.conformance import missing_members
from labctl.testing import EchoResponder, RecordingAdapter

NO_ERROR = ("SYST:ERR?", '0,"No error"')
READ = ':READ? "defbuffer1", READ, SOUR, REL, SOURSTAT'
CLEAR = (':TRAC:CLE "defbuffer1"', None)


def data_query(count: int) -> str:
    return f':TRAC:DATA? 1, {count}, "defbuffer1", READ, SOUR, REL, SOURSTAT'


def rows(*readings: tuple[float, float, float, int]) -> str:
    """A reply of (READ, SOUR, REL, SOURSTAT) rows, formatted as the 2450 does."""
    return ",".join(f"{m:+.6E},{s:+.6E},{t:+.6E},{st:+.6E}" for m, s, t, st in readings)


def role(inst, clock=None):
    kwargs = {"clock": clock} if clock else {}
    return Keithley2450SourceMeter(inst, name="smu", **kwargs)


SOURCE_VOLTAGE = [
    (":SOUR:FUNC VOLT", None),
    (':SENS:FUNC "CURR"', None),
    (":SOUR:VOLT:ILIM 0.01", None),
    (":SOUR:VOLT:READ:BACK 1", None),
    (":SOUR:VOLT:RANG:AUTO 1", None),
    (":SOUR:VOLT 1.5", None),
    NO_ERROR,
]


@contextmanager
def recorded_timeouts(monkeypatch):
    """Replace ``extended_timeout`` by a recorder of (seconds, messages sent inside it)."""
    calls: list[tuple[float, int, int]] = []

    @contextmanager
    def fake(instrument, seconds, margin=5.0):
        start = instrument.adapter._index
        yield
        calls.append((seconds, start, instrument.adapter._index))

    monkeypatch.setattr(k2450, "extended_timeout", fake)
    yield calls


# --------------------------------------------------------------------------- role, basics
def test_role_satisfies_the_source_meter_protocol():
    with expected_protocol(Keithley2450, []) as inst:
        assert missing_members(role(inst), SourceMeter) == []


def test_capabilities_state_the_2450_limits():
    caps = Keithley2450SourceMeter.capabilities
    assert caps.model == "Keithley 2450"
    assert (caps.max_voltage, caps.max_current) == (210.0, 1.05)
    assert caps.hardware_sweep and caps.max_sweep_points == 2500
    assert not caps.pulsed
    assert (caps.min_nplc, caps.max_nplc) == (0.01, 10.0)


def test_identify_asks_idn():
    idn = "KEITHLEY INSTRUMENTS,MODEL 2450,04451117,1.7.3c"
    with expected_protocol(Keithley2450, [("*IDN?", idn)]) as inst:
        assert role(inst).identify() == idn


def test_name_is_the_bench_name():
    with expected_protocol(Keithley2450, []) as inst:
        assert role(inst).name == "smu"
        assert Keithley2450SourceMeter(inst).name == "Keithley 2450 SourceMeter"


def test_reconnect_replaces_the_connection():
    fresh = ProtocolAdapter([("*IDN?", "KEITHLEY INSTRUMENTS,MODEL 2450,1,1")])
    with expected_protocol(Keithley2450, []) as inst:
        old = inst.adapter
        smu = Keithley2450SourceMeter(inst, reconnect=lambda: fresh)
        smu.reconnect()
        assert old.connection.close.called
        assert inst.adapter is fresh
        assert smu.identify().startswith("KEITHLEY")


def test_close_closes_the_connection():
    with expected_protocol(Keithley2450, []) as inst:
        role(inst).close()
        assert inst.adapter.connection.close.called


# ------------------------------------------------------------------------------- sourcing
def test_source_voltage_sets_function_then_compliance_then_level():
    with expected_protocol(Keithley2450, SOURCE_VOLTAGE) as inst:
        smu = role(inst)
        smu.source_voltage(1.5, compliance_current=0.01)
        assert smu._mode == "voltage"


def test_source_current_sets_voltage_limit_and_measures_voltage():
    with expected_protocol(
        Keithley2450,
        [
            (":SOUR:FUNC CURR", None),
            (':SENS:FUNC "VOLT"', None),
            (":SOUR:CURR:VLIM 5", None),
            (":SOUR:CURR:READ:BACK 1", None),
            (":SOUR:CURR:RANG:AUTO 1", None),
            (":SOUR:CURR 0.002", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).source_current(2e-3, compliance_voltage=5)


def test_instrument_errors_after_configuration_are_raised_all_at_once():
    with (
        expected_protocol(
            Keithley2450,
            [
                *SOURCE_VOLTAGE[:-1],
                ("SYST:ERR?", '-221,"Settings conflict"'),
                ("SYST:ERR?", '5076,"Limit too low for range"'),
                NO_ERROR,
            ],
        ) as inst,
        pytest.raises(InstrumentError, match="-221: Settings conflict; 5076: Limit too low"),
    ):
        role(inst).source_voltage(1.5, compliance_current=0.01)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda smu: smu.source_voltage(250, 0.01), "level"),
        (lambda smu: smu.source_voltage(-211, 0.01), "level"),
        (lambda smu: smu.source_voltage(1, 2.0), "compliance_current"),
        (lambda smu: smu.source_voltage(1, 0), "compliance_current"),
        (lambda smu: smu.source_voltage(float("nan"), 0.01), "level"),
        (lambda smu: smu.source_current(1.2, 5), "level"),
        (lambda smu: smu.source_current(1e-3, 300), "compliance_voltage"),
        (lambda smu: smu.source_current(1e-3, 1e-4), "compliance_voltage"),
    ],
)
def test_out_of_range_sourcing_sends_nothing(call, name):
    with expected_protocol(Keithley2450, []) as inst:
        with pytest.raises(ParameterError, match=name) as info:
            call(role(inst))
        assert "allowed range" in str(info.value)


def test_set_level_uses_the_cached_source_function():
    with expected_protocol(Keithley2450, [*SOURCE_VOLTAGE, (":SOUR:VOLT -0.25", None)]) as inst:
        smu = role(inst)
        smu.source_voltage(1.5, 0.01)
        smu.set_level(-0.25)


def test_set_level_asks_the_function_once_when_unknown():
    with expected_protocol(
        Keithley2450,
        [(":SOUR:FUNC?", "CURR"), (":SOUR:CURR 0.001", None), (":SOUR:CURR 0.002", None)],
    ) as inst:
        smu = role(inst)
        smu.set_level(1e-3)
        smu.set_level(2e-3)


def test_set_level_out_of_range_only_reads_the_function():
    with expected_protocol(Keithley2450, [(":SOUR:FUNC?", "CURR")]) as inst:
        with pytest.raises(ParameterError, match="level"):
            role(inst).set_level(2.0)  # 2 A in current mode


def test_source_mode_and_level_are_read_from_the_instrument():
    with expected_protocol(
        Keithley2450,
        [(":SOUR:FUNC?", "VOLT"), (":SOUR:FUNC?", "CURR"), (":SOUR:CURR?", "+1.000000E-03")],
    ) as inst:
        smu = role(inst)
        assert smu.source_mode == "voltage"
        assert smu.source_mode == "current"
        assert smu.level == pytest.approx(1e-3)  # mode cached by the last source_mode


def test_output_on_off_and_state():
    with expected_protocol(
        Keithley2450,
        [(":OUTP 1", None), (":OUTP?", "1"), (":OUTP 0", None), (":OUTP?", "0")],
    ) as inst:
        smu = role(inst)
        smu.output_on()
        assert smu.output_enabled is True
        smu.output_off()
        assert smu.output_enabled is False


# ------------------------------------------------------------------------------ measuring
def test_measure_in_voltage_mode_reads_source_as_voltage_and_flags_compliance(fake_clock):
    fake_clock.t = 42.0
    with expected_protocol(
        Keithley2450,
        [
            *SOURCE_VOLTAGE,
            (":OUTP?", "1"),
            # limited: status 168 = output on (128) + limited (32) + readback (8)
            (READ, rows((1.0e-2, 0.9876, 12.5, 168))),
            (":OUTP?", "1"),
            (READ, rows((3.0e-3, 1.5, 12.6, 136))),  # 136: output on + readback, not limited
        ],
    ) as inst:
        smu = role(inst, fake_clock)
        smu.source_voltage(1.5, 0.01)
        first = smu.measure()
        assert (first.voltage, first.current) == (0.9876, 0.01)
        assert first.in_compliance is True
        assert first.time == 42.0  # the bench clock, not the instrument's timestamp
        second = smu.measure()
        assert (second.voltage, second.current, second.in_compliance) == (1.5, 3e-3, False)


def test_measure_in_current_mode_reads_the_measured_value_as_voltage():
    with expected_protocol(
        Keithley2450,
        [(":OUTP?", "1"), (":SOUR:FUNC?", "CURR"), (READ, rows((4.75, 1e-3, 0.0, 32)))],
    ) as inst:
        reading = role(inst).measure()
        assert (reading.voltage, reading.current, reading.in_compliance) == (4.75, 1e-3, True)


def test_measure_with_output_off_refuses_instead_of_reading():
    with expected_protocol(Keithley2450, [(":OUTP?", "0")]) as inst:
        with pytest.raises(InstrumentError, match="output on"):
            role(inst).measure()


@pytest.mark.parametrize("reply", ["1.0,2.0", "1.0,2.0,3.0,abc", ""])
def test_unreadable_reading_is_an_instrument_error(reply):
    pairs = [(":OUTP?", "1"), (":SOUR:FUNC?", "VOLT"), (READ, reply)]
    with expected_protocol(Keithley2450, pairs) as inst:
        with pytest.raises(InstrumentError, match="reading"):
            role(inst).measure()


def test_configure_measurement_sets_both_functions_then_checks_errors():
    with expected_protocol(
        Keithley2450,
        [
            (":SENS:CURR:NPLC 0.1", None),
            (":SENS:VOLT:NPLC 0.1", None),
            (":SENS:CURR:RANG 0.001", None),
            (":SENS:VOLT:RANG:AUTO 1", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).configure_measurement(nplc=0.1, current_range=1e-3)


def test_configure_measurement_defaults_to_one_plc_and_autorange():
    with expected_protocol(
        Keithley2450,
        [
            (":SENS:CURR:NPLC 1", None),
            (":SENS:VOLT:NPLC 1", None),
            (":SENS:CURR:RANG:AUTO 1", None),
            (":SENS:VOLT:RANG 20", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).configure_measurement(voltage_range=20)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"nplc": 20}, "nplc"),
        ({"nplc": 0.001}, "nplc"),
        ({"current_range": 2.0}, "current_range"),
        ({"voltage_range": 500}, "voltage_range"),
    ],
)
def test_configure_measurement_refusals_send_nothing(kwargs, name):
    with expected_protocol(Keithley2450, []) as inst:
        with pytest.raises(ParameterError, match=name):
            role(inst).configure_measurement(**kwargs)


def test_ramp_steps_at_the_requested_rate(fake_clock):
    with expected_protocol(
        Keithley2450,
        [
            (":SOUR:FUNC?", "VOLT"),
            (":SOUR:VOLT?", "+0.000000E+00"),
            (":SOUR:VOLT 0.5", None),
            (":SOUR:VOLT 1", None),
            (":SOUR:VOLT 1.5", None),
            (":SOUR:VOLT 2", None),
        ],
    ) as inst:
        role(inst, fake_clock).ramp_to(2.0, rate=10.0)
    assert fake_clock.t == pytest.approx(0.2)  # 2 V at 10 V/s
    assert len(fake_clock.sleeps) == 4


def test_ramp_refuses_a_bad_rate_without_traffic():
    with expected_protocol(Keithley2450, []) as inst:
        with pytest.raises(ParameterError, match="rate"):
            role(inst).ramp_to(1.0, rate=0)


# -------------------------------------------------------------------------------- sweeps
def sweep_pairs(prefix: str, lists: list[str], count: int, reply: str, last: str, rng: str):
    return [
        (f":SOUR:{prefix}:RANG {rng}", None),
        *[(message, None) for message in lists],
        (f':SOUR:SWE:{prefix}:LIST 1, 0.01, 1, OFF, "defbuffer1"', None),
        CLEAR,
        NO_ERROR,
        (":INIT", None),
        ("*WAI", None),
        (data_query(count), reply),
        (f":SOUR:{prefix} {last}", None),
        (f":SOUR:{prefix}:RANG:AUTO 1", None),
        (":OUTP?", "1"),
    ]


def test_voltage_sweep_loads_a_list_runs_it_and_reads_the_buffer_once(monkeypatch):
    levels = [0.0, 0.5, 1.0]
    reply = rows((0.0, 0.0, 0.0, 136), (5e-4, 0.5, 0.1, 136), (1e-3, 0.97, 0.2, 168))
    with recorded_timeouts(monkeypatch) as timeouts:
        with expected_protocol(
            Keithley2450,
            [
                (":SOUR:FUNC?", "VOLT"),
                (":OUTP?", "1"),
                *sweep_pairs("VOLT", [":SOUR:LIST:VOLT 0,0.5,1"], 3, reply, "1", "1"),
            ],
        ) as inst:
            result = role(inst).sweep(levels, dwell=0.01)
    assert result.hardware_timed
    np.testing.assert_array_equal(result.source, levels)
    np.testing.assert_allclose(result.voltage, [0.0, 0.5, 0.97])
    np.testing.assert_allclose(result.current, [0.0, 5e-4, 1e-3])
    np.testing.assert_allclose(result.time, [0.0, 0.1, 0.2])
    np.testing.assert_array_equal(result.in_compliance, [False, False, True])
    # The VISA timeout covers exactly INIT, *WAI and the readout (pairs 7, 8 and 9 above).
    assert len(timeouts) == 1
    seconds, start, end = timeouts[0]
    assert (start, end) == (7, 10)
    assert seconds == pytest.approx(3 * (0.01 + 3 * 1.0 / 50 + 0.05))


def test_current_sweep_swaps_reading_and_source():
    reply = rows((0.1, 1e-6, 0.0, 136), (0.2, 2e-6, 0.05, 136))
    with expected_protocol(
        Keithley2450,
        [
            (":SOUR:FUNC?", "CURR"),
            (":OUTP?", "1"),
            *sweep_pairs("CURR", [":SOUR:LIST:CURR 1e-06,2e-06"], 2, reply, "2e-06", "2e-06"),
        ],
    ) as inst:
        result = role(inst).sweep([1e-6, 2e-6], dwell=0.01)
    np.testing.assert_allclose(result.voltage, [0.1, 0.2])
    np.testing.assert_allclose(result.current, [1e-6, 2e-6])


def test_long_sweeps_append_in_chunks_of_100():
    levels = np.linspace(-1, 1, 250)
    reply = rows(*[(0.0, v, 0.0, 0) for v in levels])
    text = [f"{v:g}" for v in levels]
    lists = [
        ":SOUR:LIST:VOLT " + ",".join(text[:100]),
        ":SOUR:LIST:VOLT:APP " + ",".join(text[100:200]),
        ":SOUR:LIST:VOLT:APP " + ",".join(text[200:]),
    ]
    pairs = [(":SOUR:FUNC?", "VOLT"), (":OUTP?", "1")]
    pairs += sweep_pairs("VOLT", lists, 250, reply, "1", "1")
    pairs[4 + len(lists) - 1] = (':SOUR:SWE:VOLT:LIST 1, 0, 1, OFF, "defbuffer1"', None)
    with expected_protocol(Keithley2450, pairs) as inst:
        assert len(role(inst).sweep(levels)) == 250


def test_sweep_longer_than_the_source_list_runs_point_by_point(fake_clock):
    with expected_protocol(
        Keithley2450,
        [
            (":SOUR:FUNC?", "VOLT"),
            (":OUTP?", "1"),
            (":SOUR:VOLT 0", None),
            (READ, rows((0.0, 0.0, 1.0, 136))),
            (":SOUR:VOLT 0.1", None),
            (READ, rows((1e-4, 0.1, 1.1, 136))),
            (":SOUR:VOLT 0.2", None),
            (READ, rows((2e-4, 0.2, 1.2, 136))),
        ],
    ) as inst:
        smu = role(inst, fake_clock)
        smu.capabilities = dataclasses.replace(smu.capabilities, max_sweep_points=2)
        result = smu.sweep([0.0, 0.1, 0.2], dwell=1e-5)  # below 50 µs: fine point by point
    assert not result.hardware_timed
    np.testing.assert_allclose(result.current, [0, 1e-4, 2e-4])
    assert fake_clock.sleeps == [1e-5] * 3


@pytest.mark.parametrize("dwell", [1e-5, 2e4, -1.0, float("nan")])
def test_sweep_refuses_a_dwell_the_2450_cannot_time_without_traffic(dwell):
    with expected_protocol(Keithley2450, []) as inst:
        with pytest.raises(ParameterError, match="dwell"):
            role(inst).sweep([0.0, 1.0], dwell=dwell)


def test_sweep_refuses_levels_out_of_range_after_reading_the_function_only():
    with expected_protocol(Keithley2450, [(":SOUR:FUNC?", "VOLT")]) as inst:
        with pytest.raises(ParameterError, match="level"):
            role(inst).sweep([0.0, 300.0])


def test_sweep_needs_the_output_on():
    pairs = [(":SOUR:FUNC?", "VOLT"), (":OUTP?", "0")]
    with expected_protocol(Keithley2450, pairs) as inst:
        with pytest.raises(InstrumentError, match="output on"):
            role(inst).sweep([0, 1])


def test_sweep_setup_error_stops_before_the_sweep_runs():
    with expected_protocol(
        Keithley2450,
        [
            (":SOUR:FUNC?", "VOLT"),
            (":OUTP?", "1"),
            (":SOUR:VOLT:RANG 1", None),
            (":SOUR:LIST:VOLT 0,1", None),
            (':SOUR:SWE:VOLT:LIST 1, 0, 1, OFF, "defbuffer1"', None),
            CLEAR,
            ("SYST:ERR?", '-225,"Out of memory"'),
            NO_ERROR,
        ],
    ) as inst:
        with pytest.raises(InstrumentError, match="-225"):
            role(inst).sweep([0, 1])


def test_sweep_with_missing_readings_is_an_instrument_error():
    reply = rows((0.0, 0.0, 0.0, 0))
    pairs = [(":SOUR:FUNC?", "VOLT"), (":OUTP?", "1")]
    pairs += sweep_pairs("VOLT", [":SOUR:LIST:VOLT 0,1"], 2, reply, "1", "1")
    pairs[4] = (':SOUR:SWE:VOLT:LIST 1, 0, 1, OFF, "defbuffer1"', None)
    with expected_protocol(Keithley2450, pairs) as inst:
        with pytest.raises(InstrumentError, match="2 points returned 1"):
            role(inst).sweep([0, 1])


def test_output_switched_off_by_the_sweep_is_reported(caplog):
    reply = rows((0.0, 0.0, 0.0, 136), (1e-3, 1.0, 0.1, 136))
    pairs = [(":SOUR:FUNC?", "VOLT"), (":OUTP?", "1")]
    pairs += sweep_pairs("VOLT", [":SOUR:LIST:VOLT 0,1"], 2, reply, "1", "1")
    pairs[4] = (':SOUR:SWE:VOLT:LIST 1, 0, 1, OFF, "defbuffer1"', None)
    pairs[-1] = (":OUTP?", "0")
    with expected_protocol(Keithley2450, pairs) as inst, caplog.at_level(logging.WARNING):
        assert len(role(inst).sweep([0, 1])) == 2
    assert "output was off after the sweep" in caplog.text


def test_sweep_uses_the_extended_timeout_on_a_visa_session():
    reply = rows((0.0, 0.0, 0.0, 136), (1e-3, 1.0, 0.1, 136))
    pairs = [(":SOUR:FUNC?", "VOLT"), (":OUTP?", "1")]
    pairs += sweep_pairs("VOLT", [":SOUR:LIST:VOLT 0,1"], 2, reply, "1", "1")
    pairs[4] = (':SOUR:SWE:VOLT:LIST 1, 0, 1, OFF, "defbuffer1"', None)
    with expected_protocol(Keithley2450, pairs, connection_attributes={"timeout": 2000}) as inst:
        role(inst).sweep([0, 1])
        assert inst.adapter.connection.timeout == 2000  # restored afterwards


def test_a_link_lost_during_the_readout_leaves_the_level_alone():
    adapter = RecordingAdapter(
        EchoResponder({":SOUR:FUNC?": "VOLT", ":OUTP?": "1"}), fail_after_writes=9
    )
    smu = role(Keithley2450(adapter))
    with pytest.raises(VisaIOError):
        smu.sweep([0.0, 1.0])
    # The readout was the tenth write and failed: nothing after *WAI reached the instrument,
    # in particular no level write that could step a sweep still running.
    assert adapter.writes == [
        ":SOUR:FUNC?",
        ":OUTP?",
        ":SOUR:VOLT:RANG 1",
        ":SOUR:LIST:VOLT 0,1",
        ':SOUR:SWE:VOLT:LIST 1, 0, 1, OFF, "defbuffer1"',
        ':TRAC:CLE "defbuffer1"',
        "SYST:ERR?",
        ":INIT",
        "*WAI",
    ]


def test_pulsed_sourcing_is_refused_without_traffic():
    with expected_protocol(Keithley2450, []) as inst:
        with pytest.raises(NotSupportedError, match="2636B"):
            role(inst).pulse_sweep([1, 2], width=1e-3, period=0.1)


# ----------------------------------------------------------------- instrument properties
@pytest.mark.parametrize(
    ("name", "command", "value", "sent"),
    [
        ("source_enabled", ":OUTP", True, "1"),
        ("source_mode", ":SOUR:FUNC", "current", "CURR"),
        ("source_voltage", ":SOUR:VOLT", -12.5, "-12.5"),
        ("source_current", ":SOUR:CURR", 1e-6, "1e-06"),
        ("compliance_current", ":SOUR:VOLT:ILIM", 0.105, "0.105"),
        ("compliance_voltage", ":SOUR:CURR:VLIM", 21, "21"),
        ("source_voltage_range", ":SOUR:VOLT:RANG", 20, "20"),
        ("source_current_range", ":SOUR:CURR:RANG", 1e-3, "0.001"),
        ("source_voltage_range_auto_enabled", ":SOUR:VOLT:RANG:AUTO", False, "0"),
        ("source_current_range_auto_enabled", ":SOUR:CURR:RANG:AUTO", True, "1"),
        ("source_voltage_readback_enabled", ":SOUR:VOLT:READ:BACK", True, "1"),
        ("source_current_readback_enabled", ":SOUR:CURR:READ:BACK", False, "0"),
        ("current_nplc", ":SENS:CURR:NPLC", 0.01, "0.01"),
        ("voltage_nplc", ":SENS:VOLT:NPLC", 10, "10"),
        ("current_range", ":SENS:CURR:RANG", 1e-8, "1e-08"),
        ("voltage_range", ":SENS:VOLT:RANG", 200, "200"),
        ("current_range_auto_enabled", ":SENS:CURR:RANG:AUTO", True, "1"),
        ("voltage_range_auto_enabled", ":SENS:VOLT:RANG:AUTO", False, "0"),
    ],
)
def test_instrument_controls_set_and_get_with_one_spelling(name, command, value, sent):
    with expected_protocol(
        Keithley2450, [(f"{command} {sent}", None), (f"{command}?", sent)]
    ) as inst:
        setattr(inst, name, value)
        got = getattr(inst, name)
        assert got == pytest.approx(value) if isinstance(value, float) else got == value


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("source_voltage", 250),
        ("source_current", -1.1),
        ("compliance_current", 2),
        ("compliance_voltage", 300),
        ("source_voltage_range", -1),
        ("current_nplc", 0.001),
        ("voltage_nplc", 11),
        ("current_range", 2),
        ("source_mode", "resistance"),
        ("sense_function", "resistance"),
    ],
)
def test_instrument_controls_refuse_out_of_range_values_without_traffic(name, value):
    with expected_protocol(Keithley2450, []) as inst, pytest.raises(ValueError):
        setattr(inst, name, value)


@pytest.mark.parametrize(
    ("name", "query", "reply", "expected"),
    [
        ("current_limit_tripped", ":SOUR:VOLT:ILIM:TRIP?", "1", True),
        ("voltage_limit_tripped", ":SOUR:CURR:VLIM:TRIP?", "0", False),
    ],
)
def test_limit_tripped_flags(name, query, reply, expected):
    with expected_protocol(Keithley2450, [(query, reply)]) as inst:
        assert getattr(inst, name) is expected


def test_sense_function_is_written_quoted():
    with expected_protocol(
        Keithley2450, [(':SENS:FUNC "VOLT"', None), (':SENS:FUNC "CURR"', None)]
    ) as inst:
        inst.sense_function = "voltage"
        inst.sense_function = "current"


def test_enable_and_disable_source_use_the_output_control():
    with expected_protocol(Keithley2450, [(":OUTP 1", None), (":OUTP 0", None)]) as inst:
        inst.enable_source()
        inst.disable_source()


def test_reading_and_buffer_methods():
    with expected_protocol(
        Keithley2450,
        [
            (READ, "1,2,3,4"),
            (data_query(2), "1,2,3,4,5,6,7,8"),
            CLEAR,
            (":INIT", None),
            ("*WAI", None),
        ],
    ) as inst:
        assert inst.read_elements() == [1, 2, 3, 4]
        assert inst.buffer_elements(2) == [1, 2, 3, 4, 5, 6, 7, 8]
        inst.clear_buffer()
        inst.initiate()
        inst.wait_for_completion()


def test_source_list_and_list_sweep_setup():
    with expected_protocol(
        Keithley2450,
        [
            (":SOUR:LIST:CURR 1e-06,-1e-06", None),
            (':SOUR:SWE:CURR:LIST 1, 5e-05, 1, OFF, "defbuffer1"', None),
            (':SOUR:SWE:VOLT:LIST 1, 0, 1, OFF, "defbuffer1"', None),
        ],
    ) as inst:
        inst.load_source_list("current", [1e-6, -1e-6])
        inst.configure_list_sweep("current", 50e-6)
        inst.configure_list_sweep("voltage", 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda inst: inst.load_source_list("voltage", []),
        lambda inst: inst.load_source_list("voltage", [0.0] * 2501),
        lambda inst: inst.load_source_list("voltage", [0.0, 211.0]),
        lambda inst: inst.load_source_list("current", [1.1]),
        lambda inst: inst.load_source_list("resistance", [1.0]),
        lambda inst: inst.configure_list_sweep("voltage", 1e-6),
        lambda inst: inst.configure_list_sweep("voltage", 2e4),
        lambda inst: inst.buffer_elements(0),
        lambda inst: inst.buffer_elements(7_000_000),
    ],
)
def test_list_and_buffer_methods_refuse_bad_arguments_without_traffic(call):
    with expected_protocol(Keithley2450, []) as inst, pytest.raises(ValueError):
        call(inst)
