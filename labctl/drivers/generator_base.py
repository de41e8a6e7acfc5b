"""What the Keysight 33500B and Rigol DG800/DG900/DG1000Z generator roles share.

Both instrument classes expose their channels with the same attribute names (``shape``,
``frequency``, ``voltage_high``, ``voltage_low``, ``square_dutycycle``, ``pulse_period``,
``pulse_width``, ``pulse_leading_edge``, ``pulse_trailing_edge``, ``output``, ``output_load``,
``burst_state``, ``burst_mode``, ``burst_period``, ``burst_ncycles``, ``trigger_source``), so one
role class drives either; a driver adds its model table, its trigger-source names and its bus
trigger.

Validation happens before any I/O, against the identified model (:class:`GeneratorModel`) and the
load this role last set (50 Ω, the instrument's reset value, until :meth:`set_load` is called).
Every configuration step ends with a drain of ``SYST:ERR?``.

Order of operations, so that the instrument never sees an intermediate state it must reject or
silently adjust (either would leave it in a state nobody asked for):

* **Levels** (``VOLT:HIGH`` / ``VOLT:LOW``): the present high level is read back first. If the new
  low level lies at least the minimum amplitude below it, LOW is written first, then HIGH
  ("moving down"); otherwise HIGH first, then LOW ("moving up"). Either intermediate state is
  valid, and the output never leaves the range spanned by the old and the new levels.
* **Square**: the present frequency is read back. When the frequency rises, the duty cycle is
  written first (it is valid at the new, more restrictive frequency, hence at the old one too);
  when it falls, the frequency is written first.
* **Pulse**: edges to the fastest, width to the minimum, then period, width and edges. Every
  intermediate pulse is narrower than both the old and the new one, so a connected device never
  receives more energy per period than it was set to.
* **Burst** with an immediate trigger: burst period before cycle count, so the (usually 1-cycle)
  old count always fits the new period.
"""

from __future__ import annotations

import math
import operator
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

from labctl.clock import WALL_CLOCK, Clock
from labctl.drivers.role_base import Reconnector, RoleBase
from labctl.drivers.scpi import raise_scpi_errors
from labctl.errors import InstrumentError, ParameterError
from labctl.roles.function_generator import FunctionGeneratorCapabilities, TriggerSource
from labctl.validation import check_choice, check_range

#: Output impedance of every supported generator, Ω; forms a divider with the load.
SOURCE_IMPEDANCE = 50.0
#: Load accepted by ``OUTP:LOAD`` on every supported generator, Ω (plus infinity).
LOAD_RANGE = (1.0, 10_000.0)
#: Edges may take at most this fraction of the pulse width (and of the time between pulses).
EDGE_FRACTION = 0.625
#: Duty cycle limits of a square wave at low frequency (0.01 % to 99.99 %).
SQUARE_DUTY_RANGE = (1e-4, 1 - 1e-4)
#: Lowest frequency of every supported generator, Hz.
MIN_FREQUENCY = 1e-6
TRIGGER_SOURCES: tuple[TriggerSource, ...] = ("immediate", "external", "bus")


@dataclass(frozen=True)
class GeneratorModel:
    """Datasheet limits of one generator model. Voltages are open-circuit (high-Z) values."""

    name: str
    channels: int
    max_sine: float  #: Hz
    max_square: float  #: Hz
    max_pulse: float  #: Hz, pulse repetition frequency
    min_pulse_width: float  #: s
    min_edge: float  #: s, 10 %-90 %
    max_edge: float  #: s; math.inf when only the width limits it
    max_amplitude: float  #: V peak-to-peak into high impedance
    min_amplitude: float  #: V peak-to-peak into high impedance
    max_burst_cycles: int
    burst_period_range: tuple[float, float]  #: s
    burst_overhead: float  #: s a burst period needs beyond ``cycles / frequency``
    #: width <= period - off_time_factor * min_pulse_width
    off_time_factor: float = 1.0
    #: ((up to frequency in Hz, max V peak-to-peak into high-Z), ...), ascending; empty = flat
    amplitude_derating: tuple[tuple[float, float], ...] = ()

    def capabilities(self) -> FunctionGeneratorCapabilities:
        return FunctionGeneratorCapabilities(
            model=self.name,
            max_frequency=self.max_sine,
            min_pulse_width=self.min_pulse_width,
            min_edge_time=self.min_edge,
            max_amplitude=self.max_amplitude,
            channels=self.channels,
        )

    def amplitude_at(self, frequency: float | None) -> float:
        """Largest V peak-to-peak into high-Z at ``frequency`` (the flat limit if unknown)."""
        if frequency is None or not self.amplitude_derating:
            return self.max_amplitude
        for bound, vpp in self.amplitude_derating:
            if frequency <= bound:
                return vpp
        return self.amplitude_derating[-1][1]


