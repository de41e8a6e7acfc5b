"""Exact command traffic of the Keysight 33500B driver and its FunctionGenerator role."""

from __future__ import annotations

import math
import threading

import pytest
from pymeasure.test import expected_protocol

from labctl.drivers.keysight33500b import MODELS, Keysight33500B, Keysight33500BGenerator
from labctl.errors import InstrumentError, ParameterError
from labctl.roles import FunctionGenerator
from labctl.roles.conformance import missing_members
from labctl.testing import EchoResponder, RecordingAdapter

IDN_2CH = ("*IDN?", "Agilent Technologies,33522B,MY52800123,3.03-1.19-2.00-52-00")
IDN_1CH = ("*IDN?", "Keysight Technologies,33511B,MY57300456,4.03-1.19-2.00-58-00")
NO_ERROR = ("SYST:ERR?", '+0,"No error"')
CHANNELS = pytest.mark.parametrize("ch", ["1", "2"])


def role(inst, ch="1", **kwargs):
    return Keysight33500BGenerator(inst, channel=ch, name="fg", **kwargs)


def refused(inst, ch, call, name):
    """``call(role)`` must raise a ParameterError naming ``name``; the caller checks no traffic."""
    with pytest.raises(ParameterError, match=name) as info:
        call(role(inst, ch))
    return str(info.value)


# --------------------------------------------------------------------------- instrument class
@CHANNELS
def test_levels_accept_the_high_z_window_of_plus_minus_10_volts(ch):
    with expected_protocol(
        Keysight33500B,
        [
            (f"SOUR{ch}:VOLT:HIGH 9.500000", None),
            (f"SOUR{ch}:VOLT:LOW -9.500000", None),
            (f"SOUR{ch}:VOLT:HIGH?", "+9.500000000000000E+00"),
            (f"SOUR{ch}:VOLT:LOW?", "-9.500000000000000E+00"),
        ],
    ) as inst:
        channel = inst.channels[int(ch)]
        channel.voltage_high = 9.5
        channel.voltage_low = -9.5
        assert channel.voltage_high == 9.5
        assert channel.voltage_low == -9.5
        with pytest.raises(ValueError):
            channel.voltage_high = 10.5


@CHANNELS
def test_output_load_sends_inf_as_the_token_inf_and_reads_9_9e37_as_inf(ch):
    with expected_protocol(
        Keysight33500B,
        [
            (f"OUTP{ch}:LOAD INF", None),
            (f"OUTP{ch}:LOAD?", "+9.900000000000000E+37"),
            (f"OUTP{ch}:LOAD 50", None),
            (f"OUTP{ch}:LOAD?", "+5.000000000000000E+01"),
            (f"OUTP{ch}:LOAD 1000.5", None),
        ],
    ) as inst:
        channel = inst.channels[int(ch)]
        channel.output_load = math.inf
        assert channel.output_load == math.inf
        channel.output_load = 50
        assert channel.output_load == 50.0
        channel.output_load = 1000.5
        for bad in (0.5, 20_000, -math.inf):
            with pytest.raises(ValueError):
                channel.output_load = bad


@CHANNELS
def test_square_duty_cycle_and_separate_edges(ch):
    with expected_protocol(
        Keysight33500B,
        [
            (f"SOUR{ch}:FUNC:SQU:DCYC 99.990000", None),
            (f"SOUR{ch}:FUNC:SQU:DCYC?", "+2.500000000000000E+01"),
            (f"SOUR{ch}:FUNC:PULS:TRAN:LEAD 2.000000e-08", None),
            (f"SOUR{ch}:FUNC:PULS:TRAN:LEAD?", "+2.000000000000000E-08"),
            (f"SOUR{ch}:FUNC:PULS:TRAN:TRA 1.000000e-06", None),
            (f"SOUR{ch}:FUNC:PULS:TRAN:TRA?", "+1.000000000000000E-06"),
        ],
    ) as inst:
        channel = inst.channels[int(ch)]
        channel.square_dutycycle = 99.99
        assert channel.square_dutycycle == 25.0
        channel.pulse_leading_edge = 20e-9
        assert channel.pulse_leading_edge == 20e-9
        channel.pulse_trailing_edge = 1e-6
        assert channel.pulse_trailing_edge == 1e-6
        with pytest.raises(ValueError):
            channel.pulse_trailing_edge = 2e-6
        with pytest.raises(ValueError):
            channel.pulse_leading_edge = 5e-9


