"""The PeLED model against independent truth: the diode equation, the CIE table, TrEL traces
measured with plain numpy, DC-stress lifetimes, AC versus DC, segregation and recovery."""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from labctl.errors import ParameterError
from labctl.sim.bench import build_dut
from labctl.sim.dut.base import C_LIGHT, EPS0, KB, Drive, H, Q
from labctl.sim.dut.peled import PeLED, PeLEDParameters
from labctl.sim.dut.physics import photopic_efficiency
from labctl.sim.waveform import PeriodicDrive

#: CIE 1924/1931 photopic luminous efficiency V(λ), tabulated values (nm → V).
CIE_V = {
    460: 0.060, 470: 0.091, 480: 0.139, 490: 0.208, 500: 0.323, 510: 0.503, 520: 0.710,
    530: 0.862, 540: 0.954, 550: 0.995, 555: 1.000, 560: 0.995, 570: 0.952, 580: 0.870,
    590: 0.757, 600: 0.631, 610: 0.503, 620: 0.381, 630: 0.265, 640: 0.175, 650: 0.107,
    660: 0.061, 670: 0.032, 680: 0.017, 690: 0.0082, 700: 0.0041,
}
WAVELENGTH = np.linspace(400e-9, 760e-9, 3601)


def cie_v(wavelength: np.ndarray) -> np.ndarray:
    nm = np.array(sorted(CIE_V)) * 1e-9
    return np.interp(wavelength, nm, [CIE_V[k] for k in sorted(CIE_V)], left=0.0, right=0.0)


def photons(device: PeLED, drive: Drive) -> float:
    """Photons/s emitted, measured by integrating the spectrometer's spectrum."""
    flux = device.spectrum(WAVELENGTH, drive)
    return float(np.trapezoid(flux, WAVELENGTH)) / device.p.collection_fraction


def peak_of(wavelength: np.ndarray, flux: np.ndarray, low: float, high: float) -> float:
    window = (wavelength > low) & (wavelength < high)
    return float(wavelength[window][np.argmax(flux[window])])


# -- J–V ------------------------------------------------------------------------------------------
def test_closed_form_current_solves_the_implicit_diode_equation():
    device = PeLED()
    p = device.p
    a = p.ideality * KB * p.temperature / Q
    rs, rsh, i0 = p.series_resistance / p.area, p.shunt_resistance / p.area, (
        p.saturation_current_density * p.area
    )

    def implicit(i: float, v: float) -> float:
        vj = v - i * rs
        return i0 * math.expm1(vj / a) + vj / rsh - i

    for v in (-5.0, -0.5, 0.0, 0.7, 2.0, 2.8, 3.2, 3.6, 4.5, 8.0):
        i = device.current(v)
        scale = max(abs(i), 1e-12)
        assert abs(implicit(i, v)) / scale < 1e-8
        # An independent bracketed solve of the same implicit equation.
        reference = brentq(lambda x, v=v: implicit(x, v), -1.0, v / rs + 1.0, xtol=1e-16,
                           rtol=1e-13)
        assert i == pytest.approx(reference, rel=1e-7, abs=1e-15)


def test_voltage_for_current_inverts_current_and_respects_the_limit():
    device = PeLED()
    for i in (1e-9, 1e-6, 1e-4, 1e-3, 2e-2):
        v = device.voltage_for_current(i, 20.0)
        assert device.current(v) == pytest.approx(i, rel=1e-8)
    assert device.voltage_for_current(10.0, 5.0) == 5.0
    assert device.voltage_for_current(-10.0, 5.0) == -5.0


def test_capacitance_and_rc_time_are_geometric():
    device = PeLED()
    p = device.p
    c = EPS0 * p.eps_r * p.area / p.thickness
    assert device.capacitance() == pytest.approx(c)
    # DOMAIN.md: a 4 mm² pixel at 100 nm, ε_r 30, into 50 Ω has τ_RC ≈ 0.5 µs (+ the device's r_s).
    assert 50 * c == pytest.approx(0.53e-6, rel=0.01)
    assert device.tau_rc == pytest.approx((50 + p.series_resistance / p.area) * c)


# -- light, quasi-static --------------------------------------------------------------------------
def test_photopic_fit_matches_the_cie_table():
    nm = np.array(sorted(CIE_V))
    fit = photopic_efficiency(nm * 1e-9)
    assert np.max(np.abs(fit - np.array([CIE_V[k] for k in nm]))) < 0.01


