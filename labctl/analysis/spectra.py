"""Spectral features of PL/EL spectra, vectorised over many spectra at once.

A lateral-field PL or DC-stress run records thousands of spectra; the live analysis must keep
up with ≥ 5,000 spectra/s of 2048 pixels, so :func:`spectrum_features` works on a 2-D array
(spectra × pixels) with whole-array numpy operations and no Python loop over spectra.

Per spectrum (wavelengths in m):

- background: the median of the edge pixels (``"median"``), or a straight line through the
  medians of the left and right edges (``"linear"``, for a sloping baseline), subtracted;
- noise σ: RMS / √2 of the pixel-to-pixel differences Δ in the edges, after rejecting
  |Δ| > 5 · 1.4826 · median|Δ| (about ±5 % with the default 2 × 5 % of 2048 pixels);
- peak wavelength and height: sub-pixel Gaussian fit of the top (a parabola through ln I
  weighted by I², Caruana's method as refined by Guo 2011) on the pixels within ±0.6 FWHM
  of the brightest box-smoothed pixel; exact for a Gaussian and unbiased in position for any
  symmetric line shape (Voigt, Lorentzian);
- FWHM: distance between the half-height crossings on either side of the peak, each found on
  the smoothed spectrum and refined by a parabola through the raw pixels within ±0.15 FWHM
  of it;
- centroid Σ λ I Δλ / Σ I Δλ and integrated intensity Σ I Δλ (intensity × m) over the emission
  window: outwards from the main peak (and from a second peak) until the smoothed spectrum
  drops below the detection threshold (max of ``min_snr`` σ and 1 % of the peak), plus half
  a FWHM for the tails, so that far-off baseline noise does not pull the centroid;
- second peak (e.g. the red, iodide-rich emission of phase-segregated mixed-halide films): the
  highest local maximum of the smoothed spectrum outside the main peak's half-maximum width,
  accepted when it stands ≥ ``second_peak_snr`` σ (of the smoothed spectrum) and
  ≥ ``second_peak_min_relative`` × the main peak above zero, with a prominence (height above
  the lowest point between it and the main peak) of at least a quarter of its height and
  ``second_peak_snr`` σ. A shoulder without a local maximum is not reported. The searches
  run on every 4th pixel of the smoothed spectrum; positions are refined on all pixels.

A spectrum whose smoothed maximum does not exceed ``min_snr`` σ has no features: every value is
NaN and ``valid`` is False. :func:`analyze_spectrum` wraps one spectrum into an
:class:`~labctl.analysis.results.AnalysisResult` with None and warnings instead of NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.ndimage import uniform_filter1d

from labctl.analysis.results import AnalysisResult
from labctl.errors import ParameterError

__all__ = ["FEATURE_UNITS", "analyze_spectrum", "spectrum_features"]

FloatArray = NDArray[np.float64]

#: Units of the features (intensity in the spectrometer's units, written "" here).
FEATURE_UNITS = {
    "peak_wavelength": "m",
    "peak_height": "",
    "centroid": "m",
    "fwhm": "m",
    "integrated_intensity": "m",
    "background": "",
    "noise": "",
    "snr": "",
    "second_peak_wavelength": "m",
    "second_peak_relative_height": "",
}

_TOP_FRACTION = 0.6  # Gaussian top fitted on ± this × FWHM around the maximum
_EDGE_FRACTION = 0.15  # half-height crossings refined on ± this × FWHM
_MAX_TOP_HALFWIDTH = 64  # pixels; caps the gather for very broad peaks
_DECIMATION = 4  # pixel step of the coarse copy used for the searches


def _check(wavelength: ArrayLike, intensities: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lam = np.asarray(wavelength, dtype=float).ravel()
    y = np.asarray(intensities, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2 or y.shape[1] != lam.size:
        raise ParameterError(
            f"intensities: expected shape (n_spectra, {lam.size}) to match the wavelengths, "
            f"got {np.shape(intensities)}"
        )
    if lam.size < 16:
        raise ParameterError("wavelength: need at least 16 pixels")
    step = np.diff(lam)
    if np.all(step < 0):
        lam, y = lam[::-1], y[:, ::-1]
    elif not np.all(step > 0):
        raise ParameterError("wavelength: must be strictly monotonic")
    return lam, y


def _background(
    lam: FloatArray, y: FloatArray, n_edge: int, mode: str | None
) -> tuple[FloatArray, FloatArray]:
    """(background per pixel or per spectrum, broadcastable; noise σ per spectrum)."""
    left, right = y[:, :n_edge], y[:, -n_edge:]
    diffs = np.concatenate((np.diff(left, axis=1), np.diff(right, axis=1)), axis=1)
    # RMS of the differences after rejecting outliers beyond 5 robust σ: as robust as the
    # median absolute difference against a stray line in the edges, but twice as precise.
    spread = 1.4826 * np.median(np.abs(diffs), axis=1, keepdims=True)
    keep = np.abs(diffs) <= 5 * spread
    power = np.sum(np.where(keep, diffs**2, 0.0), axis=1)
    noise = np.sqrt(power / np.maximum(np.count_nonzero(keep, axis=1), 1) / 2.0)
    if mode is None or mode == "none":
        return np.zeros((y.shape[0], 1)), noise
    if mode == "median":
        return np.median(np.concatenate((left, right), axis=1), axis=1)[:, None], noise
    if mode == "linear":
        m_left, m_right = np.median(left, axis=1), np.median(right, axis=1)
        x_left, x_right = lam[:n_edge].mean(), lam[-n_edge:].mean()
        slope = (m_right - m_left) / (x_right - x_left)
        return m_left[:, None] + slope[:, None] * (lam[None, :] - x_left), noise
    raise ParameterError(f"background: expected 'median', 'linear' or None, got {mode!r}")


def _gather(
    y: FloatArray, centre: NDArray[np.int64], halfwidth: NDArray[np.int64], reach: int
) -> tuple[NDArray[np.int64], FloatArray, NDArray[np.bool_]]:
    """Pixel indices, values and in-window mask of ``centre ± halfwidth`` for every row."""
    p = y.shape[1]
    offsets = np.arange(-reach, reach + 1)[None, :]
    idx = centre[:, None] + offsets
    inside = (idx >= 0) & (idx < p) & (np.abs(offsets) <= halfwidth[:, None])
    idx = np.clip(idx, 0, p - 1)
    return idx, np.take_along_axis(y, idx, axis=1), inside


def _batched_polyfit(x: FloatArray, y: FloatArray, w: FloatArray, degree: int) -> FloatArray:
    """Weighted least-squares polynomials, one per row: coefficients (rows, degree+1), lowest
    order first; NaN where a row has too few points. Normal equations: x is kept O(10)."""
    powers, moments = [], []
    term = w
    for k in range(2 * degree + 1):
        powers.append(term.sum(axis=1))
        if k <= degree:
            moments.append((term * y).sum(axis=1))
        term = term * x
    normal = np.stack(
        [np.stack(powers[r : r + degree + 1], axis=-1) for r in range(degree + 1)], axis=1
    )
    rhs = np.stack(moments, axis=-1)
    det = np.linalg.det(normal)
    good = np.isfinite(det) & (np.abs(det) > 0) & (np.count_nonzero(w, axis=1) > degree)
    normal[~good] = np.eye(degree + 1)
    coef = np.linalg.solve(normal, rhs[..., None])[..., 0]
    coef[~good] = np.nan
    return coef


def _gaussian_top(
    lam: FloatArray, y: FloatArray, centre: NDArray[np.int64], halfwidth: NDArray[np.int64]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Sub-pixel (position in pixels, wavelength, height) of the peak top, vectorised.

    Caruana's Gaussian fit: a parabola through ln y, weighted by y² (Guo, IEEE Signal
    Process. Mag. 28, 134 (2011)) so that low, noisy points count little. Exact for a
    Gaussian, unbiased in position for any symmetric peak; refitted once around the first
    vertex so that the window is centred on the peak.
    """
    n, p = y.shape
    reach = int(np.clip(halfwidth.max(initial=1), 1, _MAX_TOP_HALFWIDTH))
    halfwidth = np.clip(halfwidth, 1, reach)
    pos = centre.astype(float)
    height = y[np.arange(n), centre]
    for _ in range(2):
        mid = np.clip(np.round(pos).astype(np.int64), 0, p - 1)
        idx, yy, inside = _gather(y, mid, halfwidth, reach)
        positive = inside & (yy > 0)
        w = np.where(positive, yy, 0.0) ** 2
        x = (idx - mid[:, None]).astype(float)
        c0, c1, c2 = _batched_polyfit(x, np.log(np.where(positive, yy, 1.0)), w, 2).T
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            vertex = -c1 / (2 * c2)
            top = np.exp(c0 - c1**2 / (4 * c2))
        fine = (c2 < 0) & (np.abs(vertex) <= halfwidth) & np.isfinite(top)
        pos = np.where(fine, mid + vertex, pos)
        height = np.where(fine, top, height)
    wavelength = np.interp(pos, np.arange(p), lam)
    return pos, wavelength, height


