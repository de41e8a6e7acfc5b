"""Exact command traffic of the Keysight InfiniiVision driver and its Oscilloscope role."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from pymeasure.adapters import ProtocolAdapter
from pymeasure.test import expected_protocol
from pyvisa import constants
from pyvisa.errors import VisaIOError

from labctl.drivers.keysight_dsox import (
    MODELS,
    KeysightDSOX,
    KeysightDSOXOscilloscope,
)
from labctl.drivers.scope_base import CaptureTimeoutError, Preamble
from labctl.errors import InstrumentError, ParameterError
from labctl.roles import Oscilloscope
from labctl.roles.conformance import missing_members

NO_ERROR = (":SYSTem:ERRor?", '+0,"No error"')


def block(payload: bytes) -> bytes:
    """An InfiniiVision definite-length block: ``#8`` + 8 length digits + data + newline."""
    return b"#8" + f"{len(payload):08d}".encode() + payload + b"\n"


def int16_le(codes: list[int]) -> bytes:
    return struct.pack(f"<{len(codes)}h", *codes)


def role(inst, clock=None, **kwargs) -> KeysightDSOXOscilloscope:
    if clock is not None:
        kwargs["clock"] = clock
    return KeysightDSOXOscilloscope(inst, name="scope", **kwargs)


def transfer_setup(channel: int, points: str = "MAXimum") -> list[tuple[str, str | None]]:
    return [
        (f":WAVeform:SOURce CHANnel{channel}", None),
        (":WAVeform:FORMat WORD", None),
        (":WAVeform:BYTeorder LSBFirst", None),
        (":WAVeform:UNSigned 0", None),
        (":WAVeform:POINts:MODE RAW", None),
        (f":WAVeform:POINts {points}", None),
        NO_ERROR,
    ]


# ------------------------------------------------------------------------------ the role
def test_role_satisfies_the_oscilloscope_protocol_without_traffic():
    with expected_protocol(KeysightDSOX, []) as inst:
        assert missing_members(role(inst), Oscilloscope) == []


def test_capabilities_of_representative_models():
    with expected_protocol(KeysightDSOX, []) as inst:
        default = role(inst).capabilities
        small = role(inst, model="DSOX1204G").capabilities
        mso = role(inst, model="msox-3024t").capabilities
    assert (default.model, default.channels, default.bandwidth, default.max_points) == (
        "Keysight DSOX3024T", 4, 200e6, 4_000_000)
    assert (small.channels, small.bandwidth, small.max_points) == (4, 70e6, 1_000_000)
    assert mso.model == "Keysight MSOX3024T"
    assert set(MODELS) == {"DSOX1204G", "DSOX3024T", "MSOX3024T"}


def test_unknown_model_is_refused():
    with expected_protocol(KeysightDSOX, []) as inst, pytest.raises(ParameterError, match="model"):
        role(inst, model="DSOX9999Z")


def test_identify():
    reply = "KEYSIGHT TECHNOLOGIES,DSO-X 3024T,MY12345678,07.50.2021102830"
    with expected_protocol(KeysightDSOX, [("*IDN?", reply)]) as inst:
        assert role(inst).identify() == reply


def test_set_timebase_sends_scale_then_position_then_checks_errors():
    with expected_protocol(
        KeysightDSOX,
        [(":TIMebase:SCALe 2e-06", None), (":TIMebase:POSition 5e-06", None), NO_ERROR],
    ) as inst:
        role(inst).set_timebase(2e-6, position=5e-6)


def test_nanosecond_values_keep_their_digits():
    # pymeasure's DSOX1102G sends "%f" (0.000000 for 2 ns); this driver must not.
    with expected_protocol(
        KeysightDSOX,
        [(":TIMebase:SCALe 2e-09", None), (":TIMebase:POSition -1.2345e-07", None), NO_ERROR],
    ) as inst:
        role(inst).set_timebase(2e-9, position=-123.45e-9)


