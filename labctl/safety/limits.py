"""Per-sample limits, checked before any instrument is touched.

A sample is often the only one of its batch. The limits live in the bench file beside the
instruments, and every request that would bias the sample is compared with them first: a request
outside them raises :class:`~labctl.errors.LimitError` and nothing is sent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from labctl.errors import LimitError, ParameterError
from labctl.roles.source_meter import SourceMode
from labctl.units import for_people, format_si, to_si

INF = math.inf

#: Bench-file key → (SI unit, description). Order is the order of the README table.
LIMIT_FIELDS: dict[str, tuple[str, str]] = {
    "max_voltage": ("V", "largest |V| on the sample"),
    "max_current": ("A", "largest |I| through the sample"),
    "max_current_density": ("A/m**2", "largest |J|; needs area"),
    "area": ("m**2", "device area, for current density"),
    "max_power": ("W", "largest worst-case |V|·I_compliance"),
    "max_ramp_rate": ("V/s", "fastest voltage ramp"),
    "max_step": ("V", "largest voltage step taken without ramping"),
}


@dataclass(frozen=True)
class SampleLimits:
    """Limits of one sample. ``inf`` means no limit (the instrument's own range still applies)."""

    max_voltage: float = INF
    max_current: float = INF
    max_current_density: float = INF
    area: float | None = None
    max_power: float = INF
    max_ramp_rate: float = 1.0
    max_step: float = 0.5

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None:
                continue
            if not (value > 0):
                unit = LIMIT_FIELDS[field.name][0]
                raise ParameterError(f"limits.{field.name} = {value:g} {unit} must be > 0")
        if math.isfinite(self.max_current_density) and self.area is None:
            raise ParameterError(
                "limits.max_current_density needs limits.area (the device area, e.g. '4 mm**2')"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> SampleLimits:
        """Build from a bench-file table such as ``{"max_voltage": "10 V", "area": "4 mm**2"}``."""
        unknown = sorted(set(values) - set(LIMIT_FIELDS))
        if unknown:
            raise ParameterError(
                f"limits: unknown key(s) {unknown}; allowed: {', '.join(LIMIT_FIELDS)}"
            )
        for key, value in values.items():
            unit = LIMIT_FIELDS[key][0]
            if isinstance(value, int | float) and not isinstance(value, bool) and unit:
                # A bare 4 would be 4 m² for the area: a limit states its unit.
                raise ParameterError(
                    f"limits.{key}: give a unit, e.g. '{value} {_example_unit(key)}' "
                    f"(a bare {value} would be read as {value} {unit})"
                )
        parsed = {
            key: to_si(value, LIMIT_FIELDS[key][0], name=f"limits.{key}")
            for key, value in values.items()
        }
        return cls(**parsed)

    # ----------------------------------------------------------- derived
    @property
    def effective_max_current(self) -> float:
        """The tighter of ``max_current`` and ``max_current_density`` × ``area``."""
        from_density = self.max_current_density * self.area if self.area else INF
        return min(self.max_current, from_density)

    # ------------------------------------------------------------ checks
    def check_source(self, mode: SourceMode, level: float, compliance: float) -> None:
        """A source setting: level, compliance and worst-case power."""
        if mode == "voltage":
            self.check_voltage("level", level)
            self.check_current("compliance_current", compliance)
            worst_power = abs(level) * abs(compliance)
        else:
            self.check_current("level", level)
            self.check_voltage("compliance_voltage", compliance)
            worst_power = abs(level) * abs(compliance)
        if worst_power > self.max_power:
            raise LimitError(
                f"worst-case power |level|·compliance = {format_si(worst_power, 'W')} exceeds "
                f"limits.max_power = {format_si(self.max_power, 'W')}; lower the level or the "
                "compliance"
            )

    def check_voltage(self, name: str, value: float) -> None:
        if not abs(value) <= self.max_voltage:
            raise LimitError(
                f"{name} = {format_si(value, 'V')} is outside the sample's limits "
                f"-{format_si(self.max_voltage, 'V')} to {format_si(self.max_voltage, 'V')} "
                "(limits.max_voltage)"
            )

    def check_current(self, name: str, value: float) -> None:
        limit = self.effective_max_current
        if not abs(value) <= limit:
            source = (
                "limits.max_current"
                if limit == self.max_current
                else "limits.max_current_density × limits.area"
            )
            raise LimitError(
                f"{name} = {format_si(value, 'A')} is outside the sample's limits "
                f"-{format_si(limit, 'A')} to {format_si(limit, 'A')} ({source})"
            )

    def check_ramp_rate(self, rate: float) -> None:
        if not 0 < rate <= self.max_ramp_rate:
            raise LimitError(
                f"rate = {format_si(rate, 'V/s')} is outside the allowed range "
                f"0 to {format_si(self.max_ramp_rate, 'V/s')} (limits.max_ramp_rate)"
            )

    def check_levels(
        self,
        mode: SourceMode,
        levels: Sequence[float],
        compliance: float,
        interval: float | None = None,
    ) -> None:
        """A whole sweep: every level, the worst-case power, the step between points and, given
        the shortest time per point ``interval`` (s), the sweep's slew rate."""
        points = np.asarray(levels, dtype=float)
        if len(points) == 0:
            raise ParameterError("levels: expected at least one point")
        extreme = float(points[np.argmax(np.abs(points))])
        self.check_source(mode, extreme, compliance)
        if mode == "voltage" and len(points) > 1:
            steps = np.abs(np.diff(points))
            worst = int(np.argmax(steps))
            if steps[worst] > self.max_step:
                raise LimitError(
                    f"levels: the step of {format_si(steps[worst], 'V')} between points "
                    f"{worst} and {worst + 1} exceeds limits.max_step = "
                    f"{format_si(self.max_step, 'V')}; use smaller steps"
                )
            if interval is not None:
                rate = float(steps[worst]) / max(interval, 1e-6)
                if rate > self.max_ramp_rate:
                    raise LimitError(
                        f"levels: stepping {format_si(steps[worst], 'V')} every "
                        f"{format_si(interval, 's')} sweeps at {format_si(rate, 'V/s')}, faster "
                        f"than limits.max_ramp_rate = {format_si(self.max_ramp_rate, 'V/s')}; "
                        "use a longer dwell or more points"
                    )

    def describe(self) -> dict[str, str]:
        """Human-readable limits, for snapshots and the GUI."""
        out = {}
        for key, (unit, _) in LIMIT_FIELDS.items():
            value = getattr(self, key)
            if value is not None and math.isfinite(value):
                out[key] = for_people(value, unit)
        return out


def _example_unit(key: str) -> str:
    return {"area": "mm**2", "max_current": "mA", "max_current_density": "mA/cm**2",
            "max_power": "mW", "max_ramp_rate": "V/s", "max_step": "V"}.get(key, "V")
