"""Setting up the oscilloscope for a repetitive signal: window, trigger on the drive, auto-scale."""

from __future__ import annotations

from typing import Any

import numpy as np

from labctl.errors import ParameterError
from labctl.roles.oscilloscope import Waveform

DIVISIONS = 10  # horizontal divisions on screen
HALF_SCREEN = 4.0  # vertical divisions a signal may fill each side of the offset, with headroom
AUTOSCALE_ROUNDS = 3


def set_window(scope: Any, window: float, pretrigger: float) -> None:
    """Show ``window`` seconds with the trigger ``pretrigger`` (0–1) of the way across."""
    scope.set_timebase(window / DIVISIONS, position=(0.5 - pretrigger) * window)


def trigger_on_drive(scope: Any, channel: int, high: float, low: float) -> None:
    scope.set_trigger(channel, level=(high + low) / 2, slope="rising")


def fit_scale(waveform: Waveform, scale: float) -> float | None:
    """A better V/div for ``waveform`` captured at ``scale``, or None if it already fits."""
    peak = float(np.max(np.abs(waveform.voltage))) if len(waveform) else 0.0
    clipped = peak >= 0.98 * 5 * scale
    if clipped:
        return scale * 4
    wanted = max(peak / HALF_SCREEN, 1e-3)
    return wanted if wanted < 0.4 * scale else None


def autoscale(scope: Any, channels: dict[int, float]) -> dict[int, float]:
    """Capture and rescale until no channel clips and each uses its screen; returns the scales."""
    scales = dict(channels)
    for _ in range(AUTOSCALE_ROUNDS):
        for channel, scale in scales.items():
            scales[channel] = _configure(scope, channel, scale)
        captured = scope.capture(tuple(scales))
        changed = False
        for channel, waveform in captured.items():
            better = fit_scale(waveform, scales[channel])
            if better is not None:
                scales[channel] = _nearest_125(better)
                changed = True
        if not changed:
            break
    for channel, scale in scales.items():
        _configure(scope, channel, scale)
    return scales


def _configure(scope: Any, channel: int, scale: float) -> float:
    """Set ``scale`` V/div, or the nearest the scope accepts; returns what was set."""
    for _ in range(12):
        try:
            scope.configure_channel(channel, scale=scale, offset=0.0, coupling="dc")
            return scale
        except ParameterError as exc:
            # Beyond the model's range: step back towards it (the message names the range).
            scale = scale / 2 if "outside" in str(exc) and scale > 1 else scale * 2
    scope.configure_channel(channel, scale=scale, offset=0.0, coupling="dc")
    return scale

def _nearest_125(value: float) -> float:
    """Round up to the 1-2-5 sequence scopes use for V/div."""
    exponent = np.floor(np.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        candidate = step * 10**exponent
        if candidate >= value * 0.999:
            return float(candidate)
    return float(10 ** (exponent + 1))


def resample(values: np.ndarray, points: int) -> np.ndarray:
    """The scope may return another record length than asked: bring it to ``points``."""
    values = np.asarray(values, dtype=float)
    if len(values) == points:
        return values
    positions = np.linspace(0, len(values) - 1, points)
    return np.interp(positions, np.arange(len(values)), values)
