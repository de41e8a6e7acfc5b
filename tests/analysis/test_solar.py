"""Solar-cell figures against a single-diode model solved here (Lambert W), and seed Table 1.

Truth: J = J_ph − J_0 (exp((V + J R_s)/(n V_t)) − 1) − (V + J R_s)/R_sh (photovoltaic sign, SI,
area-specific resistances), solved explicitly with the Lambert W function in its Wright-ω
form (no overflow); Voc by root finding and P_max by bounded maximisation on the exact curve.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import brentq, minimize_scalar
from scipy.special import wrightomega

from labctl.analysis.solar import (
    analyze_solar,
    hysteresis_index,
    pce_from_figures,
    solar_figures,
    split_scans,
)
from labctl.errors import ParameterError

Q = 1.602176634e-19
KB = 1.380649e-23
VT = KB * 300.0 / Q
AREA = 0.1e-4  # 0.1 cm²
P_IN = 1000.0  # W/m²


def diode_current_density(v, jph, j0, n, rs, rsh):
    """Single-diode J(V) in A/m², photocurrent positive."""
    v = np.asarray(v, dtype=float)
    a = n * VT
    x = math.log(rs * j0 * rsh / (a * (rs + rsh))) + rsh * (rs * (jph + j0) + v) / (a * (rs + rsh))
    return (rsh * (jph + j0) - v) / (rs + rsh) - a / rs * np.real(wrightomega(x))


def diode_truth(params):
    voc = brentq(lambda v: float(diode_current_density(v, *params)), 0.0, 3.0, xtol=1e-12)
    best = minimize_scalar(
        lambda v: -v * float(diode_current_density(v, *params)),
        bounds=(0.0, voc),
        method="bounded",
        options={"xatol": 1e-10},
    )
    return voc, float(diode_current_density(0.0, *params)), -best.fun


# (J_ph A/m², J_0 A/m², n, R_s Ω·m², R_sh Ω·m²): perovskite-like cells, Voc ≈ 0.9–1.25 V.
CELLS = [
    (200.0, 1e-11, 1.5, 2e-4, 0.1),
    (150.0, 1e-9, 1.8, 5e-4, 0.05),
    (220.0, 1e-13, 1.3, 1e-4, 1.0),
    (180.0, 1e-7, 1.6, 1e-3, 0.02),
]


def measure(v, j, rng, noise):
    """Current in A: multiplicative noise plus an additive floor of a tenth of it (× Jsc)."""
    jsc = float(j[np.argmin(np.abs(v))])
    floor = 0.1 * noise * jsc
    return (
        j * (1 + noise * rng.standard_normal(j.size)) + floor * rng.standard_normal(j.size)
    ) * AREA


# --------------------------------------------------------------------------- seed table


@pytest.mark.parametrize(
    ("voc", "jsc_ma_cm2", "ff_percent", "pce_percent"),
    [
        (1.23, 13.47, 65, 10.77),  # CsPbI3, reverse [37]
        (1.20, 18.91, 76, 17.39),  # Cs0.25FA0.75PbI3/CsPbI3, reverse [160]
        (1.17, 18.3, 78.3, 16.6),  # Cs0.5FA0.5PbI3, reverse [123]
        (0.89, 14.56, 78.6, 10.13),  # FAPbI3, reverse [179]
    ],
)
def test_seed_table_1_satisfies_pce_identity(voc, jsc_ma_cm2, ff_percent, pce_percent):
    # Yang, Jo & Lee, Adv. Mater. 2024, Table 1: PCE = Voc·Jsc·FF / 100 mW/cm².
    jsc = jsc_ma_cm2 * 10.0  # mA/cm² → A/m²
    pce = pce_from_figures(voc, jsc, ff_percent / 100, irradiance=P_IN)
    assert abs(100 * pce - pce_percent) <= 0.3


def test_hysteresis_index_definition():
    assert hysteresis_index(0.20, 0.18) == pytest.approx(0.1)
    assert hysteresis_index(0.20, 0.20) == 0.0


# --------------------------------------------------------------------------- accuracy

NOISES = [0.0, 0.002, 0.005]
STEPS = [0.005, 0.01, 0.02]
CASES = list(itertools.product(range(len(CELLS)), NOISES, STEPS, ["smu", "pv"]))


@pytest.mark.parametrize(("cell", "noise", "step", "convention"), CASES)
def test_figures_of_merit_accuracy(cell, noise, step, convention):
    params = CELLS[cell]
    voc, jsc, p_max = diode_truth(params)
    rng = np.random.default_rng(CASES.index((cell, noise, step, convention)))
    v = np.arange(-0.1, voc + 0.15, step)
    j = diode_current_density(v, *params)
    i = measure(v, j, rng, noise)
    if convention == "smu":
        i = -i  # the SMU sees current flowing out of the cell in the power quadrant
    result = analyze_solar(v[::-1], i[::-1], area=AREA, irradiance=P_IN)
    assert result.value("pce") == pytest.approx(p_max / P_IN, rel=0.015)
    assert abs(result.value("voc") - voc) <= 5e-3
    assert result.value("jsc") == pytest.approx(jsc, rel=0.01)
    assert result.value("ff") == pytest.approx(p_max / (voc * jsc), rel=0.02)
    assert result.value("p_mpp") == pytest.approx(p_max, rel=0.015)
    assert "hysteresis_index" not in result.quantities  # a single scan
    expected = "SMU" if convention == "smu" else "photovoltaic"
    assert result.extras["sign_convention_reverse"].startswith(expected)


@pytest.mark.parametrize("cell", range(len(CELLS)))
def test_one_percent_noise_on_a_fine_grid(cell):
    params = CELLS[cell]
    voc, _, p_max = diode_truth(params)
    v = np.arange(-0.1, voc + 0.15, 0.005)
    j = diode_current_density(v, *params)
    for seed in range(10):
        i = measure(v, j, np.random.default_rng(100 * cell + seed), 0.01)
        result = analyze_solar(v, i, area=AREA)
        assert result.value("pce") == pytest.approx(p_max / P_IN, rel=0.015)
        assert abs(result.value("voc") - voc) <= 5e-3


@pytest.mark.parametrize("cell", range(len(CELLS)))
def test_resistances_from_the_slopes(cell):
    _, _, n, rs, rsh = CELLS[cell]
    voc, jsc, _ = diode_truth(CELLS[cell])
    v = np.arange(-0.1, voc + 0.15, 0.005)
    result = analyze_solar(v, diode_current_density(v, *CELLS[cell]) * AREA, area=AREA)
    # The slope at Voc adds the diode's dynamic resistance n V_t / Jsc to R_s (upper bound).
    assert rs <= result.value("rs") <= 1.2 * (rs + n * VT / jsc)
    assert result.value("rsh") == pytest.approx(rsh, rel=0.1)


def test_flat_short_circuit_gives_no_shunt_resistance():
    params = (200.0, 1e-11, 1.5, 2e-4, 1e6)  # an ideal shunt
    voc, _, _ = diode_truth(params)
    v = np.arange(-0.1, voc + 0.1, 0.01)
    rng = np.random.default_rng(5)
    i = measure(v, diode_current_density(v, *params), rng, 0.01)
    result = analyze_solar(v, i, area=AREA)
    assert result.value("rsh") is None
    assert any(w.startswith("rsh:") for w in result.warnings)


# --------------------------------------------------------------------------- hysteresis


def _two_scans(noise: float, seed: int):
    rev_params = (200.0, 1e-11, 1.5, 2e-4, 0.1)
    fwd_params = (195.0, 1e-10, 1.6, 6e-4, 0.05)  # ions make the forward scan worse
    rng = np.random.default_rng(seed)
    v_up = np.arange(-0.1, 1.35, 0.01)
    v_down = v_up[::-1]
    i_rev = -measure(v_down, diode_current_density(v_down, *rev_params), rng, noise)
    i_fwd = -measure(v_up, diode_current_density(v_up, *fwd_params), rng, noise)
    hi = hysteresis_index(diode_truth(rev_params)[2], diode_truth(fwd_params)[2])
    return (v_down, i_rev), (v_up, i_fwd), hi


@pytest.mark.parametrize("noise", [0.0, 0.002])
def test_hysteresis_index_from_one_array_with_both_scans(noise):
    (v_rev, i_rev), (v_fwd, i_fwd), hi = _two_scans(noise, 1)
    v = np.concatenate((v_rev, v_fwd[1:]))  # Voc → Jsc, then back up
    i = np.concatenate((i_rev, i_fwd[1:]))
    result = analyze_solar(v, i, area=AREA)
    assert result.value("hysteresis_index") == pytest.approx(hi, abs=0.01)
    assert result.value("pce") == result.value("pce_reverse")
    assert result.value("pce_forward") < result.value("pce_reverse")


def test_hysteresis_index_from_a_list_of_scans_and_explicit_directions():
    (v_rev, i_rev), (v_fwd, i_fwd), hi = _two_scans(0.0, 2)
    detected = analyze_solar([v_fwd, v_rev], [i_fwd, i_rev], area=AREA)
    assert detected.value("hysteresis_index") == pytest.approx(hi, abs=0.01)
    # Explicit labels win over the voltage order (e.g. data re-sorted after acquisition).
    labelled = analyze_solar(
        [v_fwd, v_rev[::-1]], [i_fwd, i_rev[::-1]], area=AREA, direction=["forward", "reverse"]
    )
    assert labelled.value("hysteresis_index") == pytest.approx(hi, abs=0.01)


def test_split_scans_finds_turning_points():
    v = np.array([0.0, 0.5, 1.0, 1.0, 0.5, 0.0, 0.5])
    scans = split_scans(v)
    assert [d for _, d in scans] == ["forward", "reverse", "forward"]
    assert scans[0][0] == slice(0, 4) and scans[1][0] == slice(3, 6)


# --------------------------------------------------------------------------- honesty


def test_dark_curve_reports_no_efficiency():
    params = (0.0, 1e-11, 1.5, 2e-4, 0.1)
    v = np.arange(-0.2, 1.3, 0.01)
    j = -diode_current_density(v, 1e-9, *params[1:])  # ~no photocurrent
    result = analyze_solar(v, j * AREA, area=AREA)
    for name in ("pce", "voc", "ff"):
        assert result.value(name) is None
    assert any("no photocurrent" in w for w in result.warnings)


def test_scan_stopping_below_open_circuit():
    params = CELLS[0]
    voc, _, _ = diode_truth(params)
    v = np.arange(0.0, voc - 0.05, 0.01)
    result = analyze_solar(v, diode_current_density(v, *params) * AREA, area=AREA)
    assert result.value("voc") is None and result.value("ff") is None
    assert any("open circuit" in w for w in result.warnings)


def test_scan_stopping_before_the_maximum_power_point():
    params = CELLS[0]
    v = np.arange(0.0, 0.5, 0.01)
    result = analyze_solar(v, diode_current_density(v, *params) * AREA, area=AREA)
    assert result.value("pce") is None
    assert any("still rising" in w for w in result.warnings)


def test_noise_only_reports_no_numbers():
    rng = np.random.default_rng(0)
    v = np.arange(-0.1, 1.2, 0.01)
    result = analyze_solar(v, 1e-9 * rng.standard_normal(v.size), area=AREA)
    assert result.value("pce") is None and result.value("voc") is None


def test_figures_function_and_bad_input():
    v = np.linspace(-0.1, 1.3, 200)
    values, warnings = solar_figures(v, diode_current_density(v, *CELLS[0]))
    assert values["pce"] == pytest.approx(diode_truth(CELLS[0])[2] / P_IN, rel=0.015)
    assert warnings == []
    with pytest.raises(ParameterError, match="area"):
        analyze_solar(v, v, area=0)
    with pytest.raises(ParameterError, match="direction"):
        analyze_solar(v, v, area=AREA, direction="sideways")
