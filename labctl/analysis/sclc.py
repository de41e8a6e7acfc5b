"""Space-charge-limited current (SCLC) analysis of single-carrier devices.

A dark J–V curve of an electron-only or hole-only device shows, on log–log axes, up to four
regimes told apart by the local slope n = d log J / d log V:

- ohmic, n ≈ 1: J = σ V / L, so σ = J L / V;
- trap-limited SCLC, n ≈ 2: J = θ (9/8) ε0 εr μ V² / L³, with θ the free fraction of carriers;
- trap filling, n > 2 (often ≫ 2): the traps fill and the current rises steeply at the
  trap-filled-limit voltage V_TFL, which gives the trap density
  N_t = 2 ε0 εr V_TFL / (q L²) (Jiang et al., Nanoscale 16, 3838 (2024), eq. 13);
- trap-free Child (Mott–Gurney) law, n ≈ 2: J = (9/8) ε0 εr μ (V − V_bi)² / L³
  (Mott & Gurney, Electronic Processes in Ionic Crystals, 1940), which gives μ.

The trap density an SCLC curve can resolve at all is bounded below by
n_t,min = 4π² k_B T ε0 εr / (q² L²) (Le Corre et al., ACS Energy Lett. 6, 1087 (2021)):
below it the mobile charge, not the traps, sets the kink.

V_TFL definition used here (the *quarter-step onset*): the trap-filling rise is located on the
Savitzky–Golay-smoothed slope (see :mod:`labctl.analysis.smoothing`); the current law just
below the rise (L) and the Child law just above it (U) are extrapolated across it as tangents
of the smoothed curve taken half a smoothing window outside the rise, so that the smoothing
does not bend them; V_TFL is where the measured (unsmoothed) log J has climbed a quarter of
the way from L to U. For the ideal Lampert step this is V_TFL itself to within the voltage
spacing, and smoothing does not shift it, since the crossing is read on the raw data; for a
rise that spans V_TFL … (1 + w) V_TFL it lies at about (1 + w)^¼ V_TFL (+6 % for w = 0.25).
The popular two-tangent intersection (steepest tangent ∩ pre-rise tangent) is kept in
``extras["v_tfl_two_tangent"]`` for comparison only: it depends on the smoothing width and is
known to overestimate V_TFL by ~20 % on drift-diffusion (SIMsalabim) curves. When no Child law is
measured above the rise, the step height is unknown and the two-tangent value is reported
instead, with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import constants

from labctl.analysis.results import AnalysisResult
from labctl.analysis.smoothing import (
    LogLogSlope,
    loglog_slope,
    merge_duplicates,
    paired_arrays,
    positive_parameter,
)

__all__ = [
    "SCLCRegimes",
    "analyze_sclc",
    "min_resolvable_trap_density",
    "mott_gurney_current_density",
    "mott_gurney_mobility",
    "ohmic_conductivity",
    "sclc_local_slope",
    "segment_regimes",
    "trap_density",
]

Q = constants.e  # C
EPS0 = constants.epsilon_0  # F/m
KB = constants.k  # J/K

FloatArray = NDArray[np.float64]

OHMIC_TOLERANCE = 0.2  # |n − 1| inside the ohmic region
CHILD_TOLERANCE = 0.3  # |n − 2| inside a Child (or trap-limited SCLC) region
TFL_MIN_SLOPE = 3.0  # the smoothed slope must reach this to count as a trap-filling rise
TFL_MIN_EXCESS = 0.15  # decades of current above the n = 2 extrapolation across the rise
TFL_NOISE_FACTOR = 4.0  # …and at least this many times the scatter of log10 J
ONSET_FRACTION = 0.25  # V_TFL: a quarter of the way up the trap-filling step
MIN_REGION_DECADES = 0.1  # shortest voltage span (decades) accepted as a regime
MIN_REGION_POINTS = 3  # fewest measured points accepted in a regime
MIN_POINTS = 8
MIN_MEAN_SLOPE = 0.5  # a curve rising more slowly than J ∝ V^0.5 overall is not SCLC data
FLOOR_FACTOR = 3.0  # keep currents above this many times the estimated noise floor


# --------------------------------------------------------------------------- equations


def trap_density(v_tfl: float, thickness: float, eps_r: float) -> float:
    """Trap density N_t = 2 ε0 εr V_TFL / (q L²) in 1/m³ (Jiang et al. 2024, eq. 13).

    ``v_tfl`` in V, ``thickness`` L in m, ``eps_r`` relative permittivity.
    """
    return 2 * EPS0 * eps_r * v_tfl / (Q * thickness**2)


def min_resolvable_trap_density(
    thickness: float, eps_r: float, temperature: float = 300.0
) -> float:
    """Smallest trap density an SCLC curve can resolve, in 1/m³.

    n_t,min = 4π² k_B T ε0 εr / (q² L²) (Le Corre et al., ACS Energy Lett. 6, 1087 (2021)),
    with ``thickness`` L in m and ``temperature`` T in K.
    """
    return 4 * np.pi**2 * KB * temperature * EPS0 * eps_r / (Q**2 * thickness**2)


def mott_gurney_current_density(
    voltage: ArrayLike, mobility: float, thickness: float, eps_r: float, v_bi: float = 0.0
) -> FloatArray:
    """Mott–Gurney law J = (9/8) ε0 εr μ (V − V_bi)² / L³ in A/m² (zero below V_bi).

    ``voltage`` and ``v_bi`` in V, ``mobility`` μ in m²/(V·s), ``thickness`` L in m.
    """
    drive = np.clip(np.asarray(voltage, dtype=float) - v_bi, 0.0, None)
    return 9 / 8 * EPS0 * eps_r * mobility * drive**2 / thickness**3


def mott_gurney_mobility(
    voltage: ArrayLike,
    current_density: ArrayLike,
    thickness: float,
    eps_r: float,
    v_bi: float = 0.0,
) -> FloatArray:
    """Mobility μ = 8 J L³ / (9 ε0 εr (V − V_bi)²) in m²/(V·s), point by point.

    Inverts the Mott–Gurney law; points at or below V_bi give NaN. SI units in.
    """
    drive = np.asarray(voltage, dtype=float) - v_bi
    j = np.asarray(current_density, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = 8 * j * thickness**3 / (9 * EPS0 * eps_r * drive**2)
    return np.where(drive > 0, mu, np.nan)


def ohmic_conductivity(
    voltage: ArrayLike, current_density: ArrayLike, thickness: float
) -> FloatArray:
    """Conductivity σ = J L / V in S/m, point by point (NaN at V = 0). SI units in."""
    v = np.asarray(voltage, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.asarray(current_density, dtype=float) * thickness / v
    return np.where(v != 0, sigma, np.nan)


def sclc_local_slope(
    voltage: ArrayLike, current: ArrayLike, *, window_decades: float = 0.2
) -> LogLogSlope:
    """Smoothed local slope n = d log|J| / d log|V| of a J–V curve of either sign.

    Only the points whose voltage and current share the sign of the point at the largest |V|
    are used, so a sweep through 0 V or a negative-polarity sweep both work. See
    :func:`labctl.analysis.smoothing.loglog_slope` for the smoothing.
    """
    v, j = paired_arrays(voltage, current, ("voltage", "current"))
    k = int(np.argmax(np.abs(v)))
    sv, sj = np.sign(v[k]), np.sign(j[k])
    return loglog_slope(sv * v, sj * j, window_decades=window_decades)


# --------------------------------------------------------------------------- regimes


@dataclass
class SCLCRegimes:
    """Regimes found on the smoothed log–log grid of an SCLC curve.

    Index ranges are inclusive pairs of grid indices, or None when the regime is absent.
    ``labels`` names the regime of every grid point: "ohmic", "trap_limited" (n ≈ 2 below the
    trap-filling rise), "trap_filling", "child" or "" (transition).
    """

    labels: NDArray[np.str_]
    ohmic: tuple[int, int] | None
    trap_filling: tuple[int, int] | None
    child: tuple[int, int] | None
    max_slope: float
    excess_decades: float  # current gained across the rise above an n = 2 extrapolation
    rejected_rise: str  # why a slope peak above 2 was not accepted as trap filling ("" if none)


def _runs(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Inclusive (start, stop) index pairs of the runs of True in ``mask``, shape (k, 2)."""
    padded = np.concatenate(([0], mask.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return np.stack((edges[0::2], edges[1::2] - 1), axis=1)


def _longest_run(
    mask: NDArray[np.bool_], log_x: FloatArray, min_decades: float
) -> tuple[int, int] | None:
    runs = _runs(mask)
    if runs.size == 0:
        return None
    spans = log_x[runs[:, 1]] - log_x[runs[:, 0]]
    best = int(np.argmax(spans))
    if spans[best] < min_decades:
        return None
    return int(runs[best, 0]), int(runs[best, 1])


def segment_regimes(fit: LogLogSlope, noise_decades: float = 0.0) -> SCLCRegimes:
    """Split a smoothed log–log curve into ohmic, trap-filling and Child regimes.

    A trap-filling rise is accepted only when the smoothed slope reaches ``TFL_MIN_SLOPE`` (3)
    *and* the current gained across it above an n = 2 extrapolation exceeds both
    ``TFL_MIN_EXCESS`` (0.15 decades) and ``TFL_NOISE_FACTOR`` (4) × ``noise_decades`` (the
    scatter of log10 J about the smoothed curve): a trap-free Child curve or noise must not
    yield a V_TFL. The Child region is the longest run with |n − 2| ≤ 0.3 above the rise (or
    anywhere if there is no rise); the ohmic region the longest run with |n − 1| ≤ 0.2 below.
    """
    n, x, y = fit.slope, fit.log_x, fit.log_y
    labels = np.full(n.size, "", dtype="<U12")
    ip = int(np.argmax(n))
    max_slope = float(n[ip])
    rise: tuple[int, int] | None = None
    excess = 0.0
    rejected = ""
    if max_slope > 2 + CHILD_TOLERANCE:
        runs = _runs(n > 2 + CHILD_TOLERANCE)
        a, b = (int(v) for v in runs[(runs[:, 0] <= ip) & (runs[:, 1] >= ip)][0])
        excess = float((y[b] - y[a]) - 2 * (x[b] - x[a]))
        needed = max(TFL_MIN_EXCESS, TFL_NOISE_FACTOR * noise_decades)
        if max_slope < TFL_MIN_SLOPE:
            rejected = f"the smoothed slope peaks at only {max_slope:.2f}"
        elif excess < needed:
            rejected = (
                f"the slope peak ({max_slope:.1f}) adds only {excess:.2f} decades of current "
                f"above an n = 2 law, less than the {needed:.2f} decades that noise allows"
            )
        else:
            rise = (a, b)
            labels[a : b + 1] = "trap_filling"
    below = np.arange(n.size) < (rise[0] if rise else n.size)
    above = np.arange(n.size) > rise[1] if rise else np.ones(n.size, dtype=bool)
    child = _longest_run(above & (np.abs(n - 2) <= CHILD_TOLERANCE), x, MIN_REGION_DECADES)
    ohmic_mask = below & (np.abs(n - 1) <= OHMIC_TOLERANCE)
    if child is not None:
        ohmic_mask &= np.arange(n.size) < child[0]
    ohmic = _longest_run(ohmic_mask, x, MIN_REGION_DECADES)
    if ohmic:
        labels[ohmic[0] : ohmic[1] + 1] = "ohmic"
    if child:
        labels[child[0] : child[1] + 1] = "child"
    if rise:
        limited = below & (np.abs(n - 2) <= CHILD_TOLERANCE)
        labels[limited] = "trap_limited"
    return SCLCRegimes(labels, ohmic, rise, child, max_slope, excess, rejected)


# --------------------------------------------------------------------------- V_TFL


def _tangent(fit: LogLogSlope, i: int) -> tuple[float, float]:
    """(intercept, slope) of the tangent to the smoothed log–log curve at grid index ``i``."""
    return float(fit.log_y[i] - fit.slope[i] * fit.log_x[i]), float(fit.slope[i])


def _v_tfl(
    fit: LogLogSlope, rise: tuple[int, int], lx: FloatArray, ly: FloatArray
) -> tuple[float | None, float | None, str]:
    """Return (quarter-step V_TFL or None, two-tangent V_TFL or None, problem or "")."""
    a, b = rise
    half = fit.window // 2
    pre, post = a - half, b + half
    if pre < 0:
        return None, None, "the trap-filling rise starts at the lowest measured voltage"
    c_low, n_low = _tangent(fit, pre)
    ip = a + int(np.argmax(fit.slope[a : b + 1]))
    c_top, n_top = _tangent(fit, ip)
    two_tangent = None
    if n_top > n_low:
        two_tangent = float(10 ** ((c_low - c_top) / (n_top - n_low)))
    if post >= fit.log_x.size:
        return None, two_tangent, "no current law is measured above the trap-filling rise"
    c_up, n_up = _tangent(fit, post)
    inside = (lx >= fit.log_x[pre]) & (lx <= fit.log_x[post])
    xs, ys = lx[inside], ly[inside]
    low = c_low + n_low * xs
    step = c_up + n_up * xs - low
    with np.errstate(divide="ignore", invalid="ignore"):
        progress = (ys - low) / step
    # The last measured point still below a quarter step (before the end of the rise) and
    # the next one bracket the onset; the raw data keep the smoothing from shifting it.
    below = np.flatnonzero((progress < ONSET_FRACTION) & (xs <= fit.log_x[b]))
    if below.size == 0 or below[-1] + 1 >= xs.size or not np.all(step[below[-1] :] > 0):
        return None, two_tangent, "the onset of the trap-filling rise is not bracketed by data"
    k = int(below[-1])
    frac = (ONSET_FRACTION - progress[k]) / (progress[k + 1] - progress[k])
    return float(10 ** (xs[k] + frac * (xs[k + 1] - xs[k]))), two_tangent, ""


# --------------------------------------------------------------------------- analysis


def _prepare(
    v: FloatArray, j: FloatArray, result: AnalysisResult
) -> tuple[FloatArray, FloatArray] | None:
    """Magnitudes of one polarity branch above the noise floor, or None (with a warning)."""
    if v.size < MIN_POINTS:
        result.warn(f"only {v.size} finite points; an SCLC analysis needs at least {MIN_POINTS}")
        return None
    k = int(np.argmax(np.abs(v)))
    sv = np.sign(v[k])
    if sv == 0:
        result.warn("all voltages are zero")
        return None
    top = np.abs(v) >= np.quantile(np.abs(v), 0.75)
    sj = np.sign(np.sum(j[top]))
    if sj == 0:
        result.warn("the current is zero at the highest voltages")
        return None
    branch = sv * v > 0
    if np.any(sv * v < 0):
        polarity = "positive" if sv > 0 else "negative"
        result.warn(f"voltages of both signs: only the {polarity} branch was analysed")
    vm, jm = sv * v[branch], sj * j[branch]
    if np.any(np.diff(vm) < 0) and np.any(np.diff(vm) > 0):
        result.warn(
            "the voltage sweep is not monotonic: overlapping sweeps were averaged; analyse "
            "forward and reverse sweeps separately to see hysteresis"
        )
    # Currents of the wrong sign, and any current at 0 V, can only be noise: their size
    # estimates the floor below which log J is meaningless.
    noise = np.concatenate((np.abs(jm[jm <= 0]), np.abs(j[v == 0])))
    floor = FLOOR_FACTOR * float(noise.max()) if noise.size else 0.0
    keep = jm > floor
    if np.count_nonzero(~keep):
        result.warn(
            f"{np.count_nonzero(~keep)} points at or below the noise floor "
            f"(~{floor:.3g} A/m²) were ignored"
        )
    if np.count_nonzero(keep) < MIN_POINTS:
        result.warn(
            f"only {np.count_nonzero(keep)} points are above the noise floor; "
            f"an SCLC analysis needs at least {MIN_POINTS}"
        )
        return None
    return vm[keep], jm[keep]


def _ohmic_conductivity(v: FloatArray, j: FloatArray, thickness: float) -> float:
    """σ from J = (σ/L) V + b V² fitted with relative weights over the ohmic region.

    The quadratic term absorbs the onset of SCLC inside the ohmic region, which would
    otherwise bias σ = J L / V upwards.
    """
    if v.size >= 4:
        design = np.stack((v, v**2), axis=1) / j[:, None]
        (a, b), *_ = np.linalg.lstsq(design, np.ones_like(j), rcond=None)
        if b < 0:
            # No SCLC onset to absorb: the purely ohmic fit, so that σ changes smoothly as b
            # crosses zero instead of jumping to another estimator.
            (a,), *_ = np.linalg.lstsq(design[:, :1], np.ones_like(j), rcond=None)
        if a > 0:
            return float(a * thickness)
    return float(np.median(ohmic_conductivity(v, j, thickness)))


def analyze_sclc(
    voltage: ArrayLike,
    current: ArrayLike,
    *,
    thickness: float,
    eps_r: float,
    area: float,
    temperature: float = 300.0,
    v_bi: float = 0.0,
    window_decades: float = 0.2,
) -> AnalysisResult:
    """Analyse a dark single-carrier J–V curve: V_TFL, N_t, μ, σ and n_t,min.

    ``voltage`` in V and ``current`` in A (either sign convention, linear or log voltage
    grid, 0 V allowed); ``thickness`` in m; ``area`` in m²; ``temperature`` in K; ``v_bi``
    built-in voltage in V subtracted in the Mott–Gurney law; ``window_decades`` the width of
    the slope smoothing.

    Quantities: ``v_tfl`` (V, quarter-step onset, see the module docstring), ``trap_density``
    (1/m³, Jiang eq. 13), ``mobility`` (m²/(V·s), Mott–Gurney on the Child region above the
    rise, ohmic current subtracted), ``conductivity`` (S/m, σ = J L / V on the ohmic region),
    ``n_t_min`` (1/m³, Le Corre 2021) and ``max_slope``. ``extras`` holds the smoothed grid
    (``voltage``, ``current_density``, ``slope``, ``regime``), the regime voltage ranges, and
    ``v_tfl_two_tangent`` for comparison.
    """
    thickness = positive_parameter(thickness, "thickness", "m")
    eps_r = positive_parameter(eps_r, "eps_r", "")
    area = positive_parameter(area, "area", "m**2")
    temperature = positive_parameter(temperature, "temperature", "K")
    v, i = paired_arrays(voltage, current, ("voltage", "current"))
    result = AnalysisResult()
    n_t_min = min_resolvable_trap_density(thickness, eps_r, temperature)
    result.add("n_t_min", n_t_min, "1/m**3", "4π² k_B T ε0 εr / (q² L²), Le Corre et al. 2021")

    prepared = _prepare(v, i / area, result)
    fit = None
    if prepared is not None:
        vm, jm = prepared
        lx, ly = merge_duplicates(np.log10(vm), np.log10(jm))
        if lx[-1] - lx[0] < 3 * window_decades:
            result.warn(
                f"the voltage spans only {lx[-1] - lx[0]:.2f} decades; regimes need at "
                f"least {3 * window_decades:.2f}"
            )
        else:
            fit = loglog_slope(vm, jm, window_decades=window_decades)
            mean_slope = (fit.log_y[-1] - fit.log_y[0]) / (fit.log_x[-1] - fit.log_x[0])
            if mean_slope < MIN_MEAN_SLOPE:
                # Every SCLC regime has n ≥ 1: a flat curve is noise, an open circuit or a
                # current stuck at compliance, and its "regimes" would be invented.
                result.warn(
                    f"the current barely rises with voltage (mean log–log slope "
                    f"{mean_slope:.2f}): noise, open circuit or compliance"
                )
                fit = None
    if fit is None:
        for name, unit in (
            ("v_tfl", "V"),
            ("trap_density", "1/m**3"),
            ("mobility", "m**2/(V*s)"),
            ("conductivity", "S/m"),
            ("max_slope", ""),
        ):
            result.add_missing(name, unit, "the data do not support an SCLC analysis")
        return result

    # Scatter of the measured log J about the smoothed curve: the noise the rise must beat.
    noise = 1.4826 * float(np.median(np.abs(ly - np.interp(lx, fit.log_x, fit.log_y))))
    regimes = segment_regimes(fit, noise)
    result.add("max_slope", regimes.max_slope, "", "maximum of the smoothed d log J / d log V")
    grid_v = fit.x
    result.extras.update(
        voltage=grid_v,
        current_density=np.power(10.0, fit.log_y),
        slope=fit.slope,
        regime=regimes.labels,
        noise_decades=noise,
    )
    for name in ("ohmic", "trap_filling", "child"):
        span = getattr(regimes, name)
        result.extras[f"{name}_range"] = (
            None if span is None else (float(grid_v[span[0]]), float(grid_v[span[1]]))
        )

    # Conductivity from the ohmic region.
    sigma = None
    if regimes.ohmic is None:
        result.add_missing("conductivity", "S/m", "no ohmic region (slope ≈ 1) was found")
    else:
        lo, hi = grid_v[regimes.ohmic[0]], grid_v[regimes.ohmic[1]]
        sel = (vm >= lo) & (vm <= hi)
        if np.count_nonzero(sel) < MIN_REGION_POINTS:
            result.add_missing("conductivity", "S/m", "too few points in the ohmic region")
        else:
            sigma = _ohmic_conductivity(vm[sel], jm[sel], thickness)
            result.add("conductivity", sigma, "S/m", "σ = J L / V on the ohmic region")

    # V_TFL and trap density.
    if regimes.trap_filling is None:
        reason = "no trap-filled region: the local slope never clearly exceeds 2"
        if regimes.rejected_rise:
            reason += f" ({regimes.rejected_rise})"
        result.add_missing("v_tfl", "V", reason)
        result.add_missing("trap_density", "1/m**3", "no V_TFL")
    else:
        v_tfl, two_tangent, problem = _v_tfl(fit, regimes.trap_filling, lx, ly)
        result.extras["v_tfl_two_tangent"] = two_tangent
        note = "quarter-step onset of the trap-filling rise"
        if v_tfl is None and two_tangent is not None and problem.startswith("no current law"):
            v_tfl, note = two_tangent, "two-tangent intersection (no Child law above the rise)"
            result.warn(f"v_tfl: {problem}; the two-tangent value is given and may be high")
        if v_tfl is None:
            result.add_missing("v_tfl", "V", problem)
            result.add_missing("trap_density", "1/m**3", "no V_TFL")
        else:
            result.add("v_tfl", v_tfl, "V", note)
            n_t = trap_density(v_tfl, thickness, eps_r)
            result.add("trap_density", n_t, "1/m**3", "2 ε0 εr V_TFL / (q L²), Jiang eq. 13")
            if n_t <= n_t_min:
                result.warn(
                    f"trap_density: {n_t:.3g} m⁻³ is not above the minimum resolvable "
                    f"n_t,min = {n_t_min:.3g} m⁻³ (Le Corre 2021); the kink need not be "
                    "caused by traps"
                )

    # Mobility from the Child region.
    if regimes.child is None:
        where = "after V_TFL" if regimes.trap_filling else "(slope ≈ 2)"
        result.add_missing("mobility", "m**2/(V*s)", f"no Child region {where}")
        return result
    lo, hi = grid_v[regimes.child[0]], grid_v[regimes.child[1]]
    sel = (vm >= lo) & (vm <= hi) & (vm > v_bi)
    if np.count_nonzero(sel) < MIN_REGION_POINTS:
        result.add_missing("mobility", "m**2/(V*s)", "too few points in the Child region")
        return result
    j_sclc = jm[sel]
    if sigma is not None:
        # The ohmic current flows in parallel; remove it unless it dominates (then the
        # "Child" region is doubtful anyway and the raw current is used).
        j_ohm = sigma * vm[sel] / thickness
        if np.all(j_ohm < 0.5 * j_sclc):
            j_sclc = j_sclc - j_ohm
    mu = mott_gurney_mobility(vm[sel], j_sclc, thickness, eps_r, v_bi)
    mobility = float(np.exp(np.median(np.log(mu))))
    result.add("mobility", mobility, "m**2/(V*s)", "Mott–Gurney law on the Child region")
    if regimes.trap_filling is None:
        result.warn(
            "mobility: no trap-filling rise was seen, so the n ≈ 2 region may be trap-limited "
            "SCLC; the value is then θ·μ, a lower bound of μ"
        )
    return result
