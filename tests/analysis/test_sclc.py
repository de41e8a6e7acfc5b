"""SCLC analysis against synthetic truth built here from the textbook Lampert model.

The truth model (written independently of the simulator): J = J_Ω + g(V) J_MG with
J_Ω = q n0 μ V / L, J_MG = (9/8) ε0 εr μ (V − V_bi)² / L³, and g = θ below the trap-filled limit
V_TFL = q N_t L² / (2 ε0 εr), rising to 1 across V_TFL … (1 + w) V_TFL (w = 0: the ideal
vertical Lampert step). n0 is chosen so that the ohmic and trap-limited SCLC currents cross
at a chosen fraction of V_TFL.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from labctl.analysis.results import AnalysisResult, Quantity, missing
from labctl.analysis.sclc import (
    analyze_sclc,
    min_resolvable_trap_density,
    mott_gurney_current_density,
    mott_gurney_mobility,
    sclc_local_slope,
    trap_density,
)
from labctl.errors import ParameterError

Q = 1.602176634e-19
EPS0 = 8.8541878128e-12
KB = 1.380649e-23
AREA = 1e-6  # 1 mm²


def lampert_current_density(
    v: np.ndarray,
    *,
    thickness: float,
    eps_r: float,
    mobility: float,
    n_t: float,
    theta: float = 0.05,
    rise: float = 0.2,
    crossover: float = 0.2,
    v_bi: float = 0.0,
) -> np.ndarray:
    """Truth J(V) in A/m² (positive), see the module docstring."""
    v = np.abs(np.asarray(v, dtype=float))
    v_tfl = Q * n_t * thickness**2 / (2 * EPS0 * eps_r)
    v_x = crossover * v_tfl
    n0 = 9 * theta * EPS0 * eps_r * v_x / (8 * Q * thickness**2)
    j_ohm = Q * n0 * mobility * v / thickness
    j_mg = 9 / 8 * EPS0 * eps_r * mobility * np.clip(v - v_bi, 0, None) ** 2 / thickness**3
    if rise > 0:
        exponent = math.log(1 / theta) / math.log(1 + rise)
        g = np.where(v > v_tfl, np.minimum(theta * (v / v_tfl) ** exponent, 1.0), theta)
    else:
        g = np.where(v >= v_tfl, 1.0, theta)
    return j_ohm + g * j_mg


def v_tfl_of(n_t: float, thickness: float, eps_r: float) -> float:
    return Q * n_t * thickness**2 / (2 * EPS0 * eps_r)


def n_t_min_of(thickness: float, eps_r: float, temperature: float = 300.0) -> float:
    return 4 * math.pi**2 * KB * temperature * EPS0 * eps_r / (Q**2 * thickness**2)


def voltage_grid(kind: str, v_max: float, v_min: float) -> np.ndarray:
    if kind == "linear":
        return np.linspace(0.0, v_max, 241)  # includes V = 0
    return np.geomspace(v_min, v_max, 150)


def measure(
    j: np.ndarray, rng: np.random.Generator, noise: float, floor: float, sign: float = 1.0
) -> np.ndarray:
    """Current in A with multiplicative noise and an additive Gaussian floor (A)."""
    i = j * AREA * (1 + noise * rng.standard_normal(j.size)) + floor * rng.standard_normal(j.size)
    return sign * i


# --------------------------------------------------------------------------- equations


def test_trap_density_is_jiang_eq_13():
    # 1 µm, εr 30, V_TFL 1 V → N_t = 2 ε0 εr V / (q L²).
    expected = 2 * EPS0 * 30 * 1.0 / (Q * 1e-12)
    assert trap_density(1.0, 1e-6, 30) == pytest.approx(expected, rel=1e-6)
    # Round trip through V_TFL = q N_t L² / (2 ε0 εr).
    assert trap_density(v_tfl_of(2.19e23, 0.3e-6, 25), 0.3e-6, 25) == pytest.approx(
        2.19e23, rel=1e-6
    )


def test_min_resolvable_trap_density_le_corre():
    # 4π² k_B T ε0 εr / (q² L²) at 1 µm, εr 30, 300 K ≈ 1.7e15 cm⁻³.
    value = min_resolvable_trap_density(1e-6, 30, 300)
    assert value == pytest.approx(n_t_min_of(1e-6, 30), rel=1e-6)
    assert value == pytest.approx(1.69e21, rel=0.01)


def test_mott_gurney_round_trip():
    v = np.linspace(0.5, 5, 10)
    j = mott_gurney_current_density(v, 2e-5, 0.4e-6, 40, v_bi=0.3)
    assert np.allclose(mott_gurney_mobility(v, j, 0.4e-6, 40, v_bi=0.3), 2e-5, rtol=1e-12)
    assert np.isnan(mott_gurney_mobility([0.2], [1.0], 0.4e-6, 40, v_bi=0.3)[0])


@pytest.mark.parametrize("kind", ["linear", "log"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("exponent", [1.0, 2.0, 3.5])
def test_local_slope_of_power_laws(kind, sign, exponent):
    v = voltage_grid(kind, 10.0, 0.01)
    j = 1e-3 * v**exponent
    fit = sclc_local_slope(sign * v, sign * j)
    assert np.allclose(fit.slope, exponent, atol=1e-6)


# --------------------------------------------------------------------------- accuracy

THICKNESSES = [0.2e-6, 0.5e-6, 1.0e-6]
PERMITTIVITIES = [20.0, 40.0, 60.0]
NOISES = [0.0, 0.01, 0.05]
GRIDS = ["linear", "log"]
CASES = list(itertools.product(THICKNESSES, PERMITTIVITIES, NOISES, GRIDS))


@pytest.mark.parametrize(("thickness", "eps_r", "noise", "grid"), CASES)
def test_trap_density_and_mobility_accuracy(thickness, eps_r, noise, grid):
    case = CASES.index((thickness, eps_r, noise, grid))
    rng = np.random.default_rng(1000 + case)
    # N_t a few times the resolvable minimum, i.e. V_TFL of 1.5–6 V; θ, rise width, mobility
    # and current sign vary from case to case.
    n_t = rng.uniform(3, 12) * n_t_min_of(thickness, eps_r)
    mobility = 10 ** rng.uniform(-6, -3)  # 0.01–10 cm²/Vs
    theta = 10 ** rng.uniform(-2.5, -1)
    rise = [0.0, 0.1, 0.25][case % 3]
    sign = 1.0 if case % 2 else -1.0
    v_tfl = v_tfl_of(n_t, thickness, eps_r)
    v = voltage_grid(grid, 6 * v_tfl, 0.01 * v_tfl)
    j = lampert_current_density(
        v, thickness=thickness, eps_r=eps_r, mobility=mobility, n_t=n_t, theta=theta, rise=rise
    )
    # Additive floor: 2 % of the current at the smallest non-zero voltage.
    floor = 0.02 * j[v > 0].min() * AREA
    result = analyze_sclc(
        sign * v, measure(j, rng, noise, floor, sign), thickness=thickness, eps_r=eps_r, area=AREA
    )
    assert result.value("trap_density") == pytest.approx(n_t, rel=0.20), result.warnings
    assert result.value("v_tfl") == pytest.approx(v_tfl, rel=0.20)
    assert result.value("mobility") == pytest.approx(mobility, rel=0.15), result.warnings
    assert result.value("n_t_min") == pytest.approx(n_t_min_of(thickness, eps_r), rel=1e-6)
    assert not any("n_t,min" in w for w in result.warnings)


def test_worst_errors_over_all_conditions_are_small():
    """One summary over many random draws: the errors stay well inside the tolerances."""
    rng = np.random.default_rng(7)
    worst_nt, worst_mu = 0.0, 0.0
    for _ in range(60):
        thickness = rng.uniform(0.2e-6, 1e-6)
        eps_r = rng.uniform(20, 60)
        n_t = rng.uniform(3, 20) * n_t_min_of(thickness, eps_r)
        mobility = 10 ** rng.uniform(-6, -3)
        noise = rng.choice([0.0, 0.01, 0.05])
        grid = rng.choice(GRIDS)
        v_tfl = v_tfl_of(n_t, thickness, eps_r)
        v = voltage_grid(grid, rng.uniform(4, 10) * v_tfl, 0.01 * v_tfl)
        j = lampert_current_density(
            v,
            thickness=thickness,
            eps_r=eps_r,
            mobility=mobility,
            n_t=n_t,
            theta=10 ** rng.uniform(-2.5, -0.7),
            rise=rng.uniform(0, 0.3),
            crossover=rng.uniform(0.05, 2),
        )
        result = analyze_sclc(
            v, measure(j, rng, noise, 1e-12), thickness=thickness, eps_r=eps_r, area=AREA
        )
        worst_nt = max(worst_nt, abs(result.value("trap_density") / n_t - 1))
        worst_mu = max(worst_mu, abs(result.value("mobility") / mobility - 1))
    assert worst_nt < 0.20
    assert worst_mu < 0.15


def test_ideal_lampert_step_is_found_within_one_voltage_step():
    thickness, eps_r = 0.5e-6, 30.0
    n_t = 8 * n_t_min_of(thickness, eps_r)
    v_tfl = v_tfl_of(n_t, thickness, eps_r)
    v = np.linspace(0, 5 * v_tfl, 501)
    j = lampert_current_density(
        v, thickness=thickness, eps_r=eps_r, mobility=1e-5, n_t=n_t, theta=0.01, rise=0.0
    )
    result = analyze_sclc(v, j * AREA, thickness=thickness, eps_r=eps_r, area=AREA)
    assert abs(result.value("v_tfl") - v_tfl) <= v[1] - v[0]
    # The two-tangent value is kept for comparison only.
    assert result.extras["v_tfl_two_tangent"] is not None


def test_regimes_are_segmented_in_order():
    thickness, eps_r = 0.5e-6, 30.0
    n_t = 10 * n_t_min_of(thickness, eps_r)
    v_tfl = v_tfl_of(n_t, thickness, eps_r)
    v = np.geomspace(1e-3 * v_tfl, 8 * v_tfl, 200)
    j = lampert_current_density(
        v, thickness=thickness, eps_r=eps_r, mobility=1e-5, n_t=n_t, theta=0.01, crossover=0.05
    )
    result = analyze_sclc(v, j * AREA, thickness=thickness, eps_r=eps_r, area=AREA)
    labels = [str(x) for x in result.extras["regime"] if x]
    order = [lab for i, lab in enumerate(labels) if i == 0 or labels[i - 1] != lab]
    assert order == ["ohmic", "trap_limited", "trap_filling", "child"]
    ohmic, rise, child = (
        result.extras["ohmic_range"],
        result.extras["trap_filling_range"],
        result.extras["child_range"],
    )
    assert ohmic[1] < rise[0] < v_tfl * 1.3 and child[0] > rise[1]
    assert result.value("max_slope") > 3


def test_conductivity_from_the_ohmic_region():
    thickness, eps_r, mobility, theta = 0.5e-6, 30.0, 1e-5, 0.01
    n_t = 10 * n_t_min_of(thickness, eps_r)
    v_tfl = v_tfl_of(n_t, thickness, eps_r)
    crossover = 0.3
    v = np.geomspace(1e-3 * v_tfl, 6 * v_tfl, 200)
    j = lampert_current_density(
        v,
        thickness=thickness,
        eps_r=eps_r,
        mobility=mobility,
        n_t=n_t,
        theta=theta,
        crossover=crossover,
    )
    rng = np.random.default_rng(3)
    result = analyze_sclc(
        v, measure(j, rng, 0.01, 0.0), thickness=thickness, eps_r=eps_r, area=AREA
    )
    n0 = 9 * theta * EPS0 * eps_r * crossover * v_tfl / (8 * Q * thickness**2)
    assert result.value("conductivity") == pytest.approx(Q * n0 * mobility, rel=0.05)


def test_built_in_voltage_is_subtracted_in_the_mott_gurney_law():
    thickness, eps_r, mobility, v_bi = 0.3e-6, 30.0, 5e-5, 0.4
    v = np.linspace(0, 12, 300)
    j = 9 / 8 * EPS0 * eps_r * mobility * np.clip(v - v_bi, 0, None) ** 2 / thickness**3
    j = j + 1e-3 * v  # a small ohmic leak keeps log J defined below V_bi
    result = analyze_sclc(v, j * AREA, thickness=thickness, eps_r=eps_r, area=AREA, v_bi=v_bi)
    assert result.value("mobility") == pytest.approx(mobility, rel=0.15)


# --------------------------------------------------------------------------- honesty


@pytest.mark.parametrize("noise", NOISES)
@pytest.mark.parametrize("grid", GRIDS)
@pytest.mark.parametrize("seed", range(5))
def test_trap_free_child_curve_has_no_v_tfl(noise, grid, seed):
    rng = np.random.default_rng(seed)
    thickness, eps_r = rng.uniform(0.2e-6, 1e-6), rng.uniform(20, 60)
    mobility = 10 ** rng.uniform(-6, -3)
    v = voltage_grid(grid, 10.0, 0.01)
    j_child = 9 / 8 * EPS0 * eps_r * mobility * v**2 / thickness**3
    j = j_child + j_child[-1] / 1e3 * v / v[-1] * rng.uniform(0.1, 10)  # ohmic + Child
    result = analyze_sclc(
        v, measure(j, rng, noise, 1e-12), thickness=thickness, eps_r=eps_r, area=AREA
    )
    assert result.value("v_tfl") is None
    assert result.value("trap_density") is None
    assert any("no trap-filled region" in w for w in result.warnings)
    # μ is still measurable from the Child region, with a warning that it may be θ·μ.
    assert result.value("mobility") == pytest.approx(mobility, rel=0.15)
    assert any("θ·μ" in w for w in result.warnings)


@pytest.mark.parametrize("grid", GRIDS)
@pytest.mark.parametrize("seed", range(10))
def test_noise_only_reports_no_numbers(grid, seed):
    rng = np.random.default_rng(seed)
    v = voltage_grid(grid, 10.0, 0.01)
    i = 1e-9 * rng.standard_normal(v.size) + rng.choice([0.0, 2e-9])
    result = analyze_sclc(v, i, thickness=0.5e-6, eps_r=30, area=AREA)
    reported = {k: q.value for k, q in result.quantities.items() if q.value is not None}
    assert set(reported) == {"n_t_min"}  # a property of the sample, not of the data
    for name in ("v_tfl", "trap_density", "mobility", "conductivity"):
        assert name in result.quantities
        assert any(w.startswith(f"{name}:") for w in result.warnings)


def test_no_child_region_after_v_tfl():
    thickness, eps_r = 0.5e-6, 30.0
    n_t = 8 * n_t_min_of(thickness, eps_r)
    v_tfl = v_tfl_of(n_t, thickness, eps_r)
    v = np.geomspace(0.01 * v_tfl, 1.6 * v_tfl, 120)  # stops just after the rise
    j = lampert_current_density(
        v, thickness=thickness, eps_r=eps_r, mobility=1e-5, n_t=n_t, theta=0.01, rise=0.1
    )
    result = analyze_sclc(v, j * AREA, thickness=thickness, eps_r=eps_r, area=AREA)
    assert result.value("mobility") is None
    assert any("no Child region after V_TFL" in w for w in result.warnings)
    assert result.value("v_tfl") == pytest.approx(v_tfl, rel=0.2)


def test_sweep_ending_inside_the_rise_falls_back_to_two_tangent_with_warning():
    thickness, eps_r = 0.5e-6, 30.0
    n_t = 8 * n_t_min_of(thickness, eps_r)
    v_tfl = v_tfl_of(n_t, thickness, eps_r)
    v = np.geomspace(0.01 * v_tfl, 1.2 * v_tfl, 120)
    j = lampert_current_density(
        v, thickness=thickness, eps_r=eps_r, mobility=1e-5, n_t=n_t, theta=0.01, rise=0.3
    )
    result = analyze_sclc(v, j * AREA, thickness=thickness, eps_r=eps_r, area=AREA)
    assert any("two-tangent" in w for w in result.warnings)
    assert result.quantities["v_tfl"].note.startswith("two-tangent")


def test_warns_when_trap_density_is_not_resolvable():
    thickness, eps_r = 0.3e-6, 30.0
    n_t = 0.5 * n_t_min_of(thickness, eps_r)
    v_tfl = v_tfl_of(n_t, thickness, eps_r)
    v = np.geomspace(0.01 * v_tfl, 10 * v_tfl, 150)
    j = lampert_current_density(
        v, thickness=thickness, eps_r=eps_r, mobility=1e-5, n_t=n_t, theta=0.01
    )
    result = analyze_sclc(v, j * AREA, thickness=thickness, eps_r=eps_r, area=AREA)
    assert result.value("trap_density") is not None
    assert any("n_t,min" in w for w in result.warnings)


def test_noise_floor_hides_low_voltages_but_v_tfl_survives():
    thickness, eps_r = 0.5e-6, 30.0
    n_t = 8 * n_t_min_of(thickness, eps_r)
    v_tfl = v_tfl_of(n_t, thickness, eps_r)
    v = np.linspace(0, 6 * v_tfl, 241)
    j = lampert_current_density(
        v, thickness=thickness, eps_r=eps_r, mobility=1e-5, n_t=n_t, theta=0.01
    )
    rng = np.random.default_rng(11)
    floor = 3 * j[1] * AREA  # the first points drown in the floor
    result = analyze_sclc(
        v, measure(j, rng, 0.01, floor), thickness=thickness, eps_r=eps_r, area=AREA
    )
    assert result.value("trap_density") == pytest.approx(n_t, rel=0.2)
    assert any("noise floor" in w for w in result.warnings)


def test_forward_and_reverse_sweep_are_averaged_with_a_warning():
    thickness, eps_r = 0.5e-6, 30.0
    n_t = 8 * n_t_min_of(thickness, eps_r)
    v_tfl = v_tfl_of(n_t, thickness, eps_r)
    up = np.linspace(0, 6 * v_tfl, 121)
    v = np.concatenate((up, up[::-1]))
    j = lampert_current_density(
        v, thickness=thickness, eps_r=eps_r, mobility=1e-5, n_t=n_t, theta=0.01
    )
    result = analyze_sclc(v, j * AREA, thickness=thickness, eps_r=eps_r, area=AREA)
    assert result.value("trap_density") == pytest.approx(n_t, rel=0.2)
    assert any("not monotonic" in w for w in result.warnings)


def test_too_few_points_and_bad_parameters():
    result = analyze_sclc([0.1, 0.2, 0.3], [1e-9, 2e-9, 3e-9], thickness=1e-6, eps_r=30, area=AREA)
    assert result.value("v_tfl") is None and result.warnings
    with pytest.raises(ParameterError, match="thickness"):
        analyze_sclc([1, 2], [1, 2], thickness=-1, eps_r=30, area=AREA)
    with pytest.raises(ParameterError, match="same length"):
        analyze_sclc([1, 2, 3], [1, 2], thickness=1e-6, eps_r=30, area=AREA)


# --------------------------------------------------------------------------- result type


def test_result_type_reports_missing_values_with_reasons_and_clean_json():
    result = AnalysisResult()
    result.add("v_tfl", float("nan"), "V")
    result.add("mobility", 1e-5, "m**2/(V*s)", "Mott–Gurney")
    result.add_missing("trap_density", "1/m**3", "no V_TFL")
    result.warn("same")
    result.warn("same")
    assert result.value("v_tfl") is None  # NaN is never reported
    assert result.value("mobility") == 1e-5
    assert result.value("not there") is None
    assert result.warnings == ["trap_density: no V_TFL", "same"]
    payload = result.to_json()
    assert payload["results"]["v_tfl"] == {"value": None, "unit": "V"}
    assert payload["results"]["mobility"] == {"value": 1e-5, "unit": "m**2/(V*s)"}
    json.dumps(payload, allow_nan=False)
    quantity, warning = missing(("n_t", "1/m**3"), "too noisy")
    assert quantity == Quantity(None, "1/m**3", "too noisy")
    assert warning == "n_t: too noisy"
    assert Quantity(float("inf"), "s").value is None