@CHANNELS
def test_burst_cycles_reach_1e8_and_trigger_source_is_per_channel(ch):
    with expected_protocol(
        Keysight33500B,
        [
            (f"SOUR{ch}:BURS:NCYC 100000000", None),
            (f"SOUR{ch}:BURS:NCYC?", "+1.000000000000000E+08"),
            (f"TRIG{ch}:SOUR BUS", None),
            (f"TRIG{ch}:SOUR?", "BUS"),
        ],
    ) as inst:
        channel = inst.channels[int(ch)]
        channel.burst_ncycles = 100_000_000
        assert channel.burst_ncycles == 100_000_000
        channel.trigger_source = "BUS"
        assert channel.trigger_source == "BUS"
        with pytest.raises(ValueError):
            channel.trigger_source = "TIM"


@CHANNELS
def test_pymeasure_controls_kept_as_pymeasure_sends_them(ch):
    with expected_protocol(
        Keysight33500B,
        [
            (f"SOUR{ch}:FUNC PULS", None),
            (f"SOUR{ch}:FUNC?", "PULS"),
            (f"SOUR{ch}:FREQ 1234.500000", None),
            (f"SOUR{ch}:FREQ?", "+1.234500000000000E+03"),
            (f"SOUR{ch}:FUNC:PULS:PER 1.000000e-03", None),
            (f"SOUR{ch}:FUNC:PULS:WIDT 1.600000e-08", None),
            (f"OUTP{ch} 1", None),
            (f"OUTP{ch}?", "1"),
            (f"SOUR{ch}:BURS:STAT 0", None),
            (f"SOUR{ch}:BURS:MODE TRIG", None),
            (f"SOUR{ch}:BURS:INT:PER 2.500000e-01", None),
        ],
    ) as inst:
        channel = inst.channels[int(ch)]
        channel.shape = "PULS"
        assert channel.shape == "PULS"
        channel.frequency = 1234.5
        assert channel.frequency == 1234.5
        channel.pulse_period = 1e-3
        channel.pulse_width = 16e-9
        channel.output = True
        assert channel.output is True
        channel.burst_state = False
        channel.burst_mode = "TRIG"
        channel.burst_period = 0.25


def test_error_messages_with_commas_are_split_once():
    with expected_protocol(
        Keysight33500B,
        [("SYST:ERR?", '-221,"Settings conflict; period adjusted, width held"'), NO_ERROR],
    ) as inst:
        errors = inst.check_errors()
    assert len(errors) == 1
    assert int(errors[0][0]) == -221
    assert errors[0][1] == '"Settings conflict; period adjusted, width held"'


def test_model_is_identified_once_and_remembered():
    with expected_protocol(Keysight33500B, [IDN_2CH]) as inst:
        assert inst.model.name == "Keysight 33522B"
        assert inst.model is MODELS["33522B"]
        assert inst.model.channels == 2


# ---------------------------------------------------------------------------- role: structure
def test_role_satisfies_the_function_generator_protocol():
    with expected_protocol(Keysight33500B, [IDN_2CH]) as inst:
        assert missing_members(role(inst), FunctionGenerator) == []