def model_from_idn(idn: str, models: dict[str, GeneratorModel], family: str) -> GeneratorModel:
    """Look the model field of a ``*IDN?`` reply up in ``models``."""
    fields = [f.strip() for f in str(idn).split(",")]
    model = fields[1].upper() if len(fields) > 1 else ""
    if model not in models:
        raise InstrumentError(
            f"{idn.strip()!r} is not a {family} model this driver knows; "
            f"known models: {', '.join(sorted(models))}"
        )
    return models[model]


def divider(load: float) -> float:
    """Fraction of the open-circuit voltage that reaches ``load`` Ω."""
    return 1.0 if math.isinf(load) else load / (load + SOURCE_IMPEDANCE)


def check_load(ohms: float) -> float:
    """Return ``ohms`` as a float: 1 Ω to 10 kΩ, or ``float('inf')`` for high impedance."""
    try:
        value = float(ohms)
    except (TypeError, ValueError):
        raise ParameterError(
            f"load: expected a number in Ω (1 Ω to 10 kΩ, or float('inf')), got {ohms!r}"
        ) from None
    if value == math.inf:
        return value
    try:
        return check_range("load", value, *LOAD_RANGE, "Ω")
    except ParameterError as exc:
        raise ParameterError(f"{exc}, or float('inf') for high impedance") from None


