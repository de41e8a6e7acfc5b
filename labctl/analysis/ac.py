"""AC-driven EL: phase-resolved averaging, digital lock-in, forward/reverse half-cycle EL.

Under a square or sine drive (1 Hz–20 kHz; Jiang et al., Nanoscale 16, 3838 (2024), Fig. 14) the
EL follows the drive with a delay that grows with frequency, and may also appear in the reverse
half-cycle. Definitions (time in s, frequency in Hz, phase in rad, drive in V, EL in any unit):

* **Drive frequency** — given, or from the drive: the times at which it rises through the
  midpoint of its extremes (Schmitt trigger, hysteresis 10 % of the swing) are regressed on the
  cycle number; f = 1 / slope (eq. A1).
* **Digital lock-in** — over the largest integer number of periods M/f in the record,
  X = (2f/M) ∫ s(t) cos(2π f t) dt, Y = (2f/M) ∫ s(t) sin(2π f t) dt (trapezoid rule, the end
  point interpolated), amplitude R = √(X² + Y²), phase φ = atan2(−Y, X) so that
  s(t) = R cos(2π f t + φ) (eq. A2). ``phase_lag`` = φ_drive − φ_EL wrapped to (−π, π]; positive
  means the EL lags the drive (eq. A3). Integer periods make the other harmonics average out.
* **Phase-resolved average** — samples folded at f into N phase bins, with phase 0 at a rising
  edge of the drive, and averaged per bin (eq. A4; ``numpy.bincount``, no loop over points).
* **Forward/reverse** — forward bias is drive > 0 V when the drive swings through 0 V, else
  drive above the midpoint of its extremes (unipolar pulses). ``forward_reverse_ratio`` is
  ∫EL dt over forward samples / ∫EL dt over reverse samples, both over the integer periods
  (eq. A5). It is refused when the reverse integral is not above 3 standard errors of the
  noise; ``reverse_fraction`` = reverse / (forward + reverse) is always given.
* **Rise time in the forward half-cycle** — on the phase-resolved EL: 10 %→90 % of the swing
  between the low and high EL levels of the forward half (means of the bins near the smoothed
  minimum and maximum, so noise does not push the levels outwards), first
  upward crossings after the start of the forward half, found as for TrEL by
  :func:`labctl.analysis.timeseries.rise_edges` (eq. A6); ``onset_delay`` is the start of the
  forward half to the 10 % crossing. Resolution: one phase bin.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labctl.analysis.results import AnalysisResult
from labctl.analysis.timeseries import (
    as_trace,
    moving_average,
    noise_sigma,
    noise_window,
    rise_edges,
)
from labctl.errors import ParameterError

__all__ = [
    "LockIn",
    "analyze_ac",
    "estimate_frequency",
    "forward_threshold",
    "lock_in",
    "phase_average",
]

FloatArray = NDArray[np.float64]


def _rising_crossings(time: FloatArray, y: FloatArray, level: float, hyst: float) -> FloatArray:
    """Times at which ``y`` rises through ``level``, confirmed by a hysteresis band (vectorised).

    State "high" starts at a sample >= level + hyst and lasts until a sample <= level − hyst.
    Each low→high switch is timed by the last plain crossing of ``level`` before it (linear
    interpolation).
    """
    hi = y >= level + hyst
    lo = y <= level - hyst
    idx = np.arange(y.size)
    last_event = np.maximum.accumulate(np.where(hi | lo, idx, -1))
    valid = last_event >= 0
    state = np.zeros(y.size, dtype=bool)
    state[valid] = hi[last_event[valid]]
    known = valid.copy()
    # A switch is a sample in the high state whose predecessor was known to be low.
    switch = np.flatnonzero(state[1:] & ~state[:-1] & known[:-1]) + 1
    plain = np.flatnonzero((y[:-1] < level) & (y[1:] >= level))
    if switch.size == 0 or plain.size == 0:
        return np.empty(0)
    pos = np.searchsorted(plain, switch, side="left") - 1
    pos = pos[pos >= 0]
    i = np.unique(plain[pos])
    frac = (level - y[i]) / (y[i + 1] - y[i])
    return time[i] + frac * (time[i + 1] - time[i])


def estimate_frequency(time: ArrayLike, drive: ArrayLike) -> float:
    """Return the drive frequency in Hz (eq. A1).

    Rising crossings of the midpoint of the (lightly smoothed) extremes are regressed on their
    cycle number. With fewer than two crossings the largest FFT peak (parabolic interpolation
    between bins) is used. Raises :class:`ParameterError` when no periodicity is found.
    """
    t, v = as_trace(time, drive, names=("drive",))
    vs = moving_average(v, 5)
    lo, hi = float(vs.min()), float(vs.max())
    if not hi > lo:
        raise ParameterError("drive: the drive trace is constant; no frequency")
    crossings = _rising_crossings(t, v, 0.5 * (lo + hi), 0.1 * (hi - lo))
    if crossings.size >= 3:
        period_guess = float(np.median(np.diff(crossings)))
        # Missed or doubled crossings would break the count; renumber from the spacing.
        cycles = np.round((crossings - crossings[0]) / period_guess)
        slope = np.polyfit(cycles, crossings, 1)[0]
        if slope > 0:
            return float(1.0 / slope)
    # Fallback: FFT of the uniformly resampled drive.
    n = t.size
    grid = np.linspace(t[0], t[-1], n)
    spec = np.abs(np.fft.rfft((np.interp(grid, t, v) - v.mean()) * np.hanning(n)))
    k = int(np.argmax(spec[1:])) + 1
    if k >= spec.size - 1:
        raise ParameterError("drive: no periodic component found")
    a, b, c = spec[k - 1], spec[k], spec[k + 1]
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    return float((k + shift) / (grid[-1] - grid[0]) * (n - 1) / n)


def _integer_periods(
    t: FloatArray, frequency: float, t_start: float
) -> tuple[FloatArray, slice, float]:
    """Time grid covering whole periods from ``t_start``: samples, their slice, and the end."""
    periods = math.floor((t[-1] - t_start) * frequency + 1e-9)
    if periods < 1:
        raise ParameterError(
            f"frequency: the record ({t[-1] - t_start:.3g} s) is shorter than one period "
            f"({1.0 / frequency:.3g} s)"
        )
    t_end = t_start + periods / frequency
    i0 = int(np.searchsorted(t, t_start, side="left"))
    i1 = int(np.searchsorted(t, t_end, side="right"))
    return t[i0:i1], slice(i0, i1), t_end


def _segment(
    t: FloatArray, y: FloatArray, sl: slice, t_start: float, t_end: float
) -> tuple[FloatArray, FloatArray]:
    """Samples of ``sl`` with the exact interval ends added by linear interpolation."""
    ts, ys = t[sl], y[sl]
    head_t, tail_t = [], []
    if ts[0] > t_start:
        head_t = [t_start]
    if ts[-1] < t_end:
        tail_t = [t_end]
    tt = np.concatenate([head_t, ts, tail_t])
    yy = np.concatenate([np.interp(head_t, t, y), ys, np.interp(tail_t, t, y)])
    return tt, yy


class LockIn:
    """Result of :func:`lock_in`: in-phase X, quadrature Y, amplitude R, phase φ, mean."""

    __slots__ = ("amplitude", "mean", "phase", "x", "y")

    def __init__(self, x: float, y: float, mean: float) -> None:
        self.x, self.y, self.mean = x, y, mean
        self.amplitude = math.hypot(x, y)
        self.phase = math.atan2(-y, x)  # s(t) = R cos(2 pi f t + phase)

    def __repr__(self) -> str:
        return (
            f"LockIn(amplitude={self.amplitude:.6g}, phase={self.phase:.6g}, mean={self.mean:.6g})"
        )


def lock_in(
    time: ArrayLike, signal: ArrayLike, frequency: float, *, t_start: float | None = None
) -> LockIn:
    """Digital lock-in at ``frequency`` (Hz) over whole periods from ``t_start`` (eq. A2).

    The reference is cos/sin(2π f (t − t_start)); ``t_start`` defaults to the first sample.
    Returns amplitude (signal units), phase (rad) and the mean over the same periods.
    """
    t, y = as_trace(time, signal, names=("signal",))
    if not frequency > 0:
        raise ParameterError(f"frequency: must be positive, got {frequency!r}")
    start = float(t[0]) if t_start is None else float(t_start)
    _, sl, end = _integer_periods(t, frequency, start)
    tt, yy = _segment(t, y, sl, start, end)
    arg = 2.0 * math.pi * frequency * (tt - start)
    span = end - start
    x = 2.0 / span * float(np.trapezoid(yy * np.cos(arg), tt))
    q = 2.0 / span * float(np.trapezoid(yy * np.sin(arg), tt))
    mean = float(np.trapezoid(yy, tt)) / span
    return LockIn(x, q, mean)


def phase_average(
    time: ArrayLike,
    signal: ArrayLike,
    frequency: float,
    *,
    n_bins: int = 200,
    t_ref: float = 0.0,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Fold ``signal`` at ``frequency`` (Hz) into ``n_bins`` phase bins (eq. A4).

    Phase = frac((t − t_ref) f). Returns ``(phase, mean, count)``: bin-centre phases in cycles
    (0–1), the mean signal per bin (NaN for empty bins) and the number of samples per bin.
    """
    t, y = as_trace(time, signal, names=("signal",))
    if not frequency > 0 or n_bins < 2:
        raise ParameterError("phase_average: frequency must be > 0 and n_bins >= 2")
    phase = np.mod((t - t_ref) * frequency, 1.0)
    idx = np.minimum((phase * n_bins).astype(np.int64), n_bins - 1)
    count = np.bincount(idx, minlength=n_bins).astype(float)
    total = np.bincount(idx, weights=y, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    centres = (np.arange(n_bins) + 0.5) / n_bins
    return centres, mean, count


def forward_threshold(drive: ArrayLike) -> float:
    """Voltage (V) above which the drive is forward bias (see module docstring)."""
    v = moving_average(np.asarray(drive, dtype=float), 5)
    lo, hi = float(v.min()), float(v.max())
    swing = hi - lo
    if lo < -0.05 * swing and hi > 0.05 * swing:
        return 0.0
    return 0.5 * (lo + hi)


def _wrap(angle: float) -> float:
    """Wrap to (−π, π]."""
    wrapped = math.remainder(angle, 2.0 * math.pi)
    return math.pi if wrapped == -math.pi else wrapped


def analyze_ac(
    time: ArrayLike,
    el: ArrayLike,
    drive: ArrayLike,
    *,
    frequency: float | None = None,
    n_bins: int | None = None,
    dark_level: float = 0.0,
    el_unit: str = "V",
) -> AnalysisResult:
    """Analyse an AC-driven EL record; definitions and equations in the module docstring.

    ``time`` in s, ``el`` in ``el_unit`` (photodiode signal; ``dark_level`` is subtracted),
    ``drive`` in V. ``frequency`` (Hz) is estimated from the drive when not given.
    ``n_bins`` (phase bins) defaults to half the samples per period, between 16 and 1000.

    Quantities: ``frequency``, ``drive_amplitude``, ``el_mean``, ``el_amplitude``,
    ``el_amplitude_2f``, ``phase_lag``, ``forward_integral``, ``reverse_integral``,
    ``forward_reverse_ratio``, ``reverse_fraction``, ``rise_time``, ``onset_delay``.
    Extras: the phase-resolved EL and drive.
    """
    t, y, v = as_trace(time, el, drive, names=("el", "drive"), min_points=20)
    y = y - float(dark_level)
    result = AnalysisResult()
    unit = el_unit
    if frequency is None:
        f = estimate_frequency(t, v)
        result.add("frequency", f, "Hz", "from the drive's rising crossings (eq. A1)")
    else:
        f = float(frequency)
        if not f > 0:
            raise ParameterError(f"frequency: must be positive, got {frequency!r}")
        result.add("frequency", f, "Hz", "given")
    period = 1.0 / f
    dt = float(np.median(np.diff(t)))
    per_period = period / dt
    if per_period < 8:
        raise ParameterError(
            f"frequency: only {per_period:.1f} samples per period; need at least 8"
        )

    thr = forward_threshold(v)
    swing = float(np.ptp(moving_average(v, 5)))
    rises = _rising_crossings(t, v, thr, 0.1 * swing)
    t_ref = float(rises[0]) if rises.size else float(t[0])
    if rises.size == 0:
        result.warn("phase: no rising edge of the drive found; phase 0 is the first sample")

    # Lock-in over whole periods from the first sample (both signals share the reference).
    el_li = lock_in(t, y, f)
    dr_li = lock_in(t, v, f)
    _, sl, t_end = _integer_periods(t, f, float(t[0]))
    n_used = sl.stop - sl.start
    sigma = noise_sigma(y)
    # White noise sigma gives each lock-in quadrature a standard error sigma sqrt(2 / N).
    amp_err = sigma * math.sqrt(2.0 / max(n_used, 1))
    result.add("drive_amplitude", dr_li.amplitude, "V", "drive at f, lock-in (eq. A2)")
    result.add("el_mean", el_li.mean, unit, "mean EL over whole periods")
    significant = el_li.amplitude > 3.0 * amp_err and el_li.amplitude > 0
    note = "EL at the drive frequency (eq. A2)"
    result.add("el_amplitude", el_li.amplitude, unit, note if significant else note + "; noise")
    # EL in both half-cycles (bidirectional emission) shows up at 2f rather than at f.
    el_2f = lock_in(t, y, 2.0 * f)
    result.add("el_amplitude_2f", el_2f.amplitude, unit, "EL at twice the drive frequency")
    if not significant:
        result.add_missing("phase_lag", "rad", "no EL at the drive frequency above the noise")
    elif dr_li.amplitude == 0:
        result.add_missing("phase_lag", "rad", "no drive component at the frequency")
    else:
        lag = _wrap(dr_li.phase - el_li.phase)
        result.add("phase_lag", lag, "rad", "drive phase - EL phase at f, >0: EL lags (eq. A3)")

    _forward_reverse(result, t, y, v, thr, sl, sigma, unit)

    bins = n_bins if n_bins is not None else int(np.clip(per_period // 2, 16, 1000))
    phase, el_avg, count = phase_average(t, y, f, n_bins=bins, t_ref=t_ref)
    _, dr_avg, _ = phase_average(t, v, f, n_bins=bins, t_ref=t_ref)
    result.extras.update(
        phase=phase,
        el_phase_average=el_avg,
        drive_phase_average=dr_avg,
        counts=count,
        t_ref=t_ref,
        lock_in_end=t_end,
    )
    _forward_rise(result, phase * period, el_avg, dr_avg, count, thr, period, sigma)
    return result


def _forward_reverse(
    result: AnalysisResult,
    t: FloatArray,
    y: FloatArray,
    v: FloatArray,
    thr: float,
    sl: slice,
    sigma: float,
    unit: str,
) -> None:
    """Integrated EL in forward and reverse half-cycles over whole periods (eq. A5)."""
    ts, ys, vs = t[sl], y[sl], v[sl]
    # Each sample stands for the interval around it (midpoint rule, no loop).
    edges = np.concatenate([[ts[0]], 0.5 * (ts[1:] + ts[:-1]), [ts[-1]]])
    w = np.diff(edges)
    fwd = vs > thr
    i_fwd = float(np.sum(ys[fwd] * w[fwd]))
    i_rev = float(np.sum(ys[~fwd] * w[~fwd]))
    se_rev = sigma * math.sqrt(float(np.sum(w[~fwd] ** 2)))
    area = "s" if not unit else f"{unit}*s"
    result.add("forward_integral", i_fwd, area, "EL integrated over forward half-cycles")
    result.add("reverse_integral", i_rev, area, "EL integrated over reverse half-cycles")
    total = i_fwd + i_rev
    if total > 0:
        result.add("reverse_fraction", i_rev / total, "", "reverse / (forward + reverse)")
    else:
        result.add_missing("reverse_fraction", "", "no net EL")
    if not fwd.any() or fwd.all():
        result.add_missing("forward_reverse_ratio", "", "the drive never changes polarity")
    elif not i_rev > 3.0 * se_rev or i_rev <= 0:
        result.add_missing(
            "forward_reverse_ratio",
            "",
            "no EL above the noise in the reverse half-cycles (see reverse_fraction)",
        )
    else:
        result.add("forward_reverse_ratio", i_fwd / i_rev, "", "forward / reverse EL (eq. A5)")


def _forward_rise(
    result: AnalysisResult,
    tb: FloatArray,
    el_avg: FloatArray,
    dr_avg: FloatArray,
    count: FloatArray,
    thr: float,
    period: float,
    sigma: float,
) -> None:
    """Rise time and onset delay of the EL within the forward half-cycle (eq. A6)."""
    names = ("rise_time", "onset_delay")
    fwd = dr_avg > thr
    if np.isnan(el_avg).any() or not fwd.any():
        for name in names:
            result.add_missing(name, "s", "empty phase bins or no forward half-cycle")
        return
    # Phase 0 is a rising edge of the drive, so the forward half is the first run of bins.
    stop = int(np.argmin(fwd)) if not fwd.all() else fwd.size
    tf, ef = tb[:stop], el_avg[:stop]
    if tf.size < 3:
        for name in names:
            result.add_missing(name, "s", "the forward half-cycle spans fewer than 3 phase bins")
        return
    bin_sigma = sigma / math.sqrt(float(np.min(count[:stop])))
    # The extremes of noisy bins are biased outwards by a few sigma, and near the top of an
    # exponential approach a 1 % level error moves the 90 % crossing by ~0.1 tau. So the levels
    # are the means of all bins whose smoothed value lies within 3 smoothed sigmas of the
    # smoothed extreme: the flat part of the plateau (or the crest), averaged.
    window = noise_window(bin_sigma, 0.002 * float(np.ptp(ef)), tf.size // 10)
    smooth = moving_average(ef, window)
    band = 3.0 * bin_sigma / math.sqrt(window)
    hi = float(np.mean(ef[smooth >= smooth.max() - band]))
    lo = float(np.mean(ef[smooth <= smooth.min() + band]))
    if not hi - lo > 10.0 * bin_sigma / math.sqrt(window):
        for name in names:
            result.add_missing(name, "s", "the EL does not rise above the noise when forward")
        return
    edges = rise_edges(tf, ef, lo, hi, bin_sigma)
    c10, c90 = edges.t10, edges.t90
    if c10 is None or c90 is None or c90.time < c10.time:
        for name in names:
            result.add_missing(name, "s", "no 10 %/90 % crossing in the forward half-cycle")
        return
    bin_width = period / el_avg.size
    rise = c90.time - c10.time
    result.add("rise_time", rise, "s", "10-90 % of the forward half-cycle EL swing (eq. A6)")
    result.add("onset_delay", c10.time, "s", "forward edge to the 10 % crossing")
    if rise < 3.0 * bin_width:
        result.warn(
            f"rise_time: spans fewer than 3 phase bins ({bin_width:.3g} s each); increase n_bins"
        )
