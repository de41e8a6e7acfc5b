"""``LimitedFunctionGenerator``: a ``FunctionGenerator`` that cannot exceed the sample's limits.

Generator levels are "into the load setting": with the 50 Ω setting, a high-impedance device
(an LED) sees up to twice the programmed level. Until the load is set to high impedance, every
level is therefore checked at twice its value. Nothing is sent when a check fails.
"""

from __future__ import annotations

import math
from typing import Any

from labctl.roles.function_generator import FunctionGenerator, TriggerSource
from labctl.safety.limits import SampleLimits


class LimitedFunctionGenerator:
    """Wraps a ``FunctionGenerator`` and checks every level against ``limits.max_voltage``."""

    def __init__(self, inner: FunctionGenerator, limits: SampleLimits) -> None:
        self.inner = inner
        self.limits = limits
        self.capabilities = inner.capabilities
        self.lock = inner.lock
        self._load = 50.0  # the instruments' power-on setting

    def __repr__(self) -> str:
        return f"<LimitedFunctionGenerator {self.inner!r}>"

    def __getattr__(self, name: str) -> Any:
        # Model-specific extras (the generator's ``model``, a driver's ``instrument``) read
        # through; every role method is defined here and checked.
        if name.startswith("__") or name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def output_enabled(self) -> bool:
        return self.inner.output_enabled

    @property
    def clock(self) -> Any:
        return getattr(self.inner, "clock", None)

    @property
    def instrument(self) -> Any:
        return getattr(self.inner, "instrument", None)

    def identify(self) -> str:
        return self.inner.identify()

    def _check(self, name: str, *levels: float) -> None:
        # What a high-impedance device can see: twice the level programmed into 50 Ω.
        factor = 1.0 if math.isinf(self._load) else 2.0
        for level in levels:
            seen = level * factor
            shown = name if factor == 1.0 else f"{name} (×2: the load is set to 50 Ω)"
            self.limits.check_voltage(shown, seen)

    def set_load(self, ohms: float) -> None:
        self.inner.set_load(ohms)
        self._load = float(ohms)

    def sine(self, frequency: float, amplitude: float, offset: float = 0.0) -> None:
        self._check("sine peak", offset + amplitude / 2, offset - amplitude / 2)
        self.inner.sine(frequency, amplitude, offset)

    def square(self, frequency: float, high: float, low: float, duty_cycle: float = 0.5) -> None:
        self._check("square level", high, low)
        self.inner.square(frequency, high, low, duty_cycle)

    def pulse(self, period: float, width: float, high: float, low: float = 0.0,
              leading_edge: float | None = None, trailing_edge: float | None = None) -> None:
        self._check("pulse level", high, low)
        self.inner.pulse(period, width, high, low, leading_edge, trailing_edge)

    def set_levels(self, high: float, low: float) -> None:
        self._check("level", high, low)
        self.inner.set_levels(high, low)

    def burst(self, cycles: int, trigger: TriggerSource = "bus",
              period: float | None = None) -> None:
        self.inner.burst(cycles, trigger, period)

    def burst_off(self) -> None:
        self.inner.burst_off()

    def trigger(self) -> None:
        self.inner.trigger()

    def output_on(self) -> None:
        self.inner.output_on()

    def output_off(self) -> None:
        self.inner.output_off()

    def close(self) -> None:
        self.inner.close()

    def reconnect(self) -> None:
        self.inner.reconnect()  # type: ignore[attr-defined]