def test_luminance_is_the_lambertian_photopic_integral_of_the_emitted_spectrum():
    device = PeLED()
    for v in (3.0, 3.4, 4.0):
        drive = Drive(voltage=v)
        flux = device.spectrum(WAVELENGTH, drive) / device.p.collection_fraction
        radiant = flux * H * C_LIGHT / WAVELENGTH  # W per m of wavelength
        lumens = 683.0 * np.trapezoid(radiant * cie_v(WAVELENGTH), WAVELENGTH)
        expected = lumens / (math.pi * device.p.area)
        assert device.luminance(drive) == pytest.approx(expected, rel=0.01)
        assert device.optical_power(drive) == pytest.approx(
            np.trapezoid(radiant, WAVELENGTH), rel=1e-3
        )


def test_optical_power_follows_eqe_current_and_photon_energy():
    device = PeLED(PeLEDParameters(ionic_el_fraction=0.0))
    p = device.p
    for v in (3.0, 3.4, 4.0):
        i = device.current(v)
        vj = v - i * p.series_resistance / p.area
        i_rec = i - vj / (p.shunt_resistance / p.area)
        j = i_rec / p.area
        eqe = p.eqe_intrinsic * (j / p.trap_current_density) / (1 + j / p.trap_current_density)
        eqe /= 1 + (j / p.rolloff_current_density) ** p.rolloff_exponent
        expected = eqe * i_rec / Q * H * C_LIGHT / p.peak_wavelength
        assert device.optical_power(Drive(voltage=v)) == pytest.approx(expected, rel=0.005)


def test_turn_on_voltage_is_where_a_dense_sweep_first_reaches_one_candela():
    device = PeLED()
    volts = np.arange(2.0, 4.0, 0.001)
    lum = np.array([device.luminance(Drive(voltage=v)) for v in volts])
    first = int(np.nonzero(lum >= 1.0)[0][0])
    v_on = device.turn_on_voltage()
    assert volts[first - 1] <= v_on <= volts[first]
    assert 2.3 < v_on < 3.5  # a green PeLED (Jiang et al. 2024)


def test_eqe_peaks_then_rolls_off_and_the_spectrum_sits_at_the_set_peak():
    device = PeLED()
    j = np.geomspace(1e-2, 1e4, 200)
    eqe = np.asarray(device.eqe(j))
    k = int(np.argmax(eqe))
    assert 0 < k < j.size - 1
    assert eqe[-1] < 0.5 * eqe[k]  # roll-off
    assert 0.05 < eqe[k] < device.p.eqe_intrinsic
    flux = device.spectrum(WAVELENGTH, Drive(voltage=3.4))
    assert peak_of(WAVELENGTH, flux, 450e-9, 700e-9) == pytest.approx(520e-9, abs=0.2e-9)
    above = WAVELENGTH[flux >= flux.max() / 2]
    assert above[-1] - above[0] == pytest.approx(device.p.fwhm, rel=0.01)


def test_reverse_bias_emits_only_the_set_fraction():
    device = PeLED()
    forward = device.optical_power(Drive(voltage=4.0))
    reverse = device.optical_power(Drive(voltage=-4.0))
    assert reverse == pytest.approx(device.p.reverse_el_fraction * forward, rel=1e-6)
    assert device.optical_power(Drive()) == 0.0


# -- TrEL ----------------------------------------------------------------------------------------
def pulse_trace(device: PeLED, *, high: float = 4.0, width: float = 20e-6, dt: float = 1e-9):
    wf = PeriodicDrive(shape="pulse", frequency=1e3, high=high, low=0.0, width=width,
                       leading_edge=1e-9, trailing_edge=1e-9)
    t = np.arange(-2e-6, width + 60e-6, dt)
    v = wf.sample(t)
    el, current = device.transient(t, v)
    return t, v, el, current


