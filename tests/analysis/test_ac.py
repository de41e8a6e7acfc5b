"""AC-drive analysis against synthetic EL with known amplitude, phase and half-cycle shares."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labctl.analysis.ac import (
    analyze_ac,
    estimate_frequency,
    forward_threshold,
    lock_in,
    phase_average,
)
from labctl.errors import ParameterError

TWO_PI = 2.0 * math.pi


def sine_record(
    f: float,
    phi: float,
    *,
    noise: float = 0.0,
    seed: int = 0,
    duration: float = 1.0137,
    dt: float = 1e-5,
    amplitude: float = 0.5,
    offset: float = 0.2,
    theta: float = 0.37,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drive 3 V cos(wt + theta); EL = offset + amplitude cos(wt + theta - phi) (+ noise)."""
    t = np.arange(0.0, duration, dt)
    w = TWO_PI * f
    drive = 3.0 * np.cos(w * t + theta)
    el = offset + amplitude * np.cos(w * t + theta - phi)
    if noise:
        el = el + noise * np.random.default_rng(seed).standard_normal(t.size)
    return t, el, drive


# ------------------------------------------------------------------------------------------
# Building blocks
# ------------------------------------------------------------------------------------------


def test_lock_in_exact_on_whole_periods() -> None:
    t = np.linspace(0.0, 0.1, 10_001)  # exactly 10 periods of 100 Hz
    y = 0.7 * np.cos(TWO_PI * 100 * t + 0.9) + 0.25
    li = lock_in(t, y, 100.0)
    assert li.amplitude == pytest.approx(0.7, rel=1e-6)
    assert li.phase == pytest.approx(0.9, abs=1e-6)
    assert li.mean == pytest.approx(0.25, abs=1e-6)


def test_lock_in_ignores_harmonics_and_a_partial_last_period() -> None:
    t = np.arange(0.0, 0.1234, 2e-5)
    y = 0.4 * np.cos(TWO_PI * 50 * t - 1.1) + 0.3 * np.cos(TWO_PI * 150 * t) + 1.0
    li = lock_in(t, y, 50.0)
    assert li.amplitude == pytest.approx(0.4, rel=1e-4)
    assert li.phase == pytest.approx(-1.1, abs=1e-4)


@pytest.mark.parametrize("shape", ["sine", "square"])
def test_estimate_frequency(shape: str) -> None:
    f = 73.3
    t = np.arange(0.0, 0.7, 1e-5)
    wave = np.cos(TWO_PI * f * t + 0.2)
    drive = 2.0 * (wave if shape == "sine" else np.sign(wave)) + 0.5
    drive = drive + 0.01 * np.random.default_rng(0).standard_normal(t.size)
    assert estimate_frequency(t, drive) == pytest.approx(f, rel=2e-5)


def test_phase_average_folds_one_period() -> None:
    f, n_bins = 20.0, 50
    # 40 periods, 500 samples per period, offset by half a sample from the bin edges.
    t = (np.arange(20_000) + 0.5) * 1e-4
    phase, mean, count = phase_average(t, np.sin(TWO_PI * f * t), f, n_bins=n_bins)
    assert count.sum() == t.size
    assert count == pytest.approx(np.full(n_bins, t.size / n_bins))
    assert phase == pytest.approx((np.arange(n_bins) + 0.5) / n_bins)
    # The sampling repeats every period: bin b holds phases (k + 1/2)/500, k = 10 b ... 10 b + 9.
    k = np.arange(500).reshape(n_bins, 10) + 0.5
    assert mean == pytest.approx(np.sin(TWO_PI * k / 500).mean(axis=1), abs=1e-9)


def test_forward_threshold() -> None:
    assert forward_threshold(np.array([4.5, 4.5, -3.5, -3.5] * 10)) == 0.0  # bipolar: 0 V
    assert forward_threshold(np.array([5.0, 5.0, 0.0, 0.0] * 10)) == pytest.approx(2.5)


# ------------------------------------------------------------------------------------------
# Sine drive: amplitude and phase lag
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("phi", [0.3, -0.4, 2.5])
@pytest.mark.parametrize(("noise", "seed"), [(0.0, 0), (0.05, 1), (0.05, 2)])
def test_sine_amplitude_and_phase_lag(phi: float, noise: float, seed: int) -> None:
    t, el, drive = sine_record(75.0, phi, noise=noise, seed=seed)
    result = analyze_ac(t, el, drive)
    assert result.value("frequency") == pytest.approx(75.0, rel=1e-5)
    assert result.value("el_amplitude") == pytest.approx(0.5, rel=1e-4 if noise == 0 else 0.01)
    assert result.value("phase_lag") == pytest.approx(phi, abs=1e-4 if noise == 0 else 0.01)
    assert result.value("drive_amplitude") == pytest.approx(3.0, rel=1e-4)
    assert result.value("el_mean") == pytest.approx(0.2, abs=1e-4 if noise == 0 else 2e-3)


def test_given_frequency_is_used() -> None:
    t, el, drive = sine_record(5600.0, 0.8, dt=2e-6, duration=0.02)  # 5.6 kHz, seed example
    result = analyze_ac(t, el, drive, frequency=5600.0)
    assert result.quantities["frequency"].note == "given"
    assert result.value("phase_lag") == pytest.approx(0.8, abs=1e-3)


