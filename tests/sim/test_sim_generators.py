"""Simulated Keysight 33500B and Rigol DG1000Z generators: labctl's roles, raw SCPI, pymeasure."""

from __future__ import annotations

import math
import textwrap
import warnings
from dataclasses import asdict

import pytest
import pyvisa
from pyvisa.rname import to_canonical_name

from labctl.bench import connect_bench
from labctl.drivers.keysight33500b import Keysight33500B
from labctl.drivers.rigol_dg1000z import RigolDG1000Z
from labctl.sim.bench import SimBench
from labctl.sim.instruments.generators import GeneratorSim
from labctl.sim.waveform import PeriodicDrive

KEYSIGHT = "USB0::0x0957::0x2C07::MY52801234::INSTR"
RIGOL = "USB0::0x1AB1::0x0642::DG1ZA000000001::INSTR"
KEYSIGHT_1CH = "USB0::0x0957::0x2707::MY57301234::INSTR"
RIGOL_1022 = "USB0::0x1AB1::0x0642::DG1ZA000000002::INSTR"
DRIVERS = {"keysight33500b": KEYSIGHT, "rigol_dg1000z": RIGOL}
NO_ERROR = {KEYSIGHT: '+0,"No error"', RIGOL: '0,"No error"'}


def bench_file(tmp_path, driver="keysight33500b", channel="1", load=None, rigol_wiring=None):
    """A bench with one generator role; both generators wired to the device on ``channel``."""
    wiring = rigol_wiring or f'{{"{channel}": dut}}'
    load_line = f", load: {load}" if load is not None else ""
    text = f"""
    name: generator bench
    visa_library: "@labsim"
    roles:
      fg: {{driver: {driver}, address: "{DRIVERS[driver]}", channel: "{channel}"}}
    resources:
      {KEYSIGHT}: {{device: keysight33522b, filename: keysight33500b.yaml,
                    channels: {{"{channel}": dut}}{load_line}}}
      {RIGOL}: {{device: rigol_dg1062z, filename: rigol_dg1000z.yaml,
                 channels: {wiring}{load_line}}}
      {KEYSIGHT_1CH}: {{device: keysight33511b, filename: keysight33500b.yaml}}
      {RIGOL_1022}: {{device: rigol_dg1022z, filename: rigol_dg1000z.yaml,
                      channels: {{"1": none}}}}
    sim:
      dut: {{model: sclc}}
    """
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def simulator(bench) -> SimBench:
    return bench.resource_manager.visalib.bench


def model(sim: SimBench, address: str) -> GeneratorSim:
    return sim.instruments[to_canonical_name(address)]


def same_drive(actual: PeriodicDrive | None, expected: PeriodicDrive | None) -> bool:
    """Field by field, floats to 1e-9 relative (levels pass through the load scaling)."""
    if actual is None or expected is None:
        return actual is expected
    got, want = asdict(actual), asdict(expected)
    return all(
        got[k] == (want[k] if isinstance(want[k], str | None) else
                   pytest.approx(want[k], rel=1e-9, abs=1e-12))
        for k in want
    )


@pytest.fixture
def rm():
    manager = pyvisa.ResourceManager("@labsim")
    yield manager
    manager.close()


def errors(resource) -> list[str]:
    """Drain the error queue; the replies other than 'no error'."""
    found = []
    for _ in range(12):
        reply = resource.query("SYST:ERR?").strip()
        if int(reply.split(",")[0]) == 0:
            return found
        found.append(reply)
    raise AssertionError(f"error queue does not drain: {found}")


def codes(resource) -> list[int]:
    return [int(reply.split(",")[0]) for reply in errors(resource)]


# ----------------------------------------------------------------------------------- identity
def test_default_bench_has_both_generators_answering_idn_like_the_real_ones(rm):
    keysight, rigol = rm.open_resource(KEYSIGHT), rm.open_resource(RIGOL)
    assert keysight.query("*IDN?").strip() == (
        "Agilent Technologies,33522B,MY52801234,3.05-1.19-2.00-52-00"
    )
    assert rigol.query("*IDN?").strip() == "Rigol Technologies,DG1062Z,DG1ZA000000001,00.01.14"
    assert keysight.query("SYST:ERR?").strip() == NO_ERROR[KEYSIGHT]
    assert rigol.query(":SYST:ERR?").strip() == NO_ERROR[RIGOL]
    assert keysight.query("*OPC?").strip() == "1"