def test_two_channels_share_instrument_lock_and_one_identification():
    lock = threading.RLock()
    with expected_protocol(Keysight33500B, [IDN_2CH]) as inst:
        one = Keysight33500BGenerator(inst, channel="1", lock=lock)
        two = Keysight33500BGenerator(inst, channel="2", lock=lock)
    assert one.instrument is two.instrument
    assert one.lock is lock and two.lock is lock
    assert (one.name, two.name) == (
        "Keysight 33500B waveform generator CH1",
        "Keysight 33500B waveform generator CH2",
    )


@pytest.mark.parametrize(
    ("idn", "model", "max_frequency", "channels"),
    [(IDN_2CH, "Keysight 33522B", 30e6, 2), (IDN_1CH, "Keysight 33511B", 20e6, 1)],
)
def test_capabilities_are_the_model_datasheet_figures(idn, model, max_frequency, channels):
    with expected_protocol(Keysight33500B, [idn]) as inst:
        caps = role(inst).capabilities
    assert caps.model == model
    assert caps.max_frequency == max_frequency
    assert caps.min_pulse_width == 16e-9
    assert caps.min_edge_time == 8.4e-9
    assert caps.max_amplitude == 20.0
    assert caps.channels == channels


def test_single_channel_model_refuses_channel_2():
    with expected_protocol(Keysight33500B, [IDN_1CH]) as inst:
        with pytest.raises(ParameterError, match=r"channel = '2'.*33511B.*\['1'\]"):
            role(inst, "2")


def test_channel_outside_1_and_2_is_refused_without_traffic():
    with expected_protocol(Keysight33500B, []) as inst:
        with pytest.raises(ParameterError, match="channel"):
            role(inst, "3")


def test_unknown_model_is_an_instrument_error():
    pairs = [("*IDN?", "Agilent Technologies,33250A,0,1.0")]
    with expected_protocol(Keysight33500B, pairs) as inst:
        with pytest.raises(InstrumentError, match=r"33250A.*known models"):
            role(inst)


def test_identify_asks_idn_again():
    with expected_protocol(Keysight33500B, [IDN_2CH, IDN_2CH]) as inst:
        assert role(inst).identify() == IDN_2CH[1]


# ------------------------------------------------------------------------------ role: traffic
@CHANNELS
@pytest.mark.parametrize(("ohms", "token"), [(50, "50"), (math.inf, "INF"), (10_000, "10000")])
def test_set_load(ch, ohms, token):
    pairs = [IDN_2CH, (f"OUTP{ch}:LOAD {token}", None), NO_ERROR]
    with expected_protocol(Keysight33500B, pairs) as inst:
        fg = role(inst, ch)
        fg.set_load(ohms)
        assert fg.load == ohms


@CHANNELS
def test_sine_moving_down_writes_low_then_high(ch):
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            (f"SOUR{ch}:FUNC SIN", None),
            (f"SOUR{ch}:FREQ 1000.000000", None),
            (f"SOUR{ch}:VOLT:HIGH?", "+5.000000000000000E-02"),
            (f"SOUR{ch}:VOLT:LOW -0.500000", None),
            (f"SOUR{ch}:VOLT:HIGH 1.500000", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, ch).sine(1e3, amplitude=2.0, offset=0.5)


@CHANNELS
def test_sine_moving_up_past_the_present_high_writes_high_first(ch):
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            (f"OUTP{ch}:LOAD INF", None),
            NO_ERROR,
            (f"SOUR{ch}:FUNC SIN", None),
            (f"SOUR{ch}:FREQ 30000000.000000", None),
            (f"SOUR{ch}:VOLT:HIGH?", "+1.000000000000000E+00"),
            (f"SOUR{ch}:VOLT:HIGH 9.000000", None),
            (f"SOUR{ch}:VOLT:LOW 3.000000", None),
            NO_ERROR,
        ],
    ) as inst:
        fg = role(inst, ch)
        fg.set_load(math.inf)
        fg.sine(30e6, amplitude=6.0, offset=6.0)  # 3 V to 9 V: only possible into high-Z


