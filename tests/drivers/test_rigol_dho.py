"""Exact command traffic of the Rigol DHO800/DHO900 driver and its Oscilloscope role."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from pymeasure.test import expected_protocol

from labctl.drivers.rigol_dho import (
    CHUNK_POINTS,
    MODELS,
    RigolDHO,
    RigolDHOOscilloscope,
    offset_limit,
    position_limits,
)
from labctl.drivers.scope_base import CaptureTimeoutError, Preamble
from labctl.errors import InstrumentError, NotSupportedError, ParameterError
from labctl.roles import Oscilloscope
from labctl.roles.conformance import missing_members

NO_ERROR = (":SYST:ERR?", '0,"No error"')
#: A RAW/WORD preamble as a DHO824 sent it (50 mV/div, offset -151.45 mV, 2.5 MSa/s), with the
#: point count changed per test.
PREAMBLE = "1,2,{points},1,4.000000E-07,-2.000000E-03,0.000000E-12,6.666700E-06,-22718,32768"


def block(payload: bytes) -> bytes:
    """A Rigol TMC block: ``#9`` + 9 length digits + data + newline."""
    return b"#9" + f"{len(payload):09d}".encode() + payload + b"\n"


def uint16_le(codes) -> bytes:
    codes = list(codes)
    return struct.pack(f"<{len(codes)}H", *codes)


def role(inst, clock=None, **kwargs) -> RigolDHOOscilloscope:
    if clock is not None:
        kwargs["clock"] = clock
    return RigolDHOOscilloscope(inst, name="scope", **kwargs)


def transfer_setup(channel: int, record: int) -> list[tuple[str, str | None]]:
    return [
        (":STOP", None),
        (f":WAV:SOUR CHAN{channel}", None),
        (":WAV:MODE RAW", None),
        (":WAV:FORM WORD", None),
        NO_ERROR,
        (":ACQ:MDEP?", f"{record:.3E}"),
        (":WAV:PRE?", PREAMBLE.format(points=record)),
    ]


def read_window(first: int, codes) -> list[tuple[str, bytes | None]]:
    codes = list(codes)
    return [
        (f":WAV:STAR {first}", None),
        (f":WAV:STOP {first + len(codes) - 1}", None),
        (":WAV:DATA?", block(uint16_le(codes))),
    ]


# ------------------------------------------------------------------------------ the role
def test_role_satisfies_the_oscilloscope_protocol_without_traffic():
    with expected_protocol(RigolDHO, []) as inst:
        assert missing_members(role(inst), Oscilloscope) == []


def test_capabilities_of_the_family():
    with expected_protocol(RigolDHO, []) as inst:
        default = role(inst).capabilities
        two = role(inst, model="DHO802").capabilities
        fast = role(inst, model="dho924s").capabilities
    assert (default.model, default.channels, default.bandwidth, default.max_points) == (
        "Rigol DHO804", 4, 70e6, 25_000_000)
    assert (two.channels, two.bandwidth) == (2, 70e6)
    assert (fast.model, fast.bandwidth, fast.max_points) == ("Rigol DHO924S", 250e6, 50_000_000)
    assert MODELS["DHO812"].external_trigger and not MODELS["DHO814"].external_trigger
    assert MODELS["DHO914"].min_scale == 200e-6 and MODELS["DHO814"].min_scale == 500e-6


def test_unknown_model_is_refused():
    with expected_protocol(RigolDHO, []) as inst, pytest.raises(ParameterError, match="model"):
        role(inst, model="DS1054Z")


def test_identify():
    reply = "RIGOL TECHNOLOGIES,DHO804,DHO8A000000001,00.01.03.00.02"
    with expected_protocol(RigolDHO, [("*IDN?", reply)]) as inst:
        assert role(inst).identify() == reply


def test_set_timebase_sends_scale_then_offset_then_checks_errors():
    with expected_protocol(
        RigolDHO,
        [(":TIM:MAIN:SCAL 5e-07", None), (":TIM:MAIN:OFFS 2e-06", None), NO_ERROR],
    ) as inst:
        role(inst).set_timebase(500e-9, position=2e-6)


