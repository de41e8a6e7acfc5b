"""Behaviour shared by every ``SourceMeter`` implementation.

A model-specific subclass supplies the ``_hook`` methods that talk to its instrument; this class
validates every request against the model's capabilities before any I/O, holds the instrument's
lock, ramps, and falls back to a point-by-point sweep where the model has no hardware sweep.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from labctl.drivers.role_base import RoleBase
from labctl.errors import InstrumentError, NotSupportedError, ParameterError
from labctl.roles.source_meter import Reading, SourceMeterCapabilities, SourceMode, SweepResult
from labctl.validation import check_positive, check_range

#: A ramp never waits longer than this between steps, so it stays smooth at slow rates.
RAMP_STEP_TIME = 0.05  # s


class SourceMeterBase(RoleBase):
    """Template for one SMU channel. Subclasses set ``capabilities`` and implement the hooks."""

    capabilities: SourceMeterCapabilities

    def __init__(self, instrument: Any, **kwargs: Any) -> None:
        super().__init__(instrument, **kwargs)
        self._mode: SourceMode | None = None  # cached; re-read by ``source_mode``
        self._nplc = 1.0  # as set by configure_measurement: the time a reading takes

    # ----------------------------------------------------------------- state
    @property
    def source_mode(self) -> SourceMode:
        with self.lock:
            self._mode = self._read_source_mode()
            return self._mode

    @property
    def level(self) -> float:
        with self.lock:
            return self._read_level()

    @property
    def output_enabled(self) -> bool:
        with self.lock:
            return self._read_output()

    # --------------------------------------------------------------- sourcing
    def source_voltage(self, level: float, compliance_current: float) -> None:
        caps = self.capabilities
        level = check_range("level", level, -caps.max_voltage, caps.max_voltage, "V")
        compliance_current = check_range(
            "compliance_current", compliance_current, 1e-9, caps.max_current, "A"
        )
        with self.lock:
            self._apply_source("voltage", level, compliance_current)
            self._mode = "voltage"

    def source_current(self, level: float, compliance_voltage: float) -> None:
        caps = self.capabilities
        level = check_range("level", level, -caps.max_current, caps.max_current, "A")
        compliance_voltage = check_range(
            "compliance_voltage", compliance_voltage, 1e-3, caps.max_voltage, "V"
        )
        with self.lock:
            self._apply_source("current", level, compliance_voltage)
            self._mode = "current"

    def set_level(self, level: float) -> None:
        with self.lock:
            self._check_level(level, self._mode_now())
            self._write_level(float(level))

    def configure_measurement(
        self,
        nplc: float = 1.0,
        current_range: float | None = None,
        voltage_range: float | None = None,
    ) -> None:
        caps = self.capabilities
        nplc = check_range("nplc", nplc, caps.min_nplc, caps.max_nplc)
        if current_range is not None:
            current_range = check_range("current_range", current_range, 0, caps.max_current, "A")
        if voltage_range is not None:
            voltage_range = check_range("voltage_range", voltage_range, 0, caps.max_voltage, "V")
        with self.lock:
            self._configure_measurement(nplc, current_range, voltage_range)
            self._nplc = nplc

    def reading_time(self) -> float:
        """Shortest time one reading takes (s), on 60 Hz mains: the integration alone."""
        nplc = self._nplc if self._nplc else self.capabilities.min_nplc
        return nplc / 60.0

    def output_on(self) -> None:
        with self.lock:
            self._write_output(True)

    def output_off(self) -> None:
        with self.lock:
            self._write_output(False)

    # ------------------------------------------------------------ measuring
    def measure(self) -> Reading:
        with self.lock:
            # A READ with the output off would switch it on by itself on most SMUs: refuse instead.
            if not self._read_output():
                raise InstrumentError(
                    f"{self.name}: measure() needs the output on; call output_on()"
                )
            return self._read()

    def ramp_to(self, level: float, rate: float) -> None:
        rate = check_positive("rate", rate, "V/s or A/s")
        with self.lock:
            target = self._check_level(level, self._mode_now())
            start = self._read_level()
            distance = abs(target - start)
            if distance == 0:
                return
            steps = max(1, math.ceil(distance / (rate * RAMP_STEP_TIME)))
            pause = distance / rate / steps
            for value in np.linspace(start, target, steps + 1)[1:]:
                self._write_level(float(value))
                self.clock.sleep(pause)

    def sweep(self, levels: Sequence[float], dwell: float = 0.0) -> SweepResult:
        points = self._check_levels(levels)
        dwell = check_positive("dwell", dwell, "s", allow_zero=True)
        with self.lock:
            self._require_output("sweep")
            caps = self.capabilities
            if caps.hardware_sweep and len(points) <= caps.max_sweep_points:
                return self._hardware_sweep(points, dwell)
            return self._software_sweep(points, dwell)

    def pulse_sweep(
        self, levels: Sequence[float], width: float, period: float, bias: float = 0.0
    ) -> SweepResult:
        if not self.capabilities.pulsed:
            raise NotSupportedError(
                f"{self.capabilities.model} cannot time pulses itself; "
                "use a DC sweep, or an SMU with pulsed sourcing such as the 2636B"
            )
        points = self._check_levels(levels)
        width = check_positive("width", width, "s")
        period = check_positive("period", period, "s")
        if period < width:
            raise ParameterError(f"period = {period:g} s must be at least width = {width:g} s")
        with self.lock:
            self._check_level(bias, self._mode_now())
            self._require_output("pulse_sweep")
            return self._hardware_pulse_sweep(points, width, period, float(bias))

    # ---------------------------------------------------------------- helpers
    def _mode_now(self) -> SourceMode:
        """The source mode, from the cache when it is known."""
        if self._mode is None:
            self._mode = self._read_source_mode()
        return self._mode

    def _software_sweep(self, points: np.ndarray, dwell: float) -> SweepResult:
        readings: list[Reading] = []
        for value in points:
            self._write_level(float(value))
            self.clock.sleep(dwell)
            readings.append(self._read())
        return sweep_result_from_readings(points, readings, hardware_timed=False)

    def _require_output(self, what: str) -> None:
        if not self._read_output():
            raise InstrumentError(f"{self.name}: {what}() needs the output on; call output_on()")

    def _check_level(self, level: float, mode: SourceMode) -> float:
        caps = self.capabilities
        if mode == "voltage":
            return check_range("level", level, -caps.max_voltage, caps.max_voltage, "V")
        return check_range("level", level, -caps.max_current, caps.max_current, "A")

    def _check_levels(self, levels: Sequence[float]) -> np.ndarray:
        points = np.asarray(levels, dtype=float)
        if points.ndim != 1 or len(points) == 0:
            raise ParameterError("levels: expected a non-empty list of numbers")
        mode = self._mode_now()
        for index in (int(np.argmax(points)), int(np.argmin(points))):
            self._check_level(points[index], mode)
        return points

    # ------------------------------------------------------------------ hooks
    def _apply_source(self, mode: SourceMode, level: float, compliance: float) -> None:
        """Set function, then compliance, then level. Never touches the output state."""
        raise NotImplementedError

    def _write_level(self, level: float) -> None:
        raise NotImplementedError

    def _read_level(self) -> float:
        raise NotImplementedError

    def _read_source_mode(self) -> SourceMode:
        raise NotImplementedError

    def _write_output(self, on: bool) -> None:
        raise NotImplementedError

    def _read_output(self) -> bool:
        raise NotImplementedError

    def _read(self) -> Reading:
        raise NotImplementedError

    def _configure_measurement(
        self, nplc: float, current_range: float | None, voltage_range: float | None
    ) -> None:
        raise NotImplementedError

    def _hardware_sweep(self, points: np.ndarray, dwell: float) -> SweepResult:
        return self._software_sweep(points, dwell)

    def _hardware_pulse_sweep(
        self, points: np.ndarray, width: float, period: float, bias: float
    ) -> SweepResult:
        raise NotSupportedError(f"{self.capabilities.model}: pulsed sourcing is not implemented")


def sweep_result_from_readings(
    points: np.ndarray, readings: Sequence[Reading], *, hardware_timed: bool
) -> SweepResult:
    times = np.array([r.time for r in readings], dtype=float)
    return SweepResult(
        source=np.asarray(points, dtype=float),
        voltage=np.array([r.voltage for r in readings], dtype=float),
        current=np.array([r.current for r in readings], dtype=float),
        time=times - times[0] if len(times) else times,
        in_compliance=np.array([r.in_compliance for r in readings], dtype=bool),
        hardware_timed=hardware_timed,
    )


class PymeasureSourceHooks:
    """Hooks for SCPI SMUs whose pymeasure class names its settings ``source_mode``,
    ``source_voltage``, ``source_current`` and ``source_enabled`` (the 2400 and 2450 do)."""

    instrument: Any
    _mode_now: Any  # from SourceMeterBase, which comes after this mixin in the bases

    def _write_level(self, level: float) -> None:
        if self._mode_now() == "voltage":
            self.instrument.source_voltage = level
        else:
            self.instrument.source_current = level

    def _read_level(self) -> float:
        if self._mode_now() == "voltage":
            return float(self.instrument.source_voltage)
        return float(self.instrument.source_current)

    def _read_source_mode(self) -> SourceMode:
        return self.instrument.source_mode

    def _write_output(self, on: bool) -> None:
        self.instrument.source_enabled = on

    def _read_output(self) -> bool:
        return bool(self.instrument.source_enabled)