def test_the_drivers_identify_every_simulated_model(tmp_path):
    names = {}
    with connect_bench(bench_file(tmp_path)) as bench:
        rm = bench.resource_manager
        for address, cls in ((KEYSIGHT, Keysight33500B), (KEYSIGHT_1CH, Keysight33500B),
                             (RIGOL, RigolDG1000Z), (RIGOL_1022, RigolDG1000Z)):
            instrument = cls(address, visa_library=rm.visalib)
            names[address] = instrument.model.name
            instrument.adapter.close()
    assert names == {KEYSIGHT: "Keysight 33522B", KEYSIGHT_1CH: "Keysight 33511B",
                     RIGOL: "Rigol DG1062Z", RIGOL_1022: "Rigol DG1022Z"}


# -------------------------------------------------------------------------- roles drive the DUT
@pytest.mark.parametrize("driver", list(DRIVERS))
@pytest.mark.parametrize("channel", ["1", "2"])
def test_every_role_method_reaches_the_device_with_an_empty_error_queue(tmp_path, driver, channel):
    with connect_bench(bench_file(tmp_path, driver, channel)) as bench:
        fg, sim = bench["fg"], simulator(bench)
        generator = model(sim, DRIVERS[driver])

        def check(expected: PeriodicDrive | None) -> None:
            assert not generator.errors, generator.errors
            assert same_drive(sim.generator_drive(), expected), sim.generator_drive()

        fg.set_load(50)
        fg.sine(1e3, amplitude=2.0, offset=0.5)
        check(None)  # configuring never switches the output on
        fg.output_on()
        assert fg.output_enabled is True
        check(PeriodicDrive("sine", 1e3, 1.5, -0.5))
        fg.square(1e5, high=3.3, low=0.0, duty_cycle=0.25)
        check(PeriodicDrive("square", 1e5, 3.3, 0.0, duty_cycle=0.25))
        fg.square(50, high=1.0, low=-1.0)  # falling frequency: the other order
        check(PeriodicDrive("square", 50, 1.0, -1.0, duty_cycle=0.5))
        fg.pulse(1e-3, 10e-6, 2.5, leading_edge=100e-9, trailing_edge=1e-6)
        pulses = {"width": 10e-6, "leading_edge": 100e-9, "trailing_edge": 1e-6}
        check(PeriodicDrive("pulse", 1e3, 2.5, 0.0, **pulses))
        fg.set_levels(4.0, 1.0)
        check(PeriodicDrive("pulse", 1e3, 4.0, 1.0, **pulses))
        fg.burst(5, trigger="bus")
        check(PeriodicDrive("dc", 1e3, 1.0, 1.0))  # armed: the low level until triggered
        fg.trigger()
        check(PeriodicDrive("pulse", 1e3, 4.0, 1.0, **pulses))
        fg.burst(3, trigger="immediate", period=10e-3)
        check(PeriodicDrive("pulse", 1e3, 4.0, 1.0, **pulses))
        fg.burst(2, trigger="external")
        check(PeriodicDrive("dc", 1e3, 1.0, 1.0))  # no external trigger reaches the bench
        fg.burst_off()
        check(PeriodicDrive("pulse", 1e3, 4.0, 1.0, **pulses))
        fg.pulse(20e-6, 1e-6, 5.0, -5.0)  # the ±5 V window into 50 Ω, fastest edges
        edge = fg.model.min_edge
        check(PeriodicDrive("pulse", 5e4, 5.0, -5.0, width=1e-6, leading_edge=edge,
                            trailing_edge=edge))
        fg.output_off()
        assert fg.output_enabled is False
        check(None)


@pytest.mark.parametrize("driver", list(DRIVERS))
def test_levels_are_into_the_load_setting_and_the_device_sees_the_actual_load(tmp_path, driver):
    # The device is a high-impedance load here (bench option load: inf).
    with connect_bench(bench_file(tmp_path, driver, load="inf")) as bench:
        fg, sim = bench["fg"], simulator(bench)
        fg.set_load(math.inf)
        assert fg.instrument.channels[1].output_load == math.inf
        fg.sine(30e3 if driver == "keysight33500b" else 1e3, amplitude=6.0, offset=6.0)
        fg.output_on()
        drive = sim.generator_drive()
        assert (drive.high, drive.low) == pytest.approx((9.0, 3.0))  # beyond ±5 V: high-Z only
        fg.set_load(50)  # a wrong setting: the instrument rescales what it shows, not the output
        assert fg.instrument.channels[1].voltage_high == pytest.approx(4.5)
        fg.set_levels(1.0, 0.0)  # programmed for 50 Ω, delivered into an open circuit: twice
        drive = sim.generator_drive()
        assert (drive.high, drive.low) == pytest.approx((2.0, 0.0))


