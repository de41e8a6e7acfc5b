"""Simulated Keithley 2450 SourceMeter (SCPI command set): readings from the device under test,
source limits, ranges, reading buffers and list sweeps.

Behaviour modelled on the real instrument (2450 reference manual, SCPI command reference):

- ``:READ? "defbuffer1", READ, SOUR, REL, SOURSTAT`` makes one reading into the buffer and returns
  the elements asked for (``READ`` alone by default). Unlike the 2400, the 2450 does not switch the
  output on to read: with the output off it measures the output-off state (0 V).
- ``READ`` is the measured function (``:SENS:FUNC``), ``SOUR`` the source value (measured when
  source readback is on, the programmed level otherwise), ``REL`` the time since the buffer's
  first reading, ``SOURSTAT`` the source status word: output on (128), source limited by the
  limit (32, "compliance"), readback on (8).
- In compliance the reading clamps at the limit (``:SOUR:VOLT:ILIM`` / ``:SOUR:CURR:VLIM``, used
  by magnitude). A fixed measure range that the value exceeds by more than 5 % reads 9.9E+37.
- Ranges: setting a value selects the smallest range that holds it and switches autorange off;
  the range query answers the selected range. With a fixed source range a level beyond 105 % of
  it is refused (-222).
- List sweeps: ``:SOUR:LIST:<F>`` (``:APP`` to extend, at most 2500 points),
  ``:SOUR:SWE:<F>:LIST start, delay, count, failAbort, "buffer"`` builds the trigger model,
  ``:INIT`` runs it (switching the output on, as the sweep template does) and leaves the level at
  the last point; ``:TRAC:DATA? first, last, "buffer", elements…`` reads it back.
- Each reading takes ``NPLC / line frequency`` plus overhead on the bench clock, after the source
  delay (when not automatic) and, in a sweep, the sweep delay, during which the device under test
  sees the level.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import deque
from dataclasses import dataclass
from typing import Any

from labctl.errors import BenchError
from labctl.sim.instrument import (
    DATA_OUT_OF_RANGE,
    ILLEGAL_PARAMETER,
    SETTINGS_CONFLICT,
    command,
)
from labctl.sim.instruments.scpi_smu import ScpiSmuSim
from labctl.sim.scpi import Command, parse_number, short_form

#: Source status bits of a reading (``SOURSTAT``).
SOURCE_STATUS_READBACK = 8
SOURCE_STATUS_LIMITED = 32
SOURCE_STATUS_OUTPUT = 128
#: Measurement status bit: the reading came through the front terminals.
STATUS_FRONT_TERMINALS = 8
OVERFLOW = 9.9e37
READING_OVERHEAD = 0.002  # s per reading beyond the integration time
VOLTAGE_RANGES = (0.02, 0.2, 2.0, 20.0, 200.0)
CURRENT_RANGES = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0)
RESISTANCE_RANGES = (2.0, 20.0, 200.0, 2e3, 2e4, 2e5, 2e6, 2e7, 2e8)
OVERRANGE = 1.05  # a range holds values up to 105 % of its nominal value
MAX_LIST_POINTS = 2500
DEFAULT_BUFFER_SIZE = 100_000
MAX_BUFFER_SIZE = 6_875_000
BUFFERS = ("defbuffer1", "defbuffer2")
#: A photodiode's shunt resistance, Ω: what it looks like to an SMU apart from its photocurrent.
PHOTODIODE_SHUNT = 1e9
CONNECTIONS = ("dut", "photodiode", "none")
TOO_MUCH_DATA = (-223, "Too much data")
DATA_STALE = (-230, "Data corrupt or stale")

#: Boolean settings written as ON/OFF or 1/0: header → table property.
BOOLEAN_SETTINGS = {
    "SOUR:VOLT:RANG:AUTO": "source_voltage_range_auto",
    "SOUR:CURR:RANG:AUTO": "source_current_range_auto",
    "SOUR:VOLT:READ:BACK": "source_voltage_readback",
    "SOUR:CURR:READ:BACK": "source_current_readback",
    "SOUR:VOLT:DEL:AUTO": "source_voltage_delay_auto",
    "SOUR:CURR:DEL:AUTO": "source_current_delay_auto",
    "SENS:CURR:RANG:AUTO": "current_range_auto",
    "SENS:VOLT:RANG:AUTO": "voltage_range_auto",
    "SENS:RES:RANG:AUTO": "resistance_range_auto",
    "SENS:CURR:RSEN": "current_rsense",
    "SENS:VOLT:RSEN": "voltage_rsense",
    "SENS:RES:RSEN": "resistance_rsense",
}
#: Range settings: header → (range property, autorange property, available ranges).
RANGE_SETTINGS = {
    "SOUR:VOLT:RANG": ("source_voltage_range", "source_voltage_range_auto", VOLTAGE_RANGES),
    "SOUR:CURR:RANG": ("source_current_range", "source_current_range_auto", CURRENT_RANGES),
    "SENS:VOLT:RANG": ("voltage_range", "voltage_range_auto", VOLTAGE_RANGES),
    "SENS:CURR:RANG": ("current_range", "current_range_auto", CURRENT_RANGES),
    "SENS:RES:RANG": ("resistance_range", "resistance_range_auto", RESISTANCE_RANGES),
}
#: Buffer elements, by every spelling the 2450 accepts (short and long form).
ELEMENTS = {
    "READ": "READ", "READING": "READ",
    "SOUR": "SOUR", "SOURCE": "SOUR",
    "REL": "REL", "RELATIVE": "REL",
    "SOURSTAT": "SOURSTAT", "SOURSTATUS": "SOURSTAT",
    "STAT": "STAT", "STATUS": "STAT",
    "SEC": "SEC", "SECONDS": "SEC",
    "FRAC": "FRAC", "FRACTIONAL": "FRAC",
    "UNIT": "UNIT",
    "SOURUNIT": "SOURUNIT",
}
UNITS = {"CURR": "Amp DC", "VOLT": "Volt DC", "RES": "Ohm"}
_SUFFIX_ONE = re.compile(r"(^|:)(SOUR|SENS|OUTP)1(?=:|$)")


# ------------------------------------------------------------------- shared SMU physics
def pick_range(value: float, ranges: tuple[float, ...], headroom: float = 1.0) -> float:
    """The smallest range that holds ``|value|`` (up to ``headroom`` × nominal); the largest
    range if none does."""
    magnitude = abs(value)
    for candidate in ranges:
        if magnitude <= candidate * headroom * (1 + 1e-9):
            return candidate
    return ranges[-1]


def terminal_state(
    bench: Any, connection: str, function: str, level: float, limit: float
) -> tuple[float, float, bool]:
    """(V, I, limited) at an SMU's terminals, noise-free.

    The SMU sources ``function`` (``"VOLT"`` or ``"CURR"``) at ``level`` with the complementary
    ``limit`` (magnitude), into what ``connection`` names: ``dut`` (the bench's device under
    test), ``photodiode`` (the bench's photocurrent in parallel with a shunt resistance) or
    ``none`` (open terminals). In compliance the SMU becomes a source of the limit.
    """
    limit = abs(limit)
    if connection == "dut":
        dut = bench.dut
        if function == "VOLT":
            current = dut.current(level)
            if abs(current) > limit:
                target = math.copysign(limit, current)
                return dut.voltage_for_current(target, abs(level)), target, True
            return level, current, False
        voltage = dut.voltage_for_current(level, limit)
        if abs(voltage) >= limit * (1 - 1e-9):
            return voltage, dut.current(voltage), True
        return voltage, level, False
    if connection == "photodiode":
        photocurrent = bench.photodiode_current()
        if function == "VOLT":
            current = photocurrent + level / PHOTODIODE_SHUNT
            if abs(current) > limit:
                current = math.copysign(limit, current)
                return (current - photocurrent) * PHOTODIODE_SHUNT, current, True
            return level, current, False
        voltage = (level - photocurrent) * PHOTODIODE_SHUNT
        if abs(voltage) > limit:
            voltage = math.copysign(limit, voltage)
            return voltage, photocurrent + voltage / PHOTODIODE_SHUNT, True
        return voltage, level, False
    # Open terminals: no current flows; a current source runs to its voltage limit.
    if function == "VOLT" or level == 0:
        return (level if function == "VOLT" else 0.0), 0.0, False
    return math.copysign(limit, level), 0.0, True


def check_connection(value: Any, where: str) -> str:
    text = str(value)
    if text not in CONNECTIONS:
        raise BenchError(f"{where}: {text!r} is not one of {list(CONNECTIONS)}")
    return text


# ----------------------------------------------------------------------------- readings
@dataclass(frozen=True)
class BufferReading:
    """One reading as a 2450 reading buffer stores it."""

    reading: float  #: the measured function's value
    source: float  #: source value (measured with readback on, else programmed)
    time: float  #: s, on the bench clock, at the start of the measurement
    status: int  #: measurement status
    source_status: int  #: source status (SOURSTAT)
    function: str  #: measured function, VOLT, CURR or RES
    source_function: str  #: VOLT or CURR


@dataclass(frozen=True)
class SweepConfig:
    """The trigger model built by ``:SOUR:SWE:<F>:LIST``."""

    function: str
    start: int  #: 1-based index of the first list point
    delay: float  #: s between the source step and the measurement
    count: int  #: times the list is swept
    fail_abort: bool  #: stop at the first reading that hit the limit
    buffer: str


class ReadingBuffer:
    """A 2450 reading buffer: fills and then wraps (fill mode continuous)."""

    def __init__(self, capacity: int = DEFAULT_BUFFER_SIZE) -> None:
        self.readings: deque[BufferReading] = deque(maxlen=capacity)
        self.origin: float | None = None  #: time of the first reading since the last clear

    def clear(self) -> None:
        self.readings.clear()
        self.origin = None

    def append(self, reading: BufferReading) -> None:
        if self.origin is None:
            self.origin = reading.time
        self.readings.append(reading)

    def resize(self, capacity: int) -> None:
        self.readings = deque(maxlen=capacity)
        self.origin = None


class Keithley2450Sim(ScpiSmuSim):
    """The 2450 in its SCPI command set; see the module docstring."""

    optional_nodes = ("LEV", "IMM", "DC")

    def __init__(self, bench: Any, device: Any, resource_name: str, options: dict[str, Any]):
        super().__init__(bench, device, resource_name, options)
        self.line_frequency = float(self.options.get("line_frequency", 50.0))
        where = f"resources.{resource_name}.connection"
        self.connection = check_connection(self.options.get("connection", "dut"), where)
        self.buffers = {name: ReadingBuffer() for name in BUFFERS}
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.output = False
        self.source_function = "VOLT"
        self.sense_function = "CURR"
        self.front_terminals = True
        self.source_list: dict[str, list[float]] = {"VOLT": [], "CURR": []}
        self.sweep: SweepConfig | None = None
        self.sweep_level: float | None = None  # level while a sweep runs
        for buffer in self.buffers.values():
            buffer.resize(DEFAULT_BUFFER_SIZE)

    def respond(self, cmd: Command) -> bytes | None:
        # :SOURce1, :SENSe1 and :OUTPut1 are the same nodes as :SOURce, :SENSe, :OUTPut.
        header = _SUFFIX_ONE.sub(r"\1\2", cmd.header)
        if header != cmd.header:
            cmd = dataclasses.replace(cmd, header=header)
        return super().respond(cmd)

    # -- what the device under test sees -------------------------------------------------
    def dut_voltage(self) -> float | None:
        if not self.output or self.connection != "dut":
            return None
        return self._terminal_state()[0]

    def _level(self) -> float:
        if self.sweep_level is not None:
            return self.sweep_level
        return float(self.get(_level_property(self.source_function)))

    def _limit(self, function: str) -> float:
        if function == "VOLT":
            return max(abs(float(self.get("source_voltage_ilim"))), 1e-9)
        return max(abs(float(self.get("source_current_vlim"))), 1e-3)

    def _terminal_state(self) -> tuple[float, float, bool]:
        """(V, I, limited) now, without noise. With the output off the terminals are held at
        0 V (the 2450's "normal" output-off state) and nothing is limited."""
        if not self.output:
            voltage, current, _ = terminal_state(self.bench, self.connection, "VOLT", 0.0, 1.05)
            return voltage, current, False
        function = self.source_function
        voltage, current, limited = terminal_state(
            self.bench, self.connection, function, self._level(), self._limit(function)
        )
        return voltage, current, limited or self.faults.stuck_compliance

    # -- readings --------------------------------------------------------------------------
    def _measure(self) -> BufferReading:
        """One reading: wait for the source delay and the integration, then read the terminals."""
        function = self.source_function
        prefix = "source_voltage" if function == "VOLT" else "source_current"
        delay = 0.0 if int(self.get(f"{prefix}_delay_auto")) else float(self.get(f"{prefix}_delay"))
        nplc_name = {"CURR": "current_nplc", "VOLT": "voltage_nplc", "RES": "resistance_nplc"}
        nplc = float(self.get(nplc_name[self.sense_function]))
        clock = self.bench.clock
        clock.advance(delay)
        start = clock.now()
        clock.advance(nplc / self.line_frequency + READING_OVERHEAD)
        voltage, current, limited = self._terminal_state()
        bench = self.bench
        v_range = self._measure_range("VOLT", voltage)
        i_range = self._measure_range("CURR", current)
        voltage = bench.noisy(voltage, 2e-5, 2e-6 * v_range)
        current = bench.noisy(current, 1e-4, 2e-6 * i_range)
        measured = {"VOLT": voltage, "CURR": current}
        if self.sense_function == "RES":
            reading = voltage / current if current else OVERFLOW
        else:
            reading = measured[self.sense_function]
            ranged = v_range if self.sense_function == "VOLT" else i_range
            if abs(reading) > OVERRANGE * ranged:
                reading = OVERFLOW
        readback = int(self.get(f"{prefix}_readback"))
        source = measured[function] if readback else self._level()
        source_status = (
            (SOURCE_STATUS_OUTPUT if self.output else 0)
            | (SOURCE_STATUS_LIMITED if limited else 0)
            | (SOURCE_STATUS_READBACK if readback else 0)
        )
        status = STATUS_FRONT_TERMINALS if self.front_terminals else 0
        return BufferReading(reading, source, start, status, source_status,
                             self.sense_function, function)

    def _measure_range(self, function: str, value: float) -> float:
        """The measure range in use for ``function``; autorange follows the value. While a
        function is sourced, its measurement uses the source range."""
        if function == self.source_function:
            name = "source_voltage_range" if function == "VOLT" else "source_current_range"
            return float(self.get(name))
        name, auto, ranges = RANGE_SETTINGS[f"SENS:{function}:RANG"]
        if int(self.get(auto)):
            self.set(name, pick_range(value, ranges, OVERRANGE))
        return float(self.get(name))

    def _store(self, reading: BufferReading, buffer: str = "defbuffer1") -> None:
        self.buffers[buffer].append(reading)

    def _format(self, reading: BufferReading, elements: list[str], buffer: ReadingBuffer) -> str:
        origin = buffer.origin if buffer.origin is not None else reading.time
        values: dict[str, float | str] = {
            "READ": reading.reading,
            "SOUR": reading.source,
            "REL": reading.time - origin,
            "SOURSTAT": float(reading.source_status),
            "STAT": float(reading.status),
            "SEC": float(math.floor(reading.time)),
            "FRAC": reading.time - math.floor(reading.time),
            "UNIT": UNITS[reading.function],
            "SOURUNIT": UNITS[reading.source_function],
        }
        return ",".join(
            v if isinstance(v, str) else f"{v:+.6E}" for v in (values[e] for e in elements)
        )

    def _buffer_and_elements(self, args: tuple[str, ...]) -> tuple[str, list[str]]:
        """``"buffer", ELEM, ...`` → (buffer name, canonical elements); READ by default."""
        buffer, rest = "defbuffer1", list(args)
        if rest and rest[0][:1] in "'\"":
            buffer = rest.pop(0).strip("'\"")
        if buffer not in self.buffers:
            raise ValueError(f"no reading buffer {buffer!r}")
        elements = []
        for name in rest or ["READ"]:
            if name.upper() not in ELEMENTS:
                raise ValueError(f"unknown buffer element {name!r}")
            elements.append(ELEMENTS[name.upper()])
        return buffer, elements

    @command("READ?", "MEAS?", "MEAS:CURR?", "MEAS:VOLT?", "MEAS:RES?")
    def _read(self, cmd: Command) -> str | None:
        try:
            buffer, elements = self._buffer_and_elements(cmd.args)
        except ValueError:
            self.push_error(*ILLEGAL_PARAMETER)
            return None
        if cmd.header.startswith("MEAS:"):
            self.sense_function = cmd.header.split(":")[1]
        reading = self._measure()
        self._store(reading, buffer)
        return self._format(reading, elements, self.buffers[buffer])

    @command("FETC?")
    def _fetch(self, cmd: Command) -> str | None:
        try:
            buffer, elements = self._buffer_and_elements(cmd.args)
        except ValueError:
            self.push_error(*ILLEGAL_PARAMETER)
            return None
        stored = self.buffers[buffer]
        if not stored.readings:
            self.push_error(*DATA_STALE)
            return None
        return self._format(stored.readings[-1], elements, stored)

    # -- buffers ---------------------------------------------------------------------------
    @command("TRAC:DATA?")
    def _trace_data(self, cmd: Command) -> str | None:
        first, last = _integer(cmd.arg(0)), _integer(cmd.arg(1))
        try:
            buffer, elements = self._buffer_and_elements(cmd.args[2:])
        except ValueError:
            self.push_error(*ILLEGAL_PARAMETER)
            return None
        stored = self.buffers[buffer]
        if not 1 <= first <= last <= len(stored.readings):
            self.push_error(*DATA_OUT_OF_RANGE)
            return None
        readings = list(stored.readings)[first - 1 : last]
        return ",".join(self._format(r, elements, stored) for r in readings)

    @command("TRAC:CLE")
    def _trace_clear(self, cmd: Command) -> None:
        name = cmd.arg(0, '"defbuffer1"').strip("'\"")
        if name not in self.buffers:
            self.push_error(*ILLEGAL_PARAMETER)
            return
        self.buffers[name].clear()

    @command("TRAC:ACT?", "TRAC:ACT:END?")
    def _trace_count(self, cmd: Command) -> str:
        name = cmd.arg(0, '"defbuffer1"').strip("'\"")
        return str(len(self.buffers[name].readings)) if name in self.buffers else "0"

    @command("TRAC:ACT:STAR?")
    def _trace_start(self, cmd: Command) -> str:
        name = cmd.arg(0, '"defbuffer1"').strip("'\"")
        return "1" if self.buffers.get(name) and self.buffers[name].readings else "0"

    @command("TRAC:POIN")
    def _trace_points(self, cmd: Command) -> None:
        size = _integer(cmd.arg(0))
        name = cmd.arg(1, '"defbuffer1"').strip("'\"")
        if not 1 <= size <= MAX_BUFFER_SIZE or name not in self.buffers:
            raise ValueError(size)
        self.buffers[name].resize(size)

    @command("TRAC:POIN?")
    def _trace_points_query(self, cmd: Command) -> str:
        name = cmd.arg(0, '"defbuffer1"').strip("'\"")
        buffer = self.buffers.get(name)
        return str(buffer.readings.maxlen if buffer else 0)

    # -- list sweeps -----------------------------------------------------------------------
    @command("SOUR:LIST:VOLT", "SOUR:LIST:CURR", "SOUR:LIST:VOLT:APP", "SOUR:LIST:CURR:APP")
    def _list(self, cmd: Command) -> None:
        nodes = cmd.header.split(":")
        function = nodes[2]
        limit = 210.0 if function == "VOLT" else 1.05
        values = [parse_number(a) for a in cmd.args]
        if not values:
            raise IndexError("empty list")
        if any(abs(v) > limit for v in values):
            raise ValueError(values)
        listed = self.source_list[function] if nodes[-1] == "APP" else []
        if len(listed) + len(values) > MAX_LIST_POINTS:
            self.push_error(*TOO_MUCH_DATA)
            return
        self.source_list[function] = listed + values

    @command("SOUR:LIST:VOLT?", "SOUR:LIST:CURR?")
    def _list_query(self, cmd: Command) -> str:
        return ",".join(f"{v:+.6E}" for v in self.source_list[cmd.header.split(":")[-1]])

    @command("SOUR:LIST:VOLT:POIN?", "SOUR:LIST:CURR:POIN?")
    def _list_points(self, cmd: Command) -> str:
        return str(len(self.source_list[cmd.header.split(":")[-2]]))

    @command("SOUR:SWE:VOLT:LIST", "SOUR:SWE:CURR:LIST")
    def _sweep_list(self, cmd: Command) -> None:
        function = cmd.header.split(":")[2]
        points = self.source_list[function]
        start = _integer(cmd.arg(0))
        delay = parse_number(cmd.arg(1, "0"))
        count = _integer(cmd.arg(2, "1"))
        fail_abort = cmd.arg(3, "ON").upper() in ("ON", "1")
        buffer = cmd.arg(4, '"defbuffer1"').strip("'\"")
        if function != self.source_function or not points:
            self.push_error(*SETTINGS_CONFLICT)
            return
        delay_ok = delay == 0 or 50e-6 <= delay <= 10e3
        if not (1 <= start <= len(points) and delay_ok and count >= 1 and buffer in self.buffers):
            raise ValueError(cmd.args)
        self.sweep = SweepConfig(function, start, delay, count, fail_abort, buffer)

    @command("INIT")
    def _initiate(self, cmd: Command) -> None:
        sweep = self.sweep
        if sweep is None:
            # The empty trigger model makes one reading into defbuffer1.
            self._store(self._measure())
            return
        points = self.source_list[sweep.function][sweep.start - 1 :]
        if sweep.function != self.source_function or not points:
            self.push_error(*SETTINGS_CONFLICT)
            return
        self.output = True  # the sweep template's first block switches the output on
        try:
            level = self._run_sweep(sweep, points)
        finally:
            self.sweep_level = None
        # Recalling each configuration-list point leaves the level at the last one recalled.
        self.set(_level_property(sweep.function), level)
        self._follow_source_range()

    def _run_sweep(self, sweep: SweepConfig, points: list[float]) -> float:
        """Step through ``points`` ``sweep.count`` times into the buffer; the last level."""
        clock = self.bench.clock
        for _ in range(sweep.count):
            for level in points:
                self.sweep_level = level
                clock.advance(sweep.delay)  # the device sees the new level during the delay
                reading = self._measure()
                self._store(reading, sweep.buffer)
                if sweep.fail_abort and reading.source_status & SOURCE_STATUS_LIMITED:
                    return level
        return points[-1]

    # -- settings with side effects ----------------------------------------------------------
    @command("SOUR:VOLT", "SOUR:CURR")
    def _source_level(self, cmd: Command) -> None:
        function = cmd.header.split(":")[1]
        name = _level_property(function)
        value = parse_number(cmd.arg())
        range_name, auto_name, _ = RANGE_SETTINGS[f"SOUR:{function}:RANG"]
        fixed = not int(self.get(auto_name))
        if fixed and abs(value) > OVERRANGE * float(self.get(range_name)) * (1 + 1e-9):
            raise ValueError(f"{value} exceeds the fixed source range")
        self.set(name, value)  # ValueError beyond the instrument's limits → -222
        self._follow_source_range()

    def _follow_source_range(self) -> None:
        """With source autorange on, the source range follows the programmed level."""
        for function in ("VOLT", "CURR"):
            range_name, auto_name, ranges = RANGE_SETTINGS[f"SOUR:{function}:RANG"]
            if int(self.get(auto_name)):
                level = float(self.get(_level_property(function)))
                self.set(range_name, pick_range(level, ranges, OVERRANGE))

    @command(*RANGE_SETTINGS)
    def _range(self, cmd: Command) -> None:
        range_name, auto_name, ranges = RANGE_SETTINGS[cmd.header]
        value = parse_number(cmd.arg())
        self.set(range_name, value)  # ValueError outside the table's limits → -222
        self.set(range_name, pick_range(value, ranges))
        self.set(auto_name, 0)

    @command(*BOOLEAN_SETTINGS)
    def _boolean(self, cmd: Command) -> None:
        self.set(BOOLEAN_SETTINGS[cmd.header], int(cmd.bool_arg()))
        self._follow_source_range()

    @command("SENS:FUNC", "SENS:FUNC:ON")
    def _sense_function(self, cmd: Command) -> None:
        names = [short_form(arg.strip("'\"").split(":")[0]) for arg in cmd.args]
        if len(names) != 1 or names[0] not in ("VOLT", "CURR", "RES"):
            raise ValueError(cmd.args)
        self.sense_function = names[0]

    @command("SENS:FUNC?", "SENS:FUNC:ON?")
    def _sense_function_query(self, cmd: Command) -> str:
        return f'"{self.sense_function}:DC"' if self.sense_function != "RES" else '"RES"'

    @command("SOUR:VOLT:ILIM:TRIP?", "SOUR:CURR:VLIM:TRIP?")
    def _limit_tripped(self, cmd: Command) -> str:
        function = cmd.header.split(":")[1]
        limited = function == self.source_function and self._terminal_state()[2]
        return "1" if limited else "0"

    @command("ROUT:TERM")
    def _terminals(self, cmd: Command) -> None:
        where = short_form(cmd.arg())
        if where not in ("FRON", "REAR"):
            raise ValueError(where)
        self.front_terminals = where == "FRON"

    @command("ROUT:TERM?")
    def _terminals_query(self, cmd: Command) -> str:
        return "FRON" if self.front_terminals else "REAR"

    @command("SYST:ERR:COUN?")
    def _error_count(self, cmd: Command) -> str:
        return str(len(self.errors))

    @command("SYST:CLE")
    def _clear_errors(self, cmd: Command) -> None:
        self.errors.clear()

    @command("ABOR", "*TRG", "STAT:PRES", "STAT:CLE", "SYST:BEEP", "DISP:CLE", "SYST:LOC")
    def _accepted(self, cmd: Command) -> None:
        """Accepted without effect: the simulated trigger model is never left running, and
        status registers, beeper and display are not modelled."""


def _level_property(function: str) -> str:
    return "source_voltage" if function == "VOLT" else "source_current"


def _integer(text: str) -> int:
    """An integer argument; ValueError (-222) for fractions, INF and NAN."""
    value = parse_number(text)
    if not math.isfinite(value) or not value.is_integer():
        raise ValueError(f"{text!r} is not an integer")
    return int(value)