def test_configure_channel_order_display_coupling_scale_offset():
    with expected_protocol(
        KeysightDSOX,
        [
            (":CHANnel2:DISPlay 1", None),
            (":CHANnel2:COUPling AC", None),
            (":CHANnel2:SCALe 0.05", None),
            (":CHANnel2:OFFSet -0.1", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).configure_channel(2, scale=0.05, offset=-0.1, coupling="AC", enabled=True)


def test_configure_channel_can_switch_a_channel_off():
    with expected_protocol(
        KeysightDSOX,
        [
            (":CHANnel4:DISPlay 0", None),
            (":CHANnel4:COUPling DC", None),
            (":CHANnel4:SCALe 1", None),
            (":CHANnel4:OFFSet 0", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).configure_channel(4, scale=1.0, enabled=False)


def test_probe_attenuation_widens_the_scale_range():
    with expected_protocol(
        KeysightDSOX,
        [
            (":CHANnel1:PROBe 10", None),
            NO_ERROR,
            (":CHANnel1:DISPlay 1", None),
            (":CHANnel1:COUPling DC", None),
            (":CHANnel1:SCALe 50", None),
            (":CHANnel1:OFFSet 0", None),
            NO_ERROR,
        ],
    ) as inst:
        scope = role(inst)
        with pytest.raises(ParameterError, match="scale"):
            scope.configure_channel(1, scale=50.0)  # 5 V/div is the 1:1 maximum
        scope.set_probe_attenuation(1, 10)
        scope.configure_channel(1, scale=50.0)
        assert scope.probe_attenuation[1] == 10.0


def test_set_trigger_on_a_channel():
    with expected_protocol(
        KeysightDSOX,
        [
            (":TRIGger:MODE EDGE", None),
            (":TRIGger:EDGE:SOURce CHANnel3", None),
            (":TRIGger:EDGE:LEVel 0.25", None),
            (":TRIGger:EDGE:SLOPe NEGative", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).set_trigger(3, 0.25, slope="falling")


def test_set_trigger_on_the_external_input():
    with expected_protocol(
        KeysightDSOX,
        [
            (":TRIGger:MODE EDGE", None),
            (":TRIGger:EDGE:SOURce EXTernal", None),
            (":TRIGger:EDGE:LEVel 1.5", None),
            (":TRIGger:EDGE:SLOPe POSitive", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst).set_trigger("external", 1.5)


def test_set_averaging_on_and_off():
    with expected_protocol(
        KeysightDSOX,
        [
            (":ACQuire:TYPE AVERage", None),
            (":ACQuire:COUNt 100", None),
            NO_ERROR,
            (":ACQuire:TYPE NORMal", None),
            NO_ERROR,
        ],
    ) as inst:
        scope = role(inst)
        scope.set_averaging(100)  # any whole number 2 to 65536 on InfiniiVision
        scope.set_averaging(1)


def test_instrument_error_after_configuration_is_raised_with_code_and_message():
    with expected_protocol(
        KeysightDSOX,
        [
            (":TIMebase:SCALe 0.001", None),
            (":TIMebase:POSition 0", None),
            (":SYSTem:ERRor?", '-222,"Data out of range"'),
            NO_ERROR,
        ],
    ) as inst, pytest.raises(InstrumentError, match="-222: Data out of range"):
        role(inst).set_timebase(1e-3)


REFUSALS = [
    ("configure_channel", (0, 0.1), {}, "channel"),
    ("configure_channel", (5, 0.1), {}, "channel"),
    ("configure_channel", (True, 0.1), {}, "channel"),
    ("configure_channel", ("1", 0.1), {}, "channel"),
    ("configure_channel", (1, 6.0), {}, "scale"),
    ("configure_channel", (1, 0.5e-3), {}, "scale"),
    ("configure_channel", (1, float("nan")), {}, "scale"),
    ("configure_channel", (1, 0.1), {"offset": 150.0}, "offset"),
    ("configure_channel", (1, 0.1), {"coupling": "gnd"}, "coupling"),
    ("configure_channel", (1, 0.1), {"enabled": "yes"}, "enabled"),
    ("set_timebase", (1e-9,), {}, "scale"),
    ("set_timebase", (100.0,), {}, "scale"),
    ("set_timebase", (1e-3,), {"position": 1000.0}, "position"),
    ("set_trigger", (5, 0.1), {}, "source"),
    ("set_trigger", ("ext", 0.1), {}, "source"),
    ("set_trigger", (1, 1000.0), {}, "level"),
    ("set_trigger", ("external", 20.0), {}, "level"),
    ("set_trigger", (1, 0.1), {"slope": "either"}, "slope"),
    ("set_averaging", (0,), {}, "count"),
    ("set_averaging", (65537,), {}, "count"),
    ("set_averaging", (2.5,), {}, "count"),
    ("set_averaging", (True,), {}, "count"),
    ("set_probe_attenuation", (1, 0.01), {}, "ratio"),
    ("waveform", (1,), {"points": 1234}, "points"),
    ("waveform", (1,), {"points": 8_000_000}, "points"),  # above the 3024T's 4 Mpts
    ("waveform", (0,), {}, "channel"),
    ("wait_for_capture", (0,), {}, "timeout"),
    ("wait_for_capture", (float("nan"),), {}, "timeout"),
    ("capture", ((),), {}, "channels"),
    ("capture", ((1, 1),), {}, "channels"),
    ("capture", ((1, 5),), {}, "channels"),
    ("capture", ((1,),), {"timeout": -1.0}, "timeout"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "name"), REFUSALS)
def test_bad_arguments_are_refused_before_any_traffic(method, args, kwargs, name):
    with expected_protocol(KeysightDSOX, []) as inst:
        with pytest.raises(ParameterError, match=name) as info:
            getattr(role(inst), method)(*args, **kwargs)
    message = str(info.value)
    assert any(word in message for word in ("allowed range", "not one of", "expected", "must",
                                            "listed twice"))


def test_smaller_model_has_smaller_limits():
    with expected_protocol(KeysightDSOX, []) as inst:
        scope = role(inst, model="DSOX1204G")
        with pytest.raises(ParameterError, match=r"points = 2000000 is not one of"):
            scope.waveform(1, points=2_000_000)
        with pytest.raises(ParameterError, match="scale"):
            scope.set_timebase(2e-9)  # 5 ns/div is the 1204G's fastest


# -------------------------------------------------------------------------- waveforms
def test_waveform_scales_signed_words_with_the_preamble():
    # 300 samples: a flat baseline, a 1 µs pulse and negative codes, as a TEL trace might hold.
    codes = [-3200] * 100 + [25600] * 50 + [-32768, -1, 0, 1, 32767] + [-3200] * 145
    xinc, xorg, xref = 2.0e-9, -2.0e-7, 0
    yinc, yorg, yref = 7.8125e-05, 0.1, 0
    preamble = (f"+1,+0,+300,+1,+{xinc:.8E},{xorg:.8E},+{xref},"
                f"+{yinc:.8E},+{yorg:.5E},+{yref}")
    with expected_protocol(
        KeysightDSOX,
        [
            *transfer_setup(1),
            (":WAVeform:PREamble?", preamble),
            (":WAVeform:DATA?", block(int16_le(codes))),
        ],
    ) as inst:
        wave = role(inst).waveform(1)
    assert wave.channel == 1 and len(wave) == 300
    # Independent computation, point by point, from the programmer's guide's formulas.
    volts = [(c - yref) * yinc + yorg for c in codes]
    times = [(i - xref) * xinc + xorg for i in range(300)]
    np.testing.assert_allclose(wave.voltage, volts, rtol=0, atol=1e-12)
    np.testing.assert_allclose(wave.time, times, rtol=0, atol=1e-18)
    assert wave.voltage[100] == pytest.approx(25600 * 7.8125e-05 + 0.1)  # 2.1 V pulse top
    assert wave.voltage[150] == pytest.approx(-32768 * 7.8125e-05 + 0.1)  # -2.46 V, bottom
    assert wave.voltage[152] == pytest.approx(0.1)  # code 0 sits at yorigin
    assert wave.dt == pytest.approx(2e-9)
    assert wave.time[100] == pytest.approx(0.0)  # the trigger, 100 samples after xorigin


def test_waveform_with_a_point_count_and_nonzero_references():
    # Every term of both formulas matters here: xreference 10, yreference 512.
    codes = [(i * 211) % 65536 - 32768 for i in range(250)]
    preamble = ("+1,+2,+250,+16,+4.00000000E-08,+1.00000000E-06,+10,"
                "+1.52587891E-04,-2.50000E-01,+512")
    with expected_protocol(
        KeysightDSOX,
        [
            *transfer_setup(2, points="250"),
            (":WAVeform:PREamble?", preamble),
            (":WAVeform:DATA?", block(int16_le(codes))),
        ],
    ) as inst:
        wave = role(inst).waveform(2, points=250)
    assert wave.channel == 2
    for i in (0, 10, 123, 249):
        assert wave.time[i] == pytest.approx((i - 10) * 4e-8 + 1e-6, abs=1e-18)
        assert wave.voltage[i] == pytest.approx((codes[i] - 512) * 1.52587891e-4 - 0.25)


@pytest.mark.parametrize(
    ("preamble", "data", "match"),
    [
        # Refused from the preamble alone, before any data are requested:
        ("+0,+0,+4,+1,+1E-9,+0,+0,+1E-3,+0,+128", None, "format 0"),
        ("+1,+1,+2,+1,+1E-9,+0,+0,+1E-3,+0,+0", None, "peak-detect"),
        ("+1,+0,+0,+1,+1E-9,+0,+0,+1E-3,+0,+0", None, "capture first"),
        # Refused after the block: it holds fewer points than the preamble announced.
        ("+1,+0,+3,+1,+1E-9,+0,+0,+1E-3,+0,+0", int16_le([1, 2]), "announced 3 points"),
    ],
)
def test_unusable_records_raise_instrument_errors(preamble, data, match):
    pairs = [*transfer_setup(1), (":WAVeform:PREamble?", preamble)]
    if data is not None:
        pairs.append((":WAVeform:DATA?", block(data)))
    with expected_protocol(KeysightDSOX, pairs) as inst, pytest.raises(
        InstrumentError, match=match
    ):
        role(inst).waveform(1)


def test_a_garbled_preamble_is_an_instrument_error():
    with expected_protocol(
        KeysightDSOX, [*transfer_setup(1), (":WAVeform:PREamble?", "+1,+0,+300")]
    ) as inst, pytest.raises(InstrumentError, match="expected 10 fields"):
        role(inst).waveform(1)


# --------------------------------------------------------------------------- capturing
def test_capture_arms_waits_on_the_run_bit_and_reads_each_channel(fake_clock):
    ch1 = [100, 200, 300, 400]
    ch3 = [-5, -6, -7, -8]
    pre = "+1,+0,+4,+1,+1.00000000E-09,-2.00000000E-09,+0,+1.00000000E-03,+0.00000E+00,+0"
    with expected_protocol(
        KeysightDSOX,
        [
            (":ACQuire:TYPE?", "NORM"),
            (":STOP", None),
            (":AER?", "1"),  # latched by an earlier run: read and discarded
            (":SINGle", None),
            (":AER?", "0"),
            (":AER?", "1"),  # armed: single() returns
            (":OPERegister:CONDition?", "+40"),  # running (8) and waiting for trigger (32)
            (":OPERegister:CONDition?", "+8"),
            (":OPERegister:CONDition?", "+32"),  # run bit clear: done; other bits are ignored
            *transfer_setup(1),
            (":WAVeform:PREamble?", pre),
            (":WAVeform:DATA?", block(int16_le(ch1))),
            *transfer_setup(3),
            (":WAVeform:PREamble?", pre),
            (":WAVeform:DATA?", block(int16_le(ch3))),
        ],
    ) as inst:
        waves = role(inst, fake_clock).capture((1, 3), timeout=2.0)
    assert sorted(waves) == [1, 3]
    np.testing.assert_allclose(waves[1].voltage, [0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(waves[3].voltage, [-0.005, -0.006, -0.007, -0.008])
    np.testing.assert_allclose(waves[3].time, [-2e-9, -1e-9, 0.0, 1e-9], atol=1e-21)
    assert fake_clock.sleeps == [0.05, 0.05, 0.05]  # one arm poll, two run-bit polls
    assert fake_clock.t == pytest.approx(0.15)


def test_wait_for_capture_times_out_and_stops_the_scope(fake_clock):
    running = (":OPERegister:CONDition?", "+8")
    with expected_protocol(
        KeysightDSOX, [running, running, running, running, (":STOP", None)]
    ) as inst:
        scope = role(inst, fake_clock)
        with pytest.raises(CaptureTimeoutError, match=r"did not complete within 0\.12 s") as info:
            scope.wait_for_capture(timeout=0.12)
    assert isinstance(info.value, InstrumentError) and isinstance(info.value, TimeoutError)
    assert fake_clock.t == pytest.approx(0.12)  # polls at 0, 0.05, 0.10 and at the deadline
    assert fake_clock.sleeps == pytest.approx([0.05, 0.05, 0.02])


def test_single_times_out_when_the_trigger_never_arms(fake_clock):
    with expected_protocol(
        KeysightDSOX,
        [
            (":ACQuire:TYPE?", "NORM"),
            (":STOP", None),
            (":AER?", "0"),
            (":SINGle", None),
            (":AER?", "0"),
            (":AER?", "0"),
            (":AER?", "0"),
            (":STOP", None),
        ],
    ) as inst:
        scope = role(inst, fake_clock)
        scope.arm_timeout = 0.1
        with pytest.raises(CaptureTimeoutError, match="did not arm"):
            scope.single()


def test_averaged_capture_uses_digitize_and_opc(fake_clock):
    pre = "+1,+2,+2,+64,+1.00000000E-06,+0.00000000E+00,+0,+1.00000000E-04,+0.00000E+00,+0"
    with expected_protocol(
        KeysightDSOX,
        [
            (":ACQuire:TYPE?", "AVER"),
            (":DIGitize", None),
            ("*OPC?", "1"),
            *transfer_setup(2),
            (":WAVeform:PREamble?", pre),
            (":WAVeform:DATA?", block(int16_le([1000, -1000]))),
        ],
    ) as inst:
        waves = role(inst, fake_clock).capture((2,), timeout=30.0)
    np.testing.assert_allclose(waves[2].voltage, [0.1, -0.1])
    assert fake_clock.sleeps == []  # the scope, not the clock, paces an averaged acquisition


class _TimeoutOnOpc(ProtocolAdapter):
    """Replays pairs like ProtocolAdapter, but ``*OPC?`` never answers: a VISA time-out."""

    def _read(self, **kwargs):
        if self._read_buffer == b"<no answer>":
            self._read_buffer = None
            raise VisaIOError(constants.StatusCode.error_timeout)
        return super()._read(**kwargs)


def test_averaged_capture_timeout_clears_the_device_and_stops(fake_clock):
    pairs = [
        (":ACQuire:TYPE?", "AVER"),
        (":DIGitize", None),
        ("*OPC?", "<no answer>"),
        (":STOP", None),
    ]
    adapter = _TimeoutOnOpc(pairs)
    scope = role(KeysightDSOX(adapter), fake_clock)
    scope.single()
    with pytest.raises(CaptureTimeoutError, match="averaged acquisition") as info:
        scope.wait_for_capture(timeout=1.0)
    assert isinstance(info.value.__cause__, VisaIOError)
    assert adapter.connection.clear.called  # device clear, so no stale "1" is read later
    assert adapter._index == len(pairs)


def test_opc_answering_something_else_is_an_instrument_error():
    with expected_protocol(
        KeysightDSOX, [(":ACQuire:TYPE?", "AVER"), (":DIGitize", None), ("*OPC?", "0")]
    ) as inst:
        scope = role(inst)
        scope.single()
        with pytest.raises(InstrumentError, match=r"\*OPC\? answered '0'"):
            scope.wait_for_capture()


def test_wait_for_capture_returns_at_once_when_already_stopped(fake_clock):
    with expected_protocol(KeysightDSOX, [(":OPERegister:CONDition?", "+0")]) as inst:
        role(inst, fake_clock).wait_for_capture()
    assert fake_clock.sleeps == []


def test_close_closes_the_connection():
    with expected_protocol(KeysightDSOX, []) as inst:
        role(inst).close()
        assert inst.adapter.connection.close.called


# ------------------------------------------------------------------ instrument properties
SETTINGS = [
    ("timebase_scale", 5e-7, ":TIMebase:SCALe 5e-07"),
    ("timebase_position", -1e-6, ":TIMebase:POSition -1e-06"),
    ("acquisition_type", "average", ":ACQuire:TYPE AVERage"),
    ("acquisition_type", "hresolution", ":ACQuire:TYPE HRESolution"),
    ("acquisition_count", 64, ":ACQuire:COUNt 64"),
    ("trigger_mode", "edge", ":TRIGger:MODE EDGE"),
    ("trigger_source", 2, ":TRIGger:EDGE:SOURce CHANnel2"),
    ("trigger_source", "external", ":TRIGger:EDGE:SOURce EXTernal"),
    ("trigger_level", -0.3, ":TRIGger:EDGE:LEVel -0.3"),
    ("trigger_slope", "rising", ":TRIGger:EDGE:SLOPe POSitive"),
    ("waveform_source", 4, ":WAVeform:SOURce CHANnel4"),
    ("waveform_format", "word", ":WAVeform:FORMat WORD"),
    ("waveform_byte_order", "lsb_first", ":WAVeform:BYTeorder LSBFirst"),
    ("waveform_unsigned", False, ":WAVeform:UNSigned 0"),
    ("waveform_points_mode", "raw", ":WAVeform:POINts:MODE RAW"),
    ("waveform_points", 1000, ":WAVeform:POINts 1000"),
    ("waveform_points", "maximum", ":WAVeform:POINts MAXimum"),
]


@pytest.mark.parametrize(("name", "value", "message"), SETTINGS)
def test_instrument_settings(name, value, message):
    with expected_protocol(KeysightDSOX, [(message, None)]) as inst:
        setattr(inst, name, value)


GETTERS = [
    ("timebase_scale", "+5.000E-07", 5e-7),
    ("timebase_position", "-1.00000000E-06", -1e-6),
    ("acquisition_type", "AVER", "average"),
    ("acquisition_type", "NORM", "normal"),
    ("acquisition_count", "+64", 64),
    ("trigger_mode", "EDGE", "edge"),
    ("trigger_source", "CHAN2", 2),
    ("trigger_source", "EXT", "external"),
    ("trigger_level", "-3.00E-01", -0.3),
    ("trigger_slope", "NEG", "falling"),
    ("waveform_source", "CHAN4", 4),
    ("waveform_format", "WORD", "word"),
    ("waveform_byte_order", "LSBF", "lsb_first"),
    ("waveform_unsigned", "0", False),
    ("waveform_points_mode", "RAW", "raw"),
    ("waveform_points", "+1000", 1000),
    ("arm_event", "1", 1),
    ("operation_condition", "+8", 8),
]
QUERIES = {
    "timebase_scale": ":TIMebase:SCALe?",
    "timebase_position": ":TIMebase:POSition?",
    "acquisition_type": ":ACQuire:TYPE?",
    "acquisition_count": ":ACQuire:COUNt?",
    "trigger_mode": ":TRIGger:MODE?",
    "trigger_source": ":TRIGger:EDGE:SOURce?",
    "trigger_level": ":TRIGger:EDGE:LEVel?",
    "trigger_slope": ":TRIGger:EDGE:SLOPe?",
    "waveform_source": ":WAVeform:SOURce?",
    "waveform_format": ":WAVeform:FORMat?",
    "waveform_byte_order": ":WAVeform:BYTeorder?",
    "waveform_unsigned": ":WAVeform:UNSigned?",
    "waveform_points_mode": ":WAVeform:POINts:MODE?",
    "waveform_points": ":WAVeform:POINts?",
    "arm_event": ":AER?",
    "operation_condition": ":OPERegister:CONDition?",
}


@pytest.mark.parametrize(("name", "reply", "value"), GETTERS)
def test_instrument_queries(name, reply, value):
    with expected_protocol(KeysightDSOX, [(QUERIES[name], reply)]) as inst:
        assert getattr(inst, name) == value


CHANNEL_SETTINGS = [
    ("scale", 0.002, ":CHANnel3:SCALe 0.002", "+2.00E-03", 0.002),
    ("offset", 1.25, ":CHANnel3:OFFSet 1.25", "+1.25000E+00", 1.25),
    ("coupling", "ac", ":CHANnel3:COUPling AC", "AC", "ac"),
    ("display_enabled", True, ":CHANnel3:DISPlay 1", "1", True),
    ("probe_attenuation", 10.0, ":CHANnel3:PROBe 10", "+10.0E+00", 10.0),
]


@pytest.mark.parametrize(("name", "value", "message", "reply", "parsed"), CHANNEL_SETTINGS)
def test_channel_properties(name, value, message, reply, parsed):
    query = message.split(" ")[0] + "?"
    with expected_protocol(KeysightDSOX, [(message, None), (query, reply)]) as inst:
        setattr(inst.channels[3], name, value)
        assert getattr(inst.channels[3], name) == parsed


def test_preamble_query_parses_all_ten_fields():
    reply = "+1,+2,+1000,+8,+1.00000000E-09,-5.00000000E-07,+0,+7.81250000E-05,+1.00000E-01,+0"
    with expected_protocol(KeysightDSOX, [(":WAVeform:PREamble?", reply)]) as inst:
        assert inst.waveform_preamble == Preamble(
            format=1, type=2, points=1000, count=8, xincrement=1e-9, xorigin=-5e-7,
            xreference=0, yincrement=7.8125e-5, yorigin=0.1, yreference=0,
        )


def test_error_queue_keeps_commas_inside_the_message():
    with expected_protocol(
        KeysightDSOX,
        [(":SYSTem:ERRor?", '-113,"Undefined header; a, b"'), NO_ERROR],
    ) as inst:
        errors = inst.check_errors()
    assert len(errors) == 1 and errors[0][0] == -113 and "a, b" in errors[0][1]


def test_unexpected_keyword_reply_is_an_instrument_error():
    with expected_protocol(KeysightDSOX, [(":ACQuire:TYPE?", "SEGM")]) as inst:
        with pytest.raises(InstrumentError, match="SEGM"):
            _ = inst.acquisition_type


def test_run_control_and_data_methods():
    with expected_protocol(
        KeysightDSOX,
        [
            (":SINGle", None),
            (":STOP", None),
            (":DIGitize", None),
            (":WAVeform:DATA?", block(int16_le([-2, 7]))),
        ],
    ) as inst:
        inst.single()
        inst.stop()
        inst.digitize()
        np.testing.assert_array_equal(inst.read_waveform_data(), [-2, 7])


@pytest.mark.parametrize(
    ("name", "value"),
    [("waveform_points", 1234), ("acquisition_count", 1), ("trigger_slope", "either"),
     ("waveform_source", 5)],
)
def test_instrument_validators_refuse_without_traffic(name, value):
    with expected_protocol(KeysightDSOX, []) as inst, pytest.raises(ValueError):
        setattr(inst, name, value)


def test_models_have_consistent_limits():
    for name, model in MODELS.items():
        caps = model.capabilities
        assert caps.channels == 4 and caps.bandwidth > 0, name
        assert model.min_scale < model.max_scale and model.min_timebase < model.max_timebase
        assert caps.max_points >= 1_000_000
        assert math.isfinite(model.max_external_level)
