"""Transient electroluminescence (TrEL): delay, rise, overshoot, decay, tau_RC and mobility.

A voltage pulse (µs–ms) drives the LED; a fast photodiode records EL(t) on an oscilloscope,
usually averaged over many shots (DOMAIN: TrEL; Jiang et al., Nanoscale 16, 3838 (2024),
section "Transient EL"). Typical PeLED numbers: delay ~0.1 µs, rise ~0.15 µs, decay ~1 µs
(Xu et al., APL 2019).

Definitions used here (all times in s, measured on the baseline-subtracted EL):

* **Pulse edges** — the instants at which the drive crosses 50 % between its low and high levels
  (the 50 % reference level of IEEE Std 181-2011), or the ``pulse_start`` / ``pulse_end`` given.
* **Baseline** — mean EL before the pulse edge, samples beyond 5 sigma of the median excluded;
  the noise sigma is 1.4826 × MAD there.
* **Plateau** P — mean EL over the last 10 % of the pulse (just before the falling edge): the
  steady value the EL reaches under bias, the reference of every level below.
* **Smoothing** — centred moving averages whose widths follow the noise and the signal: for
  the edge crossings, :func:`labctl.analysis.timeseries.rise_edges` first brings the noise to
  ~1 % of P, then narrows the window to a tenth of the rise (so the kink at the onset is not
  smeared early) and widens it near the top (where the slope is small). Crossings use a
  Schmitt trigger (hysteresis 3 smoothed sigmas, :func:`labctl.analysis.timeseries.find_crossing`),
  so isolated noise excursions cannot fake an onset and noise does not bias a crossing early.
* **Delay time** t_d = t(EL first crosses 5 % of P) − t(pulse edge) (eq. T1). A small threshold
  keeps t_d close to the first light while staying many noise sigmas above the baseline.
* **Extrapolated delay** t_d,x: the chord through the 10 % and 50 % crossings extrapolated back to
  the baseline, t_x = t10 − (t50 − t10)/4 (eq. T2); exact for a linear rise, it removes the part
  of the rise that the threshold definition includes.
* **Rise time** t_r = t90 − t10, the 10 %/90 % crossings of P on the way up (eq. T3).
* **Overshoot ratio** = (maximum of the smoothed EL during the pulse) / P (eq. T4); 1 means none.
  The peak is smoothed to ~0.3 % noise but over at most half the rise time; an excess over P
  below 4 smoothed sigmas is flagged as no significant overshoot.
* **Decay** after the falling edge: mono-exponential A·exp(−t/τ) and bi-exponential
  A1·exp(−t/τ1) + A2·exp(−t/τ2) fits (eq. T5), each with a small residual baseline c fitted
  jointly with the pre-pulse samples (a baseline error would bias the slow time constant),
  chosen by the Bayesian information criterion
  BIC = n ln(RSS/n) + k ln n (Schwarz, Ann. Stat. 6, 461 (1978)); the bi-exponential model is
  taken only when it lowers BIC by more than 10 ("very strong" evidence, Kass & Raftery,
  J. Am. Stat. Assoc. 90, 773 (1995)). ``decay_time`` is the effective time constant
  τ_eff = Σ A_i τ_i / Σ A_i = ∫EL dt / EL(0) (eq. T6), equal to τ for a single exponential.
* **Slow-decay EL** — area of the slow component, A2·τ2 (eq. T7), a measure of the charge
  trapped during the pulse and released afterwards.
* **RC time** τ_RC = R·C, C = ε0 εr A / d (eq. T8). The transit mobility μ = d² / (t_d V)
  (eq. T9) is reported only when t_d ≥ 10 τ_RC: below that the delay measures the charging of
  the device capacitance, not the transit of carriers.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import OptimizeWarning, curve_fit

from labctl.analysis.results import AnalysisResult
from labctl.analysis.timeseries import (
    GRID_POINTS,
    MAX_FIT_POINTS,
    as_trace,
    find_crossing,
    moving_average,
    noise_sigma,
    noise_window,
    rise_edges,
)
from labctl.errors import ParameterError

__all__ = [
    "EPSILON_0",
    "RC_FACTOR",
    "DecayFit",
    "analyze_trel",
    "fit_decay",
    "pulse_edges",
    "rc_time_constant",
    "transit_mobility",
]

FloatArray = NDArray[np.float64]

EPSILON_0 = 8.8541878128e-12  # F/m, vacuum permittivity (CODATA 2018)
RC_FACTOR = 10.0  # t_d must exceed this many tau_RC before a mobility is reported
ONSET_LEVEL = 0.05  # delay-time threshold, fraction of the plateau (eq. T1)
SMOOTHED_NOISE = 0.01  # target smoothed noise, fraction of the plateau
PEAK_NOISE = 0.003  # target smoothed noise for the peak of the overshoot
PLATEAU_FRACTION = 0.10  # plateau = mean over this last fraction of the pulse
BIC_MARGIN = 10.0  # BIC decrease needed to prefer the bi-exponential decay
MIN_TAU_RATIO = 1.5  # closer time constants are one component, not two
DECAY_FIT_POINTS = 4_000  # curve_fit works on at most this many bins when they are short


def rc_time_constant(
    thickness: float, eps_r: float, area: float, resistance: float = 50.0
) -> float:
    """Return τ_RC = R ε0 εr A / d in s (eq. T8).

    ``thickness`` d in m, ``area`` A in m², ``resistance`` R in Ω (the 50 Ω of the scope or
    generator). Example: A = 4 mm², d = 100 nm, εr = 30, R = 50 Ω give τ_RC ≈ 0.53 µs.
    """
    for name, value in (("thickness", thickness), ("eps_r", eps_r), ("area", area)):
        if not value > 0:
            raise ParameterError(f"{name}: must be positive, got {value!r}")
    if not resistance > 0:
        raise ParameterError(f"resistance: must be positive, got {resistance!r}")
    return resistance * EPSILON_0 * eps_r * area / thickness


def transit_mobility(thickness: float, delay: float, voltage: float) -> float:
    """Return the transit mobility μ = d² / (t_d V) in m²/(V s) (eq. T9).

    ``thickness`` d in m, ``delay`` t_d in s, ``voltage`` V in V. Valid only when t_d ≫ τ_RC;
    :func:`analyze_trel` checks that before calling this.
    """
    if not (thickness > 0 and delay > 0 and voltage != 0):
        raise ParameterError("transit_mobility: thickness and delay must be > 0, voltage != 0")
    return thickness**2 / (delay * abs(voltage))


def pulse_edges(
    time: ArrayLike, drive: ArrayLike
) -> tuple[float | None, float | None, float, float]:
    """Return ``(t_rise, t_fall, low, high)`` of the first pulse in a drive trace.

    Low and high levels are the medians of the samples below and above the midpoint of the
    (lightly smoothed) extremes; the edges are the 50 % crossings (IEEE Std 181-2011) with a
    hysteresis of 10 % of the amplitude, so ringing on the edges does not count. Positive-going
    pulses are assumed (forward bias). ``t_fall`` is None when the pulse is still on at the
    end of the record.
    """
    t, v = as_trace(time, drive, names=("drive",))
    vs = moving_average(v, 5)
    mid = 0.5 * (float(vs.min()) + float(vs.max()))
    below, above = v[v < mid], v[v >= mid]
    if below.size == 0 or above.size == 0:
        level = float(np.median(v))
        return None, None, level, level  # a constant drive has no edge
    low, high = float(np.median(below)), float(np.median(above))
    amp = high - low
    if not amp > 0:
        return None, None, low, high
    level, hyst = 0.5 * (low + high), 0.1 * amp
    rise = find_crossing(t, v, level, rising=True, hysteresis=hyst)
    if rise is None:
        return None, None, low, high
    fall = find_crossing(t, v, level, rising=False, start=rise.index, hysteresis=hyst)
    return rise.time, (None if fall is None else fall.time), low, high


# --------------------------------------------------------------------------------------------
# Decay fits
# --------------------------------------------------------------------------------------------


@dataclass
class DecayFit:
    """c + sum_i A_i exp(-(t - t0)/tau_i) for t >= t0 (eq. T5), components by ascending tau."""

    t0: float  # s, time origin (the falling edge or the start of the fit)
    amplitudes: tuple[float, ...]  # EL units at t0
    taus: tuple[float, ...]  # s
    offset: float  # residual baseline c fitted jointly with the pre-pulse samples (0 if fixed)
    rss: float  # residual sum of squares (decay and baseline samples)
    n: int  # number of samples behind the fit
    bic: float  # Schwarz criterion n ln(RSS/n) + k ln n (with a floor on RSS)
    stderr: tuple[float | None, ...] = field(default=())  # one sigma of each tau

    def __call__(self, t: ArrayLike) -> FloatArray:
        x = np.asarray(t, dtype=float) - self.t0
        out = np.full_like(x, self.offset)
        for a, tau in zip(self.amplitudes, self.taus, strict=True):
            out += a * np.exp(-x / tau)
        return out

    @property
    def effective_tau(self) -> float:
        """τ_eff = Σ A_i τ_i / Σ A_i (eq. T6), the integral of the decay over its start value."""
        total = sum(self.amplitudes)
        if not total > 0:
            return math.nan
        return sum(a * tau for a, tau in zip(self.amplitudes, self.taus, strict=True)) / total


def _bic(rss: float, n: int, k: int, floor: float) -> float:
    # The floor (relative rms 1e-6 of the signal) stops a noiseless trace from turning
    # round-off differences into "evidence" for the larger model.
    return n * math.log(max(rss, floor) / n) + k * math.log(n)


def _binned(x: FloatArray, y: FloatArray, k: int) -> tuple[FloatArray, ...]:
    """Means of ``k`` consecutive samples, with the samples per bin as weights.

    For uniform sampling the mean of k samples of exp(-x/tau) at their mean time c is
    exp(-c/tau) times sinh(k u)/(k sinh u), u = dt/(2 tau): the same factor for every full
    bin, so tau is unchanged and the fitted amplitudes are divided by it afterwards.
    """
    if k <= 1:
        return x, y, np.ones(x.size)
    idx = np.arange(x.size) // k
    counts = np.bincount(idx).astype(float)
    return np.bincount(idx, weights=x) / counts, np.bincount(idx, weights=y) / counts, counts


def fit_decay(
    time: ArrayLike,
    el: ArrayLike,
    t0: float | None = None,
    *,
    baseline: ArrayLike | None = None,
) -> tuple[DecayFit | None, DecayFit | None, str]:
    """Fit mono- and bi-exponential decays (eq. T5) to baseline-subtracted EL after ``t0``.

    ``baseline`` — EL samples recorded before the pulse (same baseline subtraction). When given
    (at least 10), a common offset c is fitted jointly to them and to the decay: the end of a
    long decay carries baseline information too, and a baseline error would otherwise bias the
    slow time constant. Without it, c = 0.

    Returns ``(mono, bi, chosen)`` where ``chosen`` is ``"mono"``, ``"bi"`` or ``""`` (no fit).
    Starting values come from an exact scan: on a log-spaced grid of time constants the model
    is linear in c and the amplitudes, so every τ and every (τ1, τ2) pair is solved in closed
    form from the Gram matrix of the grid exponentials (variable projection), and the best
    solution with positive amplitudes seeds ``curve_fit``. The bi-exponential model is chosen
    when it lowers BIC by more than ``BIC_MARGIN``, its time constants differ by at least
    ``MIN_TAU_RATIO`` and both amplitudes are positive.
    """
    t, y = as_trace(time, el, names=("el",), min_points=8)
    origin = float(t[0]) if t0 is None else float(t0)
    x = t - origin
    span = float(x[-1])
    if not span > 0:
        return None, None, ""
    dt = float(np.median(np.diff(t)))
    scale = float(np.max(np.abs(moving_average(y, 5))))
    if not scale > 0:
        return None, None, ""
    base = np.asarray(baseline, dtype=float) if baseline is not None else np.empty(0)
    free = base.size >= 10
    nb = float(base.size) if free else 0.0
    base_mean = float(base.mean()) if free else 0.0
    base_ss = float(np.sum((base - base_mean) ** 2)) if free else 0.0

    xg, yg, wg = _binned(x, y, math.ceil(x.size / GRID_POINTS))
    taus = np.geomspace(max(dt, span * 1e-5), 3.0 * span, 48)
    e = np.exp(-xg[None, :] / taus[:, None])
    ew = e * wg
    gram = ew @ e.T  # <e_i, e_j>
    se = ew.sum(axis=1)  # <1, e_i>
    pe = ew @ yg  # <e_i, y>
    s1 = float(wg.sum()) + nb  # <1, 1>, baseline samples included
    sy = float(wg @ yg) + nb * base_mean  # <1, y>
    yy = float(wg @ (yg * yg)) + (float(base @ base) if free else 0.0)
    m = taus.size
    n_total = x.size + int(nb)
    floor = n_total * (1e-6 * scale) ** 2

    # Mono: unknowns (c, a) or (a).
    if free:
        mat = np.empty((m, 2, 2))
        mat[:, 0, 0], mat[:, 0, 1], mat[:, 1, 0], mat[:, 1, 1] = s1, se, se, np.diag(gram)
        rhs = np.stack([np.full(m, sy), pe], axis=1)
    else:
        mat = np.diag(gram)[:, None, None]
        rhs = pe[:, None]
    sol_m, rss_m = _solve_batch(mat, rhs, yy)
    amp_m = sol_m[:, -1]
    rss_m[amp_m <= 0] = np.inf

    # Bi: unknowns (c, a_i, a_j) or (a_i, a_j) for every pair i < j.
    i, j = np.triu_indices(m, k=1)
    if free:
        mat = np.empty((i.size, 3, 3))
        mat[:, 0, 0] = s1
        mat[:, 0, 1] = mat[:, 1, 0] = se[i]
        mat[:, 0, 2] = mat[:, 2, 0] = se[j]
        mat[:, 1, 1], mat[:, 2, 2] = gram[i, i], gram[j, j]
        mat[:, 1, 2] = mat[:, 2, 1] = gram[i, j]
        rhs = np.stack([np.full(i.size, sy), pe[i], pe[j]], axis=1)
    else:
        mat = np.empty((i.size, 2, 2))
        mat[:, 0, 0], mat[:, 1, 1] = gram[i, i], gram[j, j]
        mat[:, 0, 1] = mat[:, 1, 0] = gram[i, j]
        rhs = np.stack([pe[i], pe[j]], axis=1)
    sol_b, rss_b = _solve_batch(mat, rhs, yy)
    rss_b[(sol_b[:, -1] <= 0) | (sol_b[:, -2] <= 0)] = np.inf

    # Refine on at most DECAY_FIT_POINTS bins (the SVDs of curve_fit grow with the points),
    # but keep bins below a tenth of the shortest time constant found on the grid.
    finite = [float(taus[np.argmin(rss_m)])] if np.isfinite(rss_m).any() else []
    if np.isfinite(rss_b).any():
        finite.append(float(taus[i[np.argmin(rss_b)]]))
    tau_min = min(finite) if finite else dt
    k_fit = max(
        math.ceil(x.size / MAX_FIT_POINTS),
        min(math.ceil(x.size / DECAY_FIT_POINTS), math.floor(tau_min / (10.0 * dt))),
    )
    xf, yf, wf = _binned(x, y, k_fit)
    if free:
        # The baseline samples enter as one point at x = -1 of weight nb (their mean carries
        # all they say about c); the spread around their mean is added back to the RSS.
        xf = np.concatenate([[-1.0], xf])
        yf = np.concatenate([[base_mean], yf])
        wf = np.concatenate([[nb], wf])
    fit_data = (xf, yf, wf, base_ss, free, k_fit, dt)
    bounds = (dt / 10.0, 100.0 * span)

    mono = bi = None
    if np.isfinite(rss_m).any():
        k = int(np.argmin(rss_m))
        c0 = float(sol_m[k, 0]) if free else 0.0
        mono = _refine(fit_data, c0, [(float(amp_m[k]), float(taus[k]))], bounds, origin)
    if np.isfinite(rss_b).any():
        k = int(np.argmin(rss_b))
        c0 = float(sol_b[k, 0]) if free else 0.0
        comps = [
            (float(sol_b[k, -2]), float(taus[i[k]])),
            (float(sol_b[k, -1]), float(taus[j[k]])),
        ]
        bi = _refine(fit_data, c0, comps, bounds, origin)
    for fit in (mono, bi):
        if fit is not None:
            fit.n = n_total
            fit.bic = _bic(fit.rss, n_total, 2 * len(fit.taus) + int(free), floor)

    chosen = "" if mono is None else "mono"
    if bi is not None:
        separated = bi.taus[1] >= MIN_TAU_RATIO * bi.taus[0] and min(bi.amplitudes) > 0
        if separated and (mono is None or bi.bic < mono.bic - BIC_MARGIN):
            chosen = "bi"
    return mono, bi, chosen


def _solve_batch(mat: FloatArray, rhs: FloatArray, yy: float) -> tuple[FloatArray, FloatArray]:
    """Solve a stack of small normal-equation systems; RSS = <y,y> - sol . rhs at the optimum."""
    det_ok = np.abs(np.linalg.det(mat)) > 1e-12 * np.prod(np.diagonal(mat, axis1=1, axis2=2), 1)
    sol = np.zeros_like(rhs)
    if det_ok.any():
        sol[det_ok] = np.linalg.solve(mat[det_ok], rhs[det_ok][..., None])[..., 0]
    rss = yy - np.einsum("ij,ij->i", sol, rhs)
    rss = np.where(det_ok & np.isfinite(rss), rss, np.inf)
    return sol, rss


def _refine(
    data: tuple[FloatArray, FloatArray, FloatArray, float, bool, int, float],
    c0: float,
    comps: list[tuple[float, float]],
    bounds: tuple[float, float],
    origin: float,
) -> DecayFit:
    """Refine a grid solution with curve_fit (amplitudes >= 0, tau within ``bounds``)."""
    x, y, w, base_ss, free, k_bin, dt = data
    tau_lo, tau_hi = bounds
    ncomp = len(comps)
    pos = x >= 0  # decay samples; x = -1 is the collapsed baseline
    xp = x[pos]

    def model(xx: FloatArray, *p: float) -> FloatArray:
        # curve_fit always passes the same x, so the mask computed above applies.
        out = np.full(xx.shape, p[0] if free else 0.0)
        q = p[1:] if free else p
        for a, tau in zip(q[0::2], q[1::2], strict=True):
            out[pos] += a * np.exp(-xp / tau)
        return out

    p0: list[float] = [c0] if free else []
    lower: list[float] = [-np.inf] if free else []
    upper: list[float] = [np.inf] if free else []
    for a, tau in comps:
        # curve_fit needs a start inside the bounds.
        p0 += [max(a, 0.0), float(np.clip(tau, tau_lo * 1.001, tau_hi * 0.999))]
        lower += [0.0, tau_lo]
        upper += [np.inf, tau_hi]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            popt, pcov = curve_fit(
                model, x, y, p0=p0, sigma=1.0 / np.sqrt(w), bounds=(lower, upper), max_nfev=4000
            )
        perr = np.sqrt(np.clip(np.diag(pcov), 0.0, np.inf))
    except (RuntimeError, ValueError):
        popt, perr = np.asarray(p0), np.full(len(p0), np.nan)
    rss = float(np.sum(w * (y - model(x, *popt)) ** 2)) + base_ss
    off = 1 if free else 0
    parts = []
    for c in range(ncomp):
        amp, tau, err = popt[off + 2 * c], popt[off + 2 * c + 1], perr[off + 2 * c + 1]
        # Undo the bin averaging of the amplitude: the mean of k samples of exp(-x/tau),
        # spaced dt, is exp(-centre/tau) * sinh(k u) / (k sinh u) with u = dt / (2 tau).
        u = dt / (2.0 * tau)
        if k_bin > 1 and 1e-9 < k_bin * u < 50.0:
            amp = amp * k_bin * math.sinh(u) / math.sinh(k_bin * u)
        parts.append((float(amp), float(tau), float(err)))
    parts.sort(key=lambda part: part[1])
    return DecayFit(
        t0=origin,
        amplitudes=tuple(p[0] for p in parts),
        taus=tuple(p[1] for p in parts),
        offset=float(popt[0]) if free else 0.0,
        rss=rss,
        n=int(np.sum(w)),
        bic=math.nan,
        stderr=tuple(p[2] if math.isfinite(p[2]) else None for p in parts),
    )


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def _unit_times_s(unit: str) -> str:
    return "s" if not unit else f"{unit}*s"


def analyze_trel(
    time: ArrayLike,
    el: ArrayLike,
    *,
    drive: ArrayLike | None = None,
    current: ArrayLike | None = None,
    pulse_start: float | None = None,
    pulse_end: float | None = None,
    thickness: float | None = None,
    eps_r: float | None = None,
    area: float | None = None,
    resistance: float | None = 50.0,
    voltage: float | None = None,
    el_unit: str = "V",
) -> AnalysisResult:
    """Analyse one (averaged) TrEL trace; definitions and equations in the module docstring.

    ``time`` in s; ``el`` in ``el_unit`` (photodiode volts by default; light must make it
    rise, so invert a negative PMT signal first); ``drive`` the pulse
    voltage in V on the same time axis; ``current`` the device current in A. ``pulse_start`` /
    ``pulse_end`` (s) override the edges found in ``drive``. ``thickness`` (m), ``eps_r`` and
    ``area`` (m²) with ``resistance`` (Ω) give τ_RC; ``voltage`` (V, default: the drive's high
    level) is used for the mobility.

    Quantities: ``baseline``, ``plateau``, ``peak``, ``delay_time``, ``delay_time_extrapolated``,
    ``rise_time``, ``overshoot_ratio``, ``peak_time``, ``decay_time``, ``decay_time_fast``,
    ``decay_time_slow``, ``decay_amplitude_fast``, ``decay_amplitude_slow``,
    ``slow_decay_integral``, ``slow_decay_fraction``, ``decay_integral``, ``tau_rc``,
    ``mobility``, ``current_plateau``.
    """
    names = ["el"]
    arrays: list[ArrayLike] = [el]
    if drive is not None:
        names.append("drive")
        arrays.append(drive)
    if current is not None:
        names.append("current")
        arrays.append(current)
    checked = as_trace(time, *arrays, names=tuple(names), min_points=20)
    t, y = checked[0], checked[1]
    v = checked[2] if drive is not None else None
    cur = checked[-1] if current is not None else None
    result = AnalysisResult()
    unit = el_unit
    dt = float(np.median(np.diff(t)))

    # Pulse edges: explicit times win over the drive trace.
    t_on, t_off = pulse_start, pulse_end
    drive_high: float | None = None
    if v is not None:
        rise, fall, _low, drive_high = pulse_edges(t, v)
        t_on = rise if t_on is None else t_on
        t_off = fall if t_off is None else t_off
        if rise is None:
            result.warn("drive: no pulse edge found in the drive trace")
    for label, value in (("pulse_start", t_on), ("pulse_end", t_off)):
        if value is not None and not t[0] <= value <= t[-1]:
            raise ParameterError(f"{label}: {value!r} s lies outside the record")
    if t_on is not None and t_off is not None and not t_off > t_on:
        raise ParameterError(f"pulse_end ({t_off!r} s) must come after pulse_start ({t_on!r} s)")

    # Baseline and noise from the samples before the pulse.
    if t_on is not None:
        pre = t < t_on
    else:
        # No edge: take the samples well before the EL first exceeds 20 % of its range.
        rough = moving_average(y, max(1, t.size // 500))
        lo, hi = float(np.min(rough)), float(np.max(rough))
        first = int(np.argmax(rough > lo + 0.2 * (hi - lo)))
        pre = np.zeros(t.size, dtype=bool)
        pre[: int(0.8 * first)] = True
        result.warn("pulse_start: no drive trace or pulse_start; delay time needs the pulse edge")
    if pre.sum() >= 10:
        med = float(np.median(y[pre]))
        sigma = 1.4826 * float(np.median(np.abs(y[pre] - med)))
        # Mean of the samples within 5 sigma of the median: as robust to spikes as the median
        # but ~1.25x less noisy. A baseline error shifts the whole decay tail and biases the
        # slow time constant, so the precision matters.
        inliers = y[pre][np.abs(y[pre] - med) <= 5.0 * sigma] if sigma > 0 else y[pre]
        base = float(np.mean(inliers))
        result.add("baseline", base, unit, "clipped mean EL before the pulse")
    else:
        base, sigma = 0.0, noise_sigma(y)
        result.add_missing(
            "baseline", unit, "fewer than 10 samples before the pulse; EL used as recorded"
        )
    yc = y - base

    # Pulse end: when unknown, take the EL itself (last time it is above 90 % of its level).
    i_on = 0 if t_on is None else int(np.searchsorted(t, t_on))
    if t_off is None:
        rough = moving_average(yc, max(1, t.size // 500))
        top = float(np.max(rough[i_on:]))
        above = np.flatnonzero(rough[i_on:] >= 0.5 * top) if top > 0 else np.empty(0, int)
        if above.size:
            level = float(np.median(rough[i_on + int(above[0]) : i_on + int(above[-1]) + 1]))
            last = np.flatnonzero(rough[i_on:] >= 0.9 * level)
            t_off = float(t[i_on + int(last[-1])]) if last.size else float(t[-1])
        else:
            t_off = float(t[-1])
        result.warn(
            "pulse_end: no drive trace or pulse_end; the decay is taken from the last time the "
            "EL was above 90 % of its plateau, and its amplitudes refer to that time"
        )
    i_off = int(np.searchsorted(t, t_off))

    # Plateau: mean over the last 10 % of the pulse (from the edge, or the EL rise).
    t_ref = t_on if t_on is not None else float(t[np.argmax(pre == 0)])
    width = t_off - t_ref
    plat_mask = (t >= t_off - PLATEAU_FRACTION * width) & (t < t_off)
    if plat_mask.sum() < 3:
        plat_mask = np.zeros(t.size, dtype=bool)
        plat_mask[max(i_off - 3, 0) : i_off] = True
    plateau = float(np.mean(yc[plat_mask]))
    plateau_se = sigma / math.sqrt(plat_mask.sum())
    result.extras.update(time=t, el=yc, pulse_start=t_on, pulse_end=t_off)

    if not plateau > 5.0 * sigma:
        result.add_missing("plateau", unit, "no EL above the noise during the pulse")
        for name in ("delay_time", "delay_time_extrapolated", "rise_time", "peak_time"):
            result.add_missing(name, "s", "no EL above the noise during the pulse")
        result.add_missing("overshoot_ratio", "", "no EL above the noise during the pulse")
        plateau_ok = False
    else:
        result.add("plateau", plateau, unit, "mean EL over the last 10 % of the pulse")
        plateau_ok = True
        # Is the EL still moving at the end of the pulse? Compare with the previous 10 %.
        prev = (t >= t_off - 2 * PLATEAU_FRACTION * width) & (t < t_off - PLATEAU_FRACTION * width)
        if prev.sum() >= 3:
            drift = abs(plateau - float(np.mean(yc[prev])))
            if drift > max(0.02 * plateau, 5.0 * plateau_se):
                result.warn(
                    "plateau: the EL still changes by "
                    f"{100 * drift / plateau:.1f} % over the last 20 % of the pulse; it is "
                    "the value at the end of the pulse, not a steady state"
                )

    window = 1
    if plateau_ok:
        # Noise about 1 % of the plateau: for plotting and the after-pulse spike check (the
        # edges and the peak choose their own windows).
        window = noise_window(sigma, SMOOTHED_NOISE * plateau, (i_off - i_on) // 10)
        result.extras["el_smoothed"] = moving_average(yc, window)
        result.extras["smoothing_window"] = window
        _rise_quantities(result, t, yc, plateau, sigma, i_on, i_off, t_on, dt, unit)

    base_samples = yc[pre] if pre.sum() >= 10 else None
    _decay_quantities(result, t, yc, t_off, i_off, sigma, window, unit, plateau, base_samples)
    _rc_and_mobility(result, thickness, eps_r, area, resistance, voltage, drive_high)

    if cur is not None:
        cbase = float(np.median(cur[pre])) if pre.sum() >= 10 else 0.0
        result.add(
            "current_plateau",
            float(np.mean(cur[plat_mask])) - cbase,
            "A",
            "mean current over the last 10 % of the pulse, pre-pulse offset removed",
        )
    return result


def _rise_quantities(
    result: AnalysisResult,
    t: FloatArray,
    yc: FloatArray,
    plateau: float,
    sigma: float,
    i_on: int,
    i_off: int,
    t_on: float | None,
    dt: float,
    unit: str,
) -> None:
    """Delay (eqs. T1, T2), rise (T3) and overshoot (T4)."""
    edges = rise_edges(t, yc, 0.0, plateau, sigma, start=i_on, stop=i_off, onset_level=ONSET_LEVEL)
    c_on, c10, c50, c90 = edges.onset, edges.t10, edges.t50, edges.t90
    result.extras["crossings"] = {
        name: (None if c is None else c.time)
        for name, c in (("onset", c_on), ("t10", c10), ("t50", c50), ("t90", c90))
    }
    result.extras["edge_windows"] = (edges.window_low, edges.window_high)
    if c50 is None:
        for name in ("delay_time", "delay_time_extrapolated", "rise_time"):
            result.add_missing(name, "s", "the EL never rises through 50 % of its plateau")
    else:
        if t_on is None:
            for name in ("delay_time", "delay_time_extrapolated"):
                result.add_missing(name, "s", "the pulse edge is unknown (no drive, no t0)")
        else:
            if c_on is None or c_on.time < t_on:
                result.add_missing(
                    "delay_time", "s", "the EL is already above 5 % of its plateau at the edge"
                )
            else:
                result.add(
                    "delay_time",
                    c_on.time - t_on,
                    "s",
                    "pulse edge to the first crossing of 5 % of the plateau (eq. T1)",
                )
            if c10 is None:
                result.add_missing("delay_time_extrapolated", "s", "no 10 % crossing")
            else:
                t_x = c10.time - 0.25 * (c50.time - c10.time)
                if t_x < t_on:
                    result.add_missing(
                        "delay_time_extrapolated",
                        "s",
                        "the extrapolated onset lies before the pulse edge",
                    )
                else:
                    result.add(
                        "delay_time_extrapolated",
                        t_x - t_on,
                        "s",
                        "10-50 % chord extrapolated to the baseline (eq. T2)",
                    )
        if c10 is None or c90 is None:
            result.add_missing("rise_time", "s", "no 10 % or 90 % crossing during the pulse")
        else:
            rise = c90.time - c10.time
            result.add("rise_time", rise, "s", "10-90 % of the plateau (eq. T3)")
            smoothed_noise = sigma / math.sqrt(edges.window_low) / plateau
            if smoothed_noise > 0.02:
                result.warn(
                    f"rise_time: the noise is {100 * smoothed_noise:.1f} % of the plateau even "
                    "after smoothing over a tenth of the rise; delay and rise time are limited "
                    "by noise and time resolution"
                )
            if rise < 5.0 * dt:
                result.warn("rise_time: spans fewer than 5 samples; limited by time resolution")

    # Peak: the maximum of noise is biased upwards by a few smoothed sigmas, so smooth harder
    # (0.3 % of the plateau) but no wider than half the rise, which keeps a sharp peak.
    rise_time = result.value("rise_time")
    cap = (i_off - i_on) // 10
    if rise_time is not None:
        cap = min(cap, math.floor(0.5 * rise_time / dt))
    w_peak = noise_window(sigma, PEAK_NOISE * plateau, max(cap, 1))
    seg = moving_average(yc[i_on:i_off], w_peak)
    if seg.size == 0:
        result.add_missing("overshoot_ratio", "", "no samples during the pulse")
        return
    k = int(np.argmax(seg))
    peak = float(seg[k])
    sig_peak = sigma / math.sqrt(w_peak)
    result.add("peak", peak, unit, f"maximum of the EL smoothed over {w_peak} samples")
    note = "smoothed peak / plateau (eq. T4)"
    if peak - plateau < 4.0 * sig_peak:
        note += "; no overshoot above the noise"
        result.warn(
            "overshoot_ratio: the peak exceeds the plateau by less than 4 noise sigmas; "
            "no significant overshoot (the ratio is an upper bound)"
        )
    result.add("overshoot_ratio", peak / plateau, "", note)
    if t_on is None:
        result.add_missing("peak_time", "s", "the pulse edge is unknown")
    else:
        result.add("peak_time", float(t[i_on + k]) - t_on, "s", "pulse edge to the EL peak")


def _decay_quantities(
    result: AnalysisResult,
    t: FloatArray,
    yc: FloatArray,
    t_off: float,
    i_off: int,
    sigma: float,
    window: int,
    unit: str,
    plateau: float,
    baseline: FloatArray | None,
) -> None:
    """Decay fits after the falling edge (eqs. T5–T7)."""
    names = {
        "decay_time": "s",
        "decay_time_fast": "s",
        "decay_time_slow": "s",
        "decay_amplitude_fast": unit,
        "decay_amplitude_slow": unit,
        "slow_decay_integral": _unit_times_s(unit),
        "slow_decay_fraction": "",
    }
    tp, yp = t[i_off:], yc[i_off:]
    if tp.size < 20:
        for name, u in names.items():
            result.add_missing(name, u, "fewer than 20 samples after the pulse")
        result.add_missing("decay_integral", _unit_times_s(unit), "too few samples after pulse")
        return
    # Model-free area of the whole decay, from the falling edge to the end of the record.
    area = float(np.trapezoid(yp, tp))
    result.add("decay_integral", area, _unit_times_s(unit), "trapezoid area of EL after the pulse")

    start = t_off
    ys = moving_average(yp, window)
    head = ys[: max(3, ys.size // 10)]
    k = int(np.argmax(head))
    # An EL spike after turn-off (trapped carriers meeting injected ones) rises before it
    # decays; an exponential decay can only be fitted from its maximum.
    if head[k] > ys[0] + max(3.0 * sigma / math.sqrt(window), 0.02 * max(plateau, 0.0)) and k:
        start = float(tp[k])
        tp, yp = tp[k:], yp[k:]
        result.warn("decay: the EL rises after the pulse ends (spike); fitted from its maximum")
    if not float(np.max(moving_average(yp, window))) > 5.0 * sigma / math.sqrt(window):
        for name, u in names.items():
            result.add_missing(name, u, "no EL decay above the noise after the pulse")
        return
    mono, bi, chosen = fit_decay(tp, yp, start, baseline=baseline)
    if chosen == "":
        for name, u in names.items():
            result.add_missing(name, u, "the decay fits failed")
        return
    best = bi if chosen == "bi" else mono
    assert best is not None
    result.extras["decay_fit"] = {
        "model": chosen,
        "t0": start,
        "amplitudes": best.amplitudes,
        "taus": best.taus,
        "tau_stderr": best.stderr,
        "bic_mono": None if mono is None else mono.bic,
        "bic_bi": None if bi is None else bi.bic,
        "offset": best.offset,
        "curve": best(tp),
        "time": tp,
    }
    span = float(tp[-1] - start)
    if chosen == "mono":
        assert mono is not None
        result.add(
            "decay_time", mono.taus[0], "s", "mono-exponential tau (eqs. T5, T6; chosen by BIC)"
        )
        reason = "the bi-exponential model is not supported by the data (BIC, eq. T5)"
        for name in names:
            if name != "decay_time":
                result.add_missing(name, names[name], reason)
        slowest = mono.taus[0]
    else:
        assert bi is not None
        (a1, a2), (tau1, tau2) = bi.amplitudes, bi.taus
        result.add(
            "decay_time",
            bi.effective_tau,
            "s",
            "effective tau = sum(A tau)/sum(A) of the bi-exponential fit (eq. T6)",
        )
        result.add("decay_time_fast", tau1, "s", "fast bi-exponential component (eq. T5)")
        result.add("decay_time_slow", tau2, "s", "slow bi-exponential component (eq. T5)")
        result.add("decay_amplitude_fast", a1, unit, "at the start of the decay fit")
        result.add("decay_amplitude_slow", a2, unit, "at the start of the decay fit")
        result.add(
            "slow_decay_integral",
            a2 * tau2,
            _unit_times_s(unit),
            "A2 tau2, area of the slow component to infinite time (eq. T7)",
        )
        result.add(
            "slow_decay_fraction",
            a2 * tau2 / (a1 * tau1 + a2 * tau2),
            "",
            "A2 tau2 / (A1 tau1 + A2 tau2)",
        )
        slowest = tau2
    if span < 3.0 * slowest:
        result.warn(
            f"decay: the record after the pulse lasts {span / slowest:.1f} slow time constants "
            "(< 3); the slow time constant and its area are poorly determined"
        )


def _rc_and_mobility(
    result: AnalysisResult,
    thickness: float | None,
    eps_r: float | None,
    area: float | None,
    resistance: float | None,
    voltage: float | None,
    drive_high: float | None,
) -> None:
    """τ_RC (eq. T8) and, where t_d ≫ τ_RC, the transit mobility (eq. T9)."""
    if thickness is None or eps_r is None or area is None or resistance is None:
        result.add_missing("tau_rc", "s", "needs thickness, eps_r, area and resistance")
        result.add_missing("mobility", "m**2/(V*s)", "needs tau_RC to check t_d >> tau_RC")
        return
    tau_rc = rc_time_constant(thickness, eps_r, area, resistance)
    result.add("tau_rc", tau_rc, "s", f"R C with C = eps0 eps_r A / d, R = {resistance:g} ohm")
    t_d = result.value("delay_time")
    volt_note = "voltage given"
    if voltage is None and drive_high is not None:
        voltage, volt_note = drive_high, "voltage = high level of the drive pulse"
    if t_d is None:
        result.add_missing("mobility", "m**2/(V*s)", "no delay time")
    elif voltage is None or voltage == 0:
        result.add_missing("mobility", "m**2/(V*s)", "needs the pulse voltage")
    elif t_d < RC_FACTOR * tau_rc:
        result.add_missing(
            "mobility",
            "m**2/(V*s)",
            f"t_d = {t_d:.3g} s is not >> tau_RC = {tau_rc:.3g} s (needs t_d >= "
            f"{RC_FACTOR:g} tau_RC); the delay reflects RC charging, not carrier transit",
        )
    else:
        result.add(
            "mobility",
            transit_mobility(thickness, t_d, voltage),
            "m**2/(V*s)",
            f"d^2/(t_d V) (eq. T9), t_d >= {RC_FACTOR:g} tau_RC; {volt_note}",
        )
