"""Exact command traffic of the Rigol DG800/DG900/DG1000Z driver and its FunctionGenerator role."""

from __future__ import annotations

import math
import threading

import pytest
from pymeasure.test import expected_protocol

from labctl.drivers.rigol_dg1000z import MODELS, RigolDG1000Z, RigolDG1000ZGenerator
from labctl.errors import InstrumentError, ParameterError
from labctl.roles import FunctionGenerator
from labctl.roles.conformance import missing_members
from labctl.testing import EchoResponder, RecordingAdapter

IDN = ("*IDN?", "Rigol Technologies,DG1062Z,DG1ZA2012604407,00.01.14")
IDN_1022Z = ("*IDN?", "Rigol Technologies,DG1022Z,DG1ZA2012600001,00.01.14")
IDN_811 = ("*IDN?", "RIGOL TECHNOLOGIES,DG811,DG8A000000001,00.01.02")
NO_ERROR = (":SYST:ERR?", '0,"No error"')
CHANNELS = pytest.mark.parametrize("ch", ["1", "2"])


def role(inst, ch="1", **kwargs):
    return RigolDG1000ZGenerator(inst, channel=ch, name="fg", **kwargs)


def refused(inst, ch, call, name):
    """``call(role)`` must raise a ParameterError naming ``name``; the caller checks no traffic."""
    with pytest.raises(ParameterError, match=name) as info:
        call(role(inst, ch))
    return str(info.value)


# --------------------------------------------------------------------------- instrument class
@CHANNELS
def test_shape_addresses_its_own_channel_and_reads_pulse_back(ch):
    with expected_protocol(
        RigolDG1000Z,
        [
            (f":SOUR{ch}:FUNC PULS", None),
            (f":SOUR{ch}:FUNC?", "PULSE"),
            (f":SOUR{ch}:FUNC SIN", None),
            (f":SOUR{ch}:FUNC?", "SIN"),
        ],
    ) as inst:
        channel = inst.channels[int(ch)]
        channel.shape = "PULS"
        assert channel.shape == "PULS"
        channel.shape = "SIN"
        assert channel.shape == "SIN"
        with pytest.raises(ValueError):
            channel.shape = "SINE"


@CHANNELS
def test_numeric_controls_keep_nanosecond_and_microhertz_resolution(ch):
    with expected_protocol(
        RigolDG1000Z,
        [
            (f":SOUR{ch}:FREQ 60000000.000001", None),
            (f":SOUR{ch}:FREQ?", "6.000000E+07"),
            (f":SOUR{ch}:PER 1e-06", None),
            (f":SOUR{ch}:PER?", "1.000000E-06"),
            (f":SOUR{ch}:FUNC:PULS:WIDT 1.6e-08", None),
            (f":SOUR{ch}:FUNC:PULS:WIDT?", "1.600000E-08"),
            (f":SOUR{ch}:FUNC:PULS:TRAN:LEAD 3.5e-08", None),
            (f":SOUR{ch}:FUNC:PULS:TRAN:LEAD?", "3.500000E-08"),
            (f":SOUR{ch}:FUNC:PULS:TRAN:TRA 1e-08", None),
            (f":SOUR{ch}:FUNC:PULS:TRAN:TRA?", "1.000000E-08"),
            (f":SOUR{ch}:FUNC:SQU:DCYC 12.5", None),
            (f":SOUR{ch}:FUNC:SQU:DCYC?", "1.250000E+01"),
        ],
    ) as inst:
        channel = inst.channels[int(ch)]
        channel.frequency = 60e6 + 1e-6
        assert channel.frequency == 60e6
        channel.pulse_period = 1e-6
        assert channel.pulse_period == 1e-6
        channel.pulse_width = 16e-9
        assert channel.pulse_width == 16e-9
        channel.pulse_leading_edge = 35e-9
        assert channel.pulse_leading_edge == 35e-9
        channel.pulse_trailing_edge = 10e-9
        assert channel.pulse_trailing_edge == 10e-9
        channel.square_dutycycle = 12.5
        assert channel.square_dutycycle == 12.5
        with pytest.raises(ValueError):
            channel.pulse_width = 10e-9
        with pytest.raises(ValueError):
            channel.frequency = 200e6


