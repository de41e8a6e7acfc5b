"""Lifetime analysis against a luminance curve built from a known stretched exponential."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labctl.analysis.lifetime import (
    analyze_lifetime,
    fit_stretched_exponential,
    stretched_exponential,
)
from labctl.errors import ParameterError

H = 3600.0  # s per hour
L0, L_PEAK, T_PEAK = 100.0, 115.0, 0.5 * H  # cd/m², overshoot by 15 % after 30 min
TAU, BETA = 20.0 * H, 0.7


def luminance(t: np.ndarray, *, l0: float = L0, l_peak: float = L_PEAK, t_peak: float = T_PEAK):
    """Parabolic rise from l0 to l_peak (zero slope at the peak), then eq. L3."""
    rise = l_peak - (l_peak - l0) * (1.0 - t / t_peak) ** 2 if t_peak > 0 else 0 * t
    x = np.clip(t - t_peak, 0.0, None) / TAU
    return np.where(t < t_peak, rise, l_peak * np.exp(-(x**BETA)))


def t_x(fraction: float, reference: float, *, l_peak: float = L_PEAK, t_peak: float = T_PEAK):
    """Time at which eq. L3 falls to fraction x reference (eq. L4), from t = 0."""
    return t_peak + TAU * math.log(l_peak / (fraction * reference)) ** (1.0 / BETA)


def record(hours: float, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0.0, hours * H, n)
    y = luminance(t)
    if noise:
        y = y + noise * L0 * np.random.default_rng(seed).standard_normal(n)
    return t, y


CASES = [(0.0, 0)] + [(noise, seed) for noise in (0.005, 0.01) for seed in (0, 1, 2)]


@pytest.mark.parametrize(("noise", "seed"), CASES)
def test_thresholds_from_initial_and_peak(noise: float, seed: int) -> None:
    t, y = record(40.0, 5000, noise, seed)
    result = analyze_lifetime(t, y)
    tol = 0.002 if noise == 0 else 0.10
    for pct, frac in ((50, 0.5), (80, 0.8), (95, 0.95)):
        assert result.value(f"t{pct}") == pytest.approx(t_x(frac, L0), rel=tol), pct
        assert result.value(f"t{pct}_from_peak") == pytest.approx(t_x(frac, L_PEAK), rel=tol), pct
    # T50 was reached: the fitted value agrees and is not called an extrapolation.
    assert result.value("t50_extrapolated") == pytest.approx(t_x(0.5, L0), rel=tol)
    assert "within the data" in result.quantities["t50_extrapolated"].note
    assert not any(w.startswith("t50_extrapolated:") for w in result.warnings)


@pytest.mark.parametrize(("noise", "seed"), CASES)
def test_overshoot_ratio_and_time_to_peak(noise: float, seed: int) -> None:
    t, y = record(40.0, 5000, noise, seed)
    result = analyze_lifetime(t, y)
    assert result.value("initial_luminance") == pytest.approx(L0, rel=0.002 + noise)
    assert result.value("overshoot_ratio") == pytest.approx(L_PEAK / L0, rel=0.002 + 2 * noise)
    # The top of a rounded peak is flat within the noise, so its time is loose (see the note).
    tol = 0.01 if noise == 0 else 0.25
    assert result.value("time_to_peak") == pytest.approx(T_PEAK, rel=tol)
    span = result.extras["peak_time_span"]
    assert span[0] <= result.value("time_to_peak") <= span[1]


@pytest.mark.parametrize(("noise", "seed"), [(0.0, 0), (0.005, 0), (0.01, 1), (0.01, 2)])
def test_t50_extrapolated_when_not_reached(noise: float, seed: int) -> None:
    t, y = record(8.0, 2000, noise, seed)  # stops at ~half of T50 (15.9 h)
    result = analyze_lifetime(t, y)
    assert result.value("t50") is None
    assert any(w.startswith("t50:") for w in result.warnings)
    value = result.value("t50_extrapolated")
    assert value == pytest.approx(t_x(0.5, L0), rel=0.002 if noise == 0 else 0.10)
    assert "EXTRAPOLATED" in result.quantities["t50_extrapolated"].note
    assert any(w.startswith("t50_extrapolated:") for w in result.warnings)
    # Reached thresholds are still measured.
    assert result.value("t80") == pytest.approx(t_x(0.8, L0), rel=0.002 if noise == 0 else 0.10)
    assert result.value("stretch_beta") == pytest.approx(BETA, rel=0.002 if noise == 0 else 0.10)
    assert result.value("stretch_tau") == pytest.approx(TAU, rel=0.002 if noise == 0 else 0.15)


def test_extrapolation_too_far_is_refused() -> None:
    t, y = record(2.0, 2000, 0.0, 0)  # T50 is 8x the record: allowed at 10x, refused at 5x
    assert analyze_lifetime(t, y).value("t50_extrapolated") == pytest.approx(t_x(0.5, L0), rel=0.01)
    result = analyze_lifetime(t, y, max_extrapolation=5.0)
    assert result.value("t50_extrapolated") is None
    assert any("too far" in w for w in result.warnings)


def test_no_overshoot_monotonic_decay() -> None:
    t = np.linspace(0.0, 40.0 * H, 4000)
    y = stretched_exponential(t, L0, 0.0, TAU, BETA)
    result = analyze_lifetime(t, y)
    assert result.value("time_to_peak") is None
    assert any(w.startswith("time_to_peak:") for w in result.warnings)
    assert result.value("overshoot_ratio") == pytest.approx(1.0, abs=1e-3)
    expected = TAU * math.log(2.0) ** (1.0 / BETA)
    assert result.value("t50") == pytest.approx(expected, rel=0.002)
    assert result.value("t50_from_peak") == pytest.approx(expected, rel=0.002)


def test_too_little_decay_refuses_the_fit() -> None:
    t = np.linspace(0.0, 0.2 * H, 500)  # 12 minutes: still rising to the peak
    y = luminance(t)
    result = analyze_lifetime(t, y)
    assert result.value("stretch_beta") is None
    assert result.value("t50_extrapolated") is None
    assert result.value("t95") is None
    assert any(w.startswith("peak_luminance:") for w in result.warnings)


def test_fit_stretched_exponential_exact() -> None:
    t = np.linspace(T_PEAK, 60.0 * H, 3000)
    fit = fit_stretched_exponential(t, stretched_exponential(t, L_PEAK, T_PEAK, TAU, BETA), T_PEAK)
    assert fit is not None
    assert (fit.l_peak, fit.tau, fit.beta) == pytest.approx((L_PEAK, TAU, BETA), rel=1e-6)
    assert fit.time_to(0.5 * L0) == pytest.approx(t_x(0.5, L0), rel=1e-6)
    assert fit.time_to(2 * L_PEAK) is None


def test_bad_input_raises() -> None:
    t = np.linspace(0.0, 10.0, 50)
    with pytest.raises(ParameterError):
        analyze_lifetime(t, -np.ones(50))
    with pytest.raises(ParameterError, match="max_extrapolation"):
        analyze_lifetime(t, np.ones(50), max_extrapolation=0.5)


def test_units_and_serialisation() -> None:
    t, y = record(40.0, 2000, 0.005, 0)
    data = analyze_lifetime(t, y).to_json()
    assert data["results"]["t50"]["unit"] == "s"
    assert data["results"]["initial_luminance"]["unit"] == "cd/m**2"
    assert data["results"]["overshoot_ratio"]["unit"] == ""
