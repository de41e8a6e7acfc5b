"""A function generator's output as the device under test sees it.

The simulated generators describe their configured output as a :class:`PeriodicDrive`; the device
under test and the oscilloscope sample it. Time zero is a rising edge (the trigger point).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

Shape = Literal["sine", "square", "pulse", "dc"]


@dataclass(frozen=True)
class PeriodicDrive:
    """A periodic voltage; every value in SI units."""

    shape: Shape
    frequency: float  #: Hz
    high: float  #: V, the upper level (sine: offset + amplitude/2)
    low: float  #: V, the lower level
    duty_cycle: float = 0.5  #: square: fraction of the period spent high
    width: float | None = None  #: pulse: s at the high level (between the 50 % points)
    leading_edge: float = 1e-8  #: pulse: s, 10-90 %
    trailing_edge: float = 1e-8  #: pulse: s, 90-10 %

    @property
    def period(self) -> float:
        return 1.0 / self.frequency

    @property
    def on_time(self) -> float:
        """Seconds per period at the high level (square and pulse)."""
        if self.shape == "pulse":
            return float(self.width if self.width is not None else self.period / 2)
        return self.duty_cycle * self.period

    @property
    def mean(self) -> float:
        """V, the average over one period (what a slow process such as ion drift feels)."""
        if self.shape in ("sine", "dc"):
            return (self.high + self.low) / 2 if self.shape == "sine" else self.high
        fraction = self.on_time / self.period
        return self.low + (self.high - self.low) * fraction

    def sample(self, time: np.ndarray) -> np.ndarray:
        """Voltage at each ``time`` (s); periodic, a rising edge at t = 0."""
        t = np.mod(np.asarray(time, dtype=float), self.period)
        if self.shape == "dc":
            return np.full_like(t, self.high)
        if self.shape == "sine":
            middle, half = (self.high + self.low) / 2, (self.high - self.low) / 2
            return middle + half * np.sin(2 * math.pi * t / self.period)
        if self.shape == "square":
            return np.where(t < self.on_time, self.high, self.low)
        return self._pulse(t)

    def _pulse(self, t: np.ndarray) -> np.ndarray:
        # Linear edges; the width is measured between the 50 % points, as generators specify it.
        rise, fall = self.leading_edge / 0.8, self.trailing_edge / 0.8
        start_fall = self.on_time + rise / 2 - fall / 2
        level = np.clip(t / rise, 0.0, 1.0) if rise > 0 else np.ones_like(t)
        falling = np.clip((t - start_fall) / fall, 0.0, 1.0) if fall > 0 else (t >= start_fall)
        fraction = np.where(t < start_fall, level, 1.0 - falling)
        return self.low + (self.high - self.low) * fraction
