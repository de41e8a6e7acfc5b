"""The lateral-field PL film against independent truth: spectra measured with numpy, quench and
enhancement ratios, response and recovery times fitted from PL(t), reversible and irreversible
parts, the leak current and step-length independence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labctl.errors import ParameterError
from labctl.sim.bench import build_dut
from labctl.sim.dut.base import C_LIGHT, Drive, H
from labctl.sim.dut.lateral_pl import LateralPLFilm, LateralPLParameters
from labctl.sim.waveform import PeriodicDrive

WAVELENGTH = np.linspace(600e-9, 950e-9, 35001)
LIGHT = Drive(illuminated=True)


def pl_photons(film: LateralPLFilm) -> float:
    """PL photons/s emitted, from the spectrometer's spectrum."""
    flux = film.spectrum(WAVELENGTH, LIGHT)
    return float(np.trapezoid(flux, WAVELENGTH)) / film.p.collection_fraction


def peak_and_fwhm(film: LateralPLFilm, drive: Drive = LIGHT) -> tuple[float, float]:
    flux = film.spectrum(WAVELENGTH, drive)
    above = WAVELENGTH[flux >= flux.max() / 2]
    return float(WAVELENGTH[np.argmax(flux)]), float(above[-1] - above[0])


def record(film: LateralPLFilm, drive: Drive, duration: float, step: float):
    times = np.arange(0.0, duration + step / 2, step)
    values = [pl_photons(film)]
    for _ in times[1:]:
        film.advance(0.0, step, drive)
        values.append(pl_photons(film))
    return times, np.array(values)


def fitted_time_constant(times: np.ndarray, values: np.ndarray, final: float) -> float:
    distance = np.abs(values - final)
    use = distance > 1e-3 * distance[0]
    slope = np.polyfit(times[use], np.log(distance[use]), 1)[0]
    return -1.0 / slope


def no_damage(**kw) -> LateralPLFilm:
    return LateralPLFilm(LateralPLParameters(irreversible_max=0.0, **kw))


def test_pl_spectrum_has_the_set_peak_width_and_photon_yield():
    film = LateralPLFilm()
    p = film.p
    peak, fwhm = peak_and_fwhm(film)
    assert peak == pytest.approx(p.peak_wavelength, abs=0.05e-9)
    assert fwhm == pytest.approx(p.fwhm, rel=0.002)
    absorbed = p.absorptance * p.laser_power / (H * C_LIGHT / p.laser_wavelength)
    assert pl_photons(film) == pytest.approx(p.plqy * absorbed, rel=1e-4)
    power = np.trapezoid(film.spectrum(WAVELENGTH, LIGHT) * H * C_LIGHT / WAVELENGTH, WAVELENGTH)
    assert film.optical_power(LIGHT) == pytest.approx(power / p.collection_fraction, rel=1e-3)
    assert film.luminance(LIGHT) > 0


def test_no_laser_no_pl():
    film = LateralPLFilm()
    dark = Drive(voltage=5.0, illuminated=False)
    assert film.optical_power(dark) == 0.0
    assert np.all(film.spectrum(WAVELENGTH, dark) == 0.0)


def test_leak_current_is_ohmic_through_the_film_and_photoconductive():
    film = LateralPLFilm()
    p = film.p
    dark_r = p.gap / (p.dark_conductivity * p.electrode_length * p.thickness)
    assert 1e8 < dark_r < 1e12  # GΩ-ish
    film.advance(0.0, 1.0, Drive(illuminated=False))
    assert film.current(10.0) == pytest.approx(10.0 / dark_r)
    film.advance(0.0, 1.0, Drive(illuminated=True))
    assert film.current(10.0) == pytest.approx(10.0 * p.photoconductivity_ratio / dark_r)
    assert film.voltage_for_current(film.current(3.0), 100.0) == pytest.approx(3.0)
    assert film.voltage_for_current(1.0, 100.0) == 100.0
    assert film.field(12.0) == pytest.approx(12.0 / p.gap)


