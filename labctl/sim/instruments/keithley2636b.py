"""Simulated Keithley 2636B dual-channel System SourceMeter (TSP).

Each message is a TSP chunk, run by the small interpreter of :mod:`labctl.sim.instruments.tsp`
over this object model (2600B reference manual, TSP command reference):

- ``smua``/``smub``: ``source.{func, levelv, leveli, limitv, limiti, rangev, rangei, autorangev,
  autorangei, output, offmode, compliance}``, ``measure.{nplc, rangev, rangei, autorangev,
  autorangei, autozero, delay}`` and ``measure.{i, v, iv, r, p}()``, ``nvbuffer1``/``nvbuffer2``
  (``n``, ``capacity``, ``clear()``, ``readings``, ``timestamps``, ``statuses``,
  ``sourcevalues``), ``reset()`` and the numeric constants (``OUTPUT_DCVOLTS`` …). Plain
  attributes and their limits come from ``instruments/keithley2636b.yaml``; a value outside
  them is refused with -222.
- ``print``, ``printbuffer``, ``printnumber``, ``string.format``, ``tostring``, ``tonumber``,
  ``table.getn``/``insert``, ``math``, ``errorqueue.{count, next(), clear()}``,
  ``timer.measure.t()``, ``timer.reset()``, ``localnode.linefreq``, ``format.asciiprecision``,
  ``delay()``, ``waitcomplete()``, ``reset()``, and ``*IDN?``, ``*RST``, ``*CLS``, ``*OPC?``.
- ``loadscript name`` … ``endscript`` stores a script, ``name()`` or ``name.run()`` runs it: its
  top-level statements execute (``labctl_version = "…"``) and the functions it defines are bound
  to the Python helpers below (:class:`~labctl.sim.instruments.tsp.ScriptRunner`).

The helpers reproduce ``labctl.drivers.keithley2636b_scripts``: ``labctl_extend``,
``labctl_list_sweep`` (a trigger-model list sweep into ``nvbuffer1``/``nvbuffer2`` with a dwell
from each source step to the reading), ``labctl_pulse_sweep`` (pulses of ``width`` once per
``period`` over ``bias``, read so that the reading ends 60 µs before the pulse does; between
pulses the device under test sees the bias, so slow ion migration follows the duty-cycle average,
not the pulse level) and ``labctl_print_buffer``.

Channels are wired by the resource's ``channels:`` option (``dut``, ``photodiode`` or ``none``,
default ``{a: dut, b: none}``). In compliance a reading clamps at the limit and
``source.compliance`` is true; buffer statuses carry 0x40. Each reading advances the bench clock
by ``NPLC / line frequency`` plus overhead, and ``timer.measure.t()`` reads that clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labctl.errors import BenchError
from labctl.sim.instrument import SimInstrument
from labctl.sim.instruments.keithley2450 import check_connection, pick_range, terminal_state
from labctl.sim.instruments.tsp import (
    Interpreter,
    LuaTable,
    Script,
    ScriptRunner,
    TspError,
    TspObject,
    TspRuntimeError,
    check_blocks,
    format_number,
    lua_format,
    lua_tostring,
)

CHANNELS = ("a", "b")
DEFAULT_WIRING = {"a": "dut", "b": "none"}
#: Channel constants (2600B reference manual); the attribute values are these numbers.
CONSTANTS = {
    "OUTPUT_DCAMPS": 0, "OUTPUT_DCVOLTS": 1,
    "OUTPUT_OFF": 0, "OUTPUT_ON": 1, "OUTPUT_HIGH_Z": 2,
    "OUTPUT_NORMAL": 0, "OUTPUT_ZERO": 2,
    "AUTORANGE_OFF": 0, "AUTORANGE_ON": 1, "AUTORANGE_FOLLOW_LIMIT": 2,
    "AUTOZERO_OFF": 0, "AUTOZERO_ONCE": 1, "AUTOZERO_AUTO": 2,
    "DISABLE": 0, "ENABLE": 1,
    "SOURCE_IDLE": 0, "SOURCE_HOLD": 1,
    "SENSE_LOCAL": 0, "SENSE_REMOTE": 1, "SENSE_CALA": 3,
    "DELAY_OFF": 0, "DELAY_AUTO": -1,
}
#: Buffer status bits (2600B ``bufferVar.statuses``).
STATUS_MEASURE_AUTORANGED = 0x04
STATUS_COMPLIANCE = 0x40
OVERFLOW = 9.91e37
VOLTAGE_RANGES = (0.2, 2.0, 20.0, 200.0)
SOURCE_CURRENT_RANGES = (1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 1.5)
MEASURE_CURRENT_RANGES = (1e-10, *SOURCE_CURRENT_RANGES)
OVERRANGE = 1.01  # a 2600B range sources and measures to 101 % of its nominal value
READING_OVERHEAD = 0.001  # s per reading beyond the integration time
#: Readings a dedicated buffer holds, by how many of timestamps and source values it collects
#: (the 2636B holds more than 140 000 plain readings, more than 60 000 with timestamps).
BUFFER_CAPACITY = {0: 140_000, 1: 60_000, 2: 50_000}
PULSE_MEASURE_MARGIN = 60e-6  # s from the end of a pulse reading to the end of the pulse
ERROR_SEVERITY = 20.0  # RECOVERABLE
NODE = 1.0


class OutOfRangeError(TspError):
    """An attribute value outside the instrument's limits."""

    code = -222

    @property
    def text(self) -> str:
        return "Parameter data out of range"


