"""Bias-response analysis against exponential steps built from known time constants."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labctl.analysis.timeseries import (
    analyze_bias_response,
    find_crossing,
    fit_exponential_step,
    moving_average,
    noise_sigma,
    quench_ratio,
    recovered_fraction,
    rise_edges,
)
from labctl.errors import ParameterError

I0 = 1.0  # baseline PL
Q = 0.6  # steady biased level (quench)
TAU_ON, TAU_OFF = 10.0, 25.0  # s
REST_LEVEL = 0.9  # asymptote at rest: 0.1 is lost for good
ON, OFF, END = 50.0, 150.0, 300.0


def protocol(
    t: np.ndarray,
    *,
    biased: float = Q,
    tau_on: float = TAU_ON,
    tau_off: float = TAU_OFF,
    rest: float = REST_LEVEL,
    on: float = ON,
    off: float = OFF,
    jump: float = 0.0,
) -> tuple[np.ndarray, dict[str, float]]:
    """Baseline I0, relaxation to ``biased`` (after an instant ``jump``), recovery to ``rest``."""
    y = np.full_like(t, I0)
    b = (t >= on) & (t < off)
    start = I0 + jump
    y[b] = biased + (start - biased) * np.exp(-(t[b] - on) / tau_on)
    i_bias_end = biased + (start - biased) * math.exp(-(off - on) / tau_on)
    p = t >= off
    y[p] = rest + (i_bias_end - rest) * np.exp(-(t[p] - off) / tau_off)
    i_rest_end = rest + (i_bias_end - rest) * math.exp(-(t[-1] - off) / tau_off)
    expected = {
        "baseline": I0,
        "quench_ratio": biased / I0,
        "response_time": tau_on,
        "recovery_time": tau_off,
        "biased_end": i_bias_end,
        "rest_end": i_rest_end,
        "recovered_fraction": (i_rest_end - i_bias_end) / (I0 - i_bias_end),
        "recovered_fraction_asymptotic": (rest - i_bias_end) / (I0 - i_bias_end),
        "total_change": (i_bias_end - I0) / I0,
        "reversible_change": (i_bias_end - i_rest_end) / I0,
        "irreversible_change": (i_rest_end - I0) / I0,
    }
    return y, expected


# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------


def test_find_crossing_interpolates_exactly_without_noise() -> None:
    t = np.linspace(0.0, 1.0, 11)
    y = 2.0 * t  # crosses 0.5 at t = 0.25
    c = find_crossing(t, y, 0.5)
    assert c is not None
    assert c.time == pytest.approx(0.25, abs=1e-12)
    assert c.index == 3
    down = find_crossing(t, 2.0 - y, 0.5, rising=False)
    assert down is not None and down.time == pytest.approx(0.75, abs=1e-12)
    assert find_crossing(t, y, 5.0) is None
    assert find_crossing(t, y + 1.0, 0.5) is None  # above the level from the start


def test_find_crossing_with_hysteresis_ignores_excursions_inside_the_band() -> None:
    t = np.linspace(0.0, 10.0, 10_001)
    rng = np.random.default_rng(3)
    y = np.clip(t - 5.0, 0.0, None) + 0.02 * rng.standard_normal(t.size)
    y[1000] = 0.35  # crosses the level 0.3 long before t = 5.3 but not the 0.4 confirmation
    c = find_crossing(t, y, 0.3, hysteresis=0.1)
    assert c is not None
    assert c.time == pytest.approx(5.3, abs=0.02)
    # Without hysteresis the excursion counts: that is why the analyses smooth first and
    # confirm with a band of 3 smoothed sigmas.
    plain = find_crossing(t, y, 0.3)
    assert plain is not None and plain.time < 1.01


def test_noise_sigma_and_moving_average() -> None:
    rng = np.random.default_rng(0)
    y = np.linspace(0, 1, 100_000) + 0.05 * rng.standard_normal(100_000)
    assert noise_sigma(y) == pytest.approx(0.05, rel=0.02)
    ramp = np.arange(100.0)
    assert moving_average(ramp, 9)[10:-10] == pytest.approx(ramp[10:-10])  # centred: no shift


def test_rise_edges_of_a_linear_ramp() -> None:
    t = np.linspace(0.0, 10.0, 10_001)
    y = np.clip((t - 2.0) / 4.0, 0.0, 1.0)  # 0 -> 1 between t = 2 and 6
    edges = rise_edges(t, y, 0.0, 1.0, 0.0)
    assert edges.onset is not None and edges.t90 is not None
    assert edges.onset.time == pytest.approx(2.2, abs=1e-9)
    assert edges.t90.time == pytest.approx(5.6, abs=1e-9)


def test_fit_exponential_step_recovers_known_parameters() -> None:
    t = np.linspace(0.0, 60.0, 2001)
    y = 0.3 + 0.7 * np.exp(-t / 8.0)
    fit = fit_exponential_step(t, y, 0.0)
    assert fit is not None
    assert (fit.initial, fit.final, fit.tau) == pytest.approx((1.0, 0.3, 8.0), rel=1e-6)
    assert fit.settled
    noisy = y + 0.01 * np.random.default_rng(1).standard_normal(t.size)
    fit = fit_exponential_step(t, noisy, 0.0)
    assert fit is not None and fit.tau == pytest.approx(8.0, rel=0.05)


def test_ratio_helpers() -> None:
    assert quench_ratio(2.0, 1.0) == 0.5
    assert quench_ratio(0.0, 1.0) is None
    assert recovered_fraction(1.0, 0.6, 0.9) == pytest.approx(0.75)
    assert recovered_fraction(1.0, 1.0, 0.9) is None


# ------------------------------------------------------------------------------------------
# Protocol analysis
# ------------------------------------------------------------------------------------------

NAMES = (
    "quench_ratio",
    "response_time",
    "recovery_time",
    "recovered_fraction",
    "recovered_fraction_asymptotic",
)


@pytest.mark.parametrize(("noise", "seed"), [(0.0, 0), (0.005, 0), (0.01, 1), (0.01, 2)])
def test_quench_and_recovery_against_truth(noise: float, seed: int) -> None:
    t = np.linspace(0.0, END, 3001)
    y, exp = protocol(t)
    y = y + noise * np.random.default_rng(seed).standard_normal(t.size)
    result = analyze_bias_response(t, y, ON, OFF)
    tol = 1e-4 if noise == 0 else 0.05
    for name in NAMES:
        assert result.value(name) == pytest.approx(exp[name], rel=tol), name
    names = ("total_change", "reversible_change", "irreversible_change")
    changes = [result.value(n) for n in names]
    assert None not in changes
    total, reversible, irreversible = changes
    assert total == pytest.approx(reversible + irreversible, abs=1e-12)  # eq. TS4
    assert irreversible == pytest.approx(exp["irreversible_change"], abs=tol * 0.2 + 1e-6)
    if noise == 0:
        assert result.warnings == []


def test_enhancement_gives_ratio_above_one() -> None:
    t = np.linspace(0.0, END, 3001)
    y, exp = protocol(t, biased=1.5, rest=1.0)
    result = analyze_bias_response(t, y, ON, OFF)
    assert result.value("quench_ratio") == pytest.approx(1.5, rel=1e-4)
    assert result.value("recovered_fraction") == pytest.approx(exp["recovered_fraction"], rel=1e-4)


def test_instant_jump_plus_slow_relaxation() -> None:
    # Half of the quench happens at once when the bias turns on, the rest with tau = 10 s.
    t = np.linspace(0.0, END, 3001)
    y, exp = protocol(t, jump=-0.2)
    result = analyze_bias_response(t, y, ON, OFF)
    assert result.value("response_time") == pytest.approx(TAU_ON, rel=1e-4)
    assert result.value("quench_ratio") == pytest.approx(exp["quench_ratio"], rel=1e-4)


def test_bias_too_short_for_steady_state_is_flagged() -> None:
    t = np.linspace(0.0, END, 3001)
    off = ON + 20.0  # 2 response time constants
    y, exp = protocol(t, tau_on=10.0, off=off)
    result = analyze_bias_response(t, y, ON, off)
    assert result.value("biased_steady") is None
    assert result.value("response_time") == pytest.approx(10.0, rel=1e-3)
    # The ratio is then the end-of-bias level over the baseline, with a warning.
    assert result.value("quench_ratio") == pytest.approx(exp["biased_end"] / I0, rel=1e-4)
    assert any(w.startswith("quench_ratio:") for w in result.warnings)
    assert any(w.startswith("response_time:") and "settled" in w for w in result.warnings)


def test_no_response_gives_no_time_constant() -> None:
    t = np.linspace(0.0, END, 3001)
    y = I0 + 0.01 * np.random.default_rng(4).standard_normal(t.size)
    result = analyze_bias_response(t, y, ON, OFF)
    assert result.value("response_time") is None
    assert result.value("recovered_fraction") is None
    assert any(w.startswith("response_time:") for w in result.warnings)
    assert any(w.startswith("recovered_fraction:") for w in result.warnings)
    assert result.value("quench_ratio") == pytest.approx(1.0, abs=0.01)


def test_time_constant_longer_than_the_segment_is_refused() -> None:
    t = np.linspace(0.0, END, 3001)
    y, _ = protocol(t, tau_on=1000.0)  # 100 s of bias against tau = 1000 s: a straight line
    result = analyze_bias_response(t, y, ON, OFF)
    assert result.value("response_time") is None
    assert any("exceeds" in w for w in result.warnings if w.startswith("response_time:"))


def test_bad_bias_times_raise() -> None:
    t = np.linspace(0.0, END, 301)
    y = np.ones_like(t)
    with pytest.raises(ParameterError, match="bias_on"):
        analyze_bias_response(t, y, OFF, ON)
    with pytest.raises(ParameterError, match="within the record"):
        analyze_bias_response(t, y, ON, END + 10)
