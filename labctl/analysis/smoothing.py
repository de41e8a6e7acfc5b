"""Numerical helpers of the analysis: smoothed log–log slopes and input checks.

The local slope n = d log J / d log V of a measured J–V curve decides which transport regime
holds (ohmic n ≈ 1, Child n ≈ 2, trap filling n > 2). Finite differences of noisy data give
slopes that scatter by whole units, so their maximum means nothing: the data are first put on a
uniform grid in log V and differentiated with a Savitzky–Golay filter (a local least-squares
polynomial, Savitzky & Golay, Anal. Chem. 36, 1627 (1964)), which averages the noise over a
window of fixed width in decades whatever the original voltage spacing (linear or logarithmic).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.signal import savgol_filter

from labctl.errors import ParameterError

__all__ = [
    "LogLogSlope",
    "loglog_slope",
    "merge_duplicates",
    "paired_arrays",
    "positive_parameter",
]

FloatArray = NDArray[np.float64]


@dataclass
class LogLogSlope:
    """A curve on a uniform log10(x) grid with its smoothed log10(y) and local slope."""

    log_x: FloatArray  # log10 of the abscissa on the uniform grid
    log_y: FloatArray  # smoothed log10 of the ordinate on that grid
    slope: FloatArray  # smoothed d log y / d log x on that grid
    step: float  # grid step in decades
    window: int  # Savitzky–Golay window in grid points (odd)

    @property
    def x(self) -> FloatArray:
        """The abscissa of the grid, in the units of the input."""
        return np.power(10.0, self.log_x)


def merge_duplicates(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Sort by ``x`` and average ``y`` over equal ``x`` (forward and reverse sweeps overlap)."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    unique, inverse, counts = np.unique(xs, return_inverse=True, return_counts=True)
    if unique.size == xs.size:
        return xs, ys
    return unique, np.bincount(inverse, weights=ys) / counts


def loglog_slope(
    x: ArrayLike,
    y: ArrayLike,
    *,
    window_decades: float = 0.2,
    points_per_decade: int = 100,
    polyorder: int = 2,
) -> LogLogSlope:
    """Return the Savitzky–Golay-smoothed local slope d log y / d log x.

    ``x`` and ``y`` must be positive (take magnitudes before calling). Values are sorted, equal
    ``x`` are averaged, log10(y) is interpolated linearly onto a uniform log10(x) grid of
    ``points_per_decade`` points per decade, and a Savitzky–Golay filter of width
    ``window_decades`` (at least ``polyorder`` + 2 points, at most the grid) gives the
    smoothed curve and its first derivative. Linear interpolation in log–log space is exact for
    a power law, so a clean power law keeps its exponent.
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise ParameterError("loglog_slope: x and y must be 1-D arrays of the same length")
    keep = np.isfinite(xa) & np.isfinite(ya) & (xa > 0) & (ya > 0)
    lx, ly = merge_duplicates(np.log10(xa[keep]), np.log10(ya[keep]))
    if lx.size < 3:
        raise ParameterError("loglog_slope: need at least 3 distinct positive points")
    span = lx[-1] - lx[0]
    # Never sample more finely than ~4 grid points per data point: finer grids add no
    # information, only cost.
    n_grid = int(np.clip(round(span * points_per_decade) + 1, 8, 4 * lx.size + 8))
    grid = np.linspace(lx[0], lx[-1], n_grid)
    step = float(grid[1] - grid[0])
    ly_grid = np.interp(grid, lx, ly)
    window = round(window_decades / step) | 1  # odd
    window = max(window, (polyorder + 2) | 1)
    if window > n_grid:
        window = n_grid if n_grid % 2 else n_grid - 1
    smooth = savgol_filter(ly_grid, window, polyorder, mode="interp")
    slope = savgol_filter(ly_grid, window, polyorder, deriv=1, delta=step, mode="interp")
    return LogLogSlope(log_x=grid, log_y=smooth, slope=slope, step=step, window=window)


def positive_parameter(value: float, name: str, unit: str) -> float:
    """Return ``value`` as a float, or raise :class:`ParameterError` unless finite and > 0."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"{name}: expected a positive number in {unit}, got {value!r}"
        ) from exc
    if not np.isfinite(number) or number <= 0:
        raise ParameterError(f"{name}: must be finite and > 0 {unit}, got {value!r}")
    return number


def paired_arrays(
    x: ArrayLike, y: ArrayLike, names: tuple[str, str]
) -> tuple[FloatArray, FloatArray]:
    """Return ``x`` and ``y`` as 1-D float arrays of equal length, without non-finite pairs."""
    xa = np.asarray(x, dtype=float).ravel()
    ya = np.asarray(y, dtype=float).ravel()
    if xa.shape != ya.shape:
        raise ParameterError(
            f"{names[0]} and {names[1]} must have the same length, got {xa.size} and {ya.size}"
        )
    keep = np.isfinite(xa) & np.isfinite(ya)
    return xa[keep], ya[keep]