# --------------------------------------------------------------------------------- buffers
@dataclass(frozen=True)
class BufferEntry:
    """One stored reading of a dedicated buffer."""

    reading: float
    time: float  #: s, bench clock, at the start of the measurement
    status: float
    source_value: float


class TspBuffer:
    """A dedicated reading buffer (``smua.nvbuffer1``)."""

    def __init__(self, channel: SmuChannel, name: str) -> None:
        self.channel = channel
        self.name = name
        self.entries: list[BufferEntry] = []
        self.object = self._tsp_object()

    def capacity(self) -> int:
        collected = sum(
            int(self.channel.get(f"{self.name}.{flag}"))
            for flag in ("collecttimestamps", "collectsourcevalues")
        )
        return BUFFER_CAPACITY[collected]

    def clear(self) -> None:
        self.entries = []

    def append(self, entry: BufferEntry) -> None:
        # A full buffer takes no more readings; the sweep helpers check the capacity first.
        if len(self.entries) < self.capacity():
            self.entries.append(entry)

    def column(self, what: str) -> list[float]:
        if what == "readings":
            return [e.reading for e in self.entries]
        if what == "timestamps":
            # Relative to the buffer's first reading (its base timestamp).
            base = self.entries[0].time if self.entries else 0.0
            return [e.time - base for e in self.entries]
        if what == "statuses":
            return [e.status for e in self.entries]
        return [e.source_value for e in self.entries]

    def _tsp_object(self) -> TspObject:
        prefix = f"{self.channel.node}.{self.name}"
        attributes: dict[str, tuple[Callable[[], Any], Callable[[Any], None] | None]] = {
            "n": (lambda: float(len(self.entries)), None),
            "capacity": (lambda: float(self.capacity()), None),
            "basetimestamp": (
                lambda: self.entries[0].time if self.entries else 0.0, None
            ),
        }
        for flag in ("collecttimestamps", "collectsourcevalues", "appendmode"):
            name = f"{self.name}.{flag}"
            attributes[flag] = self.channel.attribute(name)
        members: dict[str, Any] = {"clear": self.clear, "clearcache": lambda: None}
        for what in ("readings", "timestamps", "statuses", "sourcevalues"):
            members[what] = BufferColumn(f"{prefix}.{what}", self, what)
        return TspObject(prefix, members, attributes)


class BufferColumn(TspObject):
    """``smua.nvbuffer1.readings`` and its siblings: indexable from 1, and what ``printbuffer``
    prints."""

    def __init__(self, name: str, buffer: TspBuffer, what: str) -> None:
        super().__init__(name, index=self._item)
        self.buffer = buffer
        self.what = what

    def values(self) -> list[float]:
        return self.buffer.column(self.what)

    def _item(self, key: float) -> float | None:
        values = self.values()
        position = int(key) - 1
        return values[position] if key.is_integer() and 0 <= position < len(values) else None


class ChannelObject(TspObject):
    """``smua``/``smub``: the TSP face of a :class:`SmuChannel`."""

    def __init__(self, channel: SmuChannel, members: dict[str, Any], attributes: Any) -> None:
        super().__init__(channel.node, members, attributes)
        self.channel = channel