@CHANNELS
def test_square_with_rising_frequency_sets_duty_first(ch):
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            (f"SOUR{ch}:FUNC SQU", None),
            (f"SOUR{ch}:FREQ?", "+1.000000000000000E+03"),
            (f"SOUR{ch}:FUNC:SQU:DCYC 25.000000", None),
            (f"SOUR{ch}:FREQ 100000.000000", None),
            (f"SOUR{ch}:VOLT:HIGH?", "+1.000000000000000E+00"),
            (f"SOUR{ch}:VOLT:LOW 0.000000", None),
            (f"SOUR{ch}:VOLT:HIGH 3.300000", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, ch).square(100e3, high=3.3, low=0.0, duty_cycle=0.25)


@CHANNELS
def test_square_with_falling_frequency_sets_frequency_first(ch):
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            (f"SOUR{ch}:FUNC SQU", None),
            (f"SOUR{ch}:FREQ?", "+1.000000000000000E+06"),
            (f"SOUR{ch}:FREQ 10.000000", None),
            (f"SOUR{ch}:FUNC:SQU:DCYC 50.000000", None),
            (f"SOUR{ch}:VOLT:HIGH?", "+1.000000000000000E+00"),
            (f"SOUR{ch}:VOLT:LOW -1.000000", None),
            (f"SOUR{ch}:VOLT:HIGH 1.000000", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, ch).square(10, high=1.0, low=-1.0)


@CHANNELS
def test_pulse_with_fastest_edges(ch):
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            (f"SOUR{ch}:FUNC PULS", None),
            (f"SOUR{ch}:FUNC:PULS:TRAN:LEAD 8.400000e-09", None),
            (f"SOUR{ch}:FUNC:PULS:TRAN:TRA 8.400000e-09", None),
            (f"SOUR{ch}:FUNC:PULS:WIDT 1.600000e-08", None),
            (f"SOUR{ch}:FUNC:PULS:PER 1.000000e-03", None),
            (f"SOUR{ch}:FUNC:PULS:WIDT 1.000000e-05", None),
            (f"SOUR{ch}:VOLT:HIGH?", "-5.000000000000000E-01"),
            (f"SOUR{ch}:VOLT:HIGH 2.500000", None),
            (f"SOUR{ch}:VOLT:LOW 0.000000", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, ch).pulse(period=1e-3, width=10e-6, high=2.5)


@CHANNELS
def test_pulse_with_explicit_edges_writes_them_after_the_width(ch):
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            (f"SOUR{ch}:FUNC PULS", None),
            (f"SOUR{ch}:FUNC:PULS:TRAN:LEAD 8.400000e-09", None),
            (f"SOUR{ch}:FUNC:PULS:TRAN:TRA 8.400000e-09", None),
            (f"SOUR{ch}:FUNC:PULS:WIDT 1.600000e-08", None),
            (f"SOUR{ch}:FUNC:PULS:PER 1.000000e-04", None),
            (f"SOUR{ch}:FUNC:PULS:WIDT 2.000000e-06", None),
            (f"SOUR{ch}:FUNC:PULS:TRAN:LEAD 1.000000e-07", None),
            (f"SOUR{ch}:FUNC:PULS:TRAN:TRA 1.000000e-06", None),
            (f"SOUR{ch}:VOLT:HIGH?", "+4.000000000000000E+00"),
            (f"SOUR{ch}:VOLT:LOW -2.000000", None),
            (f"SOUR{ch}:VOLT:HIGH 3.000000", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, ch).pulse(
            period=100e-6, width=2e-6, high=3.0, low=-2.0, leading_edge=100e-9,
            trailing_edge=1e-6,
        )


