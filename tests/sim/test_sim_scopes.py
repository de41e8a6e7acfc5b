"""The simulated Keysight DSOX3024T and Rigol DHO804, driven by labctl's own scope drivers.

The device under test is driven by a stand-in for a function generator (a fixed
:class:`~labctl.sim.waveform.PeriodicDrive` registered on the simulated bench), so the expected
traces are known: the ``drive`` input must show ``PeriodicDrive.sample(time)`` and the other
inputs what :meth:`~labctl.sim.bench.SimBench.scope_signals` computes, within quantisation and
noise.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import pyvisa

from labctl.bench import Bench, connect_bench
from labctl.drivers.scope_base import CaptureTimeoutError
from labctl.errors import InstrumentError
from labctl.roles.oscilloscope import Waveform
from labctl.sim.bench import SimBench
from labctl.sim.waveform import PeriodicDrive

KEYSIGHT = "USB0::0x2A8D::0x1797::CN57000001::INSTR"
RIGOL = "USB0::0x1AB1::0x044C::DHO8A000000001::INSTR"
SCOPES = ("keysight", "rigol")
WIRING = '{"1": el, "2": current, "3": drive, "4": none}'
BENCH_FILE = f"""
    name: oscilloscope bench
    visa_library: "@labsim"
    roles:
      keysight: {{driver: keysight_dsox, address: "{KEYSIGHT}"}}
      rigol: {{driver: rigol_dho, address: "{RIGOL}"}}
    resources:
      {KEYSIGHT}: {{device: keysight_dsox3024t, filename: keysight_dsox.yaml, channels: {WIRING}}}
      {RIGOL}: {{device: rigol_dho804, filename: rigol_dho.yaml, channels: {WIRING}}}
    sim:
      seed: 7
      noise: 1.0
"""
#: 20 kHz, 0 to 5 V, high for the first 30 % of each period: edges at 0 and 15 µs.
SQUARE = PeriodicDrive("square", 20e3, high=5.0, low=0.0, duty_cycle=0.3)
#: Noise the scopes add per sample (1 σ), in divisions, at scales where the floor is negligible.
NOISE_DIVISIONS = 0.02


class StandInGenerator:
    """A function generator reduced to what the simulated bench asks of one: its output."""

    def __init__(self, drive: PeriodicDrive | None) -> None:
        self.drive = drive

    def dut_waveform(self) -> PeriodicDrive | None:
        return self.drive


@pytest.fixture
def bench(tmp_path) -> Iterator[Bench]:
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent(BENCH_FILE))
    with connect_bench(path) as connected:
        yield connected


def sim_of(bench: Bench) -> SimBench:
    return bench.resource_manager.visalib.bench


def drive_with(bench: Bench, drive: PeriodicDrive | None) -> None:
    sim_of(bench).instruments["TEST::STAND-IN::GENERATOR"] = StandInGenerator(drive)


def offset_for(name: str, centre: float) -> float:
    """The offset that puts ``centre`` volts at the screen centre: Keysight's offset is the
    centre voltage, Rigol's is added to the signal (the centre shows minus the offset)."""
    return centre if name == "keysight" else -centre


def set_up(scope: Any, name: str, channels: dict[int, tuple[float, float]], **trigger: Any) -> None:
    """``channels``: input → (V/div, centre voltage); the trigger is on the drive (input 3)."""
    for channel in (1, 2, 3, 4):
        scale, centre = channels.get(channel, (1.0, 0.0))
        scope.configure_channel(channel, scale, offset_for(name, centre),
                                enabled=channel in channels)
    scope.set_trigger(trigger.get("source", 3), trigger.get("level", 2.5),
                      trigger.get("slope", "rising"))


def away_from_edges(time: np.ndarray, drive: PeriodicDrive, width: float,
                    edges: tuple[float, ...] = (0.0, SQUARE.on_time)) -> np.ndarray:
    """Samples farther than ``width`` from every edge of ``drive`` (edges in s after t = 0)."""
    phase = np.mod(time, drive.period)
    mask = np.ones(time.shape, dtype=bool)
    for edge in edges:
        distance = np.abs(phase - edge)
        mask &= np.minimum(distance, drive.period - distance) > width
    return mask