class ScriptObject(TspObject):
    """A loaded script: calling it (``labctlSweep()``) or ``.run()`` runs it."""

    def __init__(self, name: str, run: Callable[[], None]) -> None:
        super().__init__(name, {"run": run})
        self._run = run

    def __call__(self, *args: Any) -> None:
        self._run()


# -------------------------------------------------------------------------------- channels
@dataclass(frozen=True)
class Measurement:
    """One reading of both current and voltage, as ``measure.iv()`` makes it."""

    current: float
    voltage: float
    time: float  #: s, bench clock, at the start of the integration
    limited: bool
    status: float


class SmuChannel:
    """One SMU channel: its settings live in the instrument's table under ``smua.``/``smub.``."""

    def __init__(self, instrument: Keithley2636BSim, letter: str, connection: str) -> None:
        self.instrument = instrument
        self.node = f"smu{letter}"
        self.connection = connection
        self.buffers = {name: TspBuffer(self, name) for name in ("nvbuffer1", "nvbuffer2")}
        self.sweep_level: float | None = None  # level while a sweep or pulse train runs
        self.last_current_range: float | None = None
        self.object = self._build_object()

    # -- settings ----------------------------------------------------------------------------
    def get(self, name: str) -> Any:
        return self.instrument.get(f"{self.node}.{name}")

    def put(self, name: str, value: Any) -> None:
        """Store a setting, checked against the table's limits (-222 when outside)."""
        if isinstance(value, bool) or not isinstance(value, float | int):
            raise TspRuntimeError(f"{self.node}.{name}: number expected, got {value!r}")
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # enum attributes are stored as integers
        try:
            self.instrument.set(f"{self.node}.{name}", value)
        except ValueError:
            raise OutOfRangeError(f"{self.node}.{name} = {value}") from None

    def attribute(self, name: str) -> tuple[Callable[[], Any], Callable[[Any], None]]:
        """(getter, setter) of a plain table attribute, numbers as Lua floats."""
        return (lambda: float(self.get(name)), lambda value: self.put(name, value))

    def reset(self) -> None:
        prefix = f"{self.node}."
        for name, value in self.instrument.defaults.items():
            if name.startswith(prefix):
                self.instrument.set(name, value)
        for buffer in self.buffers.values():
            buffer.clear()
        self.sweep_level = None
        self.last_current_range = None

    # -- source ------------------------------------------------------------------------------
    @property
    def function(self) -> str:
        return "VOLT" if int(self.get("source.func")) == 1 else "CURR"

    @property
    def output(self) -> bool:
        return int(self.get("source.output")) == 1

    def level(self) -> float:
        if self.sweep_level is not None:
            return self.sweep_level
        return float(self.get("source.levelv" if self.function == "VOLT" else "source.leveli"))

    def limit(self) -> float:
        return float(self.get("source.limiti" if self.function == "VOLT" else "source.limitv"))

    def set_level(self, level: float) -> None:
        suffix = "v" if self.function == "VOLT" else "i"
        self.set_source_level(suffix, level)

    def set_source_level(self, suffix: str, level: float) -> None:
        """``source.levelv``/``leveli``: within the instrument's limits and a fixed range."""
        if not isinstance(level, float) or isinstance(level, bool):
            raise TspRuntimeError(f"{self.node}.source.level{suffix}: number expected")
        if not int(self.get(f"source.autorange{suffix}")):
            fixed = float(self.get(f"source.range{suffix}"))
            if abs(level) > OVERRANGE * fixed * (1 + 1e-9):
                raise OutOfRangeError(f"{self.node}.source.level{suffix} beyond the range")
        self.put(f"source.level{suffix}", level)
        self.follow_source_range()

    def set_range(self, kind: str, suffix: str, value: float) -> None:
        """``source.rangev`` etc.: the smallest range holding ``value``; autorange off."""
        self.put(f"{kind}.range{suffix}", value)  # limits of the table
        if suffix == "v":
            ranges = VOLTAGE_RANGES
        else:
            ranges = SOURCE_CURRENT_RANGES if kind == "source" else MEASURE_CURRENT_RANGES
        if abs(value) > ranges[-1] * (1 + 1e-9):
            raise OutOfRangeError(f"{self.node}.{kind}.range{suffix} = {value}")
        self.put(f"{kind}.range{suffix}", pick_range(value, ranges))
        self.put(f"{kind}.autorange{suffix}", 0)

    def set_autorange(self, kind: str, suffix: str, value: float) -> None:
        self.put(f"{kind}.autorange{suffix}", value)
        self.follow_source_range()

    def follow_source_range(self) -> None:
        """With source autorange on, the source range follows the programmed level."""
        for suffix, ranges in (("v", VOLTAGE_RANGES), ("i", SOURCE_CURRENT_RANGES)):
            if int(self.get(f"source.autorange{suffix}")):
                level = float(self.get(f"source.level{suffix}"))
                self.put(f"source.range{suffix}", pick_range(level, ranges, OVERRANGE))

    # -- the terminals -------------------------------------------------------------------------
    def terminal_state(self) -> tuple[float, float, bool]:
        """(V, I, limited) now, noise-free. Output off (normal off mode) holds 0 V; high-Z
        leaves the terminals open."""
        bench = self.instrument.bench
        if int(self.get("source.output")) == CONSTANTS["OUTPUT_HIGH_Z"]:
            return 0.0, 0.0, False  # the output relay is open
        if not self.output:
            voltage, current, _ = terminal_state(bench, self.connection, "VOLT", 0.0, 1.5)
            return voltage, current, False
        voltage, current, limited = terminal_state(
            bench, self.connection, self.function, self.level(), self.limit()
        )
        return voltage, current, limited or self.instrument.faults.stuck_compliance

    def in_compliance(self) -> bool:
        return self.terminal_state()[2]

    def measure(self, *, overhead: float = READING_OVERHEAD) -> Measurement:
        """One reading of current and voltage: wait, integrate, read the terminals."""
        instrument = self.instrument
        clock = instrument.bench.clock
        delay = float(self.get("measure.delay"))
        if delay > 0:
            clock.advance(delay)
        start = clock.now()
        clock.advance(float(self.get("measure.nplc")) / instrument.line_frequency + overhead)
        voltage, current, limited = self.terminal_state()
        status = STATUS_COMPLIANCE if limited else 0
        i_range, autoranged = self._current_range(current)
        v_range = self._voltage_range(voltage)
        if autoranged:
            status |= STATUS_MEASURE_AUTORANGED
        bench = instrument.bench
        current = bench.noisy(current, 5e-5, max(1e-6 * i_range, 2e-16))
        voltage = bench.noisy(voltage, 2e-5, 2e-6 * v_range)
        if abs(current) > OVERRANGE * i_range:
            current = OVERFLOW
        if abs(voltage) > OVERRANGE * v_range:
            voltage = OVERFLOW
        return Measurement(current, voltage, start, limited, float(status))

    def _current_range(self, current: float) -> tuple[float, bool]:
        """The current range of this reading and whether autorange changed it."""
        if self.function == "CURR":
            return float(self.get("source.rangei")), False
        if int(self.get("measure.autorangei")):
            self.put("measure.rangei", pick_range(current, MEASURE_CURRENT_RANGES, OVERRANGE))
        chosen = float(self.get("measure.rangei"))
        changed = self.last_current_range is not None and chosen != self.last_current_range
        self.last_current_range = chosen
        return chosen, changed and bool(int(self.get("measure.autorangei")))

    def _voltage_range(self, voltage: float) -> float:
        if self.function == "VOLT":
            return float(self.get("source.rangev"))
        if int(self.get("measure.autorangev")):
            self.put("measure.rangev", pick_range(voltage, VOLTAGE_RANGES, OVERRANGE))
        return float(self.get("measure.rangev"))

    def record(self, measurement: Measurement, buffers: tuple[Any, ...]) -> None:
        """Store a reading's current in the first buffer given and its voltage in the second."""
        for buffer_object, value in zip(
            buffers, (measurement.current, measurement.voltage), strict=False
        ):
            buffer = self._buffer(buffer_object)
            buffer.append(BufferEntry(value, measurement.time, measurement.status, self.level()))

    def _buffer(self, value: Any) -> TspBuffer:
        for buffer in self.buffers.values():
            if value is buffer.object:
                return buffer
        raise TspRuntimeError(f"{self.node}.measure: a reading buffer of {self.node} expected")

    # -- the TSP object ------------------------------------------------------------------------
    def _build_object(self) -> TspObject:
        node = self.node
        source_attributes = {
            name: self.attribute(f"source.{name}")
            for name in ("func", "limitv", "limiti", "output", "offmode")
        }
        measure_attributes = {
            name: self.attribute(f"measure.{name}") for name in ("nplc", "autozero", "delay")
        }
        for suffix in ("v", "i"):
            source_attributes[f"level{suffix}"] = (
                self.attribute(f"source.level{suffix}")[0],
                lambda value, s=suffix: self.set_source_level(s, value),
            )
            # Ranges pick the range that holds the value; both switch autorange.
            for kind, attributes in (("source", source_attributes),
                                     ("measure", measure_attributes)):
                attributes[f"range{suffix}"] = (
                    self.attribute(f"{kind}.range{suffix}")[0],
                    lambda value, k=kind, s=suffix: self.set_range(k, s, value),
                )
                attributes[f"autorange{suffix}"] = (
                    self.attribute(f"{kind}.autorange{suffix}")[0],
                    lambda value, k=kind, s=suffix: self.set_autorange(k, s, value),
                )
        source_attributes["compliance"] = (self.in_compliance, None)
        measure_members = {
            "i": lambda *buffers: self._measure_one(buffers, "i"),
            "v": lambda *buffers: self._measure_one(buffers, "v"),
            "r": lambda *buffers: self._measure_one(buffers, "r"),
            "p": lambda *buffers: self._measure_one(buffers, "p"),
            "iv": self._measure_iv,
        }
        members: dict[str, Any] = {name: float(value) for name, value in CONSTANTS.items()}
        members.update(
            source=TspObject(f"{node}.source", attributes=source_attributes),
            measure=TspObject(f"{node}.measure", measure_members, measure_attributes),
            reset=self.reset,
            **{name: buffer.object for name, buffer in self.buffers.items()},
        )
        return ChannelObject(self, members, {"sense": self.attribute("sense")})

    def _measure_one(self, buffers: tuple[Any, ...], what: str) -> float:
        measurement = self.measure()
        value = {
            "i": measurement.current,
            "v": measurement.voltage,
            "r": measurement.voltage / measurement.current if measurement.current else OVERFLOW,
            "p": measurement.voltage * measurement.current,
        }[what]
        if buffers:
            entry = BufferEntry(value, measurement.time, measurement.status, self.level())
            self._buffer(buffers[0]).append(entry)
        return value

    def _measure_iv(self, *buffers: Any) -> tuple[float, float]:
        measurement = self.measure()
        self.record(measurement, buffers)
        return measurement.current, measurement.voltage


