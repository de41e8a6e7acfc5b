"""The solar-cell model against independent truth: the implicit diode equation, a brute-force
dense J–V for V_oc, J_sc, FF and PCE, hysteresis from simulated scans, and step independence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labctl.errors import ParameterError
from labctl.sim.bench import build_dut
from labctl.sim.dut.base import EPS0, KB, Drive, Q
from labctl.sim.dut.solar import SolarCell, SolarCellParameters
from labctl.sim.waveform import PeriodicDrive

SUN = Drive(illuminated=True)


def brute_force(cell: SolarCell, points: int = 400_001) -> dict[str, float]:
    """V_oc, J_sc, FF, PCE from a dense steady-state J–V, with plain numpy."""
    v = np.linspace(-0.2, 1.5, points)
    j = np.asarray(cell.steady_state_current(v)) / cell.p.area
    k = int(np.nonzero(j > 0)[0][0])
    voc = float(np.interp(0.0, j[k - 1:k + 1], v[k - 1:k + 1]))
    jsc = -float(np.interp(0.0, v, j))
    power = -v * j
    p_max = float(power.max())
    return {"voc": voc, "jsc": jsc, "p_max": p_max, "v_mp": float(v[np.argmax(power)]),
            "ff": p_max / (voc * jsc), "pce": p_max / cell.p.irradiance}


def test_closed_form_current_solves_the_implicit_single_diode_equation():
    cell = SolarCell()
    p = cell.p
    a = p.ideality * KB * p.temperature / Q
    rs, rsh = p.series_resistance / p.area, p.shunt_resistance / p.area
    i0, iph = p.saturation_current_density * p.area, p.photocurrent_density * p.area
    for v in (-1.0, 0.0, 0.5, 0.9, 1.05, 1.1, 1.2, 1.5):
        i = float(cell.steady_state_current(v))
        vj = v - i * rs
        residual = i0 * math.expm1(vj / a) + vj / rsh - iph - i
        assert abs(residual) < 1e-9 * max(abs(i), iph)


def test_sign_convention_current_into_the_terminals():
    cell = SolarCell()
    cell.advance(0.0, 1.0, SUN)
    assert cell.current(0.0) < 0  # photocurrent flows out of the + terminal
    assert cell.current(0.8) * 0.8 < 0  # power quadrant: the cell delivers power
    assert cell.current(1.4) > 0  # beyond V_oc it is a forward-biased diode
    cell.advance(0.0, 1.0, Drive(illuminated=False))
    assert abs(cell.current(0.0)) < 1e-12
    assert cell.current(1.0) > 0


def test_truth_functions_match_a_dense_brute_force_j_v():
    cell = SolarCell()
    brute = brute_force(cell)
    assert cell.voc() == pytest.approx(brute["voc"], abs=1e-6)
    assert cell.jsc() == pytest.approx(brute["jsc"], rel=1e-9)
    v_mp, j_mp, p_max = cell.mpp()
    assert p_max == pytest.approx(brute["p_max"], rel=1e-6)
    assert v_mp == pytest.approx(brute["v_mp"], abs=2e-5)
    assert v_mp * j_mp == pytest.approx(p_max, rel=1e-12)
    assert cell.fill_factor() == pytest.approx(brute["ff"], rel=1e-5)
    assert cell.pce() == pytest.approx(brute["pce"], rel=1e-6)
    # Seed Table 1's consistency identity: PCE = V_oc · J_sc · FF / P_in.
    assert cell.pce() == pytest.approx(
        cell.voc() * cell.jsc() * cell.fill_factor() / cell.p.irradiance, rel=1e-12
    )


def test_default_cell_is_realistic():
    truth = SolarCell().describe()
    assert 1.05 < truth["voc"] < 1.25  # V
    assert 180 < truth["jsc"] < 230  # A/m² (18–23 mA/cm²)
    assert 0.72 < truth["fill_factor"] < 0.82
    assert 0.16 < truth["pce"] < 0.19


@pytest.mark.parametrize("settings", [{"series_resistance": 1e-3}, {"shunt_resistance": 0.05},
                                      {"ideality": 1.2, "saturation_current_density": 1e-12},
                                      {"irradiance": 500.0}])
def test_truth_functions_hold_for_other_cells(settings):
    cell = SolarCell(SolarCellParameters(**settings))
    brute = brute_force(cell)
    assert cell.voc() == pytest.approx(brute["voc"], abs=1e-6)
    assert cell.fill_factor() == pytest.approx(brute["ff"], rel=1e-5)
    assert cell.pce() == pytest.approx(brute["pce"], rel=1e-6)


def test_jsc_scales_with_irradiance_and_voc_rises_by_n_kt_ln2():
    one = SolarCell()
    half = SolarCell(SolarCellParameters(irradiance=500.0))
    assert half.jsc() == pytest.approx(one.jsc() / 2, rel=1e-3)
    a = one.p.ideality * KB * one.p.temperature / Q
    assert one.voc() - half.voc() == pytest.approx(a * math.log(2), abs=3e-3)


def sweep(cell: SolarCell, volts: np.ndarray, rate: float) -> np.ndarray:
    """A staircase sweep at ``rate`` V/s: each point waits its step on the clock, then reads."""
    dt = abs(volts[1] - volts[0]) / rate
    out = []
    for v in volts:
        cell.advance(0.0, dt, Drive(voltage=float(v), illuminated=True))
        out.append(cell.current(float(v)) / cell.p.area)
    return np.array(out)


def scan_pair(rate: float, **kw) -> tuple[float, float]:
    """(PCE reverse, PCE forward): each scan preconditioned 30 s at its start voltage."""
    cell = SolarCell(SolarCellParameters(**kw))
    volts = np.linspace(1.2, 0.0, 241)
    cell.advance(0.0, 30.0, Drive(voltage=1.2, illuminated=True))
    j_rev = sweep(cell, volts, rate)
    cell.advance(0.0, 30.0, Drive(voltage=0.0, illuminated=True))
    j_fwd = sweep(cell, volts[::-1], rate)
    p_in = cell.p.irradiance
    return float(np.max(-volts * j_rev)) / p_in, float(np.max(-volts[::-1] * j_fwd)) / p_in


def test_hysteresis_depends_on_scan_rate_and_vanishes_for_slow_scans():
    cell = SolarCell()
    tau = cell.p.ion_time
    slow_rev, slow_fwd = scan_pair(1.2 / (1000 * tau))  # the sweep takes 1000 τ_ion
    mid_rev, mid_fwd = scan_pair(1.2 / tau)  # the sweep takes about τ_ion
    hi_slow = (slow_rev - slow_fwd) / slow_rev
    hi_mid = (mid_rev - mid_fwd) / mid_rev
    assert abs(hi_slow) < 0.005
    assert slow_rev == pytest.approx(cell.pce(), rel=0.005)
    assert hi_mid > 0.05  # normal hysteresis: the reverse scan looks better
    assert mid_rev > cell.pce() > mid_fwd


def test_preconditioning_sets_the_fast_scan_result():
    volts = np.linspace(0.0, 1.2, 121)
    results = []
    for bias in (0.0, 1.2):
        cell = SolarCell()
        cell.advance(0.0, 60.0, Drive(voltage=bias, illuminated=True))
        j = sweep(cell, volts, 100.0)  # 12 ms: the ions are frozen
        results.append(float(np.max(-volts * j)))
    assert results[1] > 1.05 * results[0]  # forward-bias (light-soak-like) preconditioning helps


def test_transient_current_charges_the_geometric_capacitance():
    cell = SolarCell()
    p = cell.p
    c = EPS0 * p.eps_r * p.area / p.thickness
    tau = (p.source_resistance + p.series_resistance / p.area) * c
    assert cell.capacitance() == pytest.approx(c)
    t = np.arange(0, 10 * tau, tau / 200)
    v = np.where(t > tau, -0.5, 0.0)  # a reverse step keeps the diode out of the way
    power, current = cell.transient(t, v)
    settled = float(cell.current(-0.5))
    window = (t > 1.2 * tau) & (t < 4 * tau)
    slope = np.polyfit(t[window], np.log(np.abs(current[window] - settled)), 1)[0]
    assert -1 / slope == pytest.approx(tau, rel=0.03)
    assert np.all(power >= 0) and power.max() < 1e-9  # a solar cell hardly emits


def test_forward_current_gives_weak_electroluminescence():
    cell = SolarCell()
    cell.advance(0.0, 1.0, Drive(illuminated=False))
    drive = Drive(voltage=1.3, illuminated=False)
    rate = cell.p.eqe_el * cell.current(1.3) / Q
    wl = np.linspace(600e-9, 1000e-9, 4001)
    counted = np.trapezoid(cell.spectrum(wl, drive), wl) / cell.p.collection_fraction
    assert counted == pytest.approx(rate, rel=1e-3)
    assert cell.optical_power(Drive(illuminated=False)) == 0.0


@pytest.mark.parametrize(
    "drive",
    [
        Drive(voltage=1.0, illuminated=True),
        Drive(waveform=PeriodicDrive(shape="sine", frequency=10.0, high=1.0, low=-0.5),
              illuminated=True),
        Drive(illuminated=True),
    ],
)
def test_one_twelve_hour_advance_equals_4320_advances_of_ten_seconds(drive):
    once, many = SolarCell(), SolarCell()
    for cell in (once, many):
        cell.advance(0.0, 2.0, Drive(voltage=1.2, illuminated=True))
    once.advance(2.0, 12 * 3600.0, drive)
    for k in range(4320):
        many.advance(2.0 + 10.0 * k, 10.0, drive)
    assert once.ion_state == pytest.approx(many.ion_state, rel=1e-9, abs=1e-15)
    for v in (0.0, 0.8, 1.1):
        assert once.current(v) == pytest.approx(many.current(v), rel=1e-9)


def test_bench_file_values_with_units_reach_the_model():
    cell = build_dut({"model": "solar", "area": "0.09 cm**2", "irradiance": "100 mW/cm**2",
                      "photocurrent_density": "21 mA/cm**2", "series_resistance": "3 ohm*cm**2",
                      "ion_time": "2 s"})
    assert isinstance(cell, SolarCell)
    assert cell.p.area == pytest.approx(9e-6)
    assert cell.p.irradiance == pytest.approx(1000.0)
    assert cell.p.photocurrent_density == pytest.approx(210.0)
    assert cell.p.series_resistance == pytest.approx(3e-4)
    assert cell.jsc() == pytest.approx(210.0, rel=0.01)


def test_every_parameter_has_a_unit_and_bad_values_are_refused():
    from dataclasses import fields

    assert {f.name for f in fields(SolarCellParameters)} == set(SolarCellParameters.UNITS)
    with pytest.raises(ParameterError, match="area"):
        SolarCell(SolarCellParameters(area=-1.0))