def assert_trace(wave: Waveform, expected: np.ndarray, scale: float, step: float,
                 mask: np.ndarray) -> None:
    """Within half an ADC step plus 5 σ of noise everywhere, unbiased, with the noise level."""
    error = (wave.voltage - expected)[mask]
    assert mask.sum() > 0.9 * len(wave)
    assert np.max(np.abs(error)) < step / 2 + 5 * NOISE_DIVISIONS * scale
    assert abs(np.mean(error)) < 0.1 * NOISE_DIVISIONS * scale + step / 10
    assert 0.5 * NOISE_DIVISIONS * scale < np.std(error) < 1.5 * math.hypot(
        NOISE_DIVISIONS * scale, step / math.sqrt(12))


#: ADC step in volts per V/div: the DSOX3024T's 8-bit ADC over 10 divisions; the DHO804's
#: 12 bits in steps of 16 codes of 1/7500 division.
ADC_STEP = {"keysight": 10 / 256, "rigol": 16 / 7500}


# ------------------------------------------------------------------------------ identity
def test_both_scopes_identify_like_the_real_models(bench):
    assert bench["keysight"].identify() == (
        "KEYSIGHT TECHNOLOGIES,DSO-X 3024T,CN57000001,07.50.2021102830")
    assert bench["rigol"].identify() == "RIGOL TECHNOLOGIES,DHO804,DHO8A000000001,00.01.03"


def test_the_default_bench_has_both_scopes_at_their_addresses():
    manager = pyvisa.ResourceManager("@labsim")
    try:
        assert "DSO-X 3024T" in manager.open_resource(KEYSIGHT).query("*IDN?")
        assert ",DHO804," in manager.open_resource(RIGOL).query("*IDN?")
    finally:
        manager.close()


# ----------------------------------------------------------------------------- time axes
def test_keysight_record_spans_the_screen_at_the_highest_rate_that_fits(bench):
    scope = bench["keysight"]
    drive_with(bench, SQUARE)
    scope.set_timebase(2e-6, position=3e-6)
    # Inputs 1 and 2 share an ADC pair: 2.5 GSa/s over 20 µs.
    set_up(scope, "keysight", {1: (0.05, 0.0), 2: (0.2, 0.4), 3: (1.0, 2.5)})
    wave = scope.capture((1, 3))[3]
    assert len(wave) == 50_000
    assert wave.dt == pytest.approx(0.4e-9)
    assert wave.time[0] == pytest.approx(3e-6 - 10e-6, abs=1e-15)  # 5 div left of the centre
    assert wave.time[-1] == pytest.approx(3e-6 + 10e-6 - 0.4e-9, abs=1e-15)
    assert float(scope.instrument.ask(":ACQuire:SRATe?")) == pytest.approx(2.5e9)
    # One input per pair: 5 GSa/s, twice the points over the same screen.
    scope.configure_channel(2, 0.2, 0.4, enabled=False)
    wave = scope.capture((3,))[3]
    assert len(wave) == 100_000 and wave.dt == pytest.approx(0.2e-9)


def test_rigol_record_length_is_the_memory_depth_centred_on_the_screen(bench):
    scope = bench["rigol"]
    drive_with(bench, SQUARE)
    scope.set_timebase(2e-6, position=3e-6)
    set_up(scope, "rigol", {1: (0.05, 0.0), 2: (0.2, 0.4), 3: (1.0, 2.5)})
    # 10 kpts (the default) at 312.5 MSa/s, the most with three channels on: 32 µs, more than
    # the 20 µs screen, centred on it.
    wave = scope.capture((3,))[3]
    assert len(wave) == 10_000
    assert wave.dt == pytest.approx(3.2e-9)
    assert wave.time[0] == pytest.approx(3e-6 - 16e-6, abs=1e-12)
    assert float(scope.instrument.ask(":ACQ:SRAT?")) == pytest.approx(312.5e6)
    # At 100 µs/div the 10 kpts cover the 1 ms screen exactly, at 10 MSa/s.
    scope.set_timebase(100e-6, position=200e-6)
    wave = scope.capture((3,))[3]
    assert wave.dt == pytest.approx(1e-7)
    assert wave.time[0] == pytest.approx(200e-6 - 500e-6, abs=1e-12)
    assert scope.instrument.memory_depth == 10_000


