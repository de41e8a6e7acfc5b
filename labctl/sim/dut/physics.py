"""Physics shared by the simulated devices: the diode equation in closed form, photopic
weighting, emission bands, and exact relaxation steps for slow states."""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter
from scipy.special import wrightomega

from labctl.sim.dut.base import (
    C_LIGHT,
    Drive,
    H,
)

#: lm/W, maximum luminous efficacy of radiation for photopic vision (at 555 nm).
K_M = 683.002
#: Gaussian area per FWHM: ∫ exp(−4 ln2 x²/w²) dx = w √(π / (4 ln 2)).
_GAUSS_AREA = math.sqrt(math.pi / (4 * math.log(2)))
#: Samples per period when averaging a periodic drive.
_PERIOD_SAMPLES = 2048


# -- shared physics helpers (also used by the solar-cell and lateral-film models) ----------------
def single_diode_current(
    voltage: float | np.ndarray,
    i0: float | np.ndarray,
    a: float,
    rs: float,
    rsh: float,
    iph: float | np.ndarray = 0.0,
) -> float | np.ndarray:
    """A into the device terminals: I = I₀[e^{(V − I R_s)/a} − 1] + (V − I R_s)/R_sh − I_ph.

    Closed form via the Lambert W function (Jain & Kapoor 2004); W(eᶻ) = ω(z), the Wright omega
    function, so that large forward bias never overflows. ``a`` = n k_B T / q (V); resistances in
    Ω (``rsh`` may be ``math.inf``); ``iph`` is the photocurrent (A, ≥ 0). ``i0`` and ``iph`` may
    be arrays matching ``voltage``.
    """
    v = np.asarray(voltage, dtype=float)
    g = 1.0 / rsh if math.isfinite(rsh) else 0.0
    if rs <= 0.0:
        result = i0 * np.expm1(np.minimum(v / a, 700.0)) + v * g - iph
    else:
        k = 1.0 + rs * g
        b = (v * g - i0 - iph) / k
        z = np.log(i0 * rs / (k * a)) + (v - b * rs) / a
        result = b + (a / rs) * wrightomega(z)
    return float(result) if np.ndim(result) == 0 else result


def single_diode_voltage(
    current: float | np.ndarray,
    i0: float,
    a: float,
    rs: float,
    rsh: float,
    iph: float = 0.0,
) -> float | np.ndarray:
    """V that drives ``current`` (A) through the diode of :func:`single_diode_current`.

    The junction voltage solves I + I₀ + I_ph = I₀ e^{V_j/a} + V_j/R_sh, again in closed form:
    V_j = R_sh c − a ω(ln(I₀ R_sh / a) + R_sh c / a), c = I + I₀ + I_ph; then V = V_j + I R_s.
    """
    i = np.asarray(current, dtype=float)
    c = i + i0 + iph
    if math.isfinite(rsh):
        vj = rsh * c - a * wrightomega(math.log(i0 * rsh / a) + rsh * c / a)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            vj = np.where(c > 0, a * np.log(np.maximum(c, 1e-300) / i0), -np.inf)
    result = vj + i * rs
    return float(result) if np.ndim(result) == 0 else result


def photopic_efficiency(wavelength: float | np.ndarray) -> np.ndarray:
    """CIE 1931 photopic luminous efficiency V(λ) (= ȳ(λ)); ``wavelength`` in m.

    Multi-lobe piecewise-Gaussian fit of Wyman, Sloan & Shirley, "Simple analytic approximations to
    the CIE XYZ color matching functions", J. Comput. Graph. Tech. 2(2), 1 (2013):
    ȳ = 0.821 g(λ; 568.8, 46.9, 40.5) + 0.286 g(λ; 530.9, 16.3, 31.1) (nm), within ~1 % of the
    table near its peak.
    """
    nm = np.asarray(wavelength, dtype=float) * 1e9
    t1 = (nm - 568.8) * np.where(nm < 568.8, 0.0213, 0.0247)
    t2 = (nm - 530.9) * np.where(nm < 530.9, 0.0613, 0.0322)
    return 0.821 * np.exp(-0.5 * t1 * t1) + 0.286 * np.exp(-0.5 * t2 * t2)


def band_spectrum(wavelength: np.ndarray, bands: list[tuple[float, float, float]]) -> np.ndarray:
    """Photon-number spectral density (1/m) of Gaussian bands (photon fraction, centre, FWHM).

    Each band integrates to its photon fraction over wavelength.
    """
    wl = np.asarray(wavelength, dtype=float)
    out = np.zeros_like(wl)
    for weight, centre, fwhm in bands:
        if weight > 0:
            out += weight * np.exp(-4 * math.log(2) * ((wl - centre) / fwhm) ** 2) / (
                fwhm * _GAUSS_AREA
            )
    return out


