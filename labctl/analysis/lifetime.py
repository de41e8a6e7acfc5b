"""Operational lifetime under constant DC stress: T50/T80/T95, overshoot, stretched exponential.

A PeLED held at constant current (or voltage) first often brightens — mobile ions fill defects
("luminance overshoot", Jiang et al., Nanoscale 16, 3838 (2024), Fig. 6a) — and then decays.
Definitions (times in s from the first sample, luminance in cd/m² or any unit):

* **Initial luminance** L0 — value at the first sample of a low-order polynomial fitted to the
  first samples, so a single noisy first reading does not set every threshold: a parabola over
  the first half of the rise when there is an overshoot, else a line over one smoothing window.
* **Peak** — maximum of the luminance smoothed over at most a quarter of the rise to the peak
  (so a short overshoot is not flattened); ``time_to_peak`` = t_peak − t_0, with the span over
  which the peak is flat within the noise in its note; ``overshoot_ratio`` = L_peak / L0
  (eq. L1). An excess below the noise (or 0.1 % of L0) is no overshoot: ``time_to_peak`` None.
* **T_X** (X = 95, 80, 50) — the first time the luminance falls to X % of L0 (``t95`` …) or of
  L_peak (``t95_from_peak`` …), eq. L2; linear interpolation between samples of the curve
  smoothed to 0.2 % noise, with a Schmitt trigger
  (:func:`labctl.analysis.timeseries.find_crossing`) so noise does not report the crossing
  early. Not reached: None and a warning.
* **Stretched exponential** after the peak (Kohlrausch–Williams–Watts form, as used for OLED and
  PeLED lifetimes, e.g. Féry et al., Appl. Phys. Lett. 87, 213502 (2005)):
  L(t) = L_peak exp(−((t − t_peak)/τ)^β) (eq. L3), fitted for L_peak, τ, β with t_peak fixed.
  Then T50 = t_peak + τ [ln(L_peak / (0.5 L0))]^(1/β) (eq. L4) — ``t50_extrapolated``. When the
  luminance never fell to 50 % this is an extrapolation and is flagged; beyond
  ``max_extrapolation`` times the record length it is refused.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import OptimizeWarning, curve_fit

from labctl.analysis.results import AnalysisResult
from labctl.analysis.timeseries import (
    FIT_POINTS,
    as_trace,
    bin_average,
    find_crossing,
    moving_average,
    noise_sigma,
    noise_window,
)
from labctl.errors import ParameterError

__all__ = [
    "StretchedExponential",
    "analyze_lifetime",
    "fit_stretched_exponential",
    "stretched_exponential",
    "threshold_time",
]

FloatArray = NDArray[np.float64]

FRACTIONS = (0.95, 0.80, 0.50)
SMOOTHED_NOISE = 0.002  # target smoothed noise, fraction of the peak luminance
MIN_DROP = 0.05  # the fit needs the luminance to fall at least 5 % below its peak


def stretched_exponential(
    t: ArrayLike, l_peak: float, t_peak: float, tau: float, beta: float
) -> FloatArray:
    """L(t) = L_peak exp(−((t − t_peak)/τ)^β) for t ≥ t_peak (eq. L3); L_peak before."""
    x = np.clip((np.asarray(t, dtype=float) - t_peak) / tau, 0.0, None)
    return l_peak * np.exp(-(x**beta))


@dataclass
class StretchedExponential:
    """Fitted eq. L3."""

    l_peak: float
    t_peak: float  # s, fixed at the measured peak
    tau: float  # s
    beta: float
    tau_stderr: float | None
    beta_stderr: float | None
    rms: float

    def __call__(self, t: ArrayLike) -> FloatArray:
        return stretched_exponential(t, self.l_peak, self.t_peak, self.tau, self.beta)

    def time_to(self, level: float) -> float | None:
        """Absolute time (s) at which the model falls to ``level`` (eq. L4); None if never."""
        if not 0 < level < self.l_peak:
            return None
        return self.t_peak + self.tau * math.log(self.l_peak / level) ** (1.0 / self.beta)


def threshold_time(
    time: FloatArray,
    smooth: FloatArray,
    level: float,
    *,
    start: int = 0,
    hysteresis: float = 0.0,
) -> float | None:
    """First time (s, absolute) the smoothed luminance falls through ``level`` (eq. L2)."""
    crossing = find_crossing(time, smooth, level, rising=False, start=start, hysteresis=hysteresis)
    return None if crossing is None else crossing.time


def fit_stretched_exponential(
    time: ArrayLike, luminance: ArrayLike, t_peak: float
) -> StretchedExponential | None:
    """Fit eq. L3 to the samples at and after ``t_peak`` (s); None if it cannot be fitted.

    Starting values come from the linearisation ln(−ln(L/L_peak)) = β ln(t − t_peak) − β ln τ
    on the samples between 2 % and 97 % decay; ``curve_fit`` then refines L_peak, τ and β with
    0.05 ≤ β ≤ 5.
    """
    t, y = as_trace(time, luminance, names=("luminance",))
    keep = t >= t_peak
    t, y = t[keep], y[keep]
    if t.size < 5:
        return None
    l0 = float(np.max(moving_average(y, max(1, t.size // 100))))
    if not l0 > 0:
        return None
    x = t - t_peak
    ratio = moving_average(y, max(1, t.size // 50)) / l0
    use = (x > 0) & (ratio > 0.03) & (ratio < 0.98)
    beta0, tau0 = 1.0, float(x[-1])
    if use.sum() >= 5:
        slope, icpt = np.polyfit(np.log(x[use]), np.log(-np.log(ratio[use])), 1)
        if 0.05 < slope < 5:
            beta0, tau0 = float(slope), float(math.exp(-icpt / slope))
    span = float(x[-1])
    xf, yf = bin_average(x, y, FIT_POINTS)
    p0 = [l0, float(np.clip(tau0, span * 1e-4, span * 1e4)), float(np.clip(beta0, 0.06, 4.9))]

    def model(xx: FloatArray, lp: float, tau: float, beta: float) -> FloatArray:
        return lp * np.exp(-((xx / tau) ** beta))

    try:
        with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", OptimizeWarning)
            popt, pcov = curve_fit(
                model,
                xf,
                yf,
                p0=p0,
                bounds=([0.0, span * 1e-5, 0.05], [np.inf, span * 1e5, 5.0]),
                max_nfev=4000,
            )
    except (RuntimeError, ValueError):
        return None
    err = np.sqrt(np.clip(np.diag(pcov), 0.0, np.inf))
    resid = yf - model(xf, *popt)
    return StretchedExponential(
        l_peak=float(popt[0]),
        t_peak=float(t_peak),
        tau=float(popt[1]),
        beta=float(popt[2]),
        tau_stderr=float(err[1]) if np.isfinite(err[1]) else None,
        beta_stderr=float(err[2]) if np.isfinite(err[2]) else None,
        rms=float(np.sqrt(np.mean(resid**2))),
    )


def analyze_lifetime(
    time: ArrayLike,
    luminance: ArrayLike,
    *,
    luminance_unit: str = "cd/m**2",
    max_extrapolation: float = 10.0,
) -> AnalysisResult:
    """Analyse a constant-stress luminance record; definitions in the module docstring.

    ``time`` in s (any origin; results are from the first sample), ``luminance`` in
    ``luminance_unit``. Quantities: ``initial_luminance``, ``peak_luminance``,
    ``overshoot_ratio``, ``time_to_peak``, ``t95``, ``t80``, ``t50`` (from L0),
    ``t95_from_peak``, ``t80_from_peak``, ``t50_from_peak``, ``stretch_tau``,
    ``stretch_beta``, ``t50_extrapolated``.
    """
    t, y = as_trace(time, luminance, names=("luminance",), min_points=10)
    if not max_extrapolation > 1:
        raise ParameterError(f"max_extrapolation: must be > 1, got {max_extrapolation!r}")
    result = AnalysisResult()
    unit = luminance_unit
    t_start, duration = float(t[0]), float(t[-1] - t[0])
    sigma = noise_sigma(y)
    top = float(np.max(moving_average(y, max(1, y.size // 100))))
    if not top > 0:
        raise ParameterError("luminance: no positive luminance in the record")
    # Two smoothings. The decay is slow: its crossings use a window that brings the noise to
    # 0.2 % of the peak. The overshoot can be short: around it the window is cut to a quarter
    # of the rise time to the (roughly located) peak, so the peak is not flattened and the
    # initial value is not mixed with it.
    window = noise_window(sigma, SMOOTHED_NOISE * top, y.size // 50)
    ys = moving_average(y, window)
    sig_s = sigma / math.sqrt(window)
    k_rough = int(np.argmax(ys))
    w_peak = min(window, max(1, k_rough // 4)) if k_rough > 0 else window
    y_peak = ys if w_peak == window else moving_average(y, w_peak)
    sig_p = sigma / math.sqrt(w_peak)
    lo_k, hi_k = max(0, k_rough - window), min(y.size, k_rough + window + 1)
    k_peak = lo_k + int(np.argmax(y_peak[lo_k:hi_k]))
    l_peak = float(y_peak[k_peak])
    t_peak = float(t[k_peak])
    result.extras.update(
        time=t, luminance=y, smoothed=ys, smoothing_window=window, peak_window=w_peak
    )

    # Initial luminance: a low-order polynomial through the first samples, evaluated at the
    # first one (a single reading is too noisy to be the reference of every threshold). Before
    # a late peak: a parabola over the first half of the rise, which follows its curvature;
    # otherwise a line over one smoothing window.
    if k_peak > 2 * w_peak:
        m = int(np.searchsorted(t, t_start + 0.5 * (t_peak - t_start), side="right"))
        order = 2 if m >= 6 else 1
        m = max(m, 3)
    else:
        m, order = int(min(max(3, window), max(3, y.size // 5))), 1
    # Scaled abscissa keeps the Vandermonde matrix well conditioned; the intercept is unchanged.
    x_early = t[:m] - t_start
    coef = np.polyfit(x_early / max(float(x_early[-1]), 1e-300), y[:m], order)
    l0 = float(coef[-1])
    if not l0 > 0:
        raise ParameterError("luminance: the initial luminance is not positive")
    kind = "parabola" if order == 2 else "line"
    result.add("initial_luminance", l0, unit, f"{kind} through the first {m} samples, at t0")
    result.add("peak_luminance", l_peak, unit, "maximum of the smoothed luminance")
    result.add("overshoot_ratio", l_peak / l0, "", "L_peak / L0 (eq. L1)")
    # An overshoot must lie after the first sample and exceed the noise (and 0.1 % of L0,
    # below which no luminance meter is calibrated).
    excess = l_peak - l0
    if k_peak > 0 and excess > max(3.0 * sig_p + 3.0 * sigma / math.sqrt(m), 1e-3 * l0):
        # A rounded peak is flat within the noise: give the span where the smoothed curve is
        # within 2 smoothed sigmas of its maximum as the uncertainty of the peak time.
        low = np.flatnonzero(y_peak < l_peak - 2.0 * sig_p)
        left = low[low < k_peak]
        right = low[low > k_peak]
        t_a = float(t[left[-1] + 1]) if left.size else t_start
        t_b = float(t[right[0] - 1]) if right.size else float(t[-1])
        result.add(
            "time_to_peak",
            t_peak - t_start,
            "s",
            f"first sample to the smoothed peak; flat within noise from {t_a - t_start:.3g} s "
            f"to {t_b - t_start:.3g} s",
        )
        result.extras["peak_time_span"] = (t_a - t_start, t_b - t_start)
        if k_peak < 10:
            result.warn(
                f"time_to_peak: the overshoot spans only {k_peak} samples; sample faster "
                "to resolve it"
            )
    else:
        result.add_missing("time_to_peak", "s", "no luminance overshoot above the noise")
        k_peak, t_peak = 0, t_start
    if k_peak >= y.size - max(2, window):
        result.warn("peak_luminance: the luminance still rises at the end of the record")

    hyst = min(3.0 * sig_s, 0.01 * l0)
    for frac in FRACTIONS:
        pct = round(100 * frac)
        for name, ref, start, what in (
            (f"t{pct}", l0, 0, "initial"),
            (f"t{pct}_from_peak", l_peak, k_peak, "peak"),
        ):
            crossing = threshold_time(t, ys, frac * ref, start=start, hysteresis=hyst)
            if crossing is None:
                result.add_missing(
                    name, "s", f"the luminance never fell to {pct} % of its {what} value"
                )
            else:
                result.add(
                    name, crossing - t_start, "s", f"first fall to {pct} % of the {what} (eq. L2)"
                )

    _stretched(result, t, y, ys, t_peak, k_peak, l0, t_start, duration, max_extrapolation)
    return result


def _stretched(
    result: AnalysisResult,
    t: FloatArray,
    y: FloatArray,
    ys: FloatArray,
    t_peak: float,
    k_peak: int,
    l0: float,
    t_start: float,
    duration: float,
    max_extrapolation: float,
) -> None:
    """Fit eq. L3 after the peak and derive T50 from it (eq. L4)."""
    after = ys[k_peak:]
    if after.size < 10 or float(np.min(after)) > (1.0 - MIN_DROP) * float(ys[k_peak]):
        reason = f"the luminance fell less than {100 * MIN_DROP:g} % after its peak"
        result.add_missing("stretch_tau", "s", reason)
        result.add_missing("stretch_beta", "", reason)
        result.add_missing("t50_extrapolated", "s", reason)
        return
    fit = fit_stretched_exponential(t, y, t_peak)
    if fit is None:
        for name, unit in (("stretch_tau", "s"), ("stretch_beta", ""), ("t50_extrapolated", "s")):
            result.add_missing(name, unit, "the stretched-exponential fit failed")
        return
    result.add("stretch_tau", fit.tau, "s", "tau of L_peak exp(-((t - t_peak)/tau)^beta)")
    result.add("stretch_beta", fit.beta, "", "beta of the stretched exponential (eq. L3)")
    result.extras["stretched_fit"] = fit
    t50 = fit.time_to(0.5 * l0)
    if t50 is None:
        result.add_missing("t50_extrapolated", "s", "the fitted peak is below 50 % of L0")
        return
    t50_rel = t50 - t_start
    if result.value("t50") is not None:
        result.add("t50_extrapolated", t50_rel, "s", "T50 of the fit (eq. L4); within the data")
    elif t50_rel > max_extrapolation * duration:
        result.add_missing(
            "t50_extrapolated",
            "s",
            f"the fit puts T50 at {t50_rel:.3g} s, more than {max_extrapolation:g} times the "
            f"{duration:.3g} s record; too far to extrapolate",
        )
    else:
        result.add(
            "t50_extrapolated",
            t50_rel,
            "s",
            "EXTRAPOLATED beyond the data from the stretched-exponential fit (eq. L4)",
        )
        result.warn(
            f"t50_extrapolated: T50 was not reached; {t50_rel:.3g} s is an extrapolation of "
            f"the stretched exponential ({t50_rel / duration:.1f} times the record length)"
        )