# ---------------------------------------------------------------------- what the DUT does
@pytest.mark.parametrize("name", SCOPES)
def test_traces_show_the_generator_and_the_devices_response(bench, name):
    scope = bench[name]
    drive_with(bench, SQUARE)
    scope.set_timebase(5e-6, position=20e-6)  # -5 µs to 45 µs: the rising and falling edges
    scales = {1: (0.05, 0.0), 2: (0.2, 0.4), 3: (1.0, 2.5)}
    set_up(scope, name, scales)
    waves = scope.capture((1, 2, 3))
    time = waves[3].time
    mask = away_from_edges(time, SQUARE, 3 * waves[3].dt)
    step = ADC_STEP[name]
    assert_trace(waves[3], SQUARE.sample(time), 1.0, step, mask)
    # The device's current through the sense resistor, and its light, as the bench computes them.
    signals = sim_of(bench).scope_signals(time)
    assert_trace(waves[2], signals["current"], 0.2, 0.2 * step, mask)
    assert_trace(waves[1], signals["el"], 0.05, 0.05 * step, mask)
    high = SQUARE.sample(time) > 2.5
    assert np.mean(waves[2].voltage[high]) > np.mean(waves[2].voltage[~high]) + 0.1


@pytest.mark.parametrize("name", SCOPES)
def test_a_falling_slope_puts_time_zero_on_the_falling_edge(bench, name):
    scope = bench[name]
    drive_with(bench, SQUARE)
    scope.set_timebase(1e-6, position=0.0)
    set_up(scope, name, {3: (1.0, 2.5)}, slope="falling")
    wave = scope.capture((3,))[3]
    expected = SQUARE.sample(wave.time + SQUARE.on_time)
    mask = away_from_edges(wave.time + SQUARE.on_time, SQUARE, 3 * wave.dt)
    assert_trace(wave, expected, 1.0, ADC_STEP[name], mask)
    assert np.mean(wave.voltage[wave.time < -0.1e-6]) > 4.5
    assert np.mean(wave.voltage[wave.time > 0.1e-6]) < 0.5


@pytest.mark.parametrize("name", SCOPES)
def test_ac_coupling_removes_the_mean_of_an_ac_drive(bench, name):
    sine = PeriodicDrive("sine", 20e3, high=4.0, low=0.0)  # 2 V ± 2 V, rising through 2 V at 0
    scope = bench[name]
    drive_with(bench, sine)
    scope.set_timebase(10e-6, position=20e-6)
    scope.configure_channel(3, 1.0, 0.0, coupling="ac")
    for channel in (1, 2, 4):
        scope.configure_channel(channel, 1.0, enabled=False)
    scope.set_trigger(3, 0.0)  # the trigger follows the channel's coupling
    wave = scope.capture((3,))[3]
    mask = np.ones(len(wave), dtype=bool)
    assert_trace(wave, sine.sample(wave.time) - 2.0, 1.0, ADC_STEP[name], mask)


# -------------------------------------------------------------------------- averaging
@pytest.mark.parametrize("name", SCOPES)
def test_averaging_reduces_the_noise_by_about_the_square_root_of_n(bench, name):
    scope = bench[name]
    drive_with(bench, SQUARE)
    scope.set_timebase(1e-6, position=5e-6)  # 0 to 10 µs: inside the 15 µs high phase
    set_up(scope, name, {3: (0.5, 5.0)}, level=4.0)  # within ±4.5 div of the centre
    clock = bench.clock
    noise = {}
    for count in (1, 64):
        scope.set_averaging(count)
        start = clock.now()
        wave = scope.capture((3,), timeout=5.0)[3]
        elapsed = clock.now() - start
        flat = (wave.time > 0.2e-6) & (wave.time < 9.8e-6)
        noise[count] = float(np.std(wave.voltage[flat]))
        assert np.mean(wave.voltage[flat]) == pytest.approx(5.0, abs=0.01)
    assert 0.6 * 8 < noise[1] / noise[64] < 1.6 * 8
    # 64 acquisitions, one per generator period: the bench clock saw them all.
    assert elapsed >= 63 * SQUARE.period
    if name == "keysight":  # :DIGitize blocks for exactly the acquisition time
        assert elapsed <= 65 * SQUARE.period
        assert scope.instrument.waveform_preamble.count == 64


def test_rigol_rounds_the_average_count_down_to_a_power_of_two(bench):
    inst = bench["rigol"].instrument
    inst.write(":ACQuire:AVERages 100")
    assert inst.ask(":ACQ:AVER?").strip() == "64"
    assert inst.check_errors() == []


