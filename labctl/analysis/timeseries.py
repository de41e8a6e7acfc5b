"""Time series under a switched bias: response, recovery, quench ratio, reversible part.

A lateral-field PL run (DOMAIN: lateral-field PL) records one number per spectrum — integrated
PL, peak height — against time while a bias is switched on at ``bias_on`` and off at
``bias_off``. Mobile ions respond on ms–hours time scales, so the signal relaxes exponentially
towards a new level under bias and (partly) back at rest. This module fits those relaxations and
derives the numbers the domain asks for:

* response and recovery time constants, from the single-exponential relaxation (eq. TS1)
  ``y(t) = y_inf + (y_0 - y_inf) exp(-(t - t_step) / tau)``, fitted by variable projection:
  for a trial ``tau`` the model is linear in ``y_0`` and ``y_inf``, so a log-spaced grid of
  ``tau`` is scanned exactly and the best point is refined with ``scipy.optimize.curve_fit``;
* quench ratio ``Q = I_bias / I_before`` (eq. TS2; Q < 1 quench, Q > 1 enhancement);
* recovered fraction ``F = (I_rest_end - I_bias_end) / (I_before - I_bias_end)`` (eq. TS3);
* the bias-induced relative change split as ``total = reversible + irreversible`` with
  ``total = (I_bias_end - I_before) / I_before``,
  ``irreversible = (I_rest_end - I_before) / I_before``,
  ``reversible = (I_bias_end - I_rest_end) / I_before`` (eq. TS4).

The module also holds the small vectorised helpers (trace validation, noise estimate, moving
average, level crossings with hysteresis, bin averaging) that the TrEL, lifetime and AC analyses
share. Times are in s; the signal may be in any unit, which is carried through unchanged.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.ndimage import uniform_filter1d
from scipy.optimize import OptimizeWarning, curve_fit

from labctl.analysis.results import AnalysisResult
from labctl.errors import ParameterError

__all__ = [
    "Crossing",
    "ExponentialStep",
    "RiseEdges",
    "analyze_bias_response",
    "as_trace",
    "bin_average",
    "find_crossing",
    "fit_exponential_step",
    "moving_average",
    "noise_sigma",
    "noise_window",
    "quench_ratio",
    "recovered_fraction",
    "rise_edges",
]

FloatArray = NDArray[np.float64]

# A relaxation is called settled after this many time constants (exp(-3) = 5 % left).
SETTLED_TAUS = 3.0
# Grid and fit sizes: the exact scans average the data down to GRID_POINTS bins, the curve_fit
# refinements to FIT_POINTS bins (more where the time constant needs finer bins, never more
# than MAX_FIT_POINTS). Fewer points keep the SVDs inside curve_fit cheap.
GRID_POINTS = 4_000
FIT_POINTS = 10_000
MAX_FIT_POINTS = 100_000


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def as_trace(
    time: ArrayLike, *signals: ArrayLike, names: tuple[str, ...] = (), min_points: int = 5
) -> tuple[FloatArray, ...]:
    """Return ``time`` and ``signals`` as float arrays after checking them.

    Raises :class:`ParameterError` unless all arrays are 1-D, of equal length (at least
    ``min_points``), finite, and ``time`` is strictly increasing.
    """
    labels = ("time", *names) if names else ("time", *(f"signal {i}" for i in range(len(signals))))
    arrays = [np.asarray(a, dtype=float) for a in (time, *signals)]
    for label, arr in zip(labels, arrays, strict=False):
        if arr.ndim != 1:
            raise ParameterError(f"{label}: expected a 1-D array, got shape {arr.shape}")
        if arr.size != arrays[0].size:
            raise ParameterError(
                f"{label}: length {arr.size} differs from the time axis ({arrays[0].size})"
            )
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"{label}: contains NaN or infinite values")
    if arrays[0].size < min_points:
        raise ParameterError(f"time: need at least {min_points} points, got {arrays[0].size}")
    if np.any(np.diff(arrays[0]) <= 0):
        raise ParameterError("time: must be strictly increasing (sort the record first)")
    return tuple(arrays)


def noise_sigma(y: ArrayLike) -> float:
    """Return a robust estimate of the white-noise standard deviation of ``y``.

    Uses the median absolute deviation of first differences, sigma = 1.4826 MAD(diff y) / sqrt 2
    (Rousseeuw & Croux, J. Am. Stat. Assoc. 88, 1273 (1993)): the differences of a smooth
    signal are nearly constant, so steps and slow trends hardly bias the estimate.
    """
    d = np.diff(np.asarray(y, dtype=float))
    if d.size < 2:
        return 0.0
    mad = float(np.median(np.abs(d - np.median(d))))
    return 1.4826 * mad / math.sqrt(2.0)


def moving_average(y: ArrayLike, window: int) -> FloatArray:
    """Centred moving average over ``window`` samples (edges repeat the end values).

    A centred box keeps a linear ramp in place, so level crossings are not shifted in time.
    """
    arr = np.asarray(y, dtype=float)
    window = int(window)
    if window <= 1:
        return arr.copy()
    return uniform_filter1d(arr, size=window, mode="nearest")


def bin_average(time: FloatArray, y: FloatArray, max_points: int) -> tuple[FloatArray, FloatArray]:
    """Average consecutive samples so that at most ``max_points`` remain.

    Averaging k neighbours keeps an exponential with time constant tau intact to a relative
    error of about (k dt / tau)^2 / 24, negligible for the bin widths used here.
    """
    n = time.size
    if n <= max_points:
        return time, y
    k = math.ceil(n / max_points)
    idx = np.arange(n) // k
    counts = np.bincount(idx)
    return np.bincount(idx, weights=time) / counts, np.bincount(idx, weights=y) / counts


class Crossing(NamedTuple):
    """A level crossing: its interpolated time (s) and the first sample index past it."""

    time: float
    index: int


def find_crossing(
    time: FloatArray,
    y: FloatArray,
    level: float,
    *,
    rising: bool = True,
    start: int = 0,
    stop: int | None = None,
    hysteresis: float = 0.0,
) -> Crossing | None:
    """Return the first crossing of ``level`` by ``y`` in samples ``start:stop``, or None.

    Noise-robust definition (a Schmitt trigger): the crossing is confirmed at the first sample
    that lies ``hysteresis`` beyond the level, and bracketed by the last sample before it that
    lies ``hysteresis`` on the near side. Within that bracket the signal may cross the level
    several times because of noise; the reported time is the bracket start plus the time the
    linearly interpolated signal spends on the near side of the level inside the bracket. For a
    single crossing that is exactly linear interpolation; with noise every sample in the bracket
    contributes, so the estimate is neither biased early (as the first crossing of a noisy
    signal is) nor set by two extreme samples. With ``hysteresis=0`` the bracket holds one
    crossing: ordinary linear interpolation.
    """
    n = y.size
    stop = n if stop is None else min(int(stop), n)
    start = max(int(start), 0)
    if stop - start < 2:
        return None
    seg = y[start:stop] - level
    if not rising:
        seg = -seg
    h = max(float(hysteresis), 0.0)
    beyond = np.flatnonzero(seg >= h) if h > 0 else np.flatnonzero(seg >= 0)
    if beyond.size == 0:
        return None
    k = int(beyond[0])
    before = seg[:k]
    near = np.flatnonzero(before <= -h) if h > 0 else np.flatnonzero(before < 0)
    if near.size == 0:
        near = np.flatnonzero(before < 0)
    if near.size == 0:
        return None  # already beyond the level at the start of the segment
    j = int(near[-1])
    s = seg[j : k + 1]
    tt = time[start + j : start + k + 1]
    a, b = s[:-1], s[1:]
    # Fraction of each interval that the linear interpolant spends on the near side.
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(
            a < 0,
            np.where(b < 0, 1.0, a / (a - b)),
            np.where(b < 0, -b / (a - b), 0.0),
        )
    return Crossing(float(tt[0] + np.sum(frac * np.diff(tt))), start + k)


def noise_window(sigma: float, target: float, max_window: int) -> int:
    """Moving-average width that brings white noise ``sigma`` down to ``target`` (1..max)."""
    if not sigma > 0 or not target > 0:
        return 1
    return int(min(max(math.ceil((sigma / target) ** 2), 1), max(max_window, 1)))


class RiseEdges(NamedTuple):
    """Crossings of a rising edge at the onset level, 10 %, 50 % and 90 % of its swing."""

    onset: Crossing | None
    t10: Crossing | None
    t50: Crossing | None
    t90: Crossing | None
    window_low: int  # moving-average width (samples) used for the onset, 10 % and 50 %
    window_high: int  # width used for the 90 % crossing


# Smoothed-noise targets (fractions of the swing) and window limits (fractions of the edge).
EDGE_NOISE = 0.01  # first pass, and upper bound for the steep part of the edge
EDGE_NOISE_TOP = 0.003  # near the top, where the slope is small
EDGE_WINDOW_LOW = 0.1  # window <= 0.1 x (t90 - t10) for onset, 10 % and 50 %
EDGE_WINDOW_HIGH = 0.5  # window <= 0.5 x (t90 - t50) for the 90 % crossing


def _edges_pass(
    t: FloatArray,
    yn: FloatArray,
    sig: float,
    w_low: int,
    w_high: int,
    start: int,
    stop: int,
    onset_level: float,
) -> RiseEdges:
    low = moving_average(yn, w_low)
    h_low = min(3.0 * sig / math.sqrt(w_low), 0.2)
    c50 = find_crossing(t, low, 0.5, start=start, stop=stop, hysteresis=h_low)
    if c50 is None:
        return RiseEdges(None, None, None, None, w_low, w_high)
    upto = c50.index + 1
    c_on = find_crossing(t, low, onset_level, start=start, stop=upto, hysteresis=h_low)
    c10 = find_crossing(t, low, 0.1, start=start, stop=upto, hysteresis=h_low)
    high = low if w_high == w_low else moving_average(yn, w_high)
    # Near the top the confirmation level must stay below the plateau (<= 95 %).
    h_high = min(3.0 * sig / math.sqrt(w_high), 0.05)
    c90 = find_crossing(t, high, 0.9, start=c50.index, stop=stop, hysteresis=h_high)
    return RiseEdges(c_on, c10, c50, c90, w_low, w_high)


def rise_edges(
    time: FloatArray,
    y: FloatArray,
    bottom: float,
    top: float,
    sigma: float,
    *,
    start: int = 0,
    stop: int | None = None,
    onset_level: float = 0.05,
) -> RiseEdges:
    """Find the onset, 10 %, 50 % and 90 % crossings of a rising edge from ``bottom`` to ``top``.

    ``y`` is the raw signal with white noise ``sigma`` (same units). Two passes:

    1. a centred moving average that brings the noise to 1 % of the swing locates the edge;
    2. the onset, 10 % and 50 % crossings are taken again with the window limited to a tenth
       of the 10–90 % time (a wider box would smear the kink where the edge starts and move
       the onset early), and the 90 % crossing with a window aiming at 0.3 % noise but limited
       to half the 50–90 % time (near the top the slope is small, so noise, not blur, limits
       the timing).

    Every crossing uses :func:`find_crossing` with a hysteresis of 3 smoothed sigmas (at most
    20 % of the swing, 5 % for the 90 % level).
    """
    n = y.size
    stop = n if stop is None else min(int(stop), n)
    swing = top - bottom
    if not swing > 0:
        return RiseEdges(None, None, None, None, 1, 1)
    yn = (y - bottom) / swing
    sig = sigma / swing
    span = max(stop - start, 1)
    w1 = noise_window(sig, EDGE_NOISE, span // 10)
    first = _edges_pass(time, yn, sig, w1, w1, start, stop, onset_level)
    if first.t10 is None or first.t50 is None or first.t90 is None:
        return first
    dt = float(np.median(np.diff(time[start:stop]))) if span > 1 else 1.0
    rise = first.t90.time - first.t10.time
    w_low = int(min(w1, max(1, math.floor(EDGE_WINDOW_LOW * rise / dt))))
    w_high = int(
        min(
            noise_window(sig, EDGE_NOISE_TOP, span // 10),
            max(1, math.floor(EDGE_WINDOW_HIGH * (first.t90.time - first.t50.time) / dt)),
        )
    )
    w_high = max(w_high, 1)
    if (w_low, w_high) == (w1, w1):
        return first
    second = _edges_pass(time, yn, sig, w_low, w_high, start, stop, onset_level)
    # Keep the first pass for any crossing the second could not confirm.
    return RiseEdges(
        second.onset or first.onset,
        second.t10 or first.t10,
        second.t50 or first.t50,
        second.t90 or first.t90,
        w_low,
        w_high,
    )


# --------------------------------------------------------------------------------------------
# Single-exponential relaxation
# --------------------------------------------------------------------------------------------


@dataclass
class ExponentialStep:
    """Fitted relaxation y(t) = final + (initial - final) exp(-(t - t0) / tau) (eq. TS1)."""

    t0: float  # s, time origin of the relaxation (the bias switch)
    initial: float  # model value at t0
    final: float  # asymptote for t -> infinity
    tau: float  # s
    tau_stderr: float | None  # s, one standard error from the fit covariance
    rms: float  # residual root-mean-square
    duration: float  # s, time span of the data that was fitted

    def __call__(self, t: ArrayLike) -> FloatArray:
        tt = np.asarray(t, dtype=float)
        return self.final + (self.initial - self.final) * np.exp(-(tt - self.t0) / self.tau)

    @property
    def settled(self) -> bool:
        """True when the fitted segment lasts at least three time constants."""
        return self.duration >= SETTLED_TAUS * self.tau


def _step_model(t: FloatArray, initial: float, final: float, tau: float) -> FloatArray:
    return final + (initial - final) * np.exp(-t / tau)


def fit_exponential_step(
    time: ArrayLike, signal: ArrayLike, t0: float | None = None
) -> ExponentialStep | None:
    """Fit eq. TS1 to a segment that starts at (or after) the switch time ``t0`` (s).

    ``t0`` defaults to the first sample. Returns None when the segment has fewer than 5 points.
    The time constant is first found on an exact log-spaced grid (for each trial tau the model
    is linear in ``initial`` and ``final``: variable projection, Golub & Pereyra, SIAM J. Numer.
    Anal. 10, 413 (1973)), then refined with ``curve_fit``. Whether the result is meaningful
    (tau within the segment, a change above noise) is for the caller to judge.
    """
    t, y = as_trace(time, signal, names=("signal",), min_points=5)
    origin = float(t[0]) if t0 is None else float(t0)
    x = t - origin
    duration = float(x[-1] - min(x[0], 0.0))
    if duration <= 0:
        return None
    dt = float(np.median(np.diff(t)))
    xg, yg = bin_average(x, y, GRID_POINTS)
    taus = np.geomspace(max(dt / 2.0, duration * 1e-5), 30.0 * duration, 96)
    e = np.exp(-xg[None, :] / taus[:, None])
    n = float(xg.size)
    se, see = e.sum(axis=1), (e * e).sum(axis=1)
    sy, sey, syy = float(yg.sum()), e @ yg, float(yg @ yg)
    det = n * see - se * se
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (n * sey - se * sy) / det  # amplitude (initial - final)
        c = (sy - a * se) / n  # final
        rss = syy - (c * sy + a * sey)
    rss = np.where(np.isfinite(rss) & (det > 1e-12 * n * n), rss, np.inf)
    best = int(np.argmin(rss))
    p0 = [float(c[best] + a[best]), float(c[best]), float(taus[best])]
    if not np.isfinite(p0).all():
        p0 = [float(y[0]), float(y[-1]), duration / 3.0]
    # Bins no wider than a tenth of the time constant keep the exponential shape.
    wanted = math.ceil(10.0 * duration / max(p0[2], dt))
    xf, yf = bin_average(x, y, min(max(FIT_POINTS, wanted), MAX_FIT_POINTS))
    lo_tau, hi_tau = taus[0] / 10.0, 100.0 * duration
    p0[2] = float(np.clip(p0[2], lo_tau * 1.01, hi_tau * 0.99))
    tau_err: float | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            popt, pcov = curve_fit(
                _step_model,
                xf,
                yf,
                p0=p0,
                bounds=([-np.inf, -np.inf, lo_tau], [np.inf, np.inf, hi_tau]),
                max_nfev=2000,
            )
        err = float(np.sqrt(pcov[2, 2])) if np.isfinite(pcov[2, 2]) else None
        tau_err = err
    except (RuntimeError, ValueError):
        popt = np.asarray(p0)
    resid = yf - _step_model(xf, *popt)
    return ExponentialStep(
        t0=origin,
        initial=float(popt[0]),
        final=float(popt[1]),
        tau=float(popt[2]),
        tau_stderr=tau_err,
        rms=float(np.sqrt(np.mean(resid**2))),
        duration=duration,
    )


# --------------------------------------------------------------------------------------------
# Ratios
# --------------------------------------------------------------------------------------------


def quench_ratio(baseline: float, biased: float) -> float | None:
    """Return Q = I_bias / I_before (eq. TS2); None when the baseline is not positive."""
    if not baseline > 0:
        return None
    return biased / baseline


def recovered_fraction(before: float, biased_end: float, rest_end: float) -> float | None:
    """Return F = (I_rest_end - I_bias_end) / (I_before - I_bias_end) (eq. TS3).

    F = 1: full recovery; F = 0: none; F > 1: overshoot past the baseline. None when the bias
    caused no change (zero denominator).
    """
    change = before - biased_end
    if change == 0:
        return None
    return (rest_end - biased_end) / change


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def _segment_level(y: FloatArray) -> tuple[float, float]:
    """Mean of a segment and its standard error (white-noise estimate)."""
    sigma = noise_sigma(y) if y.size > 2 else float(np.std(y))
    return float(np.mean(y)), sigma / math.sqrt(max(y.size, 1))


def _relaxation(
    result: AnalysisResult,
    name: str,
    t: FloatArray,
    y: FloatArray,
    t_step: float,
    sigma: float,
    what: str,
) -> ExponentialStep | None:
    """Fit one relaxation and store its time constant under ``name`` (None when unsupported)."""
    if t.size < 5:
        result.add_missing(name, "s", f"only {t.size} samples {what}; need at least 5")
        return None
    fit = fit_exponential_step(t, y, t_step)
    if fit is None:
        result.add_missing(name, "s", f"the exponential fit {what} failed")
        return None
    change = abs(fit.initial - fit.final)
    # The relaxation must stand out of the noise. A criterion on the mean (sigma / sqrt N)
    # would accept slow drifts as responses, so compare with the single-sample noise.
    if change < 3.0 * max(sigma, fit.rms):
        result.add_missing(name, "s", f"no relaxation above the noise {what}")
        return None
    if fit.tau > fit.duration:
        result.add_missing(
            name,
            "s",
            f"the fitted time constant ({fit.tau:.3g} s) exceeds the {fit.duration:.3g} s "
            f"recorded {what}; it is not determined by the data",
        )
        return fit
    note = f"single-exponential fit {what} (eq. TS1)"
    if fit.tau_stderr is not None:
        note += f", standard error {fit.tau_stderr:.2g} s"
    result.add(name, fit.tau, "s", note)
    if not fit.settled:
        result.warn(
            f"{name}: the signal {what} lasted {fit.duration / fit.tau:.1f} time constants "
            f"(< {SETTLED_TAUS:g}); it had not settled"
        )
    return fit


def analyze_bias_response(
    time: ArrayLike,
    signal: ArrayLike,
    bias_on: float,
    bias_off: float,
    *,
    signal_unit: str = "",
) -> AnalysisResult:
    """Analyse one bias cycle: baseline, bias on at ``bias_on`` (s), off at ``bias_off`` (s).

    Quantities:

    * ``baseline`` — mean signal before ``bias_on`` (I_before);
    * ``biased_end`` — level at the end of the bias: the fitted relaxation (eq. TS1) at
      ``bias_off`` when the fit holds, else the mean of the last 10 % of the biased segment;
    * ``biased_steady`` — fitted asymptote under bias (None unless the bias lasted >= 3 tau);
    * ``quench_ratio`` — eq. TS2 with the steady biased level (with the end-of-bias level and a
      warning when steady state was not reached);
    * ``response_time`` / ``recovery_time`` — tau of eq. TS1 after ``bias_on`` / ``bias_off``;
    * ``rest_end`` — level at the end of the rest (fitted recovery at the last sample);
    * ``recovered_fraction`` — eq. TS3 with ``rest_end``; ``recovered_fraction_asymptotic``
      the same with the fitted asymptote of the recovery (an extrapolation, flagged);
    * ``total_change``, ``reversible_change``, ``irreversible_change`` — eq. TS4, relative to
      the baseline (dimensionless, signed: negative means a loss).
    """
    t, y = as_trace(time, signal, names=("signal",), min_points=10)
    on, off = float(bias_on), float(bias_off)
    if not on < off:
        raise ParameterError(f"bias_on ({on} s) must be earlier than bias_off ({off} s)")
    if not t[0] <= on < t[-1] or not t[0] < off <= t[-1]:
        raise ParameterError(
            f"bias_on and bias_off must lie within the record ({t[0]:.6g} s to {t[-1]:.6g} s)"
        )
    result = AnalysisResult()
    unit = signal_unit
    pre = t < on
    bia = (t >= on) & (t < off)
    post = t >= off
    sigma = noise_sigma(y)
    result.extras.update(time=t, signal=y)

    before_se = 0.0
    if pre.sum() < 2:
        result.add_missing("baseline", unit, "fewer than 2 samples before the bias")
        before = None
    else:
        before, before_se = _segment_level(y[pre])
        result.add("baseline", before, unit, "mean before bias_on")

    resp = _relaxation(result, "response_time", t[bia], y[bia], on, sigma, "under bias")
    recov = _relaxation(result, "recovery_time", t[post], y[post], off, sigma, "after bias_off")

    # Level at the end of the bias: the fit evaluated there averages the noise of the segment.
    yb = y[bia]
    if yb.size == 0:
        result.add_missing("biased_end", unit, "no samples under bias")
        biased_end = None
    elif resp is not None and resp.tau <= resp.duration:
        biased_end = float(resp(off))
        result.add("biased_end", biased_end, unit, "fitted relaxation at bias_off")
    else:
        tail = yb[-max(1, yb.size // 10) :]
        biased_end = float(np.mean(tail))
        result.add("biased_end", biased_end, unit, "mean of the last 10 % under bias")

    steady = None
    if resp is not None and resp.settled:
        steady = resp.final
        result.add("biased_steady", steady, unit, "asymptote of the fitted response")
    else:
        result.add_missing(
            "biased_steady", unit, "the bias did not last three response time constants"
        )

    level = steady if steady is not None else biased_end
    if before is None or level is None:
        result.add_missing("quench_ratio", "", "needs the baseline and the biased level")
    else:
        q = quench_ratio(before, level)
        if q is None:
            result.add_missing("quench_ratio", "", "the baseline is not positive")
        else:
            note = "steady biased level / baseline (eq. TS2)"
            if steady is None:
                note = "end-of-bias level / baseline (eq. TS2); not steady"
                result.warn("quench_ratio: steady state was not reached; ratio at end of bias")
            result.add("quench_ratio", q, "", note)

    yp = y[post]
    if yp.size == 0:
        rest_end = None
        result.add_missing("rest_end", unit, "no samples after bias_off")
    elif recov is not None and recov.tau <= recov.duration:
        rest_end = float(recov(t[-1]))
        result.add("rest_end", rest_end, unit, "fitted recovery at the last sample")
    else:
        rest_end = float(np.mean(yp[-max(1, yp.size // 10) :]))
        result.add("rest_end", rest_end, unit, "mean of the last 10 % of the rest")

    names = ("recovered_fraction", "recovered_fraction_asymptotic")
    if before is None or biased_end is None or rest_end is None:
        for name in names:
            result.add_missing(name, "", "needs baseline, end-of-bias and end-of-rest levels")
    elif abs(before - biased_end) < 3.0 * max(sigma, 1e-300) + 3.0 * before_se:
        for name in names:
            result.add_missing(name, "", "the bias changed the signal by less than the noise")
    else:
        frac = recovered_fraction(before, biased_end, rest_end)
        result.add(names[0], frac, "", "(I_rest_end - I_bias_end)/(I_before - I_bias_end)")
        if recov is not None and recov.tau <= recov.duration:
            frac_inf = recovered_fraction(before, biased_end, recov.final)
            result.add(
                names[1],
                frac_inf,
                "",
                "eq. TS3 with the fitted recovery asymptote (extrapolated)",
            )
            if not recov.settled:
                result.warn(
                    "recovered_fraction_asymptotic: the rest lasted less than three recovery "
                    "time constants; the asymptote is an extrapolation"
                )
        else:
            result.add_missing(names[1], "", "no recovery time constant")

    if before is None or biased_end is None or rest_end is None or not before > 0:
        for name in ("total_change", "reversible_change", "irreversible_change"):
            result.add_missing(name, "", "needs a positive baseline and both end levels")
    else:
        result.add("total_change", (biased_end - before) / before, "", "eq. TS4")
        result.add("reversible_change", (biased_end - rest_end) / before, "", "eq. TS4")
        result.add("irreversible_change", (rest_end - before) / before, "", "eq. TS4")

    if resp is not None:
        result.extras["response_fit"] = resp(t[bia])
    if recov is not None:
        result.extras["recovery_fit"] = recov(t[post])
    return result