def test_only_the_channel_wired_to_the_device_drives_it(tmp_path):
    path = bench_file(tmp_path, "rigol_dg1000z", rigol_wiring='{"1": none, "2": dut}')
    with connect_bench(path) as bench:
        sim = bench.resource_manager.visalib.bench
        rigol = bench.resource_manager.open_resource(RIGOL)
        rigol.write(":OUTP1 ON")
        assert sim.generator_drive() is None
        rigol.write(":SOUR2:APPL:SQU 2000,2,1;:SOUR2:FUNC:SQU:DCYC 20")  # APPLy: output on
        assert rigol.query(":OUTP2?").strip() == "ON"
        assert same_drive(sim.generator_drive(),
                          PeriodicDrive("square", 2e3, 2.0, 0.0, duty_cycle=0.2))
        rigol.write(":OUTP2:POL INV")
        assert same_drive(sim.generator_drive(),
                          PeriodicDrive("square", 2e3, 0.0, 2.0, duty_cycle=0.2))
        assert codes(rigol) == []


def test_default_bench_wires_keysight_channel_1_only(rm):
    keysight, rigol = rm.open_resource(KEYSIGHT), rm.open_resource(RIGOL)
    sim = rm.visalib.bench
    rigol.write(":OUTP1 ON;:OUTP2 ON")
    keysight.write(":SOUR2:FUNC DC;:SOUR2:VOLT:OFFS 1;:OUTP2 1")
    assert sim.generator_drive() is None
    # The default bench terminates channel 1 in high impedance (the LED): say so, as a user must.
    keysight.write(":OUTP1:LOAD INF")
    keysight.write(":FUNC DC;:VOLT:OFFS -2;:OUTP 1")  # no prefix: channel 1
    assert same_drive(sim.generator_drive(), PeriodicDrive("dc", 1e3, -2.0, -2.0))
    assert sim.drive().waveform == sim.generator_drive()  # the SMUs are off
    assert codes(keysight) == [] and codes(rigol) == []


def test_bus_triggered_burst_holds_the_idle_level_until_triggered(rm):
    keysight = rm.open_resource(KEYSIGHT)
    sim = rm.visalib.bench
    keysight.write(":OUTP1:LOAD INF")  # the default bench's LED is a high-impedance load
    keysight.write(":FUNC SIN;:FREQ 1E4;:VOLT 2;:VOLT:OFFS 0.5;:OUTP 1")
    keysight.write(":BURS:MODE TRIG;NCYC 10;:TRIG:SOUR BUS;:BURS:STAT 1")
    assert same_drive(sim.generator_drive(), PeriodicDrive("dc", 1e4, 0.5, 0.5))
    keysight.write("*TRG;*WAI")
    assert same_drive(sim.generator_drive(), PeriodicDrive("sine", 1e4, 1.5, -0.5))
    keysight.write("TRIG:SOUR BUS")  # re-armed
    assert sim.generator_drive().shape == "dc"
    keysight.write("TRIG1")  # TRIGger[n]: immediate, whatever the source
    assert sim.generator_drive().shape == "sine"
    assert codes(keysight) == []