@CHANNELS
def test_set_levels_moving_down_and_up(ch):
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            (f"SOUR{ch}:VOLT:HIGH?", "+4.000000000000000E+00"),
            (f"SOUR{ch}:VOLT:LOW -1.000000", None),
            (f"SOUR{ch}:VOLT:HIGH 0.000000", None),
            NO_ERROR,
            (f"SOUR{ch}:VOLT:HIGH?", "+0.000000000000000E+00"),
            (f"SOUR{ch}:VOLT:HIGH 4.000000", None),
            (f"SOUR{ch}:VOLT:LOW 2.000000", None),
            NO_ERROR,
        ],
    ) as inst:
        fg = role(inst, ch)
        fg.set_levels(high=0.0, low=-1.0)
        fg.set_levels(high=4.0, low=2.0)


@CHANNELS
def test_set_levels_just_below_the_present_high_writes_high_first(ch):
    # LOW first would leave 0.5 mV between the levels, below the 1 mV minimum amplitude.
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            (f"SOUR{ch}:VOLT:HIGH?", "+1.000000000000000E+00"),
            (f"SOUR{ch}:VOLT:HIGH 2.000000", None),
            (f"SOUR{ch}:VOLT:LOW 0.999500", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, ch).set_levels(high=2.0, low=0.9995)


@CHANNELS
@pytest.mark.parametrize(("trigger", "token"), [("bus", "BUS"), ("external", "EXT")])
def test_burst_triggered_by_bus_or_external_input(ch, trigger, token):
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            (f"SOUR{ch}:BURS:MODE TRIG", None),
            (f"SOUR{ch}:BURS:NCYC 5", None),
            (f"TRIG{ch}:SOUR {token}", None),
            (f"SOUR{ch}:BURS:STAT 1", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, ch).burst(5, trigger=trigger)


@CHANNELS
def test_burst_repeating_immediately_sets_period_before_count(ch):
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            (f"SOUR{ch}:FUNC SIN", None),
            (f"SOUR{ch}:FREQ 1000.000000", None),
            (f"SOUR{ch}:VOLT:HIGH?", "+5.000000000000000E-02"),
            (f"SOUR{ch}:VOLT:LOW -0.500000", None),
            (f"SOUR{ch}:VOLT:HIGH 0.500000", None),
            NO_ERROR,
            (f"SOUR{ch}:BURS:MODE TRIG", None),
            (f"SOUR{ch}:BURS:INT:PER 1.000000e-02", None),
            (f"SOUR{ch}:BURS:NCYC 3", None),
            (f"TRIG{ch}:SOUR IMM", None),
            (f"SOUR{ch}:BURS:STAT 1", None),
            NO_ERROR,
        ],
    ) as inst:
        fg = role(inst, ch)
        fg.sine(1e3, amplitude=1.0)
        fg.burst(3, trigger="immediate", period=10e-3)


@CHANNELS
def test_burst_off_trigger_and_output(ch):
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            ("*TRG", None),
            NO_ERROR,
            (f"SOUR{ch}:BURS:STAT 0", None),
            NO_ERROR,
            (f"OUTP{ch} 1", None),
            NO_ERROR,
            (f"OUTP{ch}?", "1"),
            (f"OUTP{ch} 0", None),
            (f"OUTP{ch}?", "0"),
        ],
    ) as inst:
        fg = role(inst, ch)
        fg.trigger()
        fg.burst_off()
        fg.output_on()
        assert fg.output_enabled is True
        fg.output_off()
        assert fg.output_enabled is False