@CHANNELS
def test_levels_output_and_load(ch):
    with expected_protocol(
        RigolDG1000Z,
        [
            (f":SOUR{ch}:VOLT:HIGH 9.5", None),
            (f":SOUR{ch}:VOLT:HIGH?", "9.500000E+00"),
            (f":SOUR{ch}:VOLT:LOW -0.25", None),
            (f":SOUR{ch}:VOLT:LOW?", "-2.500000E-01"),
            (f":OUTP{ch} ON", None),
            (f":OUTP{ch}?", "ON"),
            (f":OUTP{ch} OFF", None),
            (f":OUTP{ch}?", "OFF"),
            (f":OUTP{ch}:LOAD INF", None),
            (f":OUTP{ch}:LOAD?", "9.900000E+37"),
            (f":OUTP{ch}:LOAD 50", None),
            (f":OUTP{ch}:LOAD?", "5.000000E+01"),
        ],
    ) as inst:
        channel = inst.channels[int(ch)]
        channel.voltage_high = 9.5
        assert channel.voltage_high == 9.5
        channel.voltage_low = -0.25
        assert channel.voltage_low == -0.25
        channel.output = True
        assert channel.output is True
        channel.output = False
        assert channel.output is False
        channel.output_load = math.inf
        assert channel.output_load == math.inf
        channel.output_load = 50
        assert channel.output_load == 50.0
        for bad in (0, 10_001):
            with pytest.raises(ValueError):
                channel.output_load = bad
        with pytest.raises(ValueError):
            channel.voltage_high = 10.5


@CHANNELS
def test_burst_controls_and_channel_trigger(ch):
    with expected_protocol(
        RigolDG1000Z,
        [
            (f":SOUR{ch}:BURS ON", None),
            (f":SOUR{ch}:BURS?", "ON"),
            (f":SOUR{ch}:BURS?", "0"),
            (f":SOUR{ch}:BURS:MODE TRIG", None),
            (f":SOUR{ch}:BURS:MODE?", "TRIG"),
            (f":SOUR{ch}:BURS:NCYC 500000", None),
            (f":SOUR{ch}:BURS:NCYC?", "5.000000E+05"),
            (f":SOUR{ch}:BURS:INT:PER 0.1", None),
            (f":SOUR{ch}:BURS:INT:PER?", "1.000000E-01"),
            (f":SOUR{ch}:BURS:TRIG:SOUR MAN", None),
            (f":SOUR{ch}:BURS:TRIG:SOUR?", "MAN"),
            (f":SOUR{ch}:BURS:TRIG", None),
        ],
    ) as inst:
        channel = inst.channels[int(ch)]
        channel.burst_state = True
        assert channel.burst_state is True
        assert channel.burst_state is False
        channel.burst_mode = "TRIG"
        assert channel.burst_mode == "TRIG"
        channel.burst_ncycles = 500_000
        assert channel.burst_ncycles == 500_000
        channel.burst_period = 0.1
        assert channel.burst_period == 0.1
        channel.trigger_source = "MAN"
        assert channel.trigger_source == "MAN"
        channel.burst_trigger()
        with pytest.raises(ValueError):
            channel.burst_ncycles = 500_001
        with pytest.raises(ValueError):
            channel.trigger_source = "BUS"


def test_error_messages_with_commas_are_split_once():
    with expected_protocol(
        RigolDG1000Z,
        [(":SYST:ERR?", '-113,"Undefined header; keyword cannot be found, check spelling"'),
         NO_ERROR],
    ) as inst:
        errors = inst.check_errors()
    assert len(errors) == 1
    assert int(errors[0][0]) == -113
    assert errors[0][1] == '"Undefined header; keyword cannot be found, check spelling"'


def test_model_is_identified_once_and_remembered():
    with expected_protocol(RigolDG1000Z, [IDN]) as inst:
        assert inst.model is MODELS["DG1062Z"]
        assert inst.model.name == "Rigol DG1062Z"


# ---------------------------------------------------------------------------- role: structure
def test_role_satisfies_the_function_generator_protocol():
    with expected_protocol(RigolDG1000Z, [IDN]) as inst:
        assert missing_members(role(inst), FunctionGenerator) == []


def test_two_channels_share_instrument_lock_and_one_identification():
    lock = threading.RLock()
    with expected_protocol(RigolDG1000Z, [IDN]) as inst:
        one = RigolDG1000ZGenerator(inst, channel="1", lock=lock)
        two = RigolDG1000ZGenerator(inst, channel="2", lock=lock)
    assert one.instrument is two.instrument
    assert one.lock is lock and two.lock is lock
    assert two.name == "Rigol DG1000Z waveform generator CH2"