def _half_crossings(
    lam: FloatArray,
    y: FloatArray,
    smooth: FloatArray,
    centre: NDArray[np.int64],
    level: FloatArray,
    halfwidth: NDArray[np.int64],
) -> tuple[FloatArray, FloatArray]:
    """Wavelengths where the spectrum falls through ``level`` on each side of ``centre``.

    The crossing is located on the smoothed spectrum (the first pixel below ``level`` going
    outwards, so a noise dip cannot fake it), then refined by a parabola fitted to the raw
    pixels within ± ``halfwidth`` of it, solved for ``level``.
    """
    n, p = y.shape
    left, right, ok = _outward(smooth, centre, level)
    reach = int(np.clip(halfwidth.max(initial=1), 1, _MAX_TOP_HALFWIDTH))
    halfwidth = np.clip(halfwidth, 1, reach)
    out = []
    for edge in (np.clip(left, 0, p - 1), np.clip(right, 0, p - 1)):
        gidx, yy, inside = _gather(y, edge, halfwidth, reach)
        x = (gidx - edge[:, None]).astype(float)
        # A parabola, not a line: the flank of a peak is curved at half height, and a line
        # through it would shift the crossing outwards (~0.3 % of the FWHM for a Gaussian).
        c0, c1, c2 = _batched_polyfit(x, yy, inside.astype(float), 2).T
        with np.errstate(divide="ignore", invalid="ignore"):
            disc = np.sqrt(c1**2 - 4 * c2 * (c0 - level))
            roots = np.stack(((-c1 + disc) / (2 * c2), (-c1 - disc) / (2 * c2)), axis=1)
            linear = (level - c0) / c1
        nearest = roots[np.arange(n), np.argmin(np.abs(np.nan_to_num(roots, nan=np.inf)), axis=1)]
        offset = np.where(np.abs(c2 * halfwidth) < 1e-12 * np.abs(c1), linear, nearest)
        # Fall back to the bracketing pair when the fit is flat or the root leaves the window.
        usable = np.isfinite(offset) & (np.abs(offset) <= halfwidth + 1)
        pixel = np.where(usable, edge + offset, edge.astype(float))
        out.append(np.where(ok, np.interp(pixel, np.arange(p), lam), np.nan))
    return out[0], out[1]