def test_configure_channel_order_display_coupling_scale_offset():
    with expected_protocol(
        RigolDHO,
        [
            (":CHAN3:DISP 1", None),
            (":CHAN3:COUP AC", None),
            (":CHAN3:SCAL 0.1", None),
            (":CHAN3:OFFS -5", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).configure_channel(3, scale=0.1, offset=-5.0, coupling="ac")


def test_configure_channel_off():
    with expected_protocol(
        RigolDHO,
        [
            (":CHAN2:DISP 0", None),
            (":CHAN2:COUP DC", None),
            (":CHAN2:SCAL 2", None),
            (":CHAN2:OFFS 0", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).configure_channel(2, scale=2.0, enabled=False)


def test_probe_attenuation_scales_the_scale_and_offset_limits():
    with expected_protocol(
        RigolDHO,
        [
            (":CHAN1:PROB 10", None),
            NO_ERROR,
            (":CHAN1:DISP 1", None),
            (":CHAN1:COUP DC", None),
            (":CHAN1:SCAL 0.2", None),
            (":CHAN1:OFFS 10", None),
            NO_ERROR,
        ],
    ) as inst:
        scope = role(inst)
        with pytest.raises(ParameterError, match="offset"):
            scope.configure_channel(1, scale=0.2, offset=10.0)  # 200 mV/div at 1:1: ±8 V
        scope.set_probe_attenuation(1, 10)
        # At 10:1 the input sees 20 mV/div, whose ±1 V band is ±10 V at the probe tip.
        scope.configure_channel(1, scale=0.2, offset=10.0)
        with pytest.raises(ParameterError, match="scale"):
            scope.configure_channel(1, scale=2e-3)  # 500 µV/div × 10 is the new minimum


def test_set_trigger_on_a_channel():
    with expected_protocol(
        RigolDHO,
        [
            (":TRIG:MODE EDGE", None),
            (":TRIG:EDGE:SOUR CHAN2", None),
            (":TRIG:EDGE:LEV 0.16", None),
            (":TRIG:EDGE:SLOP NEG", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).set_trigger(2, 0.16, slope="falling")


def test_external_trigger_only_on_the_two_channel_models():
    with expected_protocol(
        RigolDHO,
        [
            (":TRIG:MODE EDGE", None),
            (":TRIG:EDGE:SOUR EXT", None),
            (":TRIG:EDGE:LEV 1.2", None),
            (":TRIG:EDGE:SLOP POS", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, model="DHO812").set_trigger("external", 1.2)
        with pytest.raises(NotSupportedError, match="no external trigger input"):
            role(inst, model="DHO804").set_trigger("external", 1.2)
        with pytest.raises(ParameterError, match="level"):
            role(inst, model="DHO812").set_trigger("external", 6.0)  # EXT is ±5 V
        with pytest.raises(ParameterError, match="source"):
            role(inst, model="DHO812").set_trigger(3, 0.1)  # two channels only


def test_set_averaging_powers_of_two_and_off():
    with expected_protocol(
        RigolDHO,
        [
            (":ACQ:TYPE AVER", None),
            (":ACQ:AVER 256", None),
            NO_ERROR,
            (":ACQ:TYPE NORM", None),
            NO_ERROR,
        ],
    ) as inst:
        scope = role(inst)
        scope.set_averaging(256)
        scope.set_averaging(1)


def test_instrument_error_after_configuration_is_raised_with_code_and_message():
    with expected_protocol(
        RigolDHO,
        [
            (":CHAN1:DISP 1", None),
            (":CHAN1:COUP DC", None),
            (":CHAN1:SCAL 0.01", None),
            (":CHAN1:OFFS 0", None),
            (":SYST:ERR?", '-221,"Settings conflict"'),
            (":SYST:ERR?", '-113,"Undefined header; command cannot be found"'),
            NO_ERROR,
        ],
    ) as inst:
        with pytest.raises(InstrumentError) as info:
            role(inst).configure_channel(1, 0.01)
    assert "-221: Settings conflict" in str(info.value)
    assert "-113: Undefined header; command cannot be found" in str(info.value)


REFUSALS = [
    ("configure_channel", (0, 0.1), {}, "channel"),
    ("configure_channel", (5, 0.1), {}, "channel"),
    ("configure_channel", (1, 20.0), {}, "scale"),
    ("configure_channel", (1, 200e-6), {}, "scale"),  # DHO800 stops at 500 µV/div
    ("configure_channel", (1, 0.05), {"offset": 1.5}, "offset"),  # ±1 V up to 65 mV/div
    ("configure_channel", (1, 5.0), {"offset": 120.0}, "offset"),
    ("configure_channel", (1, 0.1), {"coupling": "gnd"}, "coupling"),
    ("configure_channel", (1, 0.1), {"enabled": 1}, "enabled"),
    ("set_timebase", (2e-9,), {}, "scale"),
    ("set_timebase", (1000.0,), {}, "scale"),
    ("set_timebase", (1e-6,), {"position": -6e-6}, "position"),  # left limit is -5 div
    ("set_timebase", (1e-3,), {"position": 1.5}, "position"),  # right limit is 1 s
    ("set_trigger", (0, 0.1), {}, "source"),
    ("set_trigger", (1, 500.0), {}, "level"),
    ("set_trigger", (1, 0.1), {"slope": "both"}, "slope"),
    ("set_averaging", (3,), {}, "count"),
    ("set_averaging", (131072,), {}, "count"),
    ("set_averaging", (0,), {}, "count"),
    ("set_averaging", (2.0,), {}, "count"),
    ("set_probe_attenuation", (1, 3), {}, "ratio"),
    ("waveform", (1,), {"points": 0}, "points"),
    ("waveform", (1,), {"points": 30_000_000}, "points"),
    ("waveform", (1,), {"points": 10.5}, "points"),
    ("waveform", (5,), {}, "channel"),
    ("wait_for_capture", (-1.0,), {}, "timeout"),
    ("capture", ((2, 2),), {}, "channels"),
    ("capture", (("1",),), {}, "channels"),
    ("capture", ((1,),), {"timeout": 0}, "timeout"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "name"), REFUSALS)
def test_bad_arguments_are_refused_before_any_traffic(method, args, kwargs, name):
    with expected_protocol(RigolDHO, []) as inst:
        with pytest.raises(ParameterError, match=name) as info:
            getattr(role(inst), method)(*args, **kwargs)
    message = str(info.value)
    assert any(word in message for word in ("allowed range", "not one of", "not 1 or",
                                            "expected", "must", "listed twice"))


def test_dho900_reaches_finer_scales():
    with expected_protocol(
        RigolDHO,
        [
            (":CHAN1:DISP 1", None),
            (":CHAN1:COUP DC", None),
            (":CHAN1:SCAL 0.0002", None),
            (":CHAN1:OFFS 0", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, model="DHO924").configure_channel(1, 200e-6)


def test_documented_offset_and_position_tables():
    assert [offset_limit(s) for s in (200e-6, 500e-6, 65e-3, 0.1, 0.26, 1.0, 2.65, 5.0)] == [
        0.5, 1.0, 1.0, 8.0, 8.0, 20.0, 20.0, 100.0]
    assert position_limits(1e-6) == pytest.approx((-5e-6, 1.0))
    assert position_limits(0.1) == pytest.approx((-0.5, 10.0))
    assert position_limits(20.0) == (-100.0, 1000.0)
    assert position_limits(500.0) == (-2500.0, 2500.0)


# -------------------------------------------------------------------------- waveforms
def test_waveform_scales_unsigned_words_with_rigols_preamble_definition():
    # 300 samples: baseline, a 60 µs pulse, the extremes of the 16-bit word.
    codes = [32768] * 100 + [47768] * 150 + [0, 1, 65534, 65535] + [32768] * 46
    with expected_protocol(
        RigolDHO,
        [*transfer_setup(1, 300), *read_window(1, codes)],
    ) as inst:
        wave = role(inst).waveform(1)
    assert wave.channel == 1 and len(wave) == 300
    # Independent computation from the programming guide: (code - YOR - YREF) * YINC, and
    # t = (i - XREF) * XINC + XOR, point by point in plain Python.
    yinc, yorg, yref, xinc, xorg, xref = 6.6667e-6, -22718, 32768, 4e-7, -2e-3, 0.0
    volts = [(c - yorg - yref) * yinc for c in codes]
    times = [(i - xref) * xinc + xorg for i in range(300)]
    np.testing.assert_allclose(wave.voltage, volts, rtol=0, atol=1e-12)
    np.testing.assert_allclose(wave.time, times, rtol=0, atol=1e-15)
    # The screen centre code 32768 reads +151.45 mV: the channel offset was -151.45 mV.
    assert wave.voltage[0] == pytest.approx(0.15145, abs=1e-5)
    # 15000 codes = 2 div of 7500 codes at 50 mV/div = 100 mV of pulse height.
    assert wave.voltage[100] - wave.voltage[0] == pytest.approx(0.1, rel=1e-4)
    assert wave.dt == pytest.approx(4e-7)


def test_long_records_are_read_in_windows_of_chunk_points():
    record = 2 * CHUNK_POINTS + 50_000
    codes = (np.arange(record) * 7) % 65536
    pairs = transfer_setup(4, record)
    for first in range(1, record + 1, CHUNK_POINTS):
        pairs += read_window(first, codes[first - 1:first - 1 + CHUNK_POINTS].tolist())
    assert [p[0] for p in pairs if p[0].startswith(":WAV:ST")] == [
        ":WAV:STAR 1", ":WAV:STOP 100000", ":WAV:STAR 100001", ":WAV:STOP 200000",
        ":WAV:STAR 200001", ":WAV:STOP 250000"]
    with expected_protocol(RigolDHO, pairs) as inst:
        wave = role(inst).waveform(4)
    assert len(wave) == record
    expected = (codes.astype(float) + 22718 - 32768) * 6.6667e-6
    np.testing.assert_allclose(wave.voltage, expected, rtol=0, atol=1e-12)  # blocks in order


def test_points_decimates_over_the_whole_record():
    record = 2000
    codes = list(range(30000, 30000 + record))
    with expected_protocol(
        RigolDHO, [*transfer_setup(2, record), *read_window(1, codes)]
    ) as inst:
        wave = role(inst).waveform(2, points=300)
    stride = 7  # ceil(2000 / 300)
    assert len(wave) == len(range(0, record, stride)) == 286
    assert wave.dt == pytest.approx(stride * 4e-7)
    assert wave.time[-1] == pytest.approx(-2e-3 + 1995 * 4e-7)  # still spans the record
    assert wave.voltage[1] == pytest.approx((codes[7] + 22718 - 32768) * 6.6667e-6)


@pytest.mark.parametrize("reply", ["AUTO", "1.5", "-1"])
def test_an_unreadable_memory_depth_is_an_instrument_error(reply):
    with expected_protocol(RigolDHO, [(":ACQ:MDEP?", reply)]) as inst:
        with pytest.raises(InstrumentError, match="MDEP"):
            _ = inst.memory_depth


def test_a_short_block_is_an_instrument_error():
    with expected_protocol(
        RigolDHO,
        [
            *transfer_setup(1, 10),
            (":WAV:STAR 1", None),
            (":WAV:STOP 10", None),
            (":WAV:DATA?", block(uint16_le([1, 2, 3]))),
        ],
    ) as inst, pytest.raises(InstrumentError, match="points 1 to 10 requested, the block held 3"):
        role(inst).waveform(1)


@pytest.mark.parametrize(
    ("preamble", "record", "match"),
    [
        ("0,2,10,1,1e-9,0,0,1e-3,0,128", "1.000E+01", "format 0"),
        ("1,0,10,1,1e-9,0,0,1e-3,0,32768", "1.000E+01", "type 0"),
        ("1,2,0,1,1e-9,0,0,1e-3,0,32768", "0.000E+00", "capture first"),
        ("1,2,10", "1.000E+01", "expected 10 fields"),
    ],
)
def test_unusable_preambles_raise_before_any_data(preamble, record, match):
    pairs = [*transfer_setup(1, 10)[:-2], (":ACQ:MDEP?", record), (":WAV:PRE?", preamble)]
    with expected_protocol(RigolDHO, pairs) as inst, pytest.raises(InstrumentError, match=match):
        role(inst).waveform(1)


# --------------------------------------------------------------------------- capturing
def test_capture_arms_polls_the_trigger_status_and_reads_each_channel(fake_clock):
    with expected_protocol(
        RigolDHO,
        [
            (":SING", None),
            (":TRIG:STAT?", "RUN"),  # still filling the pre-trigger memory
            (":TRIG:STAT?", "WAIT"),  # armed: single() returns
            (":TRIG:STAT?", "WAIT"),
            (":TRIG:STAT?", "TD"),
            (":TRIG:STAT?", "STOP"),
            *transfer_setup(1, 3),
            *read_window(1, [32768, 40268, 32768]),
            *transfer_setup(2, 3),
            *read_window(1, [25268, 32768, 25268]),
        ],
    ) as inst:
        waves = role(inst, fake_clock).capture((1, 2), timeout=5.0)
    assert sorted(waves) == [1, 2]
    # 7500 codes = 1 div = 50 mV at this preamble's 6.6667 µV per code.
    np.testing.assert_allclose(waves[1].voltage - waves[1].voltage[0], [0, 0.05, 0], atol=1e-5)
    np.testing.assert_allclose(waves[2].voltage - waves[2].voltage[1], [-0.05, 0, -0.05],
                               atol=1e-5)
    np.testing.assert_allclose(waves[2].time, [-2e-3, -2e-3 + 4e-7, -2e-3 + 8e-7])
    assert fake_clock.sleeps == [0.05, 0.05, 0.05]


def test_single_accepts_a_shot_that_is_already_over(fake_clock):
    with expected_protocol(RigolDHO, [(":SING", None), (":TRIG:STAT?", "STOP")]) as inst:
        role(inst, fake_clock).single()
    assert fake_clock.sleeps == []


def test_wait_for_capture_times_out_and_stops_the_scope(fake_clock):
    waiting = (":TRIG:STAT?", "WAIT")
    with expected_protocol(
        RigolDHO, [waiting, waiting, waiting, (":STOP", None)]
    ) as inst:
        with pytest.raises(CaptureTimeoutError, match=r"did not complete within 0\.1 s") as info:
            role(inst, fake_clock).wait_for_capture(timeout=0.1)
    assert isinstance(info.value, InstrumentError) and isinstance(info.value, TimeoutError)
    assert "WAIT" in str(info.value)
    assert fake_clock.t == pytest.approx(0.1)


def test_single_times_out_when_the_trigger_never_arms(fake_clock):
    running = (":TRIG:STAT?", "RUN")
    with expected_protocol(
        RigolDHO, [(":SING", None), running, running, running, (":STOP", None)]
    ) as inst:
        scope = role(inst, fake_clock)
        scope.arm_timeout = 0.1
        with pytest.raises(CaptureTimeoutError, match="did not arm"):
            scope.single()


def test_close_closes_the_connection():
    with expected_protocol(RigolDHO, []) as inst:
        role(inst).close()
        assert inst.adapter.connection.close.called


# ------------------------------------------------------------------ instrument properties
SETTINGS = [
    ("timebase_scale", 1e-6, ":TIM:MAIN:SCAL 1e-06"),
    ("timebase_offset", -2e-6, ":TIM:MAIN:OFFS -2e-06"),
    ("acquisition_type", "average", ":ACQ:TYPE AVER"),
    ("acquisition_type", "normal", ":ACQ:TYPE NORM"),
    ("acquisition_averages", 1024, ":ACQ:AVER 1024"),
    ("trigger_mode", "edge", ":TRIG:MODE EDGE"),
    ("trigger_source", 4, ":TRIG:EDGE:SOUR CHAN4"),
    ("trigger_source", "external", ":TRIG:EDGE:SOUR EXT"),
    ("trigger_level", 0.16, ":TRIG:EDGE:LEV 0.16"),
    ("trigger_slope", "rising", ":TRIG:EDGE:SLOP POS"),
    ("waveform_source", 1, ":WAV:SOUR CHAN1"),
    ("waveform_mode", "raw", ":WAV:MODE RAW"),
    ("waveform_format", "word", ":WAV:FORM WORD"),
    ("waveform_start", 100001, ":WAV:STAR 100001"),
    ("waveform_stop", 200000, ":WAV:STOP 200000"),
]


@pytest.mark.parametrize(("name", "value", "message"), SETTINGS)
def test_instrument_settings(name, value, message):
    with expected_protocol(RigolDHO, [(message, None)]) as inst:
        setattr(inst, name, value)


GETTERS = [
    ("timebase_scale", ":TIM:MAIN:SCAL?", "2.000000E-4", 2e-4),
    ("timebase_offset", ":TIM:MAIN:OFFS?", "2.000000E-4", 2e-4),
    ("acquisition_type", ":ACQ:TYPE?", "AVER", "average"),
    ("acquisition_type", ":ACQ:TYPE?", "ULTR", "ultra"),
    ("acquisition_averages", ":ACQ:AVER?", "128", 128),
    ("memory_depth", ":ACQ:MDEP?", "1.000E+6", 1_000_000),
    ("trigger_mode", ":TRIG:MODE?", "EDGE", "edge"),
    ("trigger_source", ":TRIG:EDGE:SOUR?", "CHAN1", 1),
    ("trigger_level", ":TRIG:EDGE:LEV?", "1.600000E-1", 0.16),
    ("trigger_slope", ":TRIG:EDGE:SLOP?", "NEG", "falling"),
    ("trigger_status", ":TRIG:STAT?", "td", "TD"),
    ("waveform_source", ":WAV:SOUR?", "CHAN2", 2),
    ("waveform_mode", ":WAV:MODE?", "RAW", "raw"),
    ("waveform_format", ":WAV:FORM?", "WORD", "word"),
    ("waveform_start", ":WAV:STAR?", "100", 100),
    ("waveform_stop", ":WAV:STOP?", "500", 500),
]


@pytest.mark.parametrize(("name", "query", "reply", "value"), GETTERS)
def test_instrument_queries(name, query, reply, value):
    with expected_protocol(RigolDHO, [(query, reply)]) as inst:
        assert getattr(inst, name) == value


CHANNEL_SETTINGS = [
    ("scale", 0.1, ":CHAN2:SCAL 0.1", "1.000000E-01", 0.1),
    ("offset", 0.01, ":CHAN2:OFFS 0.01", "1.000000E-02", 0.01),
    ("coupling", "dc", ":CHAN2:COUP DC", "DC", "dc"),
    ("display_enabled", False, ":CHAN2:DISP 0", "0", False),
    ("probe_attenuation", 0.5, ":CHAN2:PROB 0.5", "0.5", 0.5),
]


@pytest.mark.parametrize(("name", "value", "message", "reply", "parsed"), CHANNEL_SETTINGS)
def test_channel_properties(name, value, message, reply, parsed):
    query = message.split(" ")[0] + "?"
    with expected_protocol(RigolDHO, [(message, None), (query, reply)]) as inst:
        setattr(inst.channels[2], name, value)
        assert getattr(inst.channels[2], name) == parsed


def test_preamble_query_parses_the_dho_example():
    reply = PREAMBLE.format(points=10000)
    with expected_protocol(RigolDHO, [(":WAV:PRE?", reply)]) as inst:
        assert inst.waveform_preamble == Preamble(
            format=1, type=2, points=10000, count=1, xincrement=4e-7, xorigin=-2e-3,
            xreference=0.0, yincrement=6.6667e-6, yorigin=-22718.0, yreference=32768.0,
        )


def test_run_control_and_data_methods():
    with expected_protocol(
        RigolDHO,
        [(":SING", None), (":STOP", None), (":WAV:DATA?", block(uint16_le([0, 65535])))],
    ) as inst:
        inst.single()
        inst.stop()
        np.testing.assert_array_equal(inst.read_waveform_data(), [0, 65535])


@pytest.mark.parametrize(
    ("name", "value"),
    [("acquisition_averages", 100), ("waveform_mode", "max"), ("trigger_source", 0),
     ("waveform_start", 0)],
)
def test_instrument_validators_refuse_without_traffic(name, value):
    with expected_protocol(RigolDHO, []) as inst, pytest.raises(ValueError):
        setattr(inst, name, value)