# ---------------------------------------------------------------------------- clipping
@pytest.mark.parametrize("name", SCOPES)
def test_a_signal_beyond_the_screen_clips_at_the_rails(bench, name):
    scope = bench[name]
    drive_with(bench, SQUARE)
    scope.set_timebase(5e-6, position=20e-6)
    set_up(scope, name, {3: (0.2, 0.0)}, level=0.5)  # 0 to 5 V seen through a ±1 V window
    wave = scope.capture((3,))[3]
    # The top code: one 8-bit step below +5 div (Keysight); 65520 = 32752 codes of 1/7500 div
    # above the centre (Rigol).
    rail = 0.2 * (5 - 10 / 256 if name == "keysight" else 32752 / 7500)
    high = away_from_edges(wave.time, SQUARE, 3 * wave.dt) & (SQUARE.sample(wave.time) > 2.5)
    assert wave.voltage.max() == pytest.approx(rail, rel=1e-4)
    assert np.all(wave.voltage[high] == wave.voltage.max())
    low = away_from_edges(wave.time, SQUARE, 3 * wave.dt) & ~high & (wave.time > 16e-6)
    assert abs(np.mean(wave.voltage[low])) < 0.01


# --------------------------------------------------------------------------- time-outs
@pytest.mark.parametrize("name", SCOPES)
def test_without_a_generator_nothing_triggers_and_the_capture_times_out(bench, name):
    scope = bench[name]
    scope.set_timebase(2e-6)
    set_up(scope, name, {3: (1.0, 2.5)})
    start = bench.clock.now()
    with pytest.raises(CaptureTimeoutError, match=r"did not complete within 0\.5 s"):
        scope.capture((3,), timeout=0.5)
    assert bench.clock.now() - start == pytest.approx(0.55)  # one arming poll, then 0.5 s
    if name == "keysight":
        assert scope.instrument.operation_condition == 0  # stopped by the time-out
    else:
        assert scope.instrument.trigger_status == "STOP"


@pytest.mark.parametrize("name", SCOPES)
def test_a_level_the_signal_never_reaches_does_not_trigger(bench, name):
    scope = bench[name]
    drive_with(bench, SQUARE)
    scope.set_timebase(2e-6)
    set_up(scope, name, {3: (1.0, 2.5)}, level=6.0)  # the drive tops out at 5 V
    with pytest.raises(CaptureTimeoutError):
        scope.capture((3,), timeout=0.2)


def test_keysight_arm_and_trigger_registers_follow_the_bench_clock(bench):
    drive_with(bench, SQUARE)
    scope = bench["keysight"]
    inst, clock = scope.instrument, bench.clock
    # The screen ends 5 ms before the trigger: 5 ms of pre-trigger memory to fill, none after.
    scope.set_timebase(1e-6, position=-5e-3)
    set_up(scope, "keysight", {3: (1.0, 2.5)}, level=6.0)  # never triggers on its own
    inst.stop()
    _ = inst.arm_event
    inst.single()
    assert inst.arm_event == 0
    assert inst.operation_condition == 8  # running, not armed yet
    clock.sleep(6e-3)
    assert inst.arm_event == 1
    assert inst.arm_event == 0  # reading cleared it
    assert inst.operation_condition == 8 | 32  # armed, waiting for the trigger
    assert inst.ask(":TER?").strip() == "0"
    inst.write(":TRIGger:FORCe")
    assert inst.operation_condition == 0
    assert inst.ask(":TER?").strip() == "1"
    wave = scope.waveform(3)
    assert len(wave) == 50_000  # 10 µs at 5 GSa/s
    assert wave.time[0] == pytest.approx(-5e-3 - 5e-6, abs=1e-12)


def test_rigol_trigger_status_runs_through_run_wait_td_stop(bench):
    scope = bench["rigol"]
    inst, clock = scope.instrument, bench.clock
    scope.set_timebase(1e-3, position=0.0)
    set_up(scope, "rigol", {3: (1.0, 2.5)})
    inst.single()
    assert inst.trigger_status == "RUN"  # filling the 5 ms before the trigger
    clock.sleep(6e-3)
    assert inst.trigger_status == "WAIT"  # no generator: nothing to trigger on
    drive_with(bench, PeriodicDrive("square", 10.0, high=5.0, low=0.0))  # an edge every 100 ms
    clock.sleep(1e-3)
    assert inst.trigger_status == "WAIT"
    clock.sleep(95e-3)  # 102 ms: the edge at 100 ms triggered, 5 ms after it still to come
    assert inst.trigger_status == "TD"
    clock.sleep(5e-3)
    assert inst.trigger_status == "STOP"