def measure_trel(t, v, el, width):
    """Delay (50 % edge → 5 % of the plateau), 10–90 % rise (of the plateau) and peak/plateau,
    with numpy."""
    high = v.max()
    edge = float(np.interp(0.5 * high, v[t < width / 2], t[t < width / 2]))
    fall = width + 0.625e-9  # the trailing edge's 50 % point
    on = (t > edge) & (t < fall)
    plateau = float(el[(t > fall - 1e-6) & (t < fall - 0.1e-6)].mean())
    k_peak = int(np.argmax(np.where(on, el, -np.inf)))
    peak = float(el[k_peak])
    lead = on & (t <= t[k_peak])
    onset = np.interp(0.05 * plateau, el[lead], t[lead])
    t10 = np.interp(0.1 * plateau, el[lead], t[lead])
    t90 = np.interp(0.9 * plateau, el[lead], t[lead])
    return {"delay": onset - edge, "rise": t90 - t10, "overshoot": peak / plateau,
            "plateau": plateau, "fall": fall}


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"delay_time": 0.3e-6, "rise_time": 0.5e-6, "overshoot_ratio": 1.5, "overshoot_time": 3e-6,
         "decay_time": 2e-6},
        {"delay_time": 50e-9, "rise_time": 80e-9, "overshoot_ratio": 1.0, "decay_time": 0.5e-6},
    ],
)
def test_trel_trace_shows_the_set_delay_rise_overshoot_and_decay(settings):
    device = PeLED(PeLEDParameters(slow_decay_fraction=0.0, **settings))
    p = device.p
    width = 40e-6
    t, v, el, _ = pulse_trace(device, width=width)
    m = measure_trel(t, v, el, width)
    assert m["delay"] == pytest.approx(p.delay_time, rel=0.05)
    assert m["rise"] == pytest.approx(p.rise_time, rel=0.05)
    assert m["overshoot"] == pytest.approx(p.overshoot_ratio, rel=0.02)
    # Decay: a straight line in log(EL) after pulse-off.
    window = (t > m["fall"] + 0.2 * p.decay_time) & (t < m["fall"] + 3 * p.decay_time)
    slope = np.polyfit(t[window], np.log(el[window]), 1)[0]
    assert -1 / slope == pytest.approx(p.decay_time, rel=0.02)
    # Nothing before the first light, a few ns before t_d.
    first = device.describe()["first_light_time"]
    assert 0.9 * p.delay_time < first < p.delay_time
    assert np.all(el[(t > 0) & (t < first)] < 1e-6 * m["plateau"])


def test_trel_bi_exponential_tail_and_its_integrated_share():
    device = PeLED(PeLEDParameters(slow_decay_fraction=0.1, slow_decay_time=10e-6))
    p = device.p
    width = 20e-6
    t, _, el, _ = pulse_trace(device, width=width, dt=2e-9)
    fall = width + 0.625e-9
    tail = (t > fall + 8 * p.decay_time) & (t < fall + 40e-6)
    slope, intercept = np.polyfit(t[tail] - fall, np.log(el[tail]), 1)
    assert -1 / slope == pytest.approx(p.slow_decay_time, rel=0.03)
    at_off = float(np.interp(fall + 5e-9, t, el))
    assert math.exp(intercept) / at_off == pytest.approx(p.slow_decay_fraction, rel=0.05)
    after = t > fall
    # Integrated EL after pulse-off, with the exponential tail beyond the trace added.
    total = np.trapezoid(el[after], t[after]) + el[-1] * -1 / slope
    share = math.exp(intercept) * -1 / slope / total
    expected = 0.1 * 10e-6 / (0.1 * 10e-6 + 0.9 * p.decay_time)
    assert share == pytest.approx(expected, rel=0.05)


def test_trel_current_shows_rc_charging_through_source_and_series_resistance():
    device = PeLED()
    p = device.p
    r = p.source_resistance + p.series_resistance / p.area
    tau = r * EPS0 * p.eps_r * p.area / p.thickness
    width = 20e-6
    t, _, _, current = pulse_trace(device, width=width)
    settled = float(current[(t > 15e-6) & (t < 19e-6)].mean())
    spike = float(current[(t > 0) & (t < 0.2e-6)].max())
    assert spike == pytest.approx(4.0 / r, rel=0.05)
    window = (t > 0.1e-6) & (t < 2.5 * tau)
    slope = np.polyfit(t[window], np.log(np.abs(current[window] - settled)), 1)[0]
    assert -1 / slope == pytest.approx(tau, rel=0.05)


def test_trel_plateau_equals_the_dc_emission_at_the_same_current():
    device = PeLED(PeLEDParameters(source_resistance=0.0, ionic_el_fraction=0.0))
    width = 20e-6
    t, v, el, _ = pulse_trace(device, high=3.6, width=width)
    plateau = measure_trel(t, v, el, width)["plateau"]
    assert plateau == pytest.approx(device.optical_power(Drive(voltage=3.6)), rel=0.002)