# ------------------------------------------------------------------- coupled settings, raw SCPI
def test_amplitude_offset_and_high_low_stay_consistent_both_ways(rm):
    k = rm.open_resource(KEYSIGHT)
    k.write("SOURce1:VOLTage 2;VOLT:OFFSet 1")
    assert float(k.query("SOUR1:VOLT:HIGH?")) == pytest.approx(2.0)
    assert float(k.query("VOLT:LOW?")) == pytest.approx(0.0)
    k.write("SOUR1:VOLT:HIGH 3")
    assert float(k.query("VOLT?")) == pytest.approx(3.0)
    assert float(k.query("VOLT:OFFS?")) == pytest.approx(1.5)
    k.write("OUTP1:LOAD INF")  # the displayed values double, the output does not change
    assert k.query("OUTP1:LOAD?").strip() == "+9.900000000000000E+37"
    assert float(k.query("VOLT?")) == pytest.approx(6.0)
    assert float(k.query("VOLT:HIGH?")) == pytest.approx(6.0)
    k.write("VOLT:UNIT VRMS;:OUTP:LOAD 50")
    assert float(k.query("VOLT?")) == pytest.approx(3.0 / (2 * math.sqrt(2)))
    assert codes(k) == []
    r = rm.open_resource(RIGOL)
    r.write(":SOUR2:VOLT:LOW -1;:SOUR2:VOLT:HIGH 2")
    assert float(r.query(":SOUR2:VOLT?")) == pytest.approx(3.0)
    assert float(r.query(":SOUR2:VOLT:OFFS?")) == pytest.approx(0.5)
    assert r.query(":SOUR2:VOLT?").strip() == "3.000000E+00"
    assert codes(r) == []


@pytest.mark.parametrize(
    ("address", "messages", "expected_codes", "query", "reply"),
    [
        # frequency limits per function
        (KEYSIGHT, ["FREQ 5E7"], [-222], "FREQ?", 30e6),
        (KEYSIGHT, ["FUNC RAMP", "FREQ 1E6"], [-222], "FREQ?", 200e3),
        (KEYSIGHT, ["FREQ 1E6", "FUNC RAMP"], [-221], "FREQ?", 200e3),
        (KEYSIGHT, ["FREQ 0"], [-222], "FREQ?", 1e-6),
        (RIGOL, [":SOUR1:VOLT 1", ":SOUR1:FREQ 61E6"], [-222], ":SOUR1:FREQ?", 60e6),
        (RIGOL, [":SOUR1:FREQ 40E6"], [-221], ":SOUR1:VOLT?", 2.5),  # derated above 30 MHz
        (RIGOL, [":SOUR1:FUNC SQU", ":SOUR1:FREQ 26E6"], [-222], ":SOUR1:FREQ?", 25e6),
        (RIGOL, [":SOUR1:VOLT 1", ":SOUR1:FREQ 40E6", ":SOUR1:FUNC PULS"], [], ":SOUR1:FREQ?",
         1 / 48e-9),  # a function change refits quietly on the DG1000Z
        # width below the period less the minimum off time; edges within 0.625 × width
        (KEYSIGHT, ["FUNC PULS", "FUNC:PULS:WIDT 1E-7", "FUNC:PULS:PER 1E-6",
                    "FUNC:PULS:WIDT 1E-6"], [-222],
         "FUNC:PULS:WIDT?", 1e-6 - 16e-9),
        (RIGOL, [":SOUR1:FUNC PULS", ":SOUR1:PULS:WIDT 1E-7", ":SOUR1:PER 1E-6",
                 ":SOUR1:FUNC:PULS:WIDT 0.99E-6"], [-222], ":SOUR1:FUNC:PULS:WIDT?", 1e-6 - 32e-9),
        (KEYSIGHT, ["FUNC PULS", "FUNC:PULS:WIDT 1E-7", "FUNC:PULS:TRAN:LEAD 1E-7"], [-222],
         "FUNC:PULS:TRAN:LEAD?", 62.5e-9),
        (KEYSIGHT, ["FUNC PULS", "FUNC:PULS:TRAN:TRA 5E-9"], [-222],
         "FUNC:PULS:TRAN:TRA?", 8.4e-9),
        # a period that no longer holds the width: the width gives way (-221)
        (KEYSIGHT, ["FUNC PULS", "FUNC:PULS:WIDT 5E-4", "FREQ 1E4"], [-221],
         "FUNC:PULS:WIDT?", 1e-4 - 16e-9),
        # duty cycle: 0.01 % to 99.99 %, neither half shorter than 16 ns
        (KEYSIGHT, ["FUNC SQU", "FREQ 1E7", "FUNC:SQU:DCYC 90"], [-222],
         "FUNC:SQU:DCYC?", 84.0),
        (RIGOL, [":SOUR1:FUNC:SQU:DCYC 0"], [-222], ":SOUR1:FUNC:SQU:DCYC?", 0.01),
        (KEYSIGHT, ["FUNC SQU", "FUNC:SQU:DCYC 99", "FREQ 1E7"], [-221],
         "FUNC:SQU:DCYC?", 84.0),
        # amplitude and levels for the load setting
        (KEYSIGHT, ["VOLT 12"], [-222], "VOLT?", 10.0),
        (KEYSIGHT, ["OUTP:LOAD INF", "VOLT 12"], [], "VOLT?", 12.0),
        (KEYSIGHT, ["VOLT 0.0005"], [-222], "VOLT?", 0.001),
        (KEYSIGHT, ["VOLT 8", "VOLT:OFFS 2"], [-222], "VOLT:OFFS?", 1.0),
        (KEYSIGHT, ["VOLT:HIGH 6"], [-222], "VOLT:HIGH?", 5.0),
        (KEYSIGHT, ["VOLT:HIGH -1"], [-221], "VOLT:LOW?", -1.001),
        (RIGOL, [":SOUR1:VOLT:HIGH 1", ":SOUR1:VOLT:LOW 2"], [-221], ":SOUR1:VOLT:HIGH?", 2.001),
        (RIGOL, [":SOUR1:FREQ 40E6", ":SOUR1:VOLT 3"], [-221, -222], ":SOUR1:VOLT?", 2.5),
        (RIGOL, [":OUTP1:LOAD 0.5"], [-222], ":OUTP1:LOAD?", 1.0),
        (KEYSIGHT, ["OUTP1:LOAD 20000"], [-222], "OUTP1:LOAD?", 10000.0),
        # bursts: count range, and an internal burst period that must hold the cycles
        (RIGOL, [":SOUR1:BURS:NCYC 600000"], [-222], ":SOUR1:BURS:NCYC?", 500000),
        (KEYSIGHT, ["BURS:STAT 1", "BURS:NCYC 100"], [-221], "BURS:INT:PER?", 0.100001),
        (KEYSIGHT, ["BURS:STAT 1", "BURS:INT:PER 1E-7"], [-222], "BURS:INT:PER?", 0.001001),
        # keywords, headers, channels
        (KEYSIGHT, ["FUNC SINE"], [-224], "FUNC?", "SIN"),
        (KEYSIGHT, ["TRIG:SOUR MAN"], [-224], "TRIG:SOUR?", "IMM"),
        (RIGOL, [":SOUR1:BURS:TRIG:SOUR BUS"], [-224], ":SOUR1:BURS:TRIG:SOUR?", "INT"),
        (KEYSIGHT, ["SOUR1:BOGUS 1"], [-113], "*OPC?", "1"),
        (KEYSIGHT, ["SOUR3:FREQ 1"], [-114], "FREQ?", 1e3),
        (KEYSIGHT, ["*TRG"], [-211], "*OPC?", "1"),
        (KEYSIGHT, ["FREQ"], [-109], "FREQ?", 1e3),
    ],
)
def test_out_of_range_requests_queue_the_real_error_codes(rm, address, messages,
                                                          expected_codes, query, reply):
    resource = rm.open_resource(address)
    for message in messages:
        resource.write(message)
    assert codes(resource) == expected_codes
    answer = resource.query(query).strip()
    if isinstance(reply, str):
        assert answer == reply
    else:
        assert float(answer) == pytest.approx(reply, rel=1e-6)  # the DG1000Z prints 7 digits