def test_keysight_digitize_without_a_trigger_auto_triggers_in_the_auto_sweep(bench):
    # No generator: the SMU-free device sees 0 V, and the AUTO sweep acquires anyway.
    scope = bench["keysight"]
    scope.set_timebase(1e-6)
    set_up(scope, "keysight", {3: (0.1, 0.0)}, level=0.3)
    scope.set_averaging(16)
    wave = scope.capture((3,), timeout=1.0)[3]
    assert abs(np.mean(wave.voltage)) < 1e-3
    assert np.std(wave.voltage) < 0.5 * NOISE_DIVISIONS * 0.1


def test_keysight_digitize_in_the_normal_sweep_blocks_until_stopped(bench):
    # No generator and no AUTO sweep: :DIGitize waits for ever and *OPC? does not answer.
    scope = bench["keysight"]
    scope.set_timebase(1e-6)
    set_up(scope, "keysight", {3: (1.0, 2.5)})
    inst = scope.instrument
    inst.write(":TRIGger:SWEep NORMal;:ACQuire:TYPE AVERage;:DIGitize")
    with pytest.raises(pyvisa.errors.VisaIOError) as info:
        inst.ask("*OPC?")
    assert info.value.error_code == pyvisa.constants.StatusCode.error_timeout
    assert inst.operation_condition & 8
    inst.write(":STOP")
    assert inst.ask("*OPC?").strip() == "1"


def test_keysight_averaged_capture_without_a_trigger_times_out(bench):
    scope = bench["keysight"]
    scope.set_timebase(1e-6)
    set_up(scope, "keysight", {3: (1.0, 2.5)})
    scope.set_averaging(4)
    scope.instrument.write(":TRIGger:SWEep NORMal")
    with pytest.raises(CaptureTimeoutError, match="averaged acquisition"):
        scope.capture((3,), timeout=1.0)


# -------------------------------------------------------------------------- transfers
@pytest.mark.parametrize("name", SCOPES)
def test_a_100000_point_record_transfers_whole(bench, name):
    scope = bench[name]
    drive_with(bench, SQUARE)
    scope.set_timebase(4e-6, position=15e-6)
    set_up(scope, name, {1: (0.05, 0.0), 2: (0.2, 0.4), 3: (1.0, 2.5)})
    if name == "rigol":
        scope.instrument.write(":ACQuire:MDEPth 100k")
    waves = scope.capture((1, 2, 3))
    for wave in waves.values():
        assert len(wave) == len(wave.voltage) == 100_000
        assert np.all(np.diff(wave.time) > 0)
    mask = away_from_edges(waves[3].time, SQUARE, 3 * waves[3].dt)
    assert_trace(waves[3], SQUARE.sample(waves[3].time), 1.0, ADC_STEP[name], mask)


def test_rigol_windows_read_pieces_of_the_same_record(bench):
    scope = bench["rigol"]
    drive_with(bench, SQUARE)
    scope.set_timebase(2e-6)
    set_up(scope, "rigol", {3: (1.0, 2.5)})
    inst = scope.instrument
    inst.write(":ACQ:MDEP 100k")
    scope.capture((3,))
    inst.write(":STOP;:WAV:SOUR CHAN3;:WAV:MODE RAW;:WAV:FORM WORD")
    inst.waveform_start, inst.waveform_stop = 1, 100_000
    whole = inst.read_waveform_data()
    inst.waveform_start, inst.waveform_stop = 40_001, 60_000
    np.testing.assert_array_equal(inst.read_waveform_data(), whole[40_000:60_000])
    inst.waveform_start, inst.waveform_stop = 99_991, 200_000  # past the end: what there is
    np.testing.assert_array_equal(inst.read_waveform_data(), whole[-10:])
    assert inst.check_errors() == []


def test_keysight_formats_and_decimation_describe_the_same_record(bench):
    scope = bench["keysight"]
    drive_with(bench, SQUARE)
    scope.set_timebase(4e-6, position=15e-6)
    set_up(scope, "keysight", {3: (1.0, 2.5)})
    full = scope.capture((3,))[3]
    decimated = scope.waveform(3, points=1000)
    assert len(full) == 200_000 and len(decimated) == 1000  # every 200th sample
    np.testing.assert_allclose(decimated.time, full.time[::200], atol=1e-15)
    np.testing.assert_allclose(decimated.voltage, full.voltage[::200], atol=1e-9)
    # Unsigned bytes, most significant first: the upper byte of each word, offset by 128.
    inst = scope.instrument
    inst.write(":WAV:FORM BYTE;:WAV:UNS 1;:WAV:BYT MSBF;:WAV:POIN 1000")
    pre = inst.waveform_preamble
    data = np.frombuffer(_block(inst, ":WAV:DATA?"), dtype=np.uint8)
    volts = (data.astype(float) - pre.yreference) * pre.yincrement + pre.yorigin
    np.testing.assert_allclose(volts, decimated.voltage, atol=1e-6)  # yinc has 9 digits