def test_transient_keeps_the_shape_of_its_input():
    device = PeLED()
    wf = PeriodicDrive(shape="square", frequency=1e4, high=4.5, low=-3.5)
    t = np.linspace(0, 1e-3, 100_000)
    el, current = device.transient(t, wf.sample(t))
    assert el.shape == current.shape == t.shape
    assert np.all(np.isfinite(el)) and np.all(np.isfinite(current))


# -- AC -------------------------------------------------------------------------------------------
def averaged_el(device: PeLED, wf: PeriodicDrive, periods: int = 6, points: int = 4000):
    """Mean EL over the last period, and over its forward and reverse halves, from transient().

    The record starts from rest (0 V), where the slow ionic state is near its AC average."""
    t = np.arange(periods * points) * (wf.period / points)
    v = wf.sample(t)
    v[0] = 0.0
    el, _ = device.transient(t, v)
    last = slice((periods - 1) * points, periods * points)
    forward = v[last] > 0
    return float(el[last].mean()), float(el[last][forward].mean()), float(el[last][~forward].mean())


def test_ac_el_falls_with_frequency_and_the_reverse_half_cycle_is_dim():
    device = PeLED()
    dc = device.transient(np.linspace(0, 1, 3), np.full(3, 4.5))[0][-1]
    amplitude, ratios = [], []
    for f in (1.0, 20.0, 100.0, 1e3, 2e4, 2e6):
        wf = PeriodicDrive(shape="square", frequency=f, high=4.5, low=-3.5)
        # Enough periods for the ms ionic state at low and the µs states at high frequency.
        periods = min(max(6, int(5 * device.p.ionic_response_time * f) + 2), 400)
        mean, forward, reverse = averaged_el(device, wf, periods, 1000 if periods > 50 else 4000)
        amplitude.append(forward / dc)
        ratios.append(reverse / forward)
        # The bench's period average (photodiode) agrees with the scope trace.
        assert device.optical_power(Drive(waveform=wf)) == pytest.approx(mean, rel=0.03)
    assert all(a > b for a, b in itertools.pairwise(amplitude))
    assert amplitude[0] > 0.95  # 1 Hz: the ions follow, the EL is the DC EL
    assert amplitude[-1] < 0.5  # MHz: the half-period is a few response times
    # Slow drive: the reverse half-cycle only shows the weak reverse EL; at MHz the decay of the
    # forward half-cycle's EL spills into it.
    assert all(0 < r < 0.05 for r in ratios[:4])
    assert ratios[-1] > 10 * ratios[0]


def test_sine_el_lags_more_at_high_frequency():
    device = PeLED()
    lags = []
    for f in (1e3, 2e5):
        wf = PeriodicDrive(shape="sine", frequency=f, high=4.5, low=0.5)
        points = 20000
        t = np.arange(3 * points) * (wf.period / points)
        el, _ = device.transient(t, wf.sample(t))
        last = slice(2 * points, 3 * points)
        crest = wf.period / 4
        peak = (t[last][np.argmax(el[last])] - 2 * wf.period)
        lags.append((peak - crest) / wf.period * 360)
    assert lags[1] > lags[0] + 5  # degrees of phase


# -- slow processes ------------------------------------------------------------------------------
def stress_record(device: PeLED, drive: Drive, until: float, measure) -> tuple[np.ndarray, ...]:
    times = np.concatenate([np.arange(0, 1200, 10.0), np.arange(1200, until, 60.0)])
    values = [measure(device, drive)]
    for t0, t1 in itertools.pairwise(times):
        device.advance(t0, t1 - t0, drive)
        values.append(measure(device, drive))
    return times, np.array(values)


def t50_of(times: np.ndarray, values: np.ndarray, start: int = 0) -> float:
    rel = values / values[0]
    k = start + int(np.nonzero(rel[start:] <= 0.5)[0][0])
    return float(np.interp(0.5, [rel[k], rel[k - 1]], [times[k], times[k - 1]]))


