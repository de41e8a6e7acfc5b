"""``LimitedSourceMeter``: any ``SourceMeter``, with the sample's limits in front of it.

Every request is checked against :class:`SampleLimits` before it is passed on, so a request outside
the limits changes nothing on the instrument. Level changes larger than ``limits.max_step`` while
the output is on become ramps at ``limits.max_ramp_rate``: at high bias a voltage never steps.
"""

from __future__ import annotations

from collections.abc import Sequence

from labctl.errors import LimitError
from labctl.roles.source_meter import Reading, SourceMeter, SourceMode, SweepResult
from labctl.safety.limits import SampleLimits


class LimitedSourceMeter:
    """Wraps a ``SourceMeter`` and enforces ``limits``. It satisfies ``SourceMeter`` itself."""

    def __init__(self, inner: SourceMeter, limits: SampleLimits) -> None:
        self.inner = inner
        self.limits = limits
        self.capabilities = inner.capabilities
        self.lock = inner.lock
        self._compliance: float | None = None
        self._mode: SourceMode | None = None

    def __repr__(self) -> str:
        return f"<LimitedSourceMeter {self.inner!r}>"

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
            if self._would_step("voltage", level):
                # Change compliance first at the old level, then ramp to the new one.
                self.inner.source_voltage(self.inner.level, compliance_current)
                self.inner.ramp_to(level, self.limits.max_ramp_rate)
            else:
                self.inner.source_voltage(level, compliance_current)
            self._mode, self._compliance = "voltage", compliance_current

    def source_current(self, level: float, compliance_voltage: float) -> None:
        self.limits.check_source("current", level, compliance_voltage)
        with self.lock:
            self._would_step("current", level)  # refuses a function switch under bias
            self.inner.source_current(level, compliance_voltage)
            self._mode, self._compliance = "current", compliance_voltage

    def set_level(self, level: float) -> None:
        mode, compliance = self._configured()
        self.limits.check_source(mode, level, compliance)
        with self.lock:
            if self._would_step(mode, level):
                self.inner.ramp_to(level, self.limits.max_ramp_rate)
            else:
                self.inner.set_level(level)

    def ramp_to(self, level: float, rate: float) -> None:
        mode, compliance = self._configured()
        self.limits.check_source(mode, level, compliance)
        if mode == "voltage":
            self.limits.check_ramp_rate(rate)
        self.inner.ramp_to(level, rate)

    def output_on(self) -> None:
        # Compliance must be in place before the output turns on.
        self._configured()
        self.inner.output_on()

    def sweep(self, levels: Sequence[float], dwell: float = 0.0) -> SweepResult:
        mode, compliance = self._configured()
        self.limits.check_levels(mode, levels, compliance)
        with self.lock:
            self.set_level(float(levels[0]))  # ramps there if it is far away
            return self.inner.sweep(levels, dwell)

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

    def _would_step(self, mode: SourceMode, level: float) -> bool:
        if not self.inner.output_enabled:
            return False
        if self.inner.source_mode != mode:
            raise LimitError(
                f"{self.name}: switching from {self.inner.source_mode} to {mode} sourcing while "
                "the output is on is refused; turn the output off first"
            )
        return mode == "voltage" and abs(level - self.inner.level) > self.limits.max_step