def band_figures(bands: list[tuple[float, float, float]]) -> tuple[float, float]:
    """(mean photon energy in J, luminous efficacy of the radiation in lm/W) of the bands."""
    photons = energy = lumens = 0.0
    for weight, centre, fwhm in bands:
        if weight <= 0:
            continue
        wl = np.linspace(centre - 4 * fwhm, centre + 4 * fwhm, 801)
        wl = wl[wl > 1e-9]
        density = band_spectrum(wl, [(weight, centre, fwhm)])
        e_photon = H * C_LIGHT / wl
        photons += float(np.trapezoid(density, wl))
        energy += float(np.trapezoid(density * e_photon, wl))
        lumens += K_M * float(np.trapezoid(density * e_photon * photopic_efficiency(wl), wl))
    if photons <= 0 or energy <= 0:
        return H * C_LIGHT / 550e-9, 0.0
    return energy / photons, lumens / energy


def lowpass(x: np.ndarray, tau: float, dt: float, y0: float) -> np.ndarray:
    """First-order low-pass y_k = a y_{k−1} + (1 − a) x_k, a = e^{−dt/τ}, y_{−1} = y0."""
    if tau <= 0 or x.size == 0:
        return np.array(x, dtype=float)
    a = math.exp(-dt / tau)
    y, _ = lfilter([1.0 - a], [1.0, -a], x, zi=[a * y0])
    return y


def decay_filter(u: np.ndarray, tau: float, dt: float,
                 speed: np.ndarray | None = None) -> np.ndarray:
    """A population that follows a rising ``u`` and decays as e^{−t/τ} once ``u`` falls faster.

    n_k = max(u_k, e^{−s_k dt/τ} n_{k−1}), n_{−1} = u_0: injection fills the emitting population up
    to its driven level u at once (the rise is set upstream), and without drive it decays with
    τ / s_k (``speed`` s ≥ 1, e.g. sweep-out by a reverse field; default 1); it never exceeds
    the driven level, so fast repetition cannot pile it up. Vectorised in log space:
    n_k = e^{−R_k} max_{j≤k} u_j e^{R_j}, R_k = Σ_{i≤k} s_i dt/τ.
    """
    if tau <= 0 or u.size == 0:
        return np.array(u, dtype=float)
    steps = np.ones(u.size) if speed is None else np.asarray(speed, dtype=float)
    ramp = np.cumsum(steps) * (dt / tau)
    with np.errstate(divide="ignore"):
        log_u = np.log(np.maximum(u, 0.0))
    return np.exp(np.maximum.accumulate(log_u + ramp) - ramp)


def relax(x0: float, target: float, tau: float, dt: float) -> float:
    """x after ``dt`` of dx/dt = (target − x)/τ: exact for any step length."""
    if tau <= 0:
        return target
    return target + (x0 - target) * math.exp(-dt / tau)


def positive_integral(x0: float, target: float, tau: float, dt: float) -> float:
    """∫₀^dt max(x(t), 0) dt for x relaxing exponentially from x0 towards ``target``."""
    if dt <= 0:
        return 0.0
    if tau <= 0:
        return max(target, 0.0) * dt

    def integral(t: float) -> float:
        return target * t + (x0 - target) * tau * (-math.expm1(-t / tau))

    if x0 >= 0 and target >= 0:
        return integral(dt)
    if x0 <= 0 and target <= 0:
        return 0.0
    # x crosses zero once, at t* with x(t*) = 0.
    crossing = tau * math.log((x0 - target) / (0.0 - target))
    if x0 > 0:  # positive until the crossing
        return integral(min(crossing, dt))
    if crossing >= dt:
        return 0.0
    return integral(dt) - integral(crossing)


def dc_level(drive: Drive) -> float | None:
    """The DC voltage on the device, or None while a periodic waveform drives it.

    An SMU level wins over the generator, as on the bench; a generator in DC mode (or at no
    frequency) is a DC level too."""
    waveform = drive.waveform
    if drive.voltage != 0.0 or waveform is None:
        return drive.voltage
    frequency = getattr(waveform, "frequency", 0.0)
    if getattr(waveform, "shape", "") == "dc" or not 0 < frequency < math.inf:
        return float(waveform.high)
    return None


def waveform_samples(waveform: object, samples: int = _PERIOD_SAMPLES) -> np.ndarray:
    """Voltages of one period of a :class:`~labctl.sim.waveform.PeriodicDrive`."""
    period = float(waveform.period)  # type: ignore[attr-defined]
    t = np.arange(samples) * (period / samples)
    return np.asarray(waveform.sample(t), dtype=float)  # type: ignore[attr-defined]


# -- parameters ----------------------------------------------------------------------------------