def test_a_channel_that_was_not_acquired_has_no_data(bench):
    scope = bench["keysight"]
    drive_with(bench, SQUARE)
    scope.set_timebase(2e-6)
    set_up(scope, "keysight", {3: (1.0, 2.5)})
    scope.capture((3,))
    with pytest.raises(InstrumentError, match="capture first"):
        scope.waveform(1)


def _block(inst: Any, query: str) -> bytes:
    inst.write(query)
    adapter = inst.adapter
    digits = int(adapter.read_bytes(2)[1:])
    payload = adapter.read_bytes(int(adapter.read_bytes(digits)))
    adapter.read_bytes(1)
    return payload


# ------------------------------------------------------------------ errors and reset
def test_keysight_range_checks_error_queue_and_reset(bench):
    inst = bench["keysight"].instrument
    inst.write(":TIMebase:SCALe 100")  # beyond 50 s/div
    inst.write(":CHANnel1:SCALe 50")  # 5 V/div is the 1:1 maximum
    inst.write(":TRIGger:SLOPe SIDEWAYS")
    inst.write(":BOGus:COMMand 1")
    assert inst.ask(":SYSTem:ERRor?").strip() == '-222,"Data out of range"'
    assert inst.ask(":SYST:ERR?").strip() == '-222,"Data out of range"'
    assert inst.ask(":SYST:ERR?").strip() == '-224,"Illegal parameter value"'
    assert inst.ask(":SYST:ERR?").strip() == '-113,"Undefined header"'
    assert inst.ask(":SYST:ERR?").strip() == '+0,"No error"'
    inst.write(":CHANnel1:PROBe 10;:CHANnel1:SCALe 50;:ACQuire:TYPE AVERage;:TIMebase:SCALe 1E-3")
    assert inst.check_errors() == []
    assert float(inst.ask(":CHAN1:SCAL?")) == 50.0 and inst.ask(":ACQ:TYPE?").strip() == "AVER"
    inst.write("*RST")
    assert float(inst.ask(":CHAN1:PROB?")) == 1.0
    assert float(inst.ask(":TIM:SCAL?")) == pytest.approx(1e-4)
    assert inst.ask(":ACQ:TYPE?").strip() == "NORM"
    assert inst.ask(":CHAN2:DISP?").strip() == "0"


def test_rigol_range_checks_error_queue_and_reset(bench):
    inst = bench["rigol"].instrument
    inst.write(":TIMebase:MAIN:OFFSet 2")  # the right limit at 2 µs/div is 1 s
    inst.write(":CHANnel1:OFFSet 1.5")  # ±1 V at 50 mV/div
    inst.write(":TRIGger:EDGE:SOURce EXTernal")  # the DHO804 has no EXT input
    for channel in (2, 3):
        inst.write(f":CHAN{channel}:DISP 1")
    inst.write(":ACQuire:MDEPth 25M")  # 5 Mpts at most with three channels on
    assert inst.ask(":SYST:ERR?").strip() == '-222,"Data out of range"'
    assert inst.ask(":SYST:ERR?").strip() == '-222,"Data out of range"'
    assert inst.ask(":SYST:ERR?").strip() == '-224,"Illegal parameter value"'
    assert inst.ask(":SYST:ERR?").strip() == '-221,"Settings conflict"'
    assert inst.ask(":SYST:ERR?").strip() == '0,"No error"'
    inst.write(":TIM:MAIN:SCAL 5e-4;:TIM:OFFS 0.02;:CHAN1:PROB 10;:ACQ:MDEP 1M")
    assert inst.check_errors() == []
    assert inst.ask(":CHAN1:SCAL?").strip() == "5.000000E-01"  # 50 mV/div × 10
    assert inst.ask(":ACQ:MDEP?").strip() == "1.000E+6"
    inst.write("*RST")
    assert inst.ask(":CHAN1:SCAL?").strip() == "5.000000E-02"
    assert inst.ask(":CHAN1:PROB?").strip() == "1"
    assert float(inst.ask(":TIM:SCAL?")) == pytest.approx(2e-6)
    assert float(inst.ask(":TIM:OFFS?")) == 0.0
    assert inst.ask(":ACQ:MDEP?").strip() == "1.000E+4"