def test_single_channel_model_has_no_channel_2(tmp_path):
    with connect_bench(bench_file(tmp_path)) as bench:
        one = bench.resource_manager.open_resource(KEYSIGHT_1CH)
        assert ",33511B," in one.query("*IDN?")
        one.write("SOUR2:FREQ 1E3;OUTP2 1")
        assert codes(one) == [-114, -114]
        one.write("FREQ 25E6")  # the 20 MHz model
        assert codes(one) == [-222]
        assert float(one.query("FREQ?")) == 20e6


def test_rst_restores_the_reset_values_and_keeps_the_error_queue(rm):
    k = rm.open_resource(KEYSIGHT)
    k.write(":FUNC PULS;:FREQ 5E3;:VOLT 3;:OUTP1:LOAD INF;:OUTP 1;:BURS:STAT 1;:VOLT 99")
    k.write("*RST")
    assert (k.query("FUNC?").strip(), float(k.query("FREQ?"))) == ("SIN", 1e3)
    assert float(k.query("VOLT?")) == pytest.approx(0.1)
    assert float(k.query("OUTP:LOAD?")) == 50.0
    assert k.query("OUTP?").strip() == "0" and k.query("BURS:STAT?").strip() == "0"
    assert codes(k) == [-222]
    r = rm.open_resource(RIGOL)
    r.write(":SOUR1:FUNC PULS;:OUTP1 ON;*RST")
    assert r.query(":SOUR1:FUNC?").strip() == "SIN"
    assert r.query(":OUTP1?").strip() == "OFF"
    assert float(r.query(":SOUR1:VOLT?")) == 5.0
    assert r.query(":SOUR1:FUNC:PULS:WIDT?").strip() == "5.000000E-04"