@pytest.mark.parametrize("volts", [2.0, 10.0, 50.0])
def test_quench_for_one_polarity_and_enhancement_for_the_other(volts):
    p = LateralPLParameters(irreversible_max=0.0)
    e = volts / p.gap
    saturation = e / (e + p.saturation_field)
    for sign, expected in ((+1, 1 - p.quench_max * saturation),
                           (-1, 1 + p.enhancement_max * saturation)):
        film = no_damage()
        before = pl_photons(film)
        film.advance(0.0, 20 * p.response_time, Drive(voltage=sign * volts, illuminated=True))
        assert pl_photons(film) / before == pytest.approx(expected, rel=1e-6)
        assert film.steady_state_ratio(sign * e) == pytest.approx(expected, rel=1e-6)


def test_the_quenching_polarity_can_be_reversed():
    film = no_damage(quench_polarity=-1.0)
    before = pl_photons(film)
    film.advance(0.0, 1e4, Drive(voltage=-10.0, illuminated=True))
    assert pl_photons(film) < 0.9 * before


def test_quench_grows_with_field_and_saturates():
    p = LateralPLParameters()
    fields = np.array([1e3, 1e4, 3e4, 1e5, 3e5, 1e6, 1e7, 1e8])
    losses = []
    for e in fields:
        film = no_damage()
        film.advance(0.0, 20 * p.response_time, Drive(voltage=e * p.gap, illuminated=True))
        losses.append(1 - film.pl_factor())
    losses = np.array(losses)
    assert np.all(np.diff(losses) > 0)
    assert losses[3] == pytest.approx(p.quench_max / 2, rel=1e-6)  # at E_sat
    assert losses[-1] == pytest.approx(p.quench_max, rel=0.01)  # saturated


def test_response_and_recovery_time_constants_fitted_from_pl_over_time():
    film = no_damage()
    p = film.p
    bias = Drive(voltage=10.0, illuminated=True)
    times, on = record(film, bias, 8 * p.response_time, p.response_time / 20)
    e = 10.0 / p.gap
    final_on = on[0] * (1 - p.quench_max * e / (e + p.saturation_field))
    assert fitted_time_constant(times, on, final_on) == pytest.approx(p.response_time, rel=0.01)
    # Let it settle, then remove the bias and watch the recovery.
    film.advance(0.0, 20 * p.response_time, bias)
    times, off = record(film, LIGHT, 8 * p.recovery_time, p.recovery_time / 20)
    assert fitted_time_constant(times, off, on[0]) == pytest.approx(p.recovery_time, rel=0.01)
    assert off[-1] / on[0] == pytest.approx(1.0, abs=1e-3)  # fully reversible without damage


def test_irreversible_part_accumulates_with_field_times_time():
    film = LateralPLFilm()
    p = film.p
    before = pl_photons(film)
    volts, hours = 20.0, 4.0
    film.advance(0.0, hours * 3600, Drive(voltage=volts, illuminated=True))
    film.advance(0.0, 20 * p.recovery_time, LIGHT)  # rest: the reversible part recovers
    dose = volts / p.gap * hours * 3600
    expected = 1 - p.irreversible_max * (1 - math.exp(-dose / p.irreversible_dose))
    assert pl_photons(film) / before == pytest.approx(expected, rel=1e-4)
    assert 0.7 < expected < 0.99
    # A second, equal dose at the opposite polarity adds to the same permanent loss.
    film.advance(0.0, hours * 3600, Drive(voltage=-volts, illuminated=True))
    film.advance(0.0, 20 * p.recovery_time, LIGHT)
    expected2 = 1 - p.irreversible_max * (1 - math.exp(-2 * dose / p.irreversible_dose))
    assert pl_photons(film) / before == pytest.approx(expected2, rel=1e-4)


