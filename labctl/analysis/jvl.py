"""LED J–V–L analysis: turn-on voltage, current efficiency, EQE, power efficacy and roll-off.

Conventions (SI): voltage in V, current in A, area in m², current density J in A/m², luminance
L in cd/m², wavelengths in m, responsivity in A/W. EQE and fractions are dimensionless.

Equations:

- turn-on voltage V_on: the voltage at which L reaches 1 cd/m², interpolated linearly in log L;
- current efficiency η_CE = L / J in cd/A;
- luminous efficacy η_P = π L / (J V) in lm/W (Lambertian emitter: luminous exitance π L);
- EQE from a calibrated photodiode, which collects a fraction f_geo of the emitted photons and
  has responsivity R(λ) (A/W), for an emission spectrum s(λ) in power units:
  P_opt = I_pd / (f_geo ∫ s R dλ / ∫ s dλ) and
  EQE = (q / I) · P_opt · (∫ s λ dλ / ∫ s dλ) / (h c)                                     (1)
  which reduces to EQE = q λ I_pd / (h c R f_geo I) for a narrow line at λ;
- EQE from luminance and the EL spectrum, for a Lambertian emitter (photon flux per area from
  the luminous exitance π L, K_m = 683 lm/W, V(λ) the CIE 1924 photopic efficiency):
  EQE = π L q ∫ s λ dλ / (K_m h c J ∫ V s dλ)                                              (2)
  (e.g. Anaya et al., Nat. Photonics 13, 818 (2019), on PeLED EQE measurement; a non-Lambertian
  angular profile needs the measured angular factor instead of π);
- roll-off: J_50, the current density above the EQE maximum at which the EQE has fallen to half
  of it (interpolated in log J), when the scan reaches it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import constants
from scipy.integrate import trapezoid

from labctl.analysis.results import AnalysisResult
from labctl.analysis.smoothing import positive_parameter
from labctl.errors import ParameterError

__all__ = [
    "K_M",
    "analyze_jvl",
    "current_efficiency",
    "eqe_from_luminance",
    "eqe_from_photodiode",
    "luminous_efficacy",
    "photopic_efficiency",
    "roll_off_current_density",
    "turn_on_voltage",
]

FloatArray = NDArray[np.float64]

Q = constants.e  # C
H = constants.h  # J s
C = constants.c  # m/s
K_M = 683.0  # lm/W, maximum luminous efficacy of photopic vision (at 555 nm)
TURN_ON_LUMINANCE = 1.0  # cd/m²

# CIE 1924 photopic luminous efficiency V(λ), 380–780 nm in 5 nm steps (CIE 015:2004).
_V_START_NM, _V_STEP_NM = 380.0, 5.0
_V_TABLE = np.array([
    0.000039, 0.000064, 0.000120, 0.000217, 0.000396, 0.000640, 0.001210, 0.002180, 0.004000,
    0.007300, 0.011600, 0.016840, 0.023000, 0.029800, 0.038000, 0.048000, 0.060000, 0.073900,
    0.090980, 0.112600, 0.139020, 0.169300, 0.208020, 0.258600, 0.323000, 0.407300, 0.503000,
    0.608200, 0.710000, 0.793200, 0.862000, 0.914850, 0.954000, 0.980300, 0.994950, 1.000000,
    0.995000, 0.978600, 0.952000, 0.915400, 0.870000, 0.816300, 0.757000, 0.694900, 0.631000,
    0.566800, 0.503000, 0.441200, 0.381000, 0.321000, 0.265000, 0.217000, 0.175000, 0.138200,
    0.107000, 0.081600, 0.061000, 0.044580, 0.032000, 0.023200, 0.017000, 0.011920, 0.008210,
    0.005723, 0.004102, 0.002929, 0.002091, 0.001484, 0.001047, 0.000740, 0.000520, 0.000361,
    0.000249, 0.000172, 0.000120, 0.000085, 0.000060, 0.000042, 0.000030, 0.000021, 0.000015,
])  # fmt: skip


def photopic_efficiency(wavelength: ArrayLike) -> FloatArray:
    """CIE 1924 photopic luminous efficiency V(λ) at ``wavelength`` in m (0 outside 380–780 nm).

    Linear interpolation of the 5 nm table of CIE 015:2004.
    """
    nm = np.asarray(wavelength, dtype=float) * 1e9
    grid = _V_START_NM + _V_STEP_NM * np.arange(_V_TABLE.size)
    return np.interp(nm, grid, _V_TABLE, left=0.0, right=0.0)


def current_efficiency(luminance: ArrayLike, current_density: ArrayLike) -> FloatArray:
    """η_CE = L / J in cd/A (``luminance`` in cd/m², ``current_density`` in A/m²); NaN at J ≤ 0."""
    lum = np.asarray(luminance, dtype=float)
    j = np.asarray(current_density, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(j > 0, lum / j, np.nan)


def luminous_efficacy(
    luminance: ArrayLike, current_density: ArrayLike, voltage: ArrayLike
) -> FloatArray:
    """η_P = π L / (J V) in lm/W for a Lambertian emitter; NaN where J V ≤ 0. SI units in."""
    power = np.asarray(current_density, dtype=float) * np.asarray(voltage, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(power > 0, np.pi * np.asarray(luminance, dtype=float) / power, np.nan)


def _spectrum_moments(
    wavelength: ArrayLike, spectrum: ArrayLike
) -> tuple[FloatArray, FloatArray, float]:
    """Checked (λ, s, ∫ s dλ) of an emission spectrum in power units."""
    lam = np.asarray(wavelength, dtype=float).ravel()
    s = np.asarray(spectrum, dtype=float).ravel()
    if lam.shape != s.shape or lam.size < 2:
        raise ParameterError("wavelength and spectrum: need two arrays of equal length ≥ 2")
    order = np.argsort(lam)
    lam, s = lam[order], np.clip(s[order], 0.0, None)  # negative noise is not emission
    total = float(trapezoid(s, lam))
    if not total > 0:
        raise ParameterError("spectrum: no positive emission")
    return lam, s, total


def eqe_from_photodiode(
    current: ArrayLike,
    photodiode_current: ArrayLike,
    *,
    responsivity: float | ArrayLike,
    collection_factor: float,
    wavelength: float | ArrayLike,
    spectrum: ArrayLike | None = None,
) -> FloatArray:
    """EQE from a calibrated photodiode, eq. (1) of the module docstring.

    ``current`` (device) and ``photodiode_current`` in A; ``collection_factor`` f_geo, the
    fraction of emitted photons that reach the photodiode; ``responsivity`` R in A/W. Either a
    narrow line (scalar ``wavelength`` λ in m and scalar R) or a spectrum: ``wavelength`` array
    in m, ``spectrum`` s(λ) in power units, and R a scalar or an array on the same wavelengths.
    """
    f_geo = positive_parameter(collection_factor, "collection_factor", "")
    i_dev = np.asarray(current, dtype=float)
    i_pd = np.asarray(photodiode_current, dtype=float)
    if spectrum is None:
        lam = positive_parameter(float(np.asarray(wavelength)), "wavelength", "m")
        resp = positive_parameter(float(np.asarray(responsivity)), "responsivity", "A/W")
        mean_resp, mean_lambda = resp, lam
    else:
        lam_arr, s, total = _spectrum_moments(wavelength, spectrum)
        resp_arr = np.broadcast_to(np.asarray(responsivity, dtype=float), np.shape(wavelength))
        resp_arr = resp_arr.ravel()[np.argsort(np.asarray(wavelength, dtype=float).ravel())]
        mean_resp = float(trapezoid(s * resp_arr, lam_arr)) / total
        mean_lambda = float(trapezoid(s * lam_arr, lam_arr)) / total
        if not mean_resp > 0:
            raise ParameterError("responsivity: zero over the emission spectrum")
    optical_power = i_pd / (f_geo * mean_resp)
    with np.errstate(divide="ignore", invalid="ignore"):
        eqe = Q * optical_power * mean_lambda / (H * C * i_dev)
    return np.where(i_dev > 0, eqe, np.nan)


def eqe_from_luminance(
    luminance: ArrayLike,
    current_density: ArrayLike,
    *,
    wavelength: ArrayLike,
    spectrum: ArrayLike,
) -> FloatArray:
    """EQE of a Lambertian emitter from luminance and EL spectrum, eq. (2) of the module docstring.

    ``luminance`` in cd/m², ``current_density`` in A/m², ``wavelength`` in m, ``spectrum``
    s(λ) in power units (any scale). NaN where J ≤ 0.
    """
    lam, s, _ = _spectrum_moments(wavelength, spectrum)
    photopic = float(trapezoid(photopic_efficiency(lam) * s, lam))
    if not photopic > 0:
        raise ParameterError("spectrum: no emission inside the photopic range 380–780 nm")
    photons = float(trapezoid(s * lam, lam))
    lum = np.asarray(luminance, dtype=float)
    j = np.asarray(current_density, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        eqe = np.pi * lum * Q * photons / (K_M * H * C * j * photopic)
    return np.where(j > 0, eqe, np.nan)


def turn_on_voltage(
    voltage: ArrayLike, luminance: ArrayLike, threshold: float = TURN_ON_LUMINANCE
) -> tuple[float | None, str]:
    """Voltage at which the luminance reaches ``threshold`` (cd/m²), interpolated in log L.

    The crossing used is the last one below the luminance maximum, so noise at low bias does
    not count. Returns (V_on or None, reason when None). ``voltage`` must be increasing.
    """
    v = np.asarray(voltage, dtype=float)
    lum = np.asarray(luminance, dtype=float)
    if lum.size == 0 or np.nanmax(lum) < threshold:
        return None, f"the luminance never reaches {threshold:g} cd/m²"
    top = int(np.nanargmax(lum))
    below = np.flatnonzero(~(lum[: top + 1] >= threshold))
    if below.size == 0:
        return None, f"the luminance is already ≥ {threshold:g} cd/m² at the lowest voltage"
    k = int(below[-1])
    l0, l1 = lum[k], lum[k + 1]
    if np.isfinite(l0) and l0 > 0:
        frac = np.log(threshold / l0) / np.log(l1 / l0)
    else:
        frac = (threshold - max(l0, 0.0) if np.isfinite(l0) else threshold) / l1
    return float(v[k] + frac * (v[k + 1] - v[k])), ""


def roll_off_current_density(
    current_density: ArrayLike, eqe: ArrayLike
) -> tuple[float | None, str]:
    """J_50: current density above the EQE maximum where EQE = max/2, interpolated in log J.

    ``current_density`` in A/m², increasing. Returns (J_50 or None, reason when None).
    """
    j = np.asarray(current_density, dtype=float)
    e = np.asarray(eqe, dtype=float)
    valid = np.isfinite(e) & (j > 0)
    if not np.any(valid):
        return None, "no EQE values"
    j, e = j[valid], e[valid]
    top = int(np.argmax(e))
    half = 0.5 * e[top]
    after = np.flatnonzero(e[top:] <= half)
    if after.size == 0:
        return None, "the EQE does not fall to half its maximum in the measured range"
    k = top + int(after[0])
    frac = (half - e[k - 1]) / (e[k] - e[k - 1])
    return float(10 ** (np.log10(j[k - 1]) + frac * np.log10(j[k] / j[k - 1]))), ""


def _forward_sweep(v: FloatArray) -> slice:
    """Points of the first monotonic sweep, in rising order (a falling sweep is reversed)."""
    step = np.diff(v)
    if step.size and np.all(step <= 0) and np.any(step < 0):
        return slice(None, None, -1)
    fall = np.flatnonzero(step < 0)
    return slice(0, int(fall[0]) + 1 if fall.size else v.size)


def analyze_jvl(
    voltage: ArrayLike,
    current: ArrayLike,
    luminance: ArrayLike | None,
    *,
    area: float,
    wavelength: ArrayLike | float | None = None,
    spectrum: ArrayLike | None = None,
    photodiode_current: ArrayLike | None = None,
    responsivity: float | ArrayLike | None = None,
    collection_factor: float | None = None,
    turn_on_luminance: float = TURN_ON_LUMINANCE,
) -> AnalysisResult:
    """Analyse an LED J–V–L sweep: turn-on voltage, efficiencies, EQE and roll-off.

    ``voltage`` in V, ``current`` in A (either sign; the sign at the highest bias is taken as
    forward), ``luminance`` in cd/m² (None or NaN where no calibrated luminance exists),
    ``area`` in m². EQE needs either the photodiode (``photodiode_current`` in A,
    ``responsivity`` in A/W, ``collection_factor``, and ``wavelength`` in m — a scalar line or
    an array with ``spectrum``), eq. (1), or the EL ``wavelength``/``spectrum`` with the
    luminance, eq. (2). Only lit points enter the maxima, so that noise below turn-on is never
    reported: L ≥ ``turn_on_luminance`` when the luminance is known, otherwise a photodiode
    current above 10 × its scatter in the dark (the lowest-voltage fifth of the sweep) and
    above 10⁻³ of its maximum.

    Quantities: ``turn_on_voltage`` (V), ``max_luminance`` (cd/m²), ``max_current_efficiency``
    (cd/A), ``max_luminous_efficacy`` (lm/W), ``max_eqe``, ``j_at_max_eqe`` (A/m²),
    ``j_roll_off_50`` (A/m²). ``extras`` holds the curves versus J.
    """
    area = positive_parameter(area, "area", "m**2")
    v = np.asarray(voltage, dtype=float).ravel()
    i = np.asarray(current, dtype=float).ravel()
    lum = np.full(v.shape, np.nan) if luminance is None else np.asarray(luminance, float).ravel()
    i_pd = None if photodiode_current is None else np.asarray(photodiode_current, float).ravel()
    if not (v.shape == i.shape == lum.shape) or (i_pd is not None and i_pd.shape != v.shape):
        raise ParameterError("voltage, current, luminance (and photodiode_current): equal lengths")
    result = AnalysisResult()
    sweep = _forward_sweep(v)
    if sweep.stop is not None and sweep.stop < v.size:
        result.warn("the voltage is not monotonic: only the first rising sweep was analysed")
    ok = np.isfinite(v[sweep]) & np.isfinite(i[sweep])
    v, i, lum = v[sweep][ok], i[sweep][ok], lum[sweep][ok]
    if i_pd is not None:
        i_pd = i_pd[sweep][ok]
    if v.size < 3:
        for name, unit in _MAIN:
            result.add_missing(name, unit, "fewer than 3 valid points")
        return result
    sign = np.sign(i[np.argmax(np.abs(v))]) or 1.0
    j = sign * i / area

    has_luminance = bool(np.any(np.isfinite(lum)))
    lum_lit = (np.nan_to_num(lum, nan=-np.inf) >= turn_on_luminance) & (j > 0)
    if has_luminance:
        _luminance_figures(result, v, j, lum, lum_lit, turn_on_luminance)
    else:
        for name, unit in _LUMINANCE:
            result.add_missing(name, unit, "no luminance data")

    eqe, method = _eqe(
        result, j * area, j, lum, i_pd, wavelength, spectrum, responsivity, collection_factor
    )
    if eqe is None:
        for name, unit in _EQE:
            result.add_missing(name, unit, method)
        return result
    if has_luminance:
        lit, why_dark = lum_lit, f"no point above {turn_on_luminance:g} cd/m²"
    else:
        lit, why_dark = _photodiode_lit(v, i_pd) & (j > 0), "no photodiode signal above noise"
    eqe = np.where(lit, eqe, np.nan)
    result.extras["eqe"] = eqe
    if not np.any(np.isfinite(eqe)):
        for name, unit in _EQE:
            result.add_missing(name, unit, why_dark)
        return result
    top = int(np.nanargmax(eqe))
    result.add("max_eqe", float(eqe[top]), "", method)
    result.add("j_at_max_eqe", float(j[top]), "A/m**2", "J at the EQE maximum")
    order = np.argsort(j)
    j50, why = roll_off_current_density(j[order], eqe[order])
    if j50 is None:
        result.add_missing("j_roll_off_50", "A/m**2", why)
    else:
        result.add("j_roll_off_50", j50, "A/m**2", "EQE fallen to half its maximum")
    return result


_LUMINANCE = (
    ("turn_on_voltage", "V"),
    ("max_luminance", "cd/m**2"),
    ("max_current_efficiency", "cd/A"),
    ("max_luminous_efficacy", "lm/W"),
)
_EQE = (("max_eqe", ""), ("j_at_max_eqe", "A/m**2"), ("j_roll_off_50", "A/m**2"))
_MAIN = (*_LUMINANCE, *_EQE)


def _luminance_figures(
    result: AnalysisResult,
    v: FloatArray,
    j: FloatArray,
    lum: FloatArray,
    lit: NDArray[np.bool_],
    turn_on_luminance: float,
) -> None:
    """Turn-on voltage, maximum luminance, current efficiency and luminous efficacy."""
    v_on, why = turn_on_voltage(v, lum, turn_on_luminance)
    if v_on is None:
        result.add_missing("turn_on_voltage", "V", why)
    else:
        result.add(
            "turn_on_voltage", v_on, "V", f"L = {turn_on_luminance:g} cd/m², log-L interpolation"
        )
    if not np.any(lit):
        result.add_missing(
            "max_luminance", "cd/m**2", f"no point reaches {turn_on_luminance:g} cd/m²"
        )
    else:
        result.add("max_luminance", float(lum[lit].max()), "cd/m**2", "largest measured")
    ce = np.where(lit, current_efficiency(lum, j), np.nan)
    pe = np.where(lit, luminous_efficacy(lum, j, v), np.nan)
    result.extras.update(current_density=j, current_efficiency=ce, luminous_efficacy=pe)
    for name, unit, curve, eq in (
        ("max_current_efficiency", "cd/A", ce, "L / J"),
        ("max_luminous_efficacy", "lm/W", pe, "π L / (J V), Lambertian"),
    ):
        if np.any(np.isfinite(curve)):
            result.add(name, float(np.nanmax(curve)), unit, eq)
        else:
            result.add_missing(name, unit, f"no point above {turn_on_luminance:g} cd/m²")


def _photodiode_lit(v: FloatArray, i_pd: FloatArray | None) -> NDArray[np.bool_]:
    """Points whose photodiode current stands clear of its dark scatter (see analyze_jvl)."""
    if i_pd is None:
        return np.zeros(v.shape, dtype=bool)
    signal = np.abs(np.nan_to_num(i_pd, nan=0.0))
    dark = signal[np.argsort(v)[: max(3, v.size // 5)]]
    offset = float(np.median(dark))
    scatter = 1.4826 * float(np.median(np.abs(dark - offset)))
    # Light is what rises above the dark current by more than its scatter (and the offset):
    # a photodiode's dark current alone must never count as emission.
    above = signal - offset
    threshold = max(10 * scatter, 2 * offset, 1e-3 * float(above.max()), np.finfo(float).tiny)
    return above > threshold


def _eqe(
    result: AnalysisResult,
    i: FloatArray,
    j: FloatArray,
    lum: FloatArray,
    i_pd: FloatArray | None,
    wavelength: ArrayLike | float | None,
    spectrum: ArrayLike | None,
    responsivity: float | ArrayLike | None,
    collection_factor: float | None,
) -> tuple[FloatArray | None, str]:
    """EQE curve by the photodiode (preferred) or the luminance method, or (None, reason).

    ``i`` is the device current in A, already positive in forward bias.
    """
    if i_pd is not None:
        if responsivity is None or collection_factor is None or wavelength is None:
            return None, "photodiode EQE needs responsivity, collection_factor and wavelength"
        eqe = eqe_from_photodiode(
            i,
            np.abs(i_pd),
            responsivity=responsivity,
            collection_factor=collection_factor,
            wavelength=wavelength,
            spectrum=spectrum,
        )
        return eqe, "photodiode: q P_opt <λ> / (h c I), eq. (1)"
    if spectrum is not None and wavelength is not None:
        eqe = eqe_from_luminance(lum, j, wavelength=wavelength, spectrum=spectrum)
        result.warn("max_eqe: from luminance and spectrum, assuming Lambertian emission")
        return eqe, "luminance + EL spectrum, Lambertian, eq. (2)"
    return None, "EQE needs the photodiode current with its calibration, or the EL spectrum"