# ----------------------------------------------------------------------------- role: refusals
@CHANNELS
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda fg: fg.set_load(0), "load"),
        (lambda fg: fg.set_load(-math.inf), "load"),
        (lambda fg: fg.set_load("fifty"), "load"),
        (lambda fg: fg.sine(31e6, 1.0), "frequency"),
        (lambda fg: fg.sine(0, 1.0), "frequency"),
        (lambda fg: fg.sine(1e3, 10.5), "amplitude"),  # 10 Vpp is the limit into 50 Ω
        (lambda fg: fg.sine(1e3, 0.5e-3), "amplitude"),
        (lambda fg: fg.sine(1e3, 2.0, offset=4.5), "offset"),
        (lambda fg: fg.square(1e6, 1.0, 0.0, duty_cycle=0.01), "duty_cycle"),
        (lambda fg: fg.square(1e3, 1.0, 0.0, duty_cycle=1.0), "duty_cycle"),
        (lambda fg: fg.square(1e3, 6.0, 0.0), "high"),
        (lambda fg: fg.square(1e3, 1.0, -5.5), "low"),
        (lambda fg: fg.square(1e3, 0.0, 1.0), "high - low"),
        (lambda fg: fg.square(math.nan, 1.0, 0.0), "frequency"),
        (lambda fg: fg.pulse(1e-6, 1e-6, 1.0), "width"),
        (lambda fg: fg.pulse(1e-6, 990e-9, 1.0), "width"),  # off time below 16 ns
        (lambda fg: fg.pulse(1e-6, 10e-9, 1.0), "width"),
        (lambda fg: fg.pulse(20e-9, 10e-9, 1.0), "period"),
        (lambda fg: fg.pulse(1e-6, 100e-9, 1.0, leading_edge=70e-9), "leading_edge"),
        (lambda fg: fg.pulse(1e-3, 100e-6, 1.0, trailing_edge=2e-6), "trailing_edge"),
        (lambda fg: fg.pulse(1e-3, 100e-6, 1.0, leading_edge=5e-9), "leading_edge"),
        (lambda fg: fg.set_levels(5.1, 0.0), "high"),
        (lambda fg: fg.burst(0), "cycles"),
        (lambda fg: fg.burst(2.5), "cycles"),
        (lambda fg: fg.burst(True), "cycles"),
        (lambda fg: fg.burst(100_000_001), "cycles"),
        (lambda fg: fg.burst(5, trigger="software"), "trigger"),
        (lambda fg: fg.burst(5, trigger="immediate"), "period"),
        (lambda fg: fg.burst(5, trigger="bus", period=1e-3), "period"),
        (lambda fg: fg.burst(5, trigger="immediate", period=9000.0), "period"),
    ],
)
def test_bad_requests_are_refused_without_traffic(ch, call, name):
    with expected_protocol(Keysight33500B, [IDN_2CH]) as inst:
        refused(inst, ch, call, name)


def test_refusal_message_names_parameter_and_range():
    with expected_protocol(Keysight33500B, [IDN_2CH]) as inst:
        message = refused(inst, "1", lambda fg: fg.sine(31e6, 1.0), "frequency")
    assert message == "frequency = 31 MHz is outside the allowed range 1 µHz to 30 MHz"


def test_duty_cycle_range_narrows_with_frequency():
    with expected_protocol(Keysight33500B, [IDN_2CH]) as inst:
        message = refused(inst, "1", lambda fg: fg.square(1e6, 1, 0, 0.01), "duty_cycle")
    assert "at 1e+06 Hz" in message
    assert "allowed range 0.016 to 0.984" in message


def test_20_mhz_model_refuses_what_the_30_mhz_model_accepts():
    with expected_protocol(Keysight33500B, [IDN_1CH]) as inst:
        message = refused(inst, "1", lambda fg: fg.sine(25e6, 1.0), "frequency")
    assert "1 µHz to 20 MHz" in message


def test_high_z_load_doubles_the_level_window():
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            ("OUTP1:LOAD INF", None),
            NO_ERROR,
            ("SOUR1:VOLT:HIGH?", "+1.000000000000000E+00"),
            ("SOUR1:VOLT:LOW 0.000000", None),
            ("SOUR1:VOLT:HIGH 8.000000", None),
            NO_ERROR,
            ("OUTP1:LOAD 50", None),
            NO_ERROR,
        ],
    ) as inst:
        fg = role(inst)
        with pytest.raises(ParameterError, match=r"high = 8 V .* -5 V to 5 V"):
            fg.set_levels(8.0, 0.0)
        fg.set_load(math.inf)
        with pytest.raises(ParameterError, match=r"high = 11 V .* -10 V to 10 V"):
            fg.set_levels(11.0, 0.0)
        fg.set_levels(8.0, 0.0)
        fg.set_load(50)
        with pytest.raises(ParameterError, match="high"):
            fg.set_levels(8.0, 0.0)


