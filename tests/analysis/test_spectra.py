"""Spectral features against synthetic Gaussian and Voigt spectra with seeded noise.

A 2048-pixel spectrometer covering 350–1000 nm (0.32 nm per pixel). Noise: multiplicative on
the signal (0, 1 %, 5 %) plus an additive Gaussian floor (read noise) and a constant dark
level; the truth is the set of line parameters used to draw the spectra.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import voigt_profile

from labctl.analysis.spectra import analyze_spectrum, spectrum_features
from labctl.errors import ParameterError

WAVELENGTH = np.linspace(350e-9, 1000e-9, 2048)
NM = 1e-9
FWHM_PER_SIGMA = 2 * math.sqrt(2 * math.log(2))


def gaussians(centre, fwhm, height, wavelength=WAVELENGTH):
    sigma = np.asarray(fwhm)[:, None] / FWHM_PER_SIGMA
    return np.asarray(height)[:, None] * np.exp(
        -0.5 * ((wavelength[None, :] - np.asarray(centre)[:, None]) / sigma) ** 2
    )


def add_noise(signal, rng, multiplicative, floor, dark=300.0):
    noisy = signal * (1 + multiplicative * rng.standard_normal(signal.shape))
    return noisy + dark + floor * rng.standard_normal(signal.shape)


def random_lines(rng, n, fwhm_range=(5 * NM, 40 * NM)):
    centre = rng.uniform(450 * NM, 850 * NM, n)
    fwhm = rng.uniform(*fwhm_range, n)
    height = rng.uniform(1e3, 2e4, n)
    return centre, fwhm, height


# (multiplicative noise, additive floor in counts, FWHM tolerance, centroid tolerance in nm,
#  integral tolerance)
CONDITIONS = [
    (0.0, 0.0, 0.005, 0.01, 0.001),
    (0.01, 5.0, 0.03, 0.5, 0.02),
    (0.05, 20.0, 0.12, 1.5, 0.06),
]


@pytest.mark.parametrize(("noise", "floor", "fwhm_tol", "centroid_tol", "area_tol"), CONDITIONS)
def test_gaussian_features_accuracy(noise, floor, fwhm_tol, centroid_tol, area_tol):
    rng = np.random.default_rng(int(noise * 1000))
    centre, fwhm, height = random_lines(rng, 400)
    spectra = add_noise(gaussians(centre, fwhm, height), rng, noise, floor)
    f = spectrum_features(WAVELENGTH, spectra)
    assert f["valid"].all()
    assert np.max(np.abs(f["peak_wavelength"] - centre)) < 0.5 * NM
    assert np.max(np.abs(f["fwhm"] / fwhm - 1)) < fwhm_tol
    assert np.max(np.abs(f["centroid"] - centre)) < centroid_tol * NM
    area = height * fwhm / FWHM_PER_SIGMA * math.sqrt(2 * math.pi)
    assert np.max(np.abs(f["integrated_intensity"] / area - 1)) < area_tol
    assert np.max(np.abs(f["peak_height"] / height - 1)) < max(3 * noise, 1e-3)
    assert np.allclose(f["background"], 300.0, atol=max(floor, 1e-9))
    assert not f["has_second_peak"].any()


@pytest.mark.parametrize("noise", [0.0, 0.01, 0.05])
def test_voigt_peak_position_and_width(noise):
    rng = np.random.default_rng(42)
    n = 100
    centre = rng.uniform(450 * NM, 850 * NM, n)
    sigma = rng.uniform(3 * NM, 10 * NM, n)
    gamma = rng.uniform(1 * NM, 6 * NM, n)
    x = WAVELENGTH[None, :] - centre[:, None]
    shape = voigt_profile(x, sigma[:, None], gamma[:, None])
    signal = 1e4 * shape / shape.max(axis=1, keepdims=True)
    f = spectrum_features(WAVELENGTH, add_noise(signal, rng, noise, 5.0))
    assert np.max(np.abs(f["peak_wavelength"] - centre)) < 0.5 * NM
    # Olivero & Longbothum (1977) Voigt width, accurate to 0.02 %.
    f_g, f_l = FWHM_PER_SIGMA * sigma, 2 * gamma
    width = 0.5346 * f_l + np.sqrt(0.2166 * f_l**2 + f_g**2)
    assert np.max(np.abs(f["fwhm"] / width - 1)) < 0.02 + 2 * noise
    assert np.max(np.abs(f["centroid"] - centre)) < 1.5 * NM


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_second_peak_of_phase_segregation(noise):
    rng = np.random.default_rng(3)
    n = 300
    green = rng.uniform(500 * NM, 540 * NM, n)
    red = green + rng.uniform(60 * NM, 140 * NM, n)  # iodide-rich domains emit further red
    ratio = rng.uniform(0.1, 0.8, n)
    signal = gaussians(green, np.full(n, 20 * NM), np.full(n, 1e4)) + gaussians(
        red, np.full(n, 35 * NM), 1e4 * ratio
    )
    f = spectrum_features(WAVELENGTH, add_noise(signal, rng, noise, 10.0))
    assert f["has_second_peak"].all()
    assert np.max(np.abs(f["peak_wavelength"] - green)) < 0.5 * NM
    assert np.max(np.abs(f["second_peak_wavelength"] - red)) < 2 * NM
    assert np.max(np.abs(f["second_peak_relative_height"] - ratio)) < 0.03
    # The centroid moves to the red with the second peak's share of the light.
    area_g, area_r = 20 * NM, 35 * NM * ratio
    expected = (green * area_g + red * area_r) / (area_g + area_r)
    assert np.max(np.abs(f["centroid"] - expected)) < 1 * NM


def test_second_peak_brighter_than_the_first_swaps_roles():
    signal = gaussians([520 * NM], [20 * NM], [3e3]) + gaussians([640 * NM], [30 * NM], [1e4])
    f = spectrum_features(WAVELENGTH, signal)
    assert f["peak_wavelength"][0] == pytest.approx(640 * NM, abs=0.05 * NM)
    assert f["second_peak_wavelength"][0] == pytest.approx(520 * NM, abs=1 * NM)
    assert f["second_peak_relative_height"][0] == pytest.approx(0.3, abs=0.01)


def test_no_false_second_peaks_in_noisy_single_lines():
    rng = np.random.default_rng(9)
    centre, fwhm, height = random_lines(rng, 1000)
    spectra = add_noise(gaussians(centre, fwhm, height), rng, 0.05, 20.0)
    f = spectrum_features(WAVELENGTH, spectra)
    assert not f["has_second_peak"].any()


def test_weak_second_peak_below_threshold_is_not_reported():
    signal = gaussians([520 * NM], [20 * NM], [1e4]) + gaussians([640 * NM], [30 * NM], [150])
    rng = np.random.default_rng(0)
    f = spectrum_features(WAVELENGTH, add_noise(signal, rng, 0.01, 100.0))
    assert not f["has_second_peak"][0]
    assert np.isnan(f["second_peak_wavelength"][0])


def test_noise_only_spectra_have_no_features():
    rng = np.random.default_rng(1)
    spectra = 300.0 + 10.0 * rng.standard_normal((200, WAVELENGTH.size))
    f = spectrum_features(WAVELENGTH, spectra)
    assert not f["valid"].any()
    for key in ("peak_wavelength", "fwhm", "centroid", "integrated_intensity", "peak_height"):
        assert np.isnan(f[key]).all()
    assert not f["has_second_peak"].any()
    assert np.allclose(f["noise"], 10.0, rtol=0.2)  # estimated from 2 × 102 edge pixels
    result = analyze_spectrum(WAVELENGTH, spectra[0])
    assert result.value("peak_wavelength") is None
    assert any(w.startswith("peak_wavelength:") for w in result.warnings)


def test_analyze_spectrum_reports_one_spectrum():
    signal = gaussians([600 * NM], [25 * NM], [5e3])[0] + 100.0
    result = analyze_spectrum(WAVELENGTH, signal)
    assert result.value("peak_wavelength") == pytest.approx(600 * NM, abs=0.01 * NM)
    assert result.value("fwhm") == pytest.approx(25 * NM, rel=0.01)
    assert result.quantities["peak_wavelength"].unit == "m"
    assert result.value("second_peak_wavelength") is None
    assert result.to_json()["results"]["second_peak_wavelength"]["value"] is None


def test_decreasing_axis_sloped_background_and_one_dimensional_input():
    line = gaussians([700 * NM], [15 * NM], [8e3])[0]
    slope = 200.0 + 3e9 * (WAVELENGTH - WAVELENGTH[0])  # counts rising across the detector
    f = spectrum_features(WAVELENGTH[::-1], (line + slope)[::-1], background="linear")
    assert f["peak_wavelength"][0] == pytest.approx(700 * NM, abs=0.05 * NM)
    assert f["fwhm"][0] == pytest.approx(15 * NM, rel=0.01)
    area = 8e3 * 15 * NM / FWHM_PER_SIGMA * math.sqrt(2 * math.pi)
    assert f["integrated_intensity"][0] == pytest.approx(area, rel=0.01)


def test_bad_input():
    with pytest.raises(ParameterError, match="shape"):
        spectrum_features(WAVELENGTH, np.zeros((3, 100)))
    with pytest.raises(ParameterError, match="monotonic"):
        spectrum_features(np.r_[WAVELENGTH[:10], WAVELENGTH[:10]], np.zeros(20))
    with pytest.raises(ParameterError, match="background"):
        spectrum_features(WAVELENGTH, np.zeros(WAVELENGTH.size), background="spline")