def test_replies_the_drivers_parse(rm):
    k, r = rm.open_resource(KEYSIGHT), rm.open_resource(RIGOL)
    k.write(":SOUR2:FUNC PULS;:OUTP2 1;:SOUR2:BURS:STAT 1;:TRIG2:SOUR BUS;:SOUR2:BURS:NCYC 1E8")
    assert k.query("SOUR2:FUNC?").strip() == "PULS"
    assert k.query("OUTP2?").strip() == "1"
    assert k.query("SOUR2:BURS:STAT?").strip() == "1"
    assert k.query("TRIG2:SOUR?").strip() == "BUS"
    assert k.query("SOUR2:BURS:NCYC?").strip() == "+1.000000000000000E+08"
    assert k.query("SOUR2:FREQ?").strip() == "+1.000000000000000E+03"
    r.write(":SOUR2:FUNC PULS;:OUTP2 ON;:SOUR2:BURS ON;:SOUR2:BURS:TRIG:SOUR MAN;:OUTP2:LOAD INF")
    assert r.query(":SOUR2:FUNC?").strip() == "PULSE"
    assert r.query(":OUTP2?").strip() == "ON"
    assert r.query(":SOUR2:BURS?").strip() == "ON"
    assert r.query(":SOUR2:BURS:TRIG:SOUR?").strip() == "MAN"
    assert r.query(":OUTP2:LOAD?").strip() == "9.900000E+37"
    assert r.query(":SOUR2:PER?").strip() == "1.000000E-03"
    assert codes(k) == [] and codes(r) == []


# ------------------------------------------------------------------------- pymeasure, unmodified
@pytest.mark.parametrize("target", ["instrument", 1, 2])
def test_pymeasure_agilent33500_works_unmodified(rm, target):
    from pymeasure.instruments.agilent import Agilent33500

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        generator = Agilent33500(KEYSIGHT, visa_library=rm.visalib)
    assert generator.id.startswith("Agilent Technologies,33522B,")
    output = generator if target == "instrument" else generator.channels[target]
    number = 1 if target == "instrument" else target
    sim = rm.visalib.bench.instruments[to_canonical_name(KEYSIGHT)]
    for shape in ("SIN", "SQU", "TRI", "RAMP", "PULS", "PRBS", "NOIS", "DC"):
        output.shape = shape
        assert output.shape == shape
    output.shape = "SQU"
    output.frequency = 12345.5
    output.amplitude = 2.5
    output.offset = -1.0
    output.output = True
    assert output.frequency == 12345.5
    assert output.amplitude == 2.5
    assert output.offset == -1.0
    assert output.output is True
    output.square_dutycycle = 30
    assert output.square_dutycycle == 30
    output.shape = "PULS"
    output.pulse_period = 1e-3
    output.pulse_width = 1e-4
    output.pulse_transition = 1e-7
    assert (output.pulse_period, output.pulse_width, output.pulse_transition) == (1e-3, 1e-4, 1e-7)
    assert output.pulse_dutycycle == pytest.approx(10.0)
    output.burst_state = True
    output.burst_mode = "TRIG"
    output.burst_period = 0.1
    output.burst_ncycles = 10
    assert (output.burst_state, output.burst_mode, output.burst_ncycles) == (True, "TRIG", 10)
    output.output_load = "inf"
    assert output.output_load == 9.9e37
    assert output.amplitude == 5.0  # the same output, shown for an open circuit
    output.output = False
    assert output.output is False
    assert generator.check_errors() == []
    assert generator.ask("SYST:ERR?").strip() == '+0,"No error"'
    assert sim.channels[number].function == "PULS"
    assert sim.channels[3 - number].function == "SIN"  # the other channel is untouched
