"""The safe stop on every exit path, proved by the order of the commands sent."""

from __future__ import annotations

import itertools
import os
import signal
import threading

import pytest
from pyvisa.errors import VisaIOError

from labctl.errors import SafeStopError
from labctl.safety import LimitedSourceMeter, SampleLimits, Terminated, guarded_outputs
from labctl.safety.signals import sigterm_raises

LIMITS = SampleLimits(max_voltage=10, max_current=0.05, max_ramp_rate=5.0, max_step=0.5)


def levels_after_last_output_on(writes: list[str]) -> list[float]:
    start = max(i for i, w in enumerate(writes) if w == "OUTPUT 1")
    return [float(w.split()[1]) for w in writes[start:] if w.startswith(":SOURCE:VOLTAGE ")]


def assert_ramped_down_then_off(bench, rate=LIMITS.max_ramp_rate, from_volts=None):
    writes = bench.writes
    assert writes[-1] == "OUTPUT 0", writes[-6:]
    assert not bench.output_on
    assert bench.volts == 0.0
    levels = levels_after_last_output_on(writes)
    down = levels[levels.index(max(levels)):]
    assert down[-1] == 0.0
    assert all(b < a for a, b in itertools.pairwise(down)), down
    # Every step of the ramp-down stays within rate × the ramp's step time.
    steps = [a - b for a, b in itertools.pairwise(down)]
    assert max(steps) <= rate * 0.05 + 1e-9
    if from_volts is not None:
        assert down[0] == pytest.approx(from_volts)


def biased(bench, volts=4.0):
    smu = LimitedSourceMeter(bench.smu, LIMITS)
    smu.source_voltage(0.0, compliance_current=0.01)
    smu.output_on()
    smu.set_level(volts)  # > max_step: becomes a ramp
    return smu


def test_compliance_is_set_before_the_output_turns_on(bench):
    biased(bench, 1.0)
    writes = bench.writes
    assert writes.index(":SENSE:CURRENT:PROTECTION 0.01") < writes.index("OUTPUT 1")


def test_output_on_is_refused_until_a_compliance_is_set(bench):
    smu = LimitedSourceMeter(bench.smu, LIMITS)
    sent = len(bench.writes)
    with pytest.raises(Exception, match="compliance first"):
        smu.output_on()
    assert len(bench.writes) == sent


def test_normal_end_ramps_down_and_turns_off(bench):
    with guarded_outputs(bench.smu, ramp_rate=LIMITS.max_ramp_rate):
        biased(bench)
        assert bench.output_on and bench.volts == 4.0
    assert_ramped_down_then_off(bench, from_volts=4.0)


def test_a_large_step_under_bias_becomes_a_ramp(bench):
    biased(bench, 4.0)
    ramp = levels_after_last_output_on(bench.writes)
    assert ramp[-1] == 4.0
    assert len(ramp) >= 4.0 / 0.25  # 5 V/s × 0.05 s per step
    assert all(b > a for a, b in itertools.pairwise(ramp))


@pytest.mark.parametrize("error", [RuntimeError("procedure bug"), KeyboardInterrupt()])
def test_exception_or_ctrl_c_ramps_down_and_turns_off(bench, error):
    with pytest.raises(type(error)), guarded_outputs(bench.smu, ramp_rate=5.0):
        biased(bench)
        raise error
    assert_ramped_down_then_off(bench, from_volts=4.0)


def test_sigterm_ramps_down_and_turns_off(bench):
    with pytest.raises(Terminated), sigterm_raises(), guarded_outputs(bench.smu, ramp_rate=5.0):
        biased(bench)
        os.kill(os.getpid(), signal.SIGTERM)
    assert_ramped_down_then_off(bench, from_volts=4.0)


def test_sigterm_during_the_ramp_down_is_held_until_it_ends(bench, fake_clock):
    original_sleep = fake_clock.sleep
    fired = []

    def sleep_and_signal(seconds):
        if not fired and bench.output_on and bench.volts < 4.0:
            fired.append(True)
            os.kill(os.getpid(), signal.SIGTERM)
        original_sleep(seconds)

    with pytest.raises(Terminated), sigterm_raises():
        with guarded_outputs(bench.smu, ramp_rate=5.0):
            biased(bench)
            fake_clock.sleep = sleep_and_signal
    assert fired
    assert_ramped_down_then_off(bench, from_volts=4.0)


def test_lost_connection_reconnects_then_ramps_down(bench):
    with pytest.raises(VisaIOError), guarded_outputs(bench.smu, ramp_rate=5.0):
        biased(bench)
        bench.adapters[-1].break_connection()
        bench.smu.measure()
    assert len(bench.adapters) == 2  # a fresh connection was opened
    assert bench.adapters[1].writes[-1] == "OUTPUT 0"
    assert_ramped_down_then_off(bench, from_volts=4.0)


def test_unreachable_instrument_raises_safe_stop_error_naming_it(bench):
    bench.reconnect_works = False
    with pytest.raises(SafeStopError, match="may still be ON for: smu"):
        with guarded_outputs(bench.smu, ramp_rate=5.0):
            biased(bench)
            bench.adapters[-1].break_connection()


def test_limits_refuse_before_any_io(bench):
    smu = LimitedSourceMeter(bench.smu, LIMITS)
    sent = list(bench.writes)
    with pytest.raises(Exception, match=r"limits\.max_voltage"):
        smu.source_voltage(12.0, compliance_current=0.01)
    with pytest.raises(Exception, match=r"limits\.max_current"):
        smu.source_voltage(1.0, compliance_current=0.1)
    assert bench.writes == sent


def test_the_instrument_lock_is_held_for_a_whole_ramp(bench, fake_clock):
    smu = biased(bench, 0.0)
    seen = []
    original_sleep = fake_clock.sleep

    def sleep_and_probe(seconds):
        # Another thread must not get the instrument while the ramp is under way.
        probe = threading.Thread(target=lambda: seen.append(smu.lock.acquire(blocking=False)))
        probe.start()
        probe.join()
        original_sleep(seconds)

    fake_clock.sleep = sleep_and_probe
    smu.ramp_to(2.0, rate=5.0)
    assert seen and not any(seen)


def test_garbage_replies_during_the_stop_still_ramp_down_blind_and_switch_off(bench):
    smu = biased(bench, 4.0)  # the limits wrapper knows it last commanded 4 V
    bench.responder.answers["OUTPUT?"] = lambda _query: "\x15#garbage"
    with guarded_outputs(smu, ramp_rate=5.0):
        pass
    writes = bench.writes
    assert writes[-1] == "OUTPUT 0" and not bench.output_on
    down = levels_after_last_output_on(writes)
    down = down[down.index(4.0):] if 4.0 in down else down
    assert down[-1] == 0.0
    assert max(a - b for a, b in itertools.pairwise(down)) <= 5.0 * 0.05 + 1e-9


def test_ctrl_c_during_a_failing_stop_does_not_hide_the_failure(bench, fake_clock):
    bench.reconnect_works = False
    original_sleep = fake_clock.sleep

    def sleep_and_interrupt(seconds):
        os.kill(os.getpid(), signal.SIGINT)
        original_sleep(seconds)

    with pytest.raises(SafeStopError, match="may still be ON"):
        with guarded_outputs(bench.smu, ramp_rate=5.0):
            biased(bench)
            bench.adapters[-1].break_connection()
            fake_clock.sleep = sleep_and_interrupt  # Ctrl-C while the stop retries