def test_dc_stress_overshoot_then_t50_at_the_reference_current():
    device = PeLED()
    p = device.p
    drive = Drive(voltage=device.voltage_for_current(p.reference_current_density * p.area, 10))
    assert device.current(drive.voltage) / p.area == pytest.approx(200.0)  # 20 mA/cm²
    times, rate = stress_record(device, drive, 2 * p.t50, photons)
    rel = rate / rate[0]
    k = int(np.argmax(rel))
    assert rel[k] == pytest.approx(p.luminance_overshoot, rel=0.005)
    assert times[k] == pytest.approx(p.time_to_peak, abs=10.0)
    assert t50_of(times, rate, k) == pytest.approx(p.t50, rel=0.005)


def test_luminance_t50_reported_by_describe_matches_a_measured_stress():
    fresh = PeLED()
    truth = fresh.describe()
    device = PeLED()
    p = device.p
    drive = Drive(voltage=device.voltage_for_current(p.reference_current_density * p.area, 10))
    times, lum = stress_record(device, drive, 2 * p.t50, lambda d, dr: d.luminance(dr))
    k = int(np.argmax(lum))
    assert t50_of(times, lum, k) == pytest.approx(truth["t50_luminance"], rel=0.005)
    assert lum[k] / lum[0] == pytest.approx(truth["peak_ratio_luminance"], rel=0.005)


def test_higher_current_shortens_t50_by_the_acceleration_exponent():
    p = PeLEDParameters(luminance_overshoot=1.0, ion_degradation_share=0.0)
    lifetimes = []
    for factor in (1.0, 2.0):
        device = PeLED(copy.deepcopy(p))
        i = factor * p.reference_current_density * p.area
        drive = Drive(voltage=device.voltage_for_current(i, 10))
        times, rate = stress_record(device, drive, 1.5 * p.t50, photons)
        lifetimes.append(t50_of(times, rate))
    assert lifetimes[0] / lifetimes[1] == pytest.approx(2**p.acceleration_exponent, rel=0.01)


def test_ac_with_reverse_half_cycles_degrades_slower_than_dc_at_equal_mean_current():
    p = PeLEDParameters(source_resistance=0.0)
    dc_device, ac_device = PeLED(copy.deepcopy(p)), PeLED(copy.deepcopy(p))
    i_ref = p.reference_current_density * p.area
    dc = Drive(voltage=dc_device.voltage_for_current(i_ref, 10))
    high = ac_device.voltage_for_current(2 * i_ref, 10)
    wf = PeriodicDrive(shape="square", frequency=1e3, high=high, low=-2.0)
    # Equal mean current, checked on a sampled period.
    samples = wf.sample(np.linspace(0, wf.period, 4000, endpoint=False))
    mean_current = np.mean([ac_device.current(v) for v in samples])
    assert mean_current == pytest.approx(i_ref, rel=0.01)
    t_dc = t50_of(*stress_record(dc_device, dc, 3 * p.t50, photons))
    t_ac = t50_of(*stress_record(ac_device, Drive(waveform=wf), 6 * p.t50, photons))
    assert 1.3 < t_ac / t_dc < 4.5  # seed: AC improves stability up to 4×


def test_square_wave_outlives_sine_at_equal_mean_luminance():
    p = PeLEDParameters(source_resistance=0.0)
    square_device, sine_device = PeLED(copy.deepcopy(p)), PeLED(copy.deepcopy(p))
    square = PeriodicDrive(shape="square", frequency=1e3, high=3.5, low=-3.5)
    target = square_device.optical_power(Drive(waveform=square))

    def sine(amplitude: float) -> PeriodicDrive:
        return PeriodicDrive(shape="sine", frequency=1e3, high=amplitude, low=-amplitude)

    amplitude = brentq(
        lambda a: sine_device.optical_power(Drive(waveform=sine(a))) / target - 1, 3.5, 8.0
    )
    sine_drive = Drive(waveform=sine(amplitude))
    assert sine_device.optical_power(sine_drive) == pytest.approx(target, rel=1e-6)
    t_square = t50_of(*stress_record(square_device, Drive(waveform=square), 10 * p.t50, photons))
    t_sine = t50_of(*stress_record(sine_device, sine_drive, 10 * p.t50, photons))
    assert t_square > 1.2 * t_sine