@pytest.mark.parametrize(
    ("idn", "model", "max_frequency", "channels"),
    [
        (IDN, "Rigol DG1062Z", 60e6, 2),
        (IDN_1022Z, "Rigol DG1022Z", 25e6, 2),
        (IDN_811, "Rigol DG811", 10e6, 1),
        (("*IDN?", "RIGOL TECHNOLOGIES,DG992,DG9A0001,00.02.00"), "Rigol DG992", 100e6, 2),
    ],
)
def test_capabilities_are_the_model_datasheet_figures(idn, model, max_frequency, channels):
    with expected_protocol(RigolDG1000Z, [idn]) as inst:
        caps = role(inst).capabilities
    assert caps.model == model
    assert caps.max_frequency == max_frequency
    assert caps.min_pulse_width == 16e-9
    assert caps.min_edge_time == 10e-9
    assert caps.max_amplitude == 20.0
    assert caps.channels == channels


def test_single_channel_model_refuses_channel_2():
    with expected_protocol(RigolDG1000Z, [IDN_811]) as inst:
        with pytest.raises(ParameterError, match=r"channel = '2'.*DG811.*\['1'\]"):
            role(inst, "2")


def test_unknown_model_is_an_instrument_error():
    with expected_protocol(RigolDG1000Z, [("*IDN?", "Rigol Technologies,DG4162,X,1")]) as inst:
        with pytest.raises(InstrumentError, match=r"DG4162.*known models"):
            role(inst)


def test_identify_asks_idn_again():
    with expected_protocol(RigolDG1000Z, [IDN, IDN]) as inst:
        assert role(inst).identify() == IDN[1]


# ------------------------------------------------------------------------------ role: traffic
@CHANNELS
@pytest.mark.parametrize(("ohms", "token"), [(50, "50"), (math.inf, "INF"), (1, "1")])
def test_set_load(ch, ohms, token):
    pairs = [IDN, (f":OUTP{ch}:LOAD {token}", None), NO_ERROR]
    with expected_protocol(RigolDG1000Z, pairs) as inst:
        fg = role(inst, ch)
        fg.set_load(ohms)
        assert fg.load == ohms


