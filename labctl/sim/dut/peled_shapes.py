"""Shapes of the PeLED's transient and stress responses, and the solvers that fit their
constants to the parameters a user sets (rise time, overshoot, T50)."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq, fsolve

from labctl.errors import ParameterError


def _first_crossing(t: np.ndarray, curve: np.ndarray, level: float, start: int) -> float:
    """First time after index ``start`` at which ``curve`` falls to ``level`` (interpolated)."""
    below = np.nonzero(curve[start:] <= level)[0]
    if not below.size:
        return math.nan
    k = start + int(below[0])
    if k == 0:
        return float(t[0])
    return float(np.interp(level, [curve[k], curve[k - 1]], [t[k], t[k - 1]]))


def rise_shape(s: np.ndarray, tau_r: float, amp: float, tau_os: float) -> np.ndarray:
    """Leading edge after the onset: (1 − e^{−s/τ_r}) (1 + A e^{−s/τ_os}), plateau 1."""
    return -np.expm1(-s / tau_r) * (1.0 + amp * np.exp(-s / tau_os))


def _peak(tau_r: float, amp: float, tau_os: float) -> tuple[float, float]:
    s = np.geomspace(tau_r * 1e-3, 30 * max(tau_os, tau_r), 6000)
    y = rise_shape(s, tau_r, amp, tau_os)
    k = int(np.argmax(y))
    fine = np.linspace(s[max(k - 1, 0)], s[min(k + 1, s.size - 1)], 401)
    yf = rise_shape(fine, tau_r, amp, tau_os)
    kf = int(np.argmax(yf))
    return float(fine[kf]), float(yf[kf])


def _crossing(tau_r: float, amp: float, tau_os: float, level: float) -> float:
    """s at which the leading edge first reaches ``level`` (plateau = 1)."""
    high = tau_r
    while rise_shape(np.array([high]), tau_r, amp, tau_os)[0] < level:
        high *= 2
    return float(brentq(lambda x: rise_shape(np.array([x]), tau_r, amp, tau_os)[0] - level,
                        0.0, high, xtol=tau_r * 1e-9))


def _rise_10_90(tau_r: float, amp: float, tau_os: float) -> float:
    return _crossing(tau_r, amp, tau_os, 0.9) - _crossing(tau_r, amp, tau_os, 0.1)


def solve_rise_and_overshoot(rise_time: float, ratio: float, tau_os: float) -> tuple[float, float]:
    """(τ_r, A) giving a 10–90 % (of the plateau) rise of ``rise_time`` and a peak/plateau of
    ``ratio`` for the leading edge (1 − e^{−s/τ_r})(1 + A e^{−s/τ_os})."""
    if ratio <= 1.0 + 1e-12:
        return rise_time / math.log(9.0), 0.0

    def amplitude(tau_r: float) -> float:
        def excess(amp: float) -> float:
            return _peak(tau_r, amp, tau_os)[1] - ratio

        high = ratio
        while excess(high) < 0:
            high *= 2
        return float(brentq(excess, 0.0, high, xtol=1e-10))

    def mismatch(tau_r: float) -> float:
        return _rise_10_90(tau_r, amplitude(tau_r), tau_os) - rise_time

    # A strong overshoot speeds the 10–90 % rise up, so τ_r may need to exceed the rise time.
    low, high = rise_time * 0.05, rise_time * 2.0
    while mismatch(high) < 0 and high < 100 * rise_time:
        low, high = high, high * 2
    try:
        tau_r = float(brentq(mismatch, low, high, xtol=rise_time * 1e-7))
    except ValueError as exc:
        raise ParameterError(
            "sim.dut: cannot combine rise_time, overshoot_ratio and overshoot_time; make "
            "overshoot_time longer than the rise time"
        ) from exc
    return tau_r, amplitude(tau_r)


def stress_shape(t: np.ndarray, a: float, tau_x: float, tau: float, beta: float,
                 phi: float) -> np.ndarray:
    """L(t)/L(0) under the reference DC stress: (1 + a(1 − e^{−t/τx})) exp(−(θ/τ)^β),
    θ = t − φ τ_x (1 − e^{−t/τx})."""
    grow = -np.expm1(-t / tau_x)
    theta = np.maximum(t - phi * tau_x * grow, 0.0)
    return (1.0 + a * grow) * np.exp(-((theta / tau) ** beta))


def solve_stress_constants(ratio: float, t_peak: float, t50: float, beta: float,
                           phi: float) -> tuple[float, float, float]:
    """(a, τ_x, τ) such that :func:`stress_shape` peaks at ``ratio`` at ``t_peak`` and is 0.5 at
    ``t50``. With no overshoot, τ_x = ``t_peak`` and only τ is solved (in closed form)."""
    if ratio <= 1.0 + 1e-9:
        tau_x = t_peak
        theta = t50 - phi * tau_x * (-math.expm1(-t50 / tau_x))
        return 0.0, tau_x, theta / math.log(2.0) ** (1.0 / beta)

    def residuals(params: np.ndarray) -> list[float]:
        a, tau_x, tau = np.exp(params)
        e = math.exp(-t_peak / tau_x)
        theta = t_peak - phi * tau_x * (1 - e)
        slope_boost = a * e / (tau_x * (1 + a * (1 - e)))
        slope_decay = beta * theta ** (beta - 1) * (1 - phi * e) / tau**beta
        e50 = math.exp(-t50 / tau_x)
        theta50 = t50 - phi * tau_x * (1 - e50)
        return [
            math.log(1 + a * (1 - e)) - (theta / tau) ** beta - math.log(ratio),
            t_peak * (slope_boost - slope_decay),
            math.log(1 + a * (1 - e50)) - (theta50 / tau) ** beta - math.log(0.5),
        ]

    guess = np.log([
        (ratio - 1) * 1.5,
        t_peak / 3,
        t50 / math.log(2 * ratio) ** (1 / beta),
    ])
    solution, _, status, _ = fsolve(residuals, guess, full_output=True, xtol=1e-12)
    a, tau_x, tau = (float(x) for x in np.exp(solution))
    t = np.geomspace(t_peak * 1e-4, t50 * 10, 40001)
    curve = stress_shape(t, a, tau_x, tau, beta, phi)
    k = int(np.argmax(curve))
    if (
        status != 1
        or max(abs(r) for r in residuals(solution)) > 1e-8
        or abs(curve[k] / ratio - 1) > 1e-3
        or abs(t[k] / t_peak - 1) > 0.01
    ):
        raise ParameterError(
            "sim.dut: luminance_overshoot, time_to_peak and t50 cannot be met together; "
            "time_to_peak must be well below t50"
        )
    return a, tau_x, tau