def test_small_red_shift_with_field_that_recovers():
    film = no_damage()
    p = film.p
    peak0, _ = peak_and_fwhm(film)
    shifts = []
    for volts in (5.0, 50.0):
        film.advance(0.0, 20 * p.response_time, Drive(voltage=volts, illuminated=True))
        shifts.append(peak_and_fwhm(film)[0] - peak0)
    assert 0 < shifts[0] < shifts[1] < 5e-9
    film.advance(0.0, 20 * p.recovery_time, LIGHT)
    assert peak_and_fwhm(film)[0] == pytest.approx(peak0, abs=0.05e-9)


def test_symmetric_ac_field_leaves_the_reversible_pl_but_still_damages():
    film = LateralPLFilm()
    p = film.p
    wf = PeriodicDrive(shape="square", frequency=10.0, high=20.0, low=-20.0)
    before = pl_photons(film)
    film.advance(0.0, 3600.0, Drive(waveform=wf, illuminated=True))
    assert film.reversible_factor() == pytest.approx(1.0, abs=1e-6)
    dose = 20.0 / p.gap * 3600.0  # mean |E| times time
    expected = 1 - p.irreversible_max * (1 - math.exp(-dose / p.irreversible_dose))
    assert pl_photons(film) / before == pytest.approx(expected, rel=1e-4)


def test_transient_is_quasi_static_pl_and_leak_current():
    film = LateralPLFilm()
    t = np.linspace(0, 1e-3, 1001)
    v = np.full_like(t, 10.0)
    power, current = film.transient(t, v)
    assert np.allclose(power, film.optical_power(LIGHT))
    assert np.allclose(current, film.current(10.0))


@pytest.mark.parametrize(
    "drive",
    [
        Drive(voltage=15.0, illuminated=True),
        Drive(waveform=PeriodicDrive(shape="square", frequency=5.0, high=20.0, low=-5.0),
              illuminated=True),
        Drive(illuminated=True),
    ],
)
def test_one_twelve_hour_advance_equals_4320_advances_of_ten_seconds(drive):
    once, many = LateralPLFilm(), LateralPLFilm()
    for film in (once, many):
        film.advance(0.0, 300.0, Drive(voltage=-8.0, illuminated=True))
    once.advance(300.0, 12 * 3600.0, drive)
    for k in range(4320):
        many.advance(300.0 + 10.0 * k, 10.0, drive)
    assert pl_photons(once) == pytest.approx(pl_photons(many), rel=1e-9)
    assert once.field_state == pytest.approx(many.field_state, rel=1e-9, abs=1e-15)
    assert once.describe()["present_peak_wavelength"] == pytest.approx(
        many.describe()["present_peak_wavelength"], rel=1e-12
    )


def test_bench_file_values_with_units_reach_the_model():
    film = build_dut({"model": "lateral_pl", "gap": "4 um", "saturation_field": "1e3 V/cm",
                      "dark_conductivity": "1e-8 S/cm", "response_time": "2 min",
                      "peak_wavelength": "520 nm"})
    assert isinstance(film, LateralPLFilm)
    assert film.p.gap == pytest.approx(4e-6)
    assert film.p.saturation_field == pytest.approx(1e5)
    assert film.p.dark_conductivity == pytest.approx(1e-6)
    assert film.p.response_time == pytest.approx(120.0)
    assert film.field(12.0) == pytest.approx(3e6)


def test_every_parameter_has_a_unit_and_bad_values_are_refused():
    from dataclasses import fields

    assert {f.name for f in fields(LateralPLParameters)} == set(LateralPLParameters.UNITS)
    with pytest.raises(ParameterError, match="gap"):
        LateralPLFilm(LateralPLParameters(gap=0.0))
    with pytest.raises(ParameterError, match="quench_polarity"):
        LateralPLFilm(LateralPLParameters(quench_polarity=0.5))
