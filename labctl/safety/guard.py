"""``LimitedSourceMeter``: any ``SourceMeter``, with the sample's limits in front of it.

Every request is checked against :class:`SampleLimits` before it is passed on, so a request outside
the limits changes nothing on the instrument. In voltage mode the sample never sees a step larger
than ``limits.max_step``:

- a level change larger than that while the output is on becomes a ramp at ``max_ramp_rate``;
- switching the output on at a large programmed level starts at 0 V and ramps;
- a sweep on a model that returns to its first point after a hardware sweep (the 2400 family) is
  run in blocks whose span stays within ``max_step``, with a ramp between blocks;
- a sweep faster than ``max_ramp_rate`` (step / time per point) is refused.

When a compliance and a level change together, the order keeps the worst-case power within the
limits at every moment: a higher compliance is applied after moving, a lower one before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from labctl.errors import LabctlError, LimitError
from labctl.roles.source_meter import Reading, SourceMeter, SourceMode, SweepResult
from labctl.safety.limits import SampleLimits


class RampInterrupted(LabctlError):  # noqa: N818 - a status, like KeyboardInterrupt
    """A ramp away from zero was stopped because the run was aborted."""


class LimitedSourceMeter:
    """Wraps a ``SourceMeter`` and enforces ``limits``. It satisfies ``SourceMeter`` itself."""

    def __init__(self, inner: SourceMeter, limits: SampleLimits) -> None:
        self.inner = inner
        self.limits = limits
        self.capabilities = inner.capabilities
        self.lock = inner.lock
        self._compliance: float | None = None
        self._mode: SourceMode | None = None
        #: The last level this wrapper commanded: what a blind safe stop ramps down from.
        self.last_level: float | None = None
        #: Asked between the legs of a ramp away from zero; True stops it (a run's abort).
        self.interrupt: Callable[[], bool] | None = None

    def __repr__(self) -> str:
        return f"<LimitedSourceMeter {self.inner!r}>"

    def __getattr__(self, name: str) -> Any:
        # Model-specific extras (the generator's ``model``, a driver's ``instrument``) read
        # through; every role method is defined here and checked.
        if name.startswith("__") or name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    # Pass-through state ------------------------------------------------------
    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def source_mode(self) -> SourceMode:
        return self.inner.source_mode

    @property
    def level(self) -> float:
        return self.inner.level

    @property
    def output_enabled(self) -> bool:
        return self.inner.output_enabled

    @property
    def clock(self):
        return getattr(self.inner, "clock", None)

    def identify(self) -> str:
        return self.inner.identify()

    def configure_measurement(
        self,
        nplc: float = 1.0,
        current_range: float | None = None,
        voltage_range: float | None = None,
    ) -> None:
        self.inner.configure_measurement(nplc, current_range, voltage_range)

    def measure(self) -> Reading:
        return self.inner.measure()

    def output_off(self) -> None:
        self.inner.output_off()

    def close(self) -> None:
        self.inner.close()

    def reconnect(self) -> None:
        self.inner.reconnect()  # type: ignore[attr-defined]

    # Checked requests ----------------------------------------------------------
    def source_voltage(self, level: float, compliance_current: float) -> None:
        self.limits.check_source("voltage", level, compliance_current)
        with self.lock:
            if self._far_under_bias("voltage", level):
                if self._compliance is None or compliance_current > self._compliance:
                    # Move under the old, smaller compliance; raise it once there.
                    self._ramp(level)
                    self.inner.source_voltage(level, compliance_current)
                else:
                    # Tighten the compliance at the old level, then move.
                    self.inner.source_voltage(self.inner.level, compliance_current)
                    self._ramp(level)
            else:
                self.inner.source_voltage(level, compliance_current)
            self._mode, self._compliance, self.last_level = "voltage", compliance_current, level

    def source_current(self, level: float, compliance_voltage: float) -> None:
        self.limits.check_source("current", level, compliance_voltage)
        with self.lock:
            self._far_under_bias("current", level)  # refuses a function switch under bias
            self.inner.source_current(level, compliance_voltage)
            self._mode, self._compliance, self.last_level = "current", compliance_voltage, level

    def set_level(self, level: float) -> None:
        mode, compliance = self._configured()
        self.limits.check_source(mode, level, compliance)
        with self.lock:
            if self._far_under_bias(mode, level):
                self._ramp(level)
            else:
                self.inner.set_level(level)
            self.last_level = level

    def ramp_to(self, level: float, rate: float) -> None:
        mode, compliance = self._configured()
        self.limits.check_source(mode, level, compliance)
        if mode == "voltage":
            self.limits.check_ramp_rate(rate)
        with self.lock:
            self.inner.ramp_to(level, rate)
            self.last_level = level

    def output_on(self) -> None:
        mode, _ = self._configured()  # compliance must be in place before the output turns on
        with self.lock:
            target = self.inner.level if mode == "voltage" else 0.0
            if abs(target) > self.limits.max_step:
                # Switching on at a large level would step the sample: start at 0 V and ramp.
                self.inner.set_level(0.0)
                self.inner.output_on()
                self._ramp(target)
            else:
                self.inner.output_on()

    def sweep(self, levels: Sequence[float], dwell: float = 0.0) -> SweepResult:
        mode, compliance = self._configured()
        points = np.asarray(levels, dtype=float)
        self.limits.check_levels(mode, points, compliance, interval=self._point_time(dwell))
        returns = getattr(self.capabilities, "sweep_returns_to_start", False)
        clock = self.clock
        with self.lock:
            results, starts = [], []
            for block in self._blocks(mode, points):
                self.set_level(float(block[0]))  # ramps there if it is far away
                starts.append(clock.now() if clock is not None else 0.0)
                results.append(self.inner.sweep(block, dwell))
                self.last_level = float(block[0] if returns else block[-1])
            return _joined(results, [start - starts[0] for start in starts])

    def pulse_sweep(
        self, levels: Sequence[float], width: float, period: float, bias: float = 0.0
    ) -> SweepResult:
        mode, compliance = self._configured()
        # Pulses step by design (that is the method); their amplitude and power are still bounded.
        for value in (bias, max(levels, key=abs)):
            self.limits.check_source(mode, value, compliance)
        with self.lock:
            self.set_level(bias)
            return self.inner.pulse_sweep(levels, width, period, bias)

    # Helpers --------------------------------------------------------------------
    def _configured(self) -> tuple[SourceMode, float]:
        if self._mode is None or self._compliance is None:
            raise LimitError(
                f"{self.name}: set the source and its compliance first "
                "(source_voltage(level, compliance_current) or source_current(...))"
            )
        return self._mode, self._compliance

    def _far_under_bias(self, mode: SourceMode, level: float) -> bool:
        """True when moving to ``level`` now would step the biased sample by over max_step."""
        if not self.inner.output_enabled:
            return False
        if self.inner.source_mode != mode:
            raise LimitError(
                f"{self.name}: switching from {self.inner.source_mode} to {mode} sourcing while "
                "the output is on is refused; turn the output off first"
            )
        return mode == "voltage" and abs(level - self.inner.level) > self.limits.max_step

    def _ramp(self, level: float) -> None:
        """Ramp at max_ramp_rate in steps no larger than max_step, whatever the rate."""
        start = self.inner.level
        legs = max(1, int(np.ceil(abs(level - start) / self.limits.max_step)))
        for waypoint in np.linspace(start, level, legs + 1)[1:]:
            # A long ramp up (hundreds of volts) must not hold an abort until it is done.
            if self.interrupt is not None and abs(waypoint) > abs(start) and self.interrupt():
                raise RampInterrupted(f"{self.name}: ramp to {level:g} V stopped by an abort")
            self.inner.ramp_to(float(waypoint), self.limits.max_ramp_rate)

    def _point_time(self, dwell: float) -> float:
        """Shortest time the instrument can spend on one sweep point."""
        reading = getattr(self.inner, "reading_time", lambda: 0.0)()
        return dwell + reading

    def _blocks(self, mode: SourceMode, points: np.ndarray) -> list[np.ndarray]:
        """Split a sweep so that an SMU returning to its first point never steps too far."""
        if mode != "voltage" or not getattr(self.capabilities, "sweep_returns_to_start", False):
            return [points]
        blocks, start = [], 0
        low = high = points[0]
        for index in range(1, len(points)):
            low, high = min(low, points[index]), max(high, points[index])
            if high - low > self.limits.max_step:
                blocks.append(points[start:index])
                start, low, high = index, points[index], points[index]
        blocks.append(points[start:])
        return blocks


def _joined(results: list[SweepResult], offsets: list[float]) -> SweepResult:
    """One result from sweeps run in blocks; times count from the first block's start."""
    if len(results) == 1:
        return results[0]
    times = [result.time + offset for result, offset in zip(results, offsets, strict=True)]
    return SweepResult(
        source=np.concatenate([r.source for r in results]),
        voltage=np.concatenate([r.voltage for r in results]),
        current=np.concatenate([r.current for r in results]),
        time=np.concatenate(times),
        in_compliance=np.concatenate([r.in_compliance for r in results]),
        hardware_timed=all(r.hardware_timed for r in results),
    )