class FunctionGeneratorBase(RoleBase):
    """The ``FunctionGenerator`` role on one channel of a one- or two-channel SCPI generator.

    Subclasses set :attr:`TRIGGER_NAMES` and implement :meth:`_identify` and
    :meth:`_send_bus_trigger`. The model is identified once per instrument, at construction.
    """

    #: Role trigger source → the instrument's token for it.
    TRIGGER_NAMES: ClassVar[dict[str, str]] = {}
    CHANNELS: ClassVar[tuple[str, ...]] = ("1", "2")

    def __init__(
        self,
        instrument: Any,
        *,
        channel: str = "1",
        name: str | None = None,
        lock: threading.RLock | None = None,
        clock: Clock = WALL_CLOCK,
        reconnect: Reconnector | None = None,
    ) -> None:
        channel = str(check_choice("channel", str(channel), self.CHANNELS))
        default_name = f"{getattr(instrument, 'name', type(self).__name__)} CH{channel}"
        super().__init__(
            instrument, name=name or default_name, lock=lock, clock=clock, reconnect=reconnect
        )
        with self.lock:
            self.model = self._identify()
        if int(channel) > self.model.channels:
            raise ParameterError(
                f"channel = {channel!r} is not an output of the {self.model.name}; "
                f"allowed: {list(self.CHANNELS[: self.model.channels])}"
            )
        self.channel = channel
        self.capabilities: FunctionGeneratorCapabilities = self.model.capabilities()
        #: Load the levels are validated against: the instrument's reset value until set_load.
        self._load = 50.0
        #: Frequency of the last waveform this role configured, Hz (None: not known).
        self._frequency: float | None = None

    # ------------------------------------------------------------------ hooks
    def _identify(self) -> GeneratorModel:
        raise NotImplementedError

    def _send_bus_trigger(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------- properties
    @property
    def _ch(self) -> Any:
        return getattr(self.instrument, f"ch_{self.channel}")

    @property
    def load(self) -> float:
        """Load impedance the levels refer to, Ω (``inf`` for high impedance)."""
        return self._load

    @property
    def output_enabled(self) -> bool:
        with self.lock:
            return bool(self._ch.output)

    # ---------------------------------------------------------------- methods
    def set_load(self, ohms: float) -> None:
        """Expected load in Ω, 1 Ω to 10 kΩ, or ``float('inf')`` for high impedance.

        The instrument scales every level for this load, so the levels passed afterwards are the
        voltages the device under test sees.
        """
        load = check_load(ohms)
        with self.lock:
            self._ch.output_load = load
            self._load = load
            self._raise_errors()

    def sine(self, frequency: float, amplitude: float, offset: float = 0.0) -> None:
        """Sine of ``amplitude`` V peak-to-peak around ``offset`` V, at ``frequency`` Hz.

        Range: 1 µHz to the model's sine limit; ``offset ± amplitude/2`` within the model's
        voltage window for the present load. The output state is not changed.
        """
        f = check_range("frequency", frequency, MIN_FREQUENCY, self.model.max_sine, "Hz")
        limit, min_amplitude = self._level_window(f)
        amp = check_range("amplitude", amplitude, min_amplitude, 2 * limit, "V")
        off = check_range("offset", offset, -(limit - amp / 2), limit - amp / 2, "V")
        with self.lock:
            ch = self._ch
            ch.shape = "SIN"
            ch.frequency = f
            self._write_levels(off + amp / 2, off - amp / 2, min_amplitude)
            self._frequency = f
            self._raise_errors()

    def square(self, frequency: float, high: float, low: float, duty_cycle: float = 0.5) -> None:
        """Square wave between ``low`` and ``high`` V at ``frequency`` Hz.

        ``duty_cycle`` is the fraction of the period spent high, 0.0001 to 0.9999, narrowed at
        high frequency so that neither half is shorter than the minimum pulse width.
        """
        f = check_range("frequency", frequency, MIN_FREQUENCY, self.model.max_square, "Hz")
        shortest = self.model.min_pulse_width * f
        duty = check_range(
            f"duty_cycle at {f:g} Hz",
            duty_cycle,
            max(SQUARE_DUTY_RANGE[0], shortest),
            min(SQUARE_DUTY_RANGE[1], 1 - shortest),
        )
        high, low, min_amplitude = self._check_levels(high, low, f)
        with self.lock:
            ch = self._ch
            ch.shape = "SQU"
            if f > float(ch.frequency):
                ch.square_dutycycle = duty * 100
                ch.frequency = f
            else:
                ch.frequency = f
                ch.square_dutycycle = duty * 100
            self._write_levels(high, low, min_amplitude)
            self._frequency = f
            self._raise_errors()

    def pulse(
        self,
        period: float,
        width: float,
        high: float,
        low: float = 0.0,
        leading_edge: float | None = None,
        trailing_edge: float | None = None,
    ) -> None:
        """Pulse train: ``width`` s at ``high`` V every ``period`` s, ``low`` V in between.

        ``period`` from 1/(max pulse frequency) to 1 Ms; ``width`` from the minimum pulse width to
        ``period`` minus the off time the model needs. Edges (10 %-90 %, s) from the model's
        fastest to 0.625 × the shorter of width and off time; ``None`` = the fastest.
        """
        m = self.model
        min_period = max(1 / m.max_pulse, (1 + m.off_time_factor) * m.min_pulse_width)
        per = check_range("period", period, min_period, 1 / MIN_FREQUENCY, "s")
        wid = check_range(
            "width", width, m.min_pulse_width, per - m.off_time_factor * m.min_pulse_width, "s"
        )
        longest_edge = min(m.max_edge, EDGE_FRACTION * min(wid, per - wid))
        lead = m.min_edge if leading_edge is None else check_range(
            "leading_edge", leading_edge, m.min_edge, longest_edge, "s"
        )
        trail = m.min_edge if trailing_edge is None else check_range(
            "trailing_edge", trailing_edge, m.min_edge, longest_edge, "s"
        )
        high, low, min_amplitude = self._check_levels(high, low, 1 / per)
        with self.lock:
            ch = self._ch
            ch.shape = "PULS"
            ch.pulse_leading_edge = m.min_edge
            ch.pulse_trailing_edge = m.min_edge
            ch.pulse_width = m.min_pulse_width
            ch.pulse_period = per
            ch.pulse_width = wid
            if lead != m.min_edge:
                ch.pulse_leading_edge = lead
            if trail != m.min_edge:
                ch.pulse_trailing_edge = trail
            self._write_levels(high, low, min_amplitude)
            self._frequency = 1 / per
            self._raise_errors()

    def set_levels(self, high: float, low: float) -> None:
        """High and low level in V as seen by the load, keeping the waveform and its timing."""
        high, low, min_amplitude = self._check_levels(high, low, self._frequency)
        with self.lock:
            self._write_levels(high, low, min_amplitude)
            self._raise_errors()

    def burst(
        self, cycles: int, trigger: TriggerSource = "bus", period: float | None = None
    ) -> None:
        """Emit ``cycles`` periods of the present waveform per trigger.

        ``trigger``: ``'bus'`` (:meth:`trigger`), ``'external'`` (rear-panel input) or
        ``'immediate'`` (repeats every ``period`` s, which is then required and must hold the
        cycles of the last waveform this role configured). The output state is not changed.
        """
        m = self.model
        count = _check_cycles(cycles, m.max_burst_cycles)
        source = str(check_choice("trigger", trigger, TRIGGER_SOURCES))
        burst_period: float | None = None
        if source == "immediate":
            if period is None:
                raise ParameterError(
                    "period: required with trigger='immediate' (the time between bursts, "
                    f"{m.burst_period_range[0]:g} s to {m.burst_period_range[1]:g} s)"
                )
            shortest = m.burst_period_range[0]
            if self._frequency is not None:
                shortest = max(shortest, count / self._frequency + m.burst_overhead)
            burst_period = check_range("period", period, shortest, m.burst_period_range[1], "s")
        elif period is not None:
            raise ParameterError(
                f"period: applies only to trigger='immediate', not {source!r}; pass period=None"
            )
        with self.lock:
            ch = self._ch
            ch.burst_mode = "TRIG"
            if burst_period is not None:
                ch.burst_period = burst_period
            ch.burst_ncycles = count
            ch.trigger_source = self.TRIGGER_NAMES[source]
            ch.burst_state = True
            self._raise_errors()

    def burst_off(self) -> None:
        """Back to continuous output."""
        with self.lock:
            self._ch.burst_state = False
            self._raise_errors()

    def trigger(self) -> None:
        """Send a software (bus) trigger; a burst set up with ``trigger='bus'`` fires."""
        with self.lock:
            self._send_bus_trigger()
            self._raise_errors()

    def output_on(self) -> None:
        with self.lock:
            self._ch.output = True
            self._raise_errors()

    def output_off(self) -> None:
        # No error-queue check here: a stale error from an earlier step must not make a safe stop
        # report that the output may still be on.
        with self.lock:
            self._ch.output = False

    # ---------------------------------------------------------------- helpers
    def _level_window(self, frequency: float | None) -> tuple[float, float]:
        """(largest |level|, smallest high - low) in V for the present load and ``frequency``."""
        share = divider(self._load)
        return (
            self.model.amplitude_at(frequency) / 2 * share,
            self.model.min_amplitude * share,
        )

    def _check_levels(
        self, high: float, low: float, frequency: float | None
    ) -> tuple[float, float, float]:
        limit, min_amplitude = self._level_window(frequency)
        hi = check_range("high", high, -limit, limit, "V")
        lo = check_range("low", low, -limit, limit, "V")
        check_range("high - low", hi - lo, min_amplitude, 2 * limit, "V")
        return hi, lo, min_amplitude

    def _write_levels(self, high: float, low: float, min_amplitude: float) -> None:
        ch = self._ch
        present_high = float(ch.voltage_high)
        if present_high - low >= min_amplitude:  # moving down: LOW first keeps high > low
            ch.voltage_low = low
            ch.voltage_high = high
        else:  # moving up past the present high level: HIGH first
            ch.voltage_high = high
            ch.voltage_low = low

    def _raise_errors(self) -> None:
        raise_scpi_errors(self.instrument, self.name)


def _check_cycles(cycles: int, maximum: int) -> int:
    if isinstance(cycles, bool):
        raise ParameterError(f"cycles: expected a whole number from 1 to {maximum}, got {cycles!r}")
    try:
        count = operator.index(cycles)
    except TypeError:
        raise ParameterError(
            f"cycles: expected a whole number from 1 to {maximum}, got {cycles!r}"
        ) from None
    return int(check_range("cycles", count, 1, maximum))
