"""Model limits, number parsing and per-channel state of the simulated function generators."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from labctl.errors import BenchError
from labctl.sim.scpi import Command

#: Fixed output impedance of both families, Ω.
SOURCE_IMPEDANCE = 50.0
#: ``OUTP:LOAD?`` reply for high impedance (both manuals).
HIGH_Z = 9.9e37
LOAD_RANGE = (1.0, 10_000.0)
HEADER_SUFFIX_OUT_OF_RANGE = (-114, "Header suffix out of range")
TRIGGER_IGNORED = (-211, "Trigger ignored")
#: Roots that address the whole instrument; any other unknown root is under the optional SOURce.
INSTRUMENT_ROOTS = frozenset(
    {"SYST", "DISP", "STAT", "MEM", "MMEM", "HCOP", "CAL", "FORM", "UNIT", "LXI", "INIT", "ABOR",
     "LAN", "COUP", "IEEE"}
)
#: Roots with a channel suffix of their own.
CHANNEL_ROOTS = frozenset({"SOUR", "OUTP", "TRIG"})
#: Peak-to-peak / rms for the amplitude unit VRMS; shapes not listed use the square's.
CREST_PP_RMS = {"SIN": 2 * math.sqrt(2), "TRI": 2 * math.sqrt(3), "RAMP": 2 * math.sqrt(3),
                "HARM": 2 * math.sqrt(2)}
SUFFIXES = {
    "": 1.0, "HZ": 1.0, "KHZ": 1e3, "MHZ": 1e6, "GHZ": 1e9,
    "S": 1.0, "MS": 1e-3, "US": 1e-6, "NS": 1e-9, "PS": 1e-12,
    "V": 1.0, "MV": 1e-3, "UV": 1e-6, "KV": 1e3,
    "OHM": 1.0, "KOHM": 1e3, "MOHM": 1e6, "PCT": 1.0, "DEG": 1.0,
}
_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:E[+-]?\d+)?)\s*([A-Z]*)$")
_ROOT = re.compile(r"^([A-Z_]+?)(\d*)$")
#: Accepted mismatch when a value is compared with a limit: rounding in a formatted number or in
#: the load scaling must not turn into an error.
REL_SLACK = 1e-9
ABS_SLACK = 1e-15


# ---------------------------------------------------------------------------------- model limits
@dataclass(frozen=True)
class GeneratorSpec:
    """Datasheet limits of one model; voltages are open-circuit (EMF) values."""

    model: str
    channels: int
    functions: tuple[str, ...]
    #: Highest frequency per function, Hz; functions not listed use the sine's.
    max_frequency: Mapping[str, float]
    min_frequency: float = 1e-6
    min_width: float = 16e-9  #: s, pulse width and each half of a square
    #: width <= period - off_time_factor × min_width
    off_time_factor: float = 1.0
    min_edge: float = 8.4e-9  #: s
    max_edge: float = 1e-6  #: s (the width limits it too)
    edge_fraction: float = 0.625  #: edge <= fraction × min(width, period - width)
    max_amplitude: float = 20.0  #: Vpp open circuit; |level| <= half of it
    min_amplitude: float = 2e-3  #: Vpp open circuit
    #: ((up to frequency Hz, max Vpp open circuit), ...), ascending; empty = flat
    derating: tuple[tuple[float, float], ...] = ()
    max_cycles: int = 100_000_000
    burst_period_range: tuple[float, float] = (1e-6, 8000.0)
    burst_overhead: float = 1e-6  #: s a burst period needs beyond cycles / frequency
    max_period: float = 1e6  #: s

    def frequency_limit(self, function: str) -> float:
        limit = self.max_frequency.get(function, self.max_frequency["SIN"])
        if function == "PULS":
            # The shortest period must still hold the minimum width and the minimum off time.
            limit = min(limit, 1 / ((1 + self.off_time_factor) * self.min_width))
        return limit

    def amplitude_at(self, frequency: float) -> float:
        for bound, vpp in self.derating:
            if frequency <= bound:
                return vpp
        return self.derating[-1][1] if self.derating else self.max_amplitude


KEYSIGHT_FUNCTIONS = ("SIN", "SQU", "TRI", "RAMP", "PULS", "PRBS", "NOIS", "ARB", "DC")
RIGOL_FUNCTIONS = ("SIN", "SQU", "RAMP", "PULS", "NOIS", "USER", "HARM", "DC")


def _keysight(model: str, channels: int, max_frequency: float) -> GeneratorSpec:
    # 33500B datasheet: sine, square and pulse to the model's limit, ramp and triangle to 200 kHz,
    # PRBS to 50 Mbit/s; width >= 16 ns and <= period - 16 ns; edges 8.4 ns to 1 µs.
    return GeneratorSpec(
        model=model,
        channels=channels,
        functions=KEYSIGHT_FUNCTIONS,
        max_frequency={"SIN": max_frequency, "SQU": max_frequency, "PULS": max_frequency,
                       "TRI": 200e3, "RAMP": 200e3, "PRBS": 50e6},
    )


def _rigol(model: str, sine: float, square: float, pulse: float, ramp: float, harmonic: float,
           user: float) -> GeneratorSpec:
    # DG1000Z programming guide and datasheet: width >= 16 ns and <= period - 2 × 16 ns, edges from
    # 10 ns to 0.625 × width, bursts of 1 to 500 000 cycles every 2.0166 µs to 500 s with at least
    # 2 µs beyond the cycles; 10 Vpp into 50 Ω to 10 MHz, 5 Vpp to 30 MHz, 2.5 Vpp above.
    return GeneratorSpec(
        model=model,
        channels=2,
        functions=RIGOL_FUNCTIONS,
        max_frequency={"SIN": sine, "SQU": square, "PULS": pulse, "RAMP": ramp,
                       "HARM": harmonic, "USER": user},
        off_time_factor=2.0,
        min_edge=10e-9,
        max_edge=math.inf,
        derating=((10e6, 20.0), (30e6, 10.0), (math.inf, 5.0)),
        max_cycles=500_000,
        burst_period_range=(2.0166e-6, 500.0),
        burst_overhead=2e-6,
    )


SPECS: dict[str, GeneratorSpec] = {
    spec.model: spec
    for spec in (
        _keysight("33522B", 2, 30e6),
        _keysight("33521B", 1, 30e6),
        _keysight("33512B", 2, 20e6),
        _keysight("33511B", 1, 20e6),
        _rigol("DG1062Z", 60e6, 25e6, 25e6, 1e6, 30e6, 20e6),
        _rigol("DG1032Z", 30e6, 25e6, 15e6, 500e3, 15e6, 10e6),
        _rigol("DG1022Z", 25e6, 25e6, 15e6, 500e3, 10e6, 10e6),
    )
}


# ----------------------------------------------------------------------------------- helpers
def divider(load: float) -> float:
    """Fraction of the open-circuit voltage across ``load`` Ω behind the 50 Ω source."""
    return 1.0 if math.isinf(load) else load / (load + SOURCE_IMPEDANCE)


def parse_load(value: Any, where: str) -> float:
    """A load in Ω from a bench-file option: a number, or ``inf`` for high impedance."""
    text = str(value).strip().upper()
    if text in ("INF", "INFINITY", "OPEN", "HIGHZ"):
        return math.inf
    try:
        ohms = float(text)
    except ValueError:
        raise BenchError(f"{where}: expected a load in Ω or 'inf', got {value!r}") from None
    if ohms <= 0:
        raise BenchError(f"{where}: a load must be positive, got {value!r}")
    return ohms


def parse_number(text: str) -> float:
    """SCPI numeric data with an optional unit suffix (``1 KHZ``, ``10US``, ``9.9E37``)."""
    match = _NUMBER.match(text.strip().upper())
    if not match or match.group(2) not in SUFFIXES:
        raise ValueError(f"{text!r} is not a number")
    return float(match.group(1)) * SUFFIXES[match.group(2)]


def _slack(bound: float) -> float:
    return REL_SLACK * abs(bound) + ABS_SLACK


@dataclass(frozen=True)
class ChannelCommand(Command):
    """A command routed to one output: ``header`` without the channel (the handler key),
    ``table_header`` with it (the command table's spelling)."""

    channel: int = 1
    table_header: str = ""

    @property
    def text(self) -> str:
        head = self.table_header + ("?" if self.query else "")
        return f"{head} {','.join(self.args)}" if self.args else head


@dataclass
class ChannelState:
    """One output's coupled settings. Levels are open-circuit volts."""

    number: int
    function: str
    frequency: float
    amplitude: float  #: Vpp open circuit
    offset: float  #: V open circuit
    unit: str
    duty_cycle: float  #: %, square
    width: float  #: s, pulse
    leading_edge: float
    trailing_edge: float
    load: float  #: the load *setting*, Ω (inf = high impedance)
    output: bool
    sync: bool
    trigger_out: bool
    burst: bool
    burst_mode: str
    cycles: float  #: inf = infinite
    burst_period: float
    trigger_source: str
    fired: bool = False  #: a triggered burst has been triggered since it was armed
    arb: str = ""
    arbs: dict[str, list[float]] = field(default_factory=dict)

    @property
    def high(self) -> float:
        return self.offset + self.amplitude / 2

    @property
    def low(self) -> float:
        return self.offset - self.amplitude / 2
