"""The ``FunctionGenerator`` role: sine, square, pulse and burst on one output channel."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

TriggerSource = Literal["immediate", "external", "bus"]


@dataclass(frozen=True)
class FunctionGeneratorCapabilities:
    model: str
    max_frequency: float  #: Hz, sine
    min_pulse_width: float  #: s
    min_edge_time: float  #: s
    max_amplitude: float  #: V peak-to-peak into a high-impedance load
    channels: int


@runtime_checkable
class FunctionGenerator(Protocol):
    """One output channel of a function or arbitrary-waveform generator.

    Levels are the voltages the device under test sees for the configured ``load``: set the load
    first (50 Ω or ``float('inf')`` for high impedance) so that the instrument scales correctly.
    Configuring a waveform never turns the output on.
    """

    capabilities: FunctionGeneratorCapabilities
    lock: threading.RLock

    @property
    def name(self) -> str: ...

    @property
    def output_enabled(self) -> bool: ...

    def identify(self) -> str: ...

    def set_load(self, ohms: float) -> None:
        """Expected load impedance in Ω; ``float('inf')`` for high impedance."""
        ...

    def sine(self, frequency: float, amplitude: float, offset: float = 0.0) -> None:
        """Sine of ``amplitude`` volts peak-to-peak around ``offset``."""
        ...

    def square(self, frequency: float, high: float, low: float, duty_cycle: float = 0.5) -> None:
        """Square wave between ``low`` and ``high`` volts; ``duty_cycle`` in (0, 1)."""
        ...

    def pulse(
        self,
        period: float,
        width: float,
        high: float,
        low: float = 0.0,
        leading_edge: float | None = None,
        trailing_edge: float | None = None,
    ) -> None:
        """Pulse train; edges in seconds (``None`` = the model's fastest)."""
        ...

    def set_levels(self, high: float, low: float) -> None: ...

    def burst(
        self, cycles: int, trigger: TriggerSource = "bus", period: float | None = None
    ) -> None:
        """Emit ``cycles`` periods per trigger; ``'immediate'`` repeats every ``period``."""
        ...

    def burst_off(self) -> None: ...

    def trigger(self) -> None:
        """Send a software (bus) trigger."""
        ...

    def output_on(self) -> None: ...

    def output_off(self) -> None: ...

    def close(self) -> None: ...