def spectrum_features(
    wavelength: ArrayLike,
    intensities: ArrayLike,
    *,
    background: str | None = "median",
    edge_fraction: float = 0.05,
    smooth_pixels: int = 5,
    min_snr: float = 5.0,
    second_peak_snr: float = 7.0,
    second_peak_min_relative: float = 0.03,
) -> dict[str, NDArray]:
    """Features of many spectra at once (see the module docstring for the definitions).

    ``wavelength``: P pixel wavelengths in m (increasing or decreasing); ``intensities``: an
    (N, P) array (or one spectrum of P). ``background``: "median", "linear" or None;
    ``edge_fraction`` of the pixels at each end is taken as signal-free; ``smooth_pixels``
    the box width used to locate maxima; ``min_snr`` the detection threshold of the main peak
    in noise σ; ``second_peak_snr`` that of a second peak, in σ of the smoothed spectrum
    (higher, because a second peak is searched for over every pixel, where noise alone
    crosses 5 σ now and then); ``second_peak_min_relative`` its smallest height relative to
    the main peak.

    Returns arrays of length N: ``peak_wavelength``, ``centroid``, ``fwhm`` (m),
    ``peak_height``, ``integrated_intensity`` (intensity × m), ``background`` (mean level),
    ``noise``, ``snr``, ``second_peak_wavelength`` (m), ``second_peak_relative_height``
    (NaN without a second peak), ``has_second_peak`` and ``valid`` (bool).
    """
    lam, y = _check(wavelength, intensities)
    n, p = y.shape
    n_edge = max(4, round(edge_fraction * p))
    if 2 * n_edge >= p // 2:
        raise ParameterError("edge_fraction: the edges must leave most pixels for the signal")
    k = max(1, int(smooth_pixels))
    base, noise = _background(lam, y, n_edge, background)
    y = y - base
    smooth = uniform_filter1d(y, k, axis=1, mode="nearest") if k > 1 else y
    noise_smooth = noise / np.sqrt(k)
    rows = np.arange(n)
    centre = np.argmax(smooth, axis=1)
    top = smooth[rows, centre]
    valid = top > min_snr * np.maximum(noise, np.finfo(float).tiny)

    # A first width from the smoothed spectrum sets the fitting windows: ±0.6 FWHM around the
    # top (points above ~⅓ of the height), ±0.15 FWHM around each half-height crossing.
    rough_fwhm = np.count_nonzero(smooth > 0.5 * top[:, None], axis=1)
    top_halfwidth = np.maximum(np.round(_TOP_FRACTION * rough_fwhm).astype(np.int64), 1)
    edge_halfwidth = np.maximum(np.round(_EDGE_FRACTION * rough_fwhm).astype(np.int64), 1)
    _, peak, height = _gaussian_top(lam, y, centre, top_halfwidth)
    x_left, x_right = _half_crossings(lam, y, smooth, centre, 0.5 * height, edge_halfwidth)
    fwhm = x_right - x_left

    # The searches below need only a few pixels' resolution: they run on every q-th pixel of
    # the smoothed spectrum (4× less memory traffic), and positions are refined on all pixels.
    q = _DECIMATION if p >= 256 * _DECIMATION else 1
    coarse = np.ascontiguousarray(smooth[:, ::q])
    second_lam, second_rel, second_idx = _second_peak(
        lam,
        y,
        coarse,
        q,
        centre // q,
        top,
        height,
        x_left,
        x_right,
        noise_smooth,
        second_peak_snr,
        second_peak_min_relative,
        rough_fwhm // q,
    )

    # Emission window for the centroid and the integral: out from the main peak (and from a
    # second peak) until the smoothed signal drops below the detection threshold, plus half a
    # FWHM for the tails. Baseline noise far from the emission stays out.
    threshold = np.maximum(min_snr * noise_smooth, 0.01 * top)
    start, stop, _ = _outward(coarse, centre // q, threshold)
    has_second = second_idx >= 0
    s_start, s_stop, _ = _outward(coarse, np.where(has_second, second_idx, centre) // q, threshold)
    pitch_mean = (lam[-1] - lam[0]) / (p - 1)
    margin = np.nan_to_num(0.5 * fwhm / pitch_mean, nan=0.0).astype(np.int64)
    start = np.clip(np.minimum(start, s_start) * q - margin, 0, p - 1)
    stop = np.clip(np.maximum(stop, s_stop) * q + (q - 1) + margin, 0, p - 1)
    idx = np.arange(p)[None, :]
    weighted = y * np.gradient(lam)
    weighted *= (idx >= start[:, None]) & (idx <= stop[:, None])
    integral = weighted.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        centroid = (weighted @ lam) / integral

    bad = ~valid
    out: dict[str, NDArray] = {
        "peak_wavelength": peak,
        "peak_height": height,
        "centroid": centroid,
        "fwhm": fwhm,
        "integrated_intensity": integral,
        "second_peak_wavelength": second_lam,
        "second_peak_relative_height": second_rel,
    }
    for key in out:
        out[key] = np.where(bad, np.nan, out[key])
    out["background"] = np.asarray(base).mean(axis=1)
    out["noise"] = noise
    with np.errstate(divide="ignore", invalid="ignore"):
        out["snr"] = np.where(noise > 0, top / noise, np.inf)
    out["has_second_peak"] = np.isfinite(out["second_peak_wavelength"])
    out["valid"] = valid
    return out


def _second_peak(
    lam: FloatArray,
    y: FloatArray,
    coarse: FloatArray,
    q: int,
    centre: NDArray[np.int64],
    top: FloatArray,
    main_height: FloatArray,
    x_left: FloatArray,
    x_right: FloatArray,
    noise: FloatArray,
    min_snr: float,
    min_relative: float,
    main_widths: NDArray[np.int64],
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """(wavelength, height relative to the main peak, pixel index or −1) of a second peak.

    The search runs on ``coarse`` (every ``q``-th pixel of the smoothed spectrum; ``centre``
    and ``main_widths`` in its pixels); the position is refined on the full spectrum ``y``.
    """
    n, p = coarse.shape
    rows = np.arange(n)
    lam_c = lam[::q]
    # Candidates: above the floor, outside the main peak's half-maximum width (nowhere if that
    # is unknown), and maxima both of their neighbours and of the pixels a quarter of the
    # main FWHM away. The latter rejects noise wiggles on the main peak's flanks, which
    # would otherwise outrank a real but weaker second peak.
    floor = np.maximum(min_snr * noise, min_relative * top)
    candidate = coarse > floor[:, None]
    lo = np.where(np.isfinite(x_left), x_left, np.inf)
    hi = np.where(np.isfinite(x_right), x_right, -np.inf)
    candidate &= (lam_c[None, :] < lo[:, None]) | (lam_c[None, :] > hi[:, None])
    candidate[:, [0, p - 1]] = False  # an edge pixel is not a resolved maximum
    core = coarse[:, 1:-1]
    candidate[:, 1:-1] &= (core >= coarse[:, :-2]) & (core >= coarse[:, 2:])
    d = int(max(2, np.median(main_widths) // 4))
    if d < p // 2:
        candidate[:, d:] &= coarse[:, d:] >= coarse[:, :-d]
        candidate[:, :-d] &= coarse[:, :-d] >= coarse[:, d:]
    scores = np.where(candidate, coarse, -np.inf)
    best = np.argmax(scores, axis=1)
    found = np.isfinite(scores[rows, best])
    # Prominence: height above the lowest point between the candidate and the main peak.
    idx = np.arange(p)[None, :]
    between = (idx >= np.minimum(best, centre)[:, None]) & (
        idx <= np.maximum(best, centre)[:, None]
    )
    dip_at = np.argmin(np.where(between, coarse, np.inf), axis=1)
    dip = coarse[rows, dip_at]
    height = coarse[rows, best]
    found &= (height - dip) >= np.maximum(0.25 * height, min_snr * noise)
    # Position and height from the same Gaussian top fit as the main peak, on the pixels above
    # half the second peak's height. The window is centred between the half-height crossings,
    # which is steadier than the noisy maximum of a broad, flat-topped peak; the crossing
    # towards the main peak stops at the dip between the two (the far flank may run into it).
    left, right, _ = _outward(coarse, best, 0.5 * height)
    towards_main_left = centre < best
    left = np.where(towards_main_left, np.maximum(left, dip_at), left)
    right = np.where(towards_main_left, right, np.minimum(right, dip_at))
    middle = np.clip((left + right) * q // 2, 0, y.shape[1] - 1)
    hwhm = np.maximum((right - left) * q // 2, 1)
    _, position, fitted = _gaussian_top(lam, y, middle, hwhm)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = fitted / main_height
    return (
        np.where(found, position, np.nan),
        np.where(found, relative, np.nan),
        np.where(found, best * q, -1),
    )


def _outward(
    y: FloatArray, centre: NDArray[np.int64], level: FloatArray
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Pixel indices of the first points below ``level`` on each side of ``centre``.

    Returns (left, right, found): where the signal never drops below ``level`` on a side,
    the spectrum's end is returned and ``found`` is False. Boolean arrays and ``argmax``
    (first True) keep this to a few passes over one byte per pixel.
    """
    n, p = y.shape
    rows = np.arange(n)
    right_of = np.arange(p)[None, :] > centre[:, None]
    below = y < level[:, None]
    right_mask = below & right_of
    right = np.argmax(right_mask, axis=1)
    found_right = right_mask[rows, right]
    # Left side: the last True before the centre is the first True of the reversed row.
    left_mask = below & ~right_of
    left_mask[rows, centre] = False
    left = p - 1 - np.argmax(left_mask[:, ::-1], axis=1)
    found_left = left_mask[rows, left]
    left = np.where(found_left, left, 0)
    right = np.where(found_right, right, p - 1)
    return left, right, found_left & found_right


def analyze_spectrum(
    wavelength: ArrayLike, intensity: ArrayLike, **options: object
) -> AnalysisResult:
    """Features of one spectrum as an :class:`AnalysisResult` (None plus a warning if absent).

    ``wavelength`` in m, ``intensity`` a 1-D array; ``options`` as for
    :func:`spectrum_features`.
    """
    features = spectrum_features(wavelength, np.asarray(intensity, dtype=float)[None, :], **options)  # type: ignore[arg-type]
    result = AnalysisResult()
    valid = bool(features["valid"][0])
    for name, unit in FEATURE_UNITS.items():
        value = float(features[name][0])
        if np.isfinite(value):
            result.add(name, value, unit)
        elif not valid:
            result.add_missing(name, unit, "no emission above the noise (peak < min_snr σ)")
        elif name.startswith("second_peak"):
            result.add_missing(name, unit, "no second peak above the detection threshold")
        else:
            result.add_missing(name, unit, "the peak is cut off by the edge of the spectrum")
    return result