def test_half_wave_rectified_el() -> None:
    # EL = A max(0, cos(wt - phi)): its fundamental is A/2 at phase phi. Per period, the EL
    # in the reverse half (cos wt < 0) integrates to (1 - cos phi) and the rest to
    # (1 + cos phi), in units of A/w.
    f, phi, amp = 50.0, 0.5, 2.0
    t = np.arange(0.0, 1.0, 1e-5)
    w = TWO_PI * f
    drive = 4.0 * np.cos(w * t)
    el = amp * np.clip(np.cos(w * t - phi), 0.0, None)
    result = analyze_ac(t, el, drive)
    assert result.value("el_amplitude") == pytest.approx(amp / 2, rel=1e-3)
    assert result.value("phase_lag") == pytest.approx(phi, abs=1e-3)
    expected_ratio = (1 + math.cos(phi)) / (1 - math.cos(phi))
    assert result.value("forward_reverse_ratio") == pytest.approx(expected_ratio, rel=0.01)
    assert result.value("reverse_fraction") == pytest.approx((1 - math.cos(phi)) / 2, rel=0.01)


# ------------------------------------------------------------------------------------------
# Square drive: forward/reverse EL and rise within the forward half
# ------------------------------------------------------------------------------------------

F_SQ = 50.0
T_SQ = 1.0 / F_SQ
TAU_R = 2e-3  # s, EL rise time constant in the forward half
A_FWD, B_REV = 1.0, 0.05  # forward plateau, constant reverse-half EL


def square_record(noise: float = 0.0, seed: int = 0, v_fwd: float = 4.5, v_rev: float = -3.5):
    t = np.arange(0.0, 1.0, 1e-5)
    ph = np.mod(t, T_SQ)
    fwd = ph < T_SQ / 2
    drive = np.where(fwd, v_fwd, v_rev)
    el = np.where(fwd, A_FWD * (1 - np.exp(-ph / TAU_R)), B_REV)
    if noise:
        el = el + noise * np.random.default_rng(seed).standard_normal(t.size)
    return t, el, drive


@pytest.mark.parametrize(("noise", "seed"), [(0.0, 0), (0.01, 0), (0.05, 1), (0.05, 2)])
def test_square_forward_reverse_ratio_and_rise(noise: float, seed: int) -> None:
    t, el, drive = square_record(noise, seed)
    result = analyze_ac(t, el, drive)
    half = T_SQ / 2
    forward = A_FWD * (half - TAU_R * (1 - math.exp(-half / TAU_R)))
    reverse = B_REV * half
    assert result.value("forward_reverse_ratio") == pytest.approx(forward / reverse, rel=0.02)
    top = A_FWD * (1 - math.exp(-half / TAU_R))  # the highest EL of the forward half
    t10 = -TAU_R * math.log(1 - 0.1 * top / A_FWD)
    t90 = -TAU_R * math.log(1 - 0.9 * top / A_FWD)
    assert result.value("rise_time") == pytest.approx(t90 - t10, rel=0.10 if noise else 0.01)
    bin_width = T_SQ / result.extras["phase"].size
    assert result.value("onset_delay") == pytest.approx(t10, abs=0.05 * t10 + 2 * bin_width)


def test_unipolar_drive_without_reverse_el() -> None:
    t, el, drive = square_record(noise=0.01, v_fwd=5.0, v_rev=0.0)
    el = np.where(drive > 2.5, el, 0.01 * np.random.default_rng(9).standard_normal(t.size))
    result = analyze_ac(t, el, drive)
    assert result.value("forward_reverse_ratio") is None
    assert any(w.startswith("forward_reverse_ratio:") for w in result.warnings)
    assert result.value("reverse_fraction") == pytest.approx(0.0, abs=1e-3)


def test_no_el_gives_no_phase() -> None:
    t, _, drive = sine_record(75.0, 0.0)
    el = 0.01 * np.random.default_rng(3).standard_normal(t.size)
    result = analyze_ac(t, el, drive)
    assert result.value("phase_lag") is None
    assert result.value("rise_time") is None
    assert any(w.startswith("phase_lag:") for w in result.warnings)


def test_dark_level_is_subtracted() -> None:
    t, el, drive = square_record()
    shifted = analyze_ac(t, el + 0.3, drive, dark_level=0.3)
    plain = analyze_ac(t, el, drive)
    assert shifted.value("forward_reverse_ratio") == pytest.approx(
        plain.value("forward_reverse_ratio"), rel=1e-9
    )


def test_bad_input_raises() -> None:
    t = np.arange(0.0, 1.0, 1e-3)
    drive = np.cos(TWO_PI * 200 * t)  # 5 samples per period
    with pytest.raises(ParameterError, match="samples per period"):
        analyze_ac(t, drive, drive)
    with pytest.raises(ParameterError, match="constant"):
        analyze_ac(t, drive, np.zeros_like(t))
    with pytest.raises(ParameterError, match="shorter than one period"):
        analyze_ac(t, drive, drive, frequency=0.5)


def test_bidirectional_el_appears_at_twice_the_frequency() -> None:
    # |cos wt| emission (both half-cycles alike): nothing at f, 4/(3 pi) at 2f.
    t = np.arange(0.0, 0.5, 1e-5)
    w = TWO_PI * 40.0
    result = analyze_ac(t, np.abs(np.cos(w * t)), np.cos(w * t))
    assert result.value("el_amplitude") == pytest.approx(0.0, abs=1e-4)
    assert result.value("el_amplitude_2f") == pytest.approx(4.0 / (3.0 * math.pi), rel=1e-3)
    assert result.value("phase_lag") is None
    assert result.value("forward_reverse_ratio") == pytest.approx(1.0, rel=1e-3)