@CHANNELS
def test_sine(ch):
    with expected_protocol(
        RigolDG1000Z,
        [
            IDN,
            (f":SOUR{ch}:FUNC SIN", None),
            (f":SOUR{ch}:FREQ 1000", None),
            (f":SOUR{ch}:VOLT:HIGH?", "5.000000E-02"),
            (f":SOUR{ch}:VOLT:LOW -0.5", None),
            (f":SOUR{ch}:VOLT:HIGH 1.5", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, ch).sine(1e3, amplitude=2.0, offset=0.5)


@CHANNELS
def test_square_rising_and_falling_frequency(ch):
    with expected_protocol(
        RigolDG1000Z,
        [
            IDN,
            (f":SOUR{ch}:FUNC SQU", None),
            (f":SOUR{ch}:FREQ?", "1.000000E+03"),
            (f":SOUR{ch}:FUNC:SQU:DCYC 20", None),
            (f":SOUR{ch}:FREQ 1000000", None),
            (f":SOUR{ch}:VOLT:HIGH?", "5.000000E+00"),
            (f":SOUR{ch}:VOLT:LOW 0", None),
            (f":SOUR{ch}:VOLT:HIGH 3.3", None),
            NO_ERROR,
            (f":SOUR{ch}:FUNC SQU", None),
            (f":SOUR{ch}:FREQ?", "1.000000E+06"),
            (f":SOUR{ch}:FREQ 50", None),
            (f":SOUR{ch}:FUNC:SQU:DCYC 50", None),
            (f":SOUR{ch}:VOLT:HIGH?", "3.300000E+00"),
            (f":SOUR{ch}:VOLT:HIGH 5", None),
            (f":SOUR{ch}:VOLT:LOW 4", None),
            NO_ERROR,
        ],
    ) as inst:
        fg = role(inst, ch)
        fg.square(1e6, high=3.3, low=0.0, duty_cycle=0.2)
        fg.square(50, high=5.0, low=4.0)


@CHANNELS
def test_pulse_shrinks_first_then_sets_period_width_and_edges(ch):
    with expected_protocol(
        RigolDG1000Z,
        [
            IDN,
            (f":SOUR{ch}:FUNC PULS", None),
            (f":SOUR{ch}:FUNC:PULS:TRAN:LEAD 1e-08", None),
            (f":SOUR{ch}:FUNC:PULS:TRAN:TRA 1e-08", None),
            (f":SOUR{ch}:FUNC:PULS:WIDT 1.6e-08", None),
            (f":SOUR{ch}:PER 0.001", None),
            (f":SOUR{ch}:FUNC:PULS:WIDT 1e-05", None),
            (f":SOUR{ch}:FUNC:PULS:TRAN:TRA 1e-06", None),
            (f":SOUR{ch}:VOLT:HIGH?", "1.000000E+00"),
            (f":SOUR{ch}:VOLT:LOW 0", None),
            (f":SOUR{ch}:VOLT:HIGH 4", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, ch).pulse(period=1e-3, width=10e-6, high=4.0, trailing_edge=1e-6)


@CHANNELS
def test_set_levels_moving_up_and_down(ch):
    with expected_protocol(
        RigolDG1000Z,
        [
            IDN,
            (f":SOUR{ch}:VOLT:HIGH?", "1.000000E+00"),
            (f":SOUR{ch}:VOLT:HIGH 3", None),
            (f":SOUR{ch}:VOLT:LOW 2", None),
            NO_ERROR,
            (f":SOUR{ch}:VOLT:HIGH?", "3.000000E+00"),
            (f":SOUR{ch}:VOLT:LOW -3", None),
            (f":SOUR{ch}:VOLT:HIGH -2", None),
            NO_ERROR,
        ],
    ) as inst:
        fg = role(inst, ch)
        fg.set_levels(3.0, 2.0)
        fg.set_levels(-2.0, -3.0)


@CHANNELS
@pytest.mark.parametrize(("trigger", "token"), [("bus", "MAN"), ("external", "EXT")])
def test_burst_by_manual_or_external_trigger(ch, trigger, token):
    with expected_protocol(
        RigolDG1000Z,
        [
            IDN,
            (f":SOUR{ch}:BURS:MODE TRIG", None),
            (f":SOUR{ch}:BURS:NCYC 10", None),
            (f":SOUR{ch}:BURS:TRIG:SOUR {token}", None),
            (f":SOUR{ch}:BURS ON", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, ch).burst(10, trigger=trigger)


@CHANNELS
def test_burst_with_internal_trigger_sets_period_before_count(ch):
    with expected_protocol(
        RigolDG1000Z,
        [
            IDN,
            (f":SOUR{ch}:BURS:MODE TRIG", None),
            (f":SOUR{ch}:BURS:INT:PER 0.5", None),
            (f":SOUR{ch}:BURS:NCYC 1", None),
            (f":SOUR{ch}:BURS:TRIG:SOUR INT", None),
            (f":SOUR{ch}:BURS ON", None),
            NO_ERROR,
        ],
    ) as inst:
        role(inst, ch).burst(1, trigger="immediate", period=0.5)


@CHANNELS
def test_trigger_burst_off_and_output(ch):
    with expected_protocol(
        RigolDG1000Z,
        [
            IDN,
            (f":SOUR{ch}:BURS:TRIG", None),
            NO_ERROR,
            (f":SOUR{ch}:BURS OFF", None),
            NO_ERROR,
            (f":OUTP{ch} ON", None),
            NO_ERROR,
            (f":OUTP{ch}?", "ON"),
            (f":OUTP{ch} OFF", None),
            (f":OUTP{ch}?", "OFF"),
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
        (lambda fg: fg.set_load(0.5), "load"),
        (lambda fg: fg.set_load(None), "load"),
        (lambda fg: fg.sine(61e6, 1.0), "frequency"),
        (lambda fg: fg.sine(40e6, 3.0), "amplitude"),  # 2.5 Vpp into 50 Ω above 30 MHz
        (lambda fg: fg.sine(1e3, 1.0, offset=-4.6), "offset"),
        (lambda fg: fg.square(26e6, 1.0, 0.0), "frequency"),
        (lambda fg: fg.square(20e6, 1.0, 0.0, duty_cycle=0.2), "duty_cycle"),
        (lambda fg: fg.square(1e3, 1.0, 1.0), "high - low"),
        (lambda fg: fg.square(1e3, 1.0, -5.01), "low"),
        (lambda fg: fg.pulse(30e-9, 10e-9, 1.0), "period"),  # 25 MHz pulse limit
        (lambda fg: fg.pulse(1e-6, 0.98e-6, 1.0), "width"),  # off time below 2 × 16 ns
        (lambda fg: fg.pulse(1e-6, 100e-9, 1.0, leading_edge=9e-9), "leading_edge"),
        (lambda fg: fg.pulse(1e-6, 100e-9, 1.0, trailing_edge=63e-9), "trailing_edge"),
        (lambda fg: fg.set_levels(0.0005, 0.0), "high - low"),  # below 1 mVpp
        (lambda fg: fg.burst(500_001), "cycles"),
        (lambda fg: fg.burst("3"), "cycles"),
        (lambda fg: fg.burst(3, trigger="immediate", period=1e-6), "period"),
        (lambda fg: fg.burst(3, trigger="external", period=1.0), "period"),
        (lambda fg: fg.burst(3, trigger="manual"), "trigger"),
    ],
)
def test_bad_requests_are_refused_without_traffic(ch, call, name):
    with expected_protocol(RigolDG1000Z, [IDN]) as inst:
        message = refused(inst, ch, call, name)
    assert name in message


def test_pulse_rate_limit_depends_on_the_model():
    with expected_protocol(RigolDG1000Z, [IDN_1022Z]) as inst:
        message = refused(inst, "1", lambda fg: fg.pulse(50e-9, 16e-9, 1.0), "period")
    assert message == "period = 50 ns is outside the allowed range 66.67 ns to 1 Ms"


def test_amplitude_derating_follows_the_frequency():
    with expected_protocol(
        RigolDG1000Z,
        [
            IDN,
            (":SOUR1:FUNC SIN", None),
            (":SOUR1:FREQ 40000000", None),
            (":SOUR1:VOLT:HIGH?", "5.000000E-01"),
            (":SOUR1:VOLT:LOW -1", None),
            (":SOUR1:VOLT:HIGH 1", None),
            NO_ERROR,
        ],
    ) as inst:
        fg = role(inst)
        with pytest.raises(ParameterError, match=r"amplitude = 3 V .* 1 mV to 2.5 V"):
            fg.sine(40e6, 3.0)
        fg.sine(40e6, 2.0)
        # 2 Vpp at 40 MHz; the same levels as a 5 MHz sine would allow up to ±2.5 V.
        with pytest.raises(ParameterError, match=r"high = 1.5 V .* -1.25 V to 1.25 V"):
            fg.set_levels(1.5, 0.0)


def test_burst_period_must_hold_the_cycles_of_the_configured_pulse():
    with expected_protocol(
        RigolDG1000Z,
        [
            IDN,
            (":SOUR1:FUNC PULS", None),
            (":SOUR1:FUNC:PULS:TRAN:LEAD 1e-08", None),
            (":SOUR1:FUNC:PULS:TRAN:TRA 1e-08", None),
            (":SOUR1:FUNC:PULS:WIDT 1.6e-08", None),
            (":SOUR1:PER 0.01", None),
            (":SOUR1:FUNC:PULS:WIDT 0.001", None),
            (":SOUR1:VOLT:HIGH?", "1.000000E+00"),
            (":SOUR1:VOLT:LOW 0", None),
            (":SOUR1:VOLT:HIGH 2", None),
            NO_ERROR,
        ],
    ) as inst:
        fg = role(inst)
        fg.pulse(10e-3, 1e-3, 2.0)
        with pytest.raises(ParameterError, match=r"period = 50 ms .* 100 ms to 500 s"):
            fg.burst(10, trigger="immediate", period=50e-3)


# ------------------------------------------------------------------------ role: instrument errors
def test_instrument_error_after_configuration_is_raised_with_code_and_message():
    with expected_protocol(
        RigolDG1000Z,
        [
            IDN,
            (":OUTP2:LOAD 75", None),
            (":SYST:ERR?", '-222,"Data out of range"'),
            NO_ERROR,
        ],
    ) as inst:
        with pytest.raises(InstrumentError) as info:
            role(inst, "2").set_load(75)
    assert str(info.value) == "fg reported: -222: Data out of range"


def test_output_off_does_not_read_the_error_queue():
    with expected_protocol(RigolDG1000Z, [IDN, (":OUTP1 OFF", None)]) as inst:
        role(inst).output_off()


# ------------------------------------------------------------------ role: order over a whole run
def test_configuring_never_switches_an_output_on():
    responder = EchoResponder({"*IDN?": IDN[1]})
    for ch in ("1", "2"):
        responder.state[f"SOUR{ch}:FREQ"] = "1.000000E+03"
        responder.state[f"SOUR{ch}:VOLT:HIGH"] = "1.000000E-01"
    adapter = RecordingAdapter(responder)
    inst = RigolDG1000Z(adapter)
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
    switched = [m for m in adapter.writes if m.split(" ")[0] in (":OUTP1", ":OUTP2")]
    assert switched == []
    assert adapter.writes.count("*IDN?") == 1
    assert responder.state["SOUR2:VOLT:HIGH"] == "3"
    assert responder.state["SOUR2:VOLT:LOW"] == "-3"
    assert responder.state["SOUR1:BURS:TRIG:SOUR"] == "MAN"
