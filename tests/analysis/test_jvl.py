"""LED J–V–L analysis against a synthetic LED built here from photon counting.

Truth: J(V) = J_s (exp(V / V_0) − 1); EQE(J) = EQE_max · 2x / (1 + x²), x = J / J_peak (peak at
J_peak, half of the peak at x = 2 + √3); photon flux Φ = EQE · J / q; the emission is a narrow
line (FWHM 0.5 nm) so that the radiant exitance is Φ h c / λ and, for a Lambertian emitter,
L = K_m V(λ) Φ h c / (π λ) with V(555 nm) = 1 and V(520 nm) = 0.710 (CIE 1924 table values).
A photodiode collecting a fraction f of the light with responsivity R gives I_pd = f R Φ h c A/λ.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from labctl.analysis.jvl import (
    analyze_jvl,
    current_efficiency,
    eqe_from_luminance,
    eqe_from_photodiode,
    photopic_efficiency,
    roll_off_current_density,
    turn_on_voltage,
)
from labctl.errors import ParameterError

Q = 1.602176634e-19
H = 6.62607015e-34
C = 299792458.0
K_M = 683.0
AREA = 4e-6  # 4 mm²
EQE_MAX = 0.12
J_PEAK = 100.0  # A/m² (10 mA/cm²)
V_OF_LAMBDA = {555e-9: 1.0, 520e-9: 0.710}


def current_density(v):
    return 1e-4 * (np.exp(np.asarray(v, dtype=float) / 0.35) - 1)


def true_eqe(j):
    x = np.asarray(j, dtype=float) / J_PEAK
    return EQE_MAX * 2 * x / (1 + x**2)


def photon_flux(v):
    j = current_density(v)
    return true_eqe(j) * j / Q


def true_luminance(v, peak=555e-9):
    return K_M * V_OF_LAMBDA[peak] * photon_flux(v) * H * C / (math.pi * peak)


def line_spectrum(peak=555e-9):
    wavelength = np.linspace(peak - 5e-9, peak + 5e-9, 401)
    sigma = 0.5e-9 / 2.3548
    return wavelength, np.exp(-0.5 * ((wavelength - peak) / sigma) ** 2)


def sweep(step=0.05, v_max=6.0):
    return np.arange(0.0, v_max + step / 2, step)


# --------------------------------------------------------------------------- equations


def test_photopic_table_values():
    assert photopic_efficiency(555e-9) == pytest.approx(1.0)
    assert photopic_efficiency(510e-9) == pytest.approx(0.503)
    assert photopic_efficiency(610e-9) == pytest.approx(0.503)
    assert photopic_efficiency(1000e-9) == 0.0


def test_current_efficiency_is_l_over_j():
    assert current_efficiency([100.0], [10.0])[0] == pytest.approx(10.0)  # cd/A
    assert np.isnan(current_efficiency([1.0], [0.0])[0])


@pytest.mark.parametrize("peak", [555e-9, 520e-9])
def test_eqe_from_luminance_inverts_photon_counting(peak):
    v = np.array([3.5, 4.5, 5.5])
    wavelength, spectrum = line_spectrum(peak)
    eqe = eqe_from_luminance(
        true_luminance(v, peak), current_density(v), wavelength=wavelength, spectrum=spectrum
    )
    assert np.allclose(eqe, true_eqe(current_density(v)), rtol=2e-3)


def test_eqe_from_photodiode_line_and_spectrum():
    v = np.array([3.5, 4.5, 5.5])
    responsivity, fraction, peak = 0.3, 0.2, 520e-9
    i_dev = current_density(v) * AREA
    i_pd = fraction * responsivity * photon_flux(v) * H * C / peak * AREA
    line = eqe_from_photodiode(
        i_dev, i_pd, responsivity=responsivity, collection_factor=fraction, wavelength=peak
    )
    assert np.allclose(line, true_eqe(current_density(v)), rtol=1e-9)
    wavelength, spectrum = line_spectrum(peak)
    spectral = eqe_from_photodiode(
        i_dev,
        i_pd,
        responsivity=np.full(wavelength.size, responsivity),
        collection_factor=fraction,
        wavelength=wavelength,
        spectrum=spectrum,
    )
    assert np.allclose(spectral, true_eqe(current_density(v)), rtol=1e-6)


def test_turn_on_voltage_is_interpolated_in_log_luminance():
    v = np.arange(0, 5, 0.25)
    lum = 10 ** (2 * (v - 3.1))  # exactly exponential: log interpolation is exact
    v_on, reason = turn_on_voltage(v, lum)
    assert v_on == pytest.approx(3.1, abs=1e-9) and reason == ""


def test_roll_off_current_density():
    j = np.geomspace(1, 1e4, 400)
    j50, _ = roll_off_current_density(j, true_eqe(j))
    assert j50 == pytest.approx((2 + math.sqrt(3)) * J_PEAK, rel=0.01)
    none, reason = roll_off_current_density(j[:150], true_eqe(j[:150]))
    assert none is None and "half" in reason


# --------------------------------------------------------------------------- analysis


@pytest.mark.parametrize("step", [0.02, 0.05, 0.1])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_analysis_with_luminance_and_spectrum(step, sign):
    v = sweep(step)
    j = current_density(v)
    lum = true_luminance(v)
    wavelength, spectrum = line_spectrum()
    result = analyze_jvl(
        v, sign * j * AREA, lum, area=AREA, wavelength=wavelength, spectrum=spectrum
    )
    v_on = brentq(lambda x: float(true_luminance(x)) - 1.0, 1.0, 5.0)
    assert result.value("turn_on_voltage") == pytest.approx(v_on, abs=0.005)
    lit = lum >= 1.0
    assert result.value("max_luminance") == pytest.approx(lum.max())
    assert result.value("max_current_efficiency") == pytest.approx((lum[lit] / j[lit]).max())
    assert result.value("max_eqe") == pytest.approx(true_eqe(j)[lit].max(), rel=2e-3)
    assert result.value("j_at_max_eqe") == pytest.approx(J_PEAK, rel=0.3)
    assert result.value("j_roll_off_50") == pytest.approx((2 + math.sqrt(3)) * J_PEAK, rel=0.03)
    assert any("Lambertian" in w for w in result.warnings)


@pytest.mark.parametrize("seed", range(5))
def test_analysis_with_photodiode_and_noise(seed):
    rng = np.random.default_rng(seed)
    v = sweep(0.05)
    j = current_density(v)
    responsivity, fraction, peak = 0.25, 0.3, 520e-9
    i_pd_true = fraction * responsivity * photon_flux(v) * H * C / peak * AREA
    noise = 0.01
    i_pd = i_pd_true * (1 + noise * rng.standard_normal(v.size))
    lum = true_luminance(v, peak) * (1 + noise * rng.standard_normal(v.size))
    lum = lum + 0.01 * rng.standard_normal(v.size)  # luminance-meter floor, 0.01 cd/m²
    i = j * AREA * (1 + noise * rng.standard_normal(v.size))
    result = analyze_jvl(
        v,
        -i,
        lum,
        area=AREA,
        photodiode_current=-i_pd,
        responsivity=responsivity,
        collection_factor=fraction,
        wavelength=peak,
    )
    v_on = brentq(lambda x: float(true_luminance(x, peak)) - 1.0, 1.0, 5.0)
    assert result.value("turn_on_voltage") == pytest.approx(v_on, abs=0.02)
    assert result.value("max_eqe") == pytest.approx(EQE_MAX, rel=0.05)
    assert result.value("j_roll_off_50") == pytest.approx((2 + math.sqrt(3)) * J_PEAK, rel=0.1)


def test_photodiode_eqe_without_luminance():
    rng = np.random.default_rng(4)
    v = sweep(0.05)
    j = current_density(v)
    responsivity, fraction, peak = 0.25, 0.3, 520e-9
    i_pd = fraction * responsivity * photon_flux(v) * H * C / peak * AREA
    i_pd = i_pd + 1e-12 * rng.standard_normal(v.size)  # dark noise of the photodiode
    result = analyze_jvl(
        v,
        j * AREA,
        None,
        area=AREA,
        photodiode_current=i_pd,
        responsivity=responsivity,
        collection_factor=fraction,
        wavelength=peak,
    )
    assert result.value("max_eqe") == pytest.approx(EQE_MAX, rel=0.01)
    assert result.value("turn_on_voltage") is None
    assert any(w == "turn_on_voltage: no luminance data" for w in result.warnings)
    # Noise alone on the photodiode gives no EQE.
    dark = analyze_jvl(
        v,
        j * AREA,
        np.full(v.size, np.nan),
        area=AREA,
        photodiode_current=1e-12 * rng.standard_normal(v.size),
        responsivity=responsivity,
        collection_factor=fraction,
        wavelength=peak,
    )
    assert dark.value("max_eqe") is None


def test_no_eqe_without_calibration_or_spectrum():
    v = sweep()
    result = analyze_jvl(v, current_density(v) * AREA, true_luminance(v), area=AREA)
    assert result.value("max_eqe") is None
    assert any(w.startswith("max_eqe:") for w in result.warnings)
    assert result.value("turn_on_voltage") is not None


def test_dim_device_never_turns_on():
    rng = np.random.default_rng(0)
    v = sweep()
    lum = 0.01 * np.abs(rng.standard_normal(v.size))  # noise only
    wavelength, spectrum = line_spectrum()
    result = analyze_jvl(
        v, current_density(v) * AREA, lum, area=AREA, wavelength=wavelength, spectrum=spectrum
    )
    for name in ("turn_on_voltage", "max_luminance", "max_current_efficiency", "max_eqe"):
        assert result.value(name) is None
        assert any(w.startswith(f"{name}:") for w in result.warnings)


def test_roll_off_not_reached_is_reported_as_missing():
    v = sweep(v_max=4.8)  # stops before the EQE halves
    wavelength, spectrum = line_spectrum()
    result = analyze_jvl(
        v,
        current_density(v) * AREA,
        true_luminance(v),
        area=AREA,
        wavelength=wavelength,
        spectrum=spectrum,
    )
    assert result.value("j_roll_off_50") is None
    assert any("half its maximum" in w for w in result.warnings)


def test_only_the_first_rising_sweep_is_used():
    up = sweep()
    v = np.concatenate((up, up[::-1]))
    j = current_density(v)
    lum = true_luminance(v)
    lum[up.size :] *= 0.5  # a degraded return sweep must not count
    result = analyze_jvl(v, j * AREA, lum, area=AREA)
    assert result.value("max_luminance") == pytest.approx(true_luminance(up).max())
    assert any("not monotonic" in w for w in result.warnings)


def test_falling_sweep_is_analysed_in_rising_order():
    v = sweep()[::-1]
    result = analyze_jvl(v, current_density(v) * AREA, true_luminance(v), area=AREA)
    v_on = brentq(lambda x: float(true_luminance(x)) - 1.0, 1.0, 5.0)
    assert result.value("turn_on_voltage") == pytest.approx(v_on, abs=0.005)
    assert not any("not monotonic" in w for w in result.warnings)


def test_bad_input():
    with pytest.raises(ParameterError, match="area"):
        analyze_jvl([1, 2, 3], [1, 2, 3], [1, 2, 3], area=0)
    with pytest.raises(ParameterError, match="equal lengths"):
        analyze_jvl([1, 2, 3], [1, 2], [1, 2, 3], area=AREA)
