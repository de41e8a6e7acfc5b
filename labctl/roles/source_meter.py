"""The ``SourceMeter`` role: source V or I with compliance, measure, sweep, pulse."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np

SourceMode = Literal["voltage", "current"]


@dataclass(frozen=True)
class Reading:
    """One measurement: what the terminals saw at ``time``."""

    voltage: float  #: V
    current: float  #: A
    time: float  #: s, on the bench clock
    in_compliance: bool  #: True when the reading is clamped by the compliance limit


@dataclass(frozen=True)
class SweepResult:
    """A whole sweep read back from the instrument (or built point by point)."""

    source: np.ndarray  #: the programmed levels, V or A
    voltage: np.ndarray  #: V
    current: np.ndarray  #: A
    time: np.ndarray  #: s, relative to the first point
    in_compliance: np.ndarray  #: bool per point
    hardware_timed: bool  #: True when the instrument stepped the points itself

    def __len__(self) -> int:
        return len(self.source)


@dataclass(frozen=True)
class SourceMeterCapabilities:
    """What one channel of a source-measure unit can do."""

    model: str
    max_voltage: float  #: V, largest |V| the model can source
    max_current: float  #: A, largest |I| the model can source
    hardware_sweep: bool  #: list sweeps run from the instrument's own memory
    max_sweep_points: int  #: points one hardware sweep may hold
    pulsed: bool  #: hardware-timed pulses with a background bias
    min_nplc: float
    max_nplc: float
    #: after a hardware sweep the output goes back to the first point (the 2400 family)
    sweep_returns_to_start: bool = False


@runtime_checkable
class SourceMeter(Protocol):
    """One channel of a source-measure unit.

    Setting a source never turns the output on: ``source_voltage`` sets the function, the
    compliance and the level, in that order, and ``output_on`` is a separate, explicit step.
    """

    capabilities: SourceMeterCapabilities
    lock: threading.RLock  #: shared by every role on the same instrument

    @property
    def name(self) -> str: ...

    @property
    def source_mode(self) -> SourceMode: ...

    @property
    def level(self) -> float:
        """The programmed source level, V or A."""
        ...

    @property
    def output_enabled(self) -> bool: ...

    def identify(self) -> str:
        """The instrument's identification string (``*IDN?`` or its equivalent)."""
        ...

    def source_voltage(self, level: float, compliance_current: float) -> None:
        """Source ``level`` volts, limiting the current to ``compliance_current`` amperes."""
        ...

    def source_current(self, level: float, compliance_voltage: float) -> None:
        """Source ``level`` amperes, limiting the voltage to ``compliance_voltage`` volts."""
        ...

    def set_level(self, level: float) -> None:
        """Change the level in the present source mode, in one step."""
        ...

    def configure_measurement(
        self,
        nplc: float = 1.0,
        current_range: float | None = None,
        voltage_range: float | None = None,
    ) -> None:
        """Integration time in power-line cycles, and fixed ranges (``None`` = auto)."""
        ...

    def output_on(self) -> None: ...

    def output_off(self) -> None: ...

    def measure(self) -> Reading: ...

    def ramp_to(self, level: float, rate: float) -> None:
        """Move the level to ``level`` at no more than ``rate`` (V/s or A/s)."""
        ...

    def sweep(self, levels: Sequence[float], dwell: float = 0.0) -> SweepResult:
        """Step through ``levels``, waiting ``dwell`` seconds before each reading.

        Hardware-timed into the instrument's buffer and read back in bulk where the model can,
        point by point otherwise. The output must already be on.
        """
        ...

    def pulse_sweep(
        self, levels: Sequence[float], width: float, period: float, bias: float = 0.0
    ) -> SweepResult:
        """Pulse to each level for ``width`` seconds over ``bias``, once per ``period``.

        The reading is taken at the end of each pulse. Raises ``NotSupportedError`` where the
        model cannot time pulses itself.
        """
        ...

    def close(self) -> None: ...