def test_segregation_red_shifts_grows_a_red_peak_and_recovers_partially():
    device = PeLED()
    p = device.p
    drive = Drive(voltage=device.reference_voltage())
    wl = np.linspace(450e-9, 700e-9, 25001)

    def snapshot() -> tuple[float, float]:
        flux = device.spectrum(wl, drive)
        red = float(np.trapezoid(flux[wl > 580e-9], wl[wl > 580e-9]) / np.trapezoid(flux, wl))
        return peak_of(wl, flux, 480e-9, 560e-9), red

    peak0, red0 = snapshot()
    for _ in range(60):
        device.advance(0, 30.0, drive)  # 30 min at the reference current
    peak1, red1 = snapshot()
    for _ in range(60):
        device.advance(0, 300.0, Drive())  # 5 h at rest, ≫ the recovery time
    peak2, red2 = snapshot()
    assert peak1 - peak0 > 3e-9  # nm-scale red shift
    assert red1 > red0 + 0.1  # a second, red peak grows
    recovered = (peak1 - peak2) / (peak1 - peak0)
    assert recovered == pytest.approx(1 - p.segregation_irreversible, abs=0.02)
    assert red0 < red2 < red1
    assert device.describe()["segregation"] > 0


def test_symmetric_ac_keeps_the_spectrum_stable():
    dc_device, ac_device = PeLED(), PeLED()
    wl = np.linspace(450e-9, 700e-9, 25001)
    wf = PeriodicDrive(shape="square", frequency=1e3, high=4.0, low=-4.0)
    for _ in range(60):
        dc_device.advance(0, 30.0, Drive(voltage=4.0))
        ac_device.advance(0, 30.0, Drive(waveform=wf))
    dc_peak = peak_of(wl, dc_device.spectrum(wl, Drive(voltage=4.0)), 480e-9, 560e-9)
    ac_peak = peak_of(wl, ac_device.spectrum(wl, Drive(waveform=wf)), 480e-9, 560e-9)
    assert ac_peak == pytest.approx(520e-9, abs=0.1e-9)
    assert dc_peak > 525e-9


@pytest.mark.parametrize(
    "drive",
    [
        Drive(voltage=3.4),
        Drive(waveform=PeriodicDrive(shape="square", frequency=50.0, high=4.5, low=-3.5)),
        Drive(waveform=PeriodicDrive(shape="sine", frequency=1e3, high=4.0, low=0.0)),
        Drive(),
    ],
)
def test_one_twelve_hour_advance_equals_4320_advances_of_ten_seconds(drive):
    once, many = PeLED(), PeLED()
    # Start both from a stressed state so that rest also has something to recover.
    for device in (once, many):
        device.advance(0.0, 600.0, Drive(voltage=3.6))
    once.advance(600.0, 12 * 3600.0, drive)
    for k in range(4320):
        many.advance(600.0 + 10.0 * k, 10.0, drive)
    probe = Drive(voltage=3.4)
    assert once.luminance(probe) == pytest.approx(many.luminance(probe), rel=1e-9)
    assert once.spectrum(WAVELENGTH, probe) == pytest.approx(
        many.spectrum(WAVELENGTH, probe), rel=1e-9, abs=1e-30
    )
    assert once.ion_state == pytest.approx(many.ion_state, rel=1e-9, abs=1e-15)


# -- configuration ---------------------------------------------------------------------------------
def test_bench_file_values_with_units_reach_the_model():
    device = build_dut({"model": "peled", "peak_wavelength": "530 nm", "delay_time": "0.2 us",
                        "area": "2 mm**2", "series_resistance": "2 ohm*cm**2",
                        "reference_current_density": "10 mA/cm**2", "t50": "5 h"})
    assert isinstance(device, PeLED)
    p = device.p
    assert p.peak_wavelength == pytest.approx(530e-9)
    assert p.delay_time == pytest.approx(0.2e-6)
    assert p.area == pytest.approx(2e-6)
    assert p.series_resistance == pytest.approx(2e-4)
    assert p.reference_current_density == pytest.approx(100.0)
    assert p.t50 == pytest.approx(18000.0)


def test_every_parameter_has_a_unit_and_bad_values_are_refused():
    from dataclasses import fields

    names = {f.name for f in fields(PeLEDParameters)}
    assert names == set(PeLEDParameters.UNITS)
    with pytest.raises(ParameterError, match="unknown"):
        build_dut({"model": "peled", "brightness": 3})
    with pytest.raises(ParameterError, match="overshoot_ratio"):
        PeLED(PeLEDParameters(overshoot_ratio=0.5))
    with pytest.raises(ParameterError, match="time_to_peak"):
        PeLED(PeLEDParameters(time_to_peak=1e5, t50=1e4))