# ------------------------------------------------------------------------------ instrument
class Keithley2636BSim(SimInstrument):
    """The 2636B; see the module docstring."""

    def __init__(self, bench: Any, device: Any, resource_name: str, options: dict[str, Any]):
        super().__init__(bench, device, resource_name, options)
        self.line_frequency = float(self.options.get("line_frequency", 50.0))
        wiring = dict(DEFAULT_WIRING)
        given = self.options.get("channels") or {}
        if not isinstance(given, dict) or set(map(str, given)) - set(CHANNELS):
            raise BenchError(
                f"resources.{resource_name}.channels: expected a mapping of {list(CHANNELS)} "
                f"to one of dut, photodiode, none; got {given!r}"
            )
        for letter, connection in given.items():
            where = f"resources.{resource_name}.channels.{letter}"
            wiring[str(letter)] = check_connection(connection, where)
        self.channels = {
            letter: SmuChannel(self, letter, wiring[letter]) for letter in CHANNELS
        }
        self.timer_origin = 0.0
        self.loading: Script | None = None
        self.run_after_loading = False
        self.globals: dict[str, Any] = {}
        self.interpreter = Interpreter(self.globals)
        self.globals.update(self._builtins())
        self.script_runner = ScriptRunner(self.interpreter, self._helpers())
        self.reset()

    def reset(self) -> None:
        """``*RST`` and ``reset()``: every channel to its defaults; globals and scripts stay."""
        super().reset()
        for channel in self.channels.values():
            channel.reset()
        self.interpreter.precision = 6

    # -- what the device under test sees -------------------------------------------------
    def dut_voltage(self) -> float | None:
        for channel in self.channels.values():
            if channel.connection == "dut" and channel.output:
                return channel.terminal_state()[0]
        return None

    # -- messages ------------------------------------------------------------------------
    def process(self, message: str) -> bytes | None:
        with self.bench.lock:
            # TSP queries are print statements, not '?': count them for the timeout faults.
            if "print" in message and "?" not in message and self.loading is None:
                self.faults.queries += 1
            return super().process(message)

    def respond_all(self, message: str) -> list[bytes | None]:
        text = message.strip()
        if self.loading is not None:
            self._collect_script_line(message, text)
            return []
        if text.startswith("*"):
            return super().respond_all(message)
        words = text.split()
        if words and words[0] in ("loadscript", "loadandrunscript"):
            name = words[1] if len(words) > 1 else "anonymous"
            self.loading = Script(name, [])
            self.run_after_loading = words[0] == "loadandrunscript"
            return []
        if not text:
            return []
        try:
            lines = self.interpreter.run(text)
        except TspError as exc:
            self.push_error(exc.code, exc.text)
            return []
        except (ArithmeticError, ValueError, TypeError, IndexError) as exc:
            # Whatever else goes wrong while a chunk runs is a Lua run-time error to the client.
            self.push_error(TspRuntimeError.code, TspRuntimeError(str(exc)).text)
            return []
        return ["\n".join(lines).encode("latin-1")] if lines else []

    def _collect_script_line(self, message: str, text: str) -> None:
        script = self.loading
        assert script is not None
        if text != "endscript":
            script.lines.append(message)
            return
        self.loading = None
        try:
            check_blocks(script.lines)
        except TspError as exc:
            self.push_error(exc.code, exc.text)
            return
        self.globals[script.name] = ScriptObject(script.name, lambda: self._run_script(script))
        if self.run_after_loading:
            self._run_script(script)

    def _run_script(self, script: Script) -> None:
        try:
            self.script_runner.run(script)
        except TspError as exc:
            self.push_error(exc.code, exc.text)

    # -- globals -------------------------------------------------------------------------
    def _builtins(self) -> dict[str, Any]:
        interpreter = self.interpreter
        clock = self.bench.clock

        def print_(*values: Any) -> None:
            interpreter.print_values(values)

        def printnumber(*values: Any) -> None:
            interpreter.print_values([_number(v, "printnumber") for v in values], ", ")

        def set_precision(value: Any) -> None:
            digits = _number(value, "format.asciiprecision")
            if not (digits.is_integer() and 1 <= digits <= 16):
                raise OutOfRangeError(f"format.asciiprecision = {digits}")
            interpreter.precision = int(digits)

        def next_error() -> tuple[float, str, float, float]:
            if not self.errors:
                return 0.0, "Queue Is Empty", 0.0, NODE
            code, text = self.pop_error()
            return float(code), text, ERROR_SEVERITY, NODE

        def reset_timer() -> None:
            self.timer_origin = clock.now()

        def tonumber(value: Any) -> float | None:
            try:
                return float(value)
            except (TypeError, ValueError):
                return None

        def table_insert(table: Any, *args: Any) -> None:
            if not isinstance(table, LuaTable) or not args:
                raise TspRuntimeError("bad argument #1 to 'insert' (table expected)")
            if len(args) == 1:
                table.array.append(args[0])
            else:
                table.array.insert(int(_number(args[0], "insert")) - 1, args[1])

        def table_getn(table: Any) -> float:
            if not isinstance(table, LuaTable):
                raise TspRuntimeError("bad argument #1 to 'getn' (table expected)")
            return float(len(table.array))

        def delay(seconds: Any) -> None:
            clock.advance(_number(seconds, "delay"))

        return {
            **{f"smu{letter}": channel.object for letter, channel in self.channels.items()},
            "print": print_,
            "printnumber": printnumber,
            "printbuffer": self._printbuffer,
            "tostring": lua_tostring,
            "tonumber": tonumber,
            "string": TspObject("string", {"format": lua_format}),
            "table": TspObject("table", {"insert": table_insert, "getn": table_getn}),
            "math": TspObject("math", {
                "abs": lambda x: abs(_number(x, "abs")),
                "max": lambda *xs: max(_number(x, "max") for x in xs),
                "min": lambda *xs: min(_number(x, "min") for x in xs),
                "floor": lambda x: float(math.floor(_number(x, "floor"))),
                "ceil": lambda x: float(math.ceil(_number(x, "ceil"))),
                "sqrt": lambda x: math.sqrt(_number(x, "sqrt")),
            }),
            "errorqueue": TspObject(
                "errorqueue",
                {"next": next_error, "clear": self.errors.clear},
                {"count": (lambda: float(len(self.errors)), None)},
            ),
            "timer": TspObject("timer", {
                "reset": reset_timer,
                "measure": TspObject("timer.measure", {
                    "t": lambda: clock.now() - self.timer_origin,
                }),
            }),
            "localnode": TspObject("localnode", {
                "model": "2636B", "serialno": "4400001", "revision": "3.2.2",
            }, {
                "linefreq": (lambda: self.line_frequency, self._set_line_frequency),
            }),
            "format": TspObject("format", {"ASCII": 1.0}, {
                "asciiprecision": (lambda: float(interpreter.precision), set_precision),
            }),
            "delay": delay,
            "waitcomplete": lambda *args: None,  # sweeps run to completion within the call
            "opc": lambda: None,
            "reset": self.reset,
        }

    def _set_line_frequency(self, value: Any) -> None:
        frequency = _number(value, "localnode.linefreq")
        if frequency not in (50.0, 60.0):
            raise OutOfRangeError(f"localnode.linefreq = {frequency}")
        self.line_frequency = frequency

    def _printbuffer(self, first: Any, last: Any, *columns: Any) -> None:
        start, end = int(_number(first, "printbuffer")), int(_number(last, "printbuffer"))
        tables = []
        for position, column in enumerate(columns, start=3):
            if not isinstance(column, BufferColumn):
                raise TspRuntimeError(
                    f"bad argument #{position} to 'printbuffer' (buffer expected)"
                )
            tables.append(column.values())
        if not columns or not 1 <= start <= end or any(end > len(t) for t in tables):
            raise TspRuntimeError("printbuffer: index out of range")
        values = [t[i] for i in range(start - 1, end) for t in tables]
        self.interpreter.output.append(
            ", ".join(format_number(v, self.interpreter.precision) for v in values)
        )

    # -- the sweep helpers of labctl's script ------------------------------------------------
    def _helpers(self) -> dict[str, Callable[..., Any]]:
        return {
            "labctl_extend": self._extend,
            "labctl_list_sweep": self._list_sweep,
            "labctl_pulse_sweep": self._pulse_sweep,
            "labctl_print_buffer": self._print_buffer,
        }

    def _channel(self, value: Any) -> SmuChannel:
        if not isinstance(value, ChannelObject):
            raise TspRuntimeError("attempt to index a nil value (local 'smu')", line=None)
        return value.channel

    @staticmethod
    def _levels(value: Any) -> list[float]:
        if not isinstance(value, LuaTable):
            raise TspRuntimeError("bad argument #1 to 'getn' (table expected)", line=None)
        levels = value.numbers("levels")
        if not levels:
            raise TspRuntimeError("labctl: no levels", line=None)
        return levels

    def _extend(self, points: Any, values: Any) -> None:
        if not isinstance(points, LuaTable) or not isinstance(values, LuaTable):
            raise TspRuntimeError("bad argument #1 to 'getn' (table expected)", line=None)
        points.array.extend(values.array)

    def _list_sweep(self, smu: Any, levels: Any, dwell: Any) -> None:
        channel = self._channel(smu)
        try:
            self._run_list(channel, self._levels(levels), _number(dwell, "dwell"))
        except TspError as exc:
            # The script's pcall turns every failure into error(message, 0).
            raise TspRuntimeError(exc.message, line=None) from None
        finally:
            self._restore(channel)

    def _run_list(self, channel: SmuChannel, levels: list[float], dwell: float) -> None:
        self._prepare(channel, levels, levels[0])
        clock = self.bench.clock
        buffers = (channel.buffers["nvbuffer1"].object, channel.buffers["nvbuffer2"].object)
        try:
            for level in levels:
                channel.sweep_level = level
                if dwell > 0:
                    clock.advance(dwell)  # the device sees the new level during the dwell
                channel.record(channel.measure(), buffers)
        finally:
            channel.sweep_level = None
        channel.set_level(levels[-1])

    def _pulse_sweep(self, smu: Any, levels: Any, width: Any, period: Any, bias: Any) -> None:
        channel = self._channel(smu)
        saved = {
            name: channel.get(f"measure.{name}")
            for name in ("delay", "autozero", "autorangei", "autorangev")
        }
        try:
            self._run_pulses(
                channel, self._levels(levels), _number(width, "width"),
                _number(period, "period"), _number(bias, "bias"),
            )
        except TspError as exc:
            raise TspRuntimeError(exc.message, line=None) from None
        finally:
            for name, value in saved.items():
                channel.put(f"measure.{name}", value)
            self._restore(channel)

    def _run_pulses(
        self, channel: SmuChannel, levels: list[float], width: float, period: float, bias: float
    ) -> None:
        nplc = float(channel.get("measure.nplc"))
        window = nplc / self.line_frequency
        start = width - window - PULSE_MEASURE_MARGIN
        if start < 1e-6:
            text = "labctl: width %g s is too short for one reading at nplc %g (%g s)"
            raise TspRuntimeError(
                lua_format(text, width, nplc, window + PULSE_MEASURE_MARGIN), line=None
            )
        self._prepare(channel, levels, bias)
        # Pulse readings: no extra delay, autozero once, the measure range fixed on the limit.
        channel.put("measure.delay", 0.0)
        channel.put("measure.autozero", 1.0)
        measured = "i" if channel.function == "VOLT" else "v"
        if int(channel.get(f"measure.autorange{measured}")):
            channel.put(f"measure.autorange{measured}", 0.0)
            channel.set_range("measure", measured, channel.limit())
        clock = self.bench.clock
        buffers = (channel.buffers["nvbuffer1"].object, channel.buffers["nvbuffer2"].object)
        try:
            for index, level in enumerate(levels):
                # Each period in two parts, so that the device's slow state sees the pulse
                # level only for `width` and the bias for the rest.
                channel.sweep_level = level
                clock.advance(start)
                channel.record(channel.measure(overhead=0.0), buffers)
                clock.advance(width - start - window)
                channel.sweep_level = bias
                if index < len(levels) - 1:
                    clock.advance(period - width)
        finally:
            channel.sweep_level = None

    def _prepare(self, channel: SmuChannel, levels: list[float], idle: float) -> None:
        """``labctl_prepare``: idle level, empty buffers with timestamps, capacity check, the
        source range fixed to the largest level."""
        channel.set_level(idle)
        for buffer in channel.buffers.values():
            buffer.clear()
        channel.put("nvbuffer1.collecttimestamps", 1.0)
        channel.put("nvbuffer1.collectsourcevalues", 0.0)
        channel.put("nvbuffer2.collecttimestamps", 0.0)
        channel.put("nvbuffer2.collectsourcevalues", 0.0)
        capacity = channel.buffers["nvbuffer1"].capacity()
        if len(levels) > capacity:
            text = "labctl: %d points exceed the buffer capacity of %d"
            raise TspRuntimeError(lua_format(text, float(len(levels)), float(capacity)),
                                  line=None)
        peak = max(abs(idle), *(abs(level) for level in levels))
        suffix = "v" if channel.function == "VOLT" else "i"
        channel.put(f"source.autorange{suffix}", 0.0)
        channel.set_range("source", suffix, peak)

    def _restore(self, channel: SmuChannel) -> None:
        """``labctl_restore``: source autorange back on, the long-list global dropped."""
        suffix = "v" if channel.function == "VOLT" else "i"
        channel.set_autorange("source", suffix, 1.0)
        self.globals["labctl_points"] = None

    def _print_buffer(self, smu: Any, count: Any) -> None:
        channel = self._channel(smu)
        b1, b2 = channel.buffers["nvbuffer1"].object, channel.buffers["nvbuffer2"].object
        saved = self.interpreter.precision
        self.interpreter.precision = 10
        try:
            self._printbuffer(1.0, count, b1.members["readings"], b2.members["readings"],
                              b1.members["timestamps"], b1.members["statuses"])
        except TspError as exc:
            raise TspRuntimeError(exc.message, line=None) from None
        finally:
            self.interpreter.precision = saved


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, float):
        raise TspRuntimeError(f"bad argument to '{what}' (number expected)")
    return value