def test_burst_period_must_hold_the_cycles_of_the_configured_waveform():
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            ("SOUR1:FUNC SIN", None),
            ("SOUR1:FREQ 1000.000000", None),
            ("SOUR1:VOLT:HIGH?", "+5.000000000000000E-02"),
            ("SOUR1:VOLT:LOW -0.500000", None),
            ("SOUR1:VOLT:HIGH 0.500000", None),
            NO_ERROR,
        ],
    ) as inst:
        fg = role(inst)
        fg.sine(1e3, 1.0)
        with pytest.raises(ParameterError, match=r"period = 4 ms .* 5.001 ms to 8 ks"):
            fg.burst(5, trigger="immediate", period=4e-3)


# ------------------------------------------------------------------------ role: instrument errors
def test_instrument_error_after_configuration_is_raised_with_code_and_message():
    with expected_protocol(
        Keysight33500B,
        [
            IDN_2CH,
            ("SOUR2:BURS:MODE TRIG", None),
            ("SOUR2:BURS:NCYC 7", None),
            ("TRIG2:SOUR BUS", None),
            ("SOUR2:BURS:STAT 1", None),
            ("SYST:ERR?", '-221,"Settings conflict; burst count reduced, period too short"'),
            ("SYST:ERR?", '+800,"Both channels in use"'),
            NO_ERROR,
        ],
    ) as inst:
        with pytest.raises(InstrumentError) as info:
            role(inst, "2").burst(7)
    assert str(info.value) == (
        "fg reported: -221: Settings conflict; burst count reduced, period too short; "
        "800: Both channels in use"
    )


def test_output_off_does_not_read_the_error_queue():
    # A stale error must not turn a successful safe stop into a failure.
    with expected_protocol(Keysight33500B, [IDN_2CH, ("OUTP1 0", None)]) as inst:
        role(inst).output_off()


def test_bus_trigger_ignored_by_the_instrument_is_an_error():
    with expected_protocol(
        Keysight33500B,
        [IDN_2CH, ("*TRG", None), ("SYST:ERR?", '-211,"Trigger ignored"'), NO_ERROR],
    ) as inst:
        with pytest.raises(InstrumentError, match="-211: Trigger ignored"):
            role(inst).trigger()


# ------------------------------------------------------------------ role: order over a whole run
def test_configuring_never_switches_an_output_on():
    responder = EchoResponder({"*IDN?": IDN_2CH[1]})
    for ch in ("1", "2"):  # a fresh instrument reports 1 kHz and a 0.1 V high level
        responder.state[f"SOUR{ch}:FREQ"] = "1000"
        responder.state[f"SOUR{ch}:VOLT:HIGH"] = "0.1"
    adapter = RecordingAdapter(responder)
    inst = Keysight33500B(adapter)
    lock = threading.RLock()
    for fg in (role(inst, "1", lock=lock), role(inst, "2", lock=lock)):
        fg.set_load(math.inf)
        fg.sine(1e3, 2.0)
        fg.square(1e5, 5.0, 0.0, 0.1)
        fg.pulse(1e-3, 1e-6, 8.0, 0.0, leading_edge=100e-9)
        fg.set_levels(3.0, -3.0)
        fg.burst(4, "immediate", period=1.0)
        fg.burst(4)
        fg.burst_off()
    switched = [m for m in adapter.writes if m.split(" ")[0] in ("OUTP1", "OUTP2")]
    assert switched == []
    assert adapter.writes.count("*IDN?") == 1
    assert responder.state["SOUR2:VOLT:HIGH"] == "3.000000"
    assert responder.state["SOUR2:VOLT:LOW"] == "-3.000000"
    assert responder.state["TRIG1:SOUR"] == "BUS"
