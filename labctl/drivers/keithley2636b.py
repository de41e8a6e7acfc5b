"""Keithley 2636B dual-channel System SourceMeter (TSP), and its ``SourceMeter`` role per channel.

The 2636B speaks TSP (Lua), not SCPI. Every message this driver sends is one of the fixed one-line
statements below, so a simulator can answer them by exact match or a simple pattern. ``smuX`` is
``smua`` for channel ``"a"`` and ``smub`` for channel ``"b"``; numbers are written with ``%g``
(``1e-09``, ``0.01``, ``1.5``); ``<num>`` replies are what TSP's ``print`` gives for a number
(``1.50000e+00``). Replies to several values are tab-separated (``print``) or ``", "``-separated
(``printbuffer``).

Errors
    ``print(errorqueue.count)`` → ``<num>``; when it is *N* > 0, *N* times
    ``print(errorqueue.next())`` → ``<code>\\t<message>\\t<severity>\\t<node>``. Any entry raises
    :class:`~labctl.errors.InstrumentError` naming every code and message. Checked after each
    configuration step (marked *errors* below).

In the messages ``\\t`` is the two characters of a Lua string escape; in the replies it is a tab.

=========================  =================================================  ====================
Role method                Messages, in order                                 Reply
=========================  =================================================  ====================
``identify()``             ``*IDN?``                                          ``Keithley
                                                                              Instruments Inc.,
                                                                              Model 2636B, …``
``source_voltage(v, i)``   ``smuX.source.func = smuX.OUTPUT_DCVOLTS``         —
                           ``smuX.source.limiti = <i>``                       —
                           ``smuX.source.autorangev = smuX.AUTORANGE_ON``     —
                           ``smuX.source.levelv = <v>``                       —
                           *errors*
``source_current(i, v)``   ``smuX.source.func = smuX.OUTPUT_DCAMPS``          —
                           ``smuX.source.limitv = <v>``                       —
                           ``smuX.source.autorangei = smuX.AUTORANGE_ON``     —
                           ``smuX.source.leveli = <i>``                       —
                           *errors*
``source_mode``            ``print(smuX.source.func)``                        ``<num>``: 1 = V,
                                                                              0 = A
``level``                  [mode]\\* ``print(smuX.source.levelv)`` (or         ``<num>``
                           ``leveli`` when sourcing current)
``set_level(x)``           [mode]\\* ``smuX.source.levelv = <x>`` (or          —
                           ``leveli``)
``output_enabled``         ``print(smuX.source.output)``                      ``<num>``: 1 = on;
                                                                              0 off, 2 high-Z
``output_on()``            ``smuX.source.output = smuX.OUTPUT_ON``, *errors*  —
``output_off()``           ``smuX.source.output = smuX.OUTPUT_OFF``           —
``configure_measurement``  ``smuX.measure.nplc = <n>``                        —
                           ``smuX.measure.rangei = <r>`` or                   —
                           ``smuX.measure.autorangei = smuX.AUTORANGE_ON``
                           ``smuX.measure.rangev = <r>`` or                   —
                           ``smuX.measure.autorangev = smuX.AUTORANGE_ON``
                           *errors*
``measure()``              ``print(smuX.source.output)``                      ``<num>``
                           :data:`READ_TEMPLATE`: ``local t =                 ``<I>\\t<V>\\t
                           timer.measure.t() local i, v = smuX.measure.iv()   true|false\\t<t>``
                           print(string.format("%.7e\\t%.7e\\t%s\\t%.6f", i,    e.g. ``1.2340000e-02
                           v, tostring(smuX.source.compliance), t))``         \\t2.6000000e+00
                                                                              \\tfalse\\t1053.210000``
``ramp_to(x, rate)``       [mode]\\* ``print(smuX.source.levelv)``, then per   ``<num>``, then —
                           step ``smuX.source.levelv = <x>``
``sweep(levels, dwell)``   [mode]\\* ``print(smuX.source.output)``             ``<num>``
                           ``print(labctl_version)``                          ``labctl-2636b-1``
                                                                              (else ``nil``)
                           [if not that version: the script, see below]
                           [NPLC not yet set by this role:                    ``<num>``
                           ``print(smuX.measure.nplc)``]
                           [more than 100 levels: ``labctl_points = {}`` and  —
                           per 100 ``labctl_extend(labctl_points, {…})``]
                           ``labctl_list_sweep(smuX, {<l1>,<l2>,…},           — (runs the sweep)
                           <dwell>)`` (``labctl_points`` for long lists)
                           *errors* (answered when the sweep has ended)
                           ``labctl_print_buffer(smuX, <n>)`` (a              ``<I1>, <V1>, <t1>,
                           ``printbuffer`` of nvbuffer1 readings, nvbuffer2   <status1>, <I2>,
                           readings, nvbuffer1 timestamps and statuses with   …`` (4·n values,
                           10 digits)                                         10 digits)
                           [more than 60 000 levels: point by point, per
                           level ``smuX.source.levelv = <x>`` then the
                           ``measure()`` reading line]
``pulse_sweep(levels,      [mode]\\* ``print(smuX.source.output)``,            as ``sweep``
width, period, bias)``     ``print(labctl_version)`` [script], [list chunks],
                           ``labctl_pulse_sweep(smuX, {…}, <width>,
                           <period>, <bias>)``, *errors*,
                           ``labctl_print_buffer(smuX, <n>)``
``close()``                (closes the connection)
=========================  =================================================  ====================

\\* [mode]: ``print(smuX.source.func)`` when the role does not yet know its source mode (it learns
it from ``source_voltage``/``source_current``/``source_mode``).

The script: ``loadscript labctlSweep``, each line of
:data:`~labctl.drivers.keithley2636b_scripts.SCRIPT_LINES`, ``endscript``, ``labctlSweep()``,
then *errors*; see :mod:`labctl.drivers.keithley2636b_scripts`. It is loaded when
``print(labctl_version)`` answers anything but the expected version (after a power cycle).

In buffer readouts the status bit 0x40 flags a reading in compliance; the role makes the buffer's
timestamps relative to the first reading of the sweep. ``measure()`` timestamps are
``timer.measure.t()`` (seconds since the instrument's timer was reset, normally power-on), taken
as the measurement starts.

The instrument class is written here rather than built on pymeasure's ``Keithley2600``: that
driver formats levels and limits with ``%f`` (1 nA becomes ``0.000000``), its NPLC property
cannot be set (``map_values`` on a range), it clamps out-of-range values silently, checks errors
with a mixin that warns on every instantiation, and has no buffers, sweeps, pulses or compliance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pymeasure.instruments import Channel, Instrument
from pymeasure.instruments.validators import strict_discrete_set, strict_range

from labctl.clock import WALL_CLOCK, Clock
from labctl.drivers.keithley2636b_scripts import SCRIPT_VERSION, load_messages
from labctl.drivers.role_base import Reconnector
from labctl.drivers.scpi import extended_timeout
from labctl.drivers.source_meter_base import SourceMeterBase, sweep_result_from_readings
from labctl.errors import InstrumentError, ParameterError
from labctl.roles.source_meter import Reading, SourceMeterCapabilities, SourceMode, SweepResult
from labctl.validation import check_choice, check_positive, check_range

#: Channel names of the role and the TSP node each one drives.
CHANNELS = ("a", "b")
#: One reading with its compliance state and the instrument's time at its start. Formatted here
#: because ``print`` keeps 6 digits: after a day of uptime the time would step by 1 s.
READ_TEMPLATE = (
    "local t = timer.measure.t() local i, v = smu{ch}.measure.iv() "
    'print(string.format("%.7e\\t%.7e\\t%s\\t%.6f", i, v, '
    "tostring(smu{ch}.source.compliance), t))"
)
#: Buffer status bit set when the source was limited by compliance (2600B manual, statuses).
STATUS_COMPLIANCE = 0x40
#: Levels sent in one message; a longer list is built up with ``labctl_extend``.
LIST_CHUNK = 100
#: Entries read from the error queue at most, so a garbled count cannot loop for ever.
MAX_ERRORS = 100
#: Values ``print(smuX.source.func)`` answers.
FUNCTION_CODES: dict[float, SourceMode] = {1.0: "voltage", 0.0: "current"}
#: Mains frequency assumed when estimating a sweep's duration: 50 Hz makes the estimate longer.
LINE_FREQUENCY = 50.0
#: Per-point overhead of a trigger-model sweep beyond integration, s (generous, for timeouts).
POINT_OVERHEAD = 0.005
#: How fast the instrument formats and sends buffer values (conservative, for timeouts), 1/s.
READOUT_RATE = 5000.0

#: Pulse timing limits. 100 µs is the 2600B's shortest programmable pulse; the upper limits are
#: labctl's sanity bounds (a longer "pulse" is a DC step), not the instrument's.
MIN_PULSE_WIDTH = 100e-6  # s
MAX_PULSE_WIDTH = 100.0  # s
MAX_PULSE_PERIOD = 1000.0  # s


# ------------------------------------------------------------------------------ reply parsing
def _number(value: Any) -> float:
    """A float from a parsed reply; pymeasure leaves unparseable replies as strings."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InstrumentError(f"expected a number, the 2636B answered {value!r}")
    return float(value)


def _flag(on_value: float, off_values: Sequence[float]) -> Callable[[Any], bool]:
    """A get_process turning a numeric TSP constant into a bool, refusing anything else."""

    def process(value: Any) -> bool:
        number = _number(value)
        if number == on_value:
            return True
        if number in off_values:
            return False
        raise InstrumentError(f"unexpected state {value!r} from the 2636B")

    return process


def _autorange(attribute: str, doc: str) -> property:
    """A channel's ``source.autorangev``-style switch, as a boolean control."""
    return Channel.control(
        f"print(smu{{ch}}.{attribute})",
        f"smu{{ch}}.{attribute} = smu{{ch}}.AUTORANGE_%s",
        doc,
        validator=strict_discrete_set,
        values=(True, False),
        set_process=_on_off,
        get_process=_flag(1.0, (0.0,)),
    )


def _function(value: Any) -> SourceMode:
    number = _number(value)
    if number not in FUNCTION_CODES:
        raise InstrumentError(f"unexpected source function {value!r} from the 2636B")
    return FUNCTION_CODES[number]


def _boolean(value: Any) -> bool:
    text = str(value).strip()
    if text not in ("true", "false"):
        raise InstrumentError(f"expected true or false, the 2636B answered {value!r}")
    return text == "true"


def _on_off(value: bool) -> str:
    return "ON" if value else "OFF"


def _fmt(value: float) -> str:
    """Numbers as TSP reads them; ``%g`` keeps six significant digits, finer than the source
    resolution of every 2636B range."""
    return format(float(value), "g")


def _lua_table(values: Sequence[float]) -> str:
    return "{" + ",".join(_fmt(v) for v in values) + "}"


# ------------------------------------------------------------------------- instrument class
class Keithley2636BChannel(Channel):
    """One SMU channel (``smua`` or ``smub``) of a 2636B; ``{ch}`` is ``a`` or ``b``."""

    source_function = Channel.control(
        "print(smu{ch}.source.func)",
        "smu{ch}.source.func = smu{ch}.%s",
        """Control the source function: ``"voltage"`` (OUTPUT_DCVOLTS, 1) or ``"current"``
        (OUTPUT_DCAMPS, 0).""",
        validator=strict_discrete_set,
        values=("voltage", "current"),
        set_process=lambda v: "OUTPUT_DCVOLTS" if v == "voltage" else "OUTPUT_DCAMPS",
        get_process=_function,
    )

    source_voltage = Channel.control(
        "print(smu{ch}.source.levelv)",
        "smu{ch}.source.levelv = %g",
        """Control the programmed source voltage in V (float, -200 to 200).""",
        validator=strict_range,
        values=(-200.0, 200.0),
        get_process=_number,
    )

    source_current = Channel.control(
        "print(smu{ch}.source.leveli)",
        "smu{ch}.source.leveli = %g",
        """Control the programmed source current in A (float, -1.5 to 1.5; DC only).""",
        validator=strict_range,
        values=(-1.5, 1.5),
        get_process=_number,
    )

    compliance_current = Channel.control(
        "print(smu{ch}.source.limiti)",
        "smu{ch}.source.limiti = %g",
        """Control the current limit while sourcing voltage, in A (float, 1 nA to 1.5 A).""",
        validator=strict_range,
        values=(1e-9, 1.5),
        get_process=_number,
    )

    compliance_voltage = Channel.control(
        "print(smu{ch}.source.limitv)",
        "smu{ch}.source.limitv = %g",
        """Control the voltage limit while sourcing current, in V (float, 1 mV to 200 V).""",
        validator=strict_range,
        values=(1e-3, 200.0),
        get_process=_number,
    )

    source_voltage_autorange = _autorange(
        "source.autorangev", "Control whether the voltage source picks its range itself (bool)."
    )

    source_current_autorange = _autorange(
        "source.autorangei", "Control whether the current source picks its range itself (bool)."
    )

    output_enabled = Channel.control(
        "print(smu{ch}.source.output)",
        "smu{ch}.source.output = smu{ch}.OUTPUT_%s",
        """Control the output (bool). Reads False for OUTPUT_OFF (0) and OUTPUT_HIGH_Z (2).""",
        validator=strict_discrete_set,
        values=(True, False),
        set_process=_on_off,
        get_process=_flag(1.0, (0.0, 2.0)),
    )

    in_compliance = Channel.measurement(
        "print(smu{ch}.source.compliance)",
        """Get whether the limit, not the source, controls the output now (bool).""",
        cast=str,
        get_process=_boolean,
    )

    nplc = Channel.control(
        "print(smu{ch}.measure.nplc)",
        "smu{ch}.measure.nplc = %g",
        """Control the integration time in power-line cycles (float, 0.001 to 25).""",
        validator=strict_range,
        values=(0.001, 25.0),
        get_process=_number,
    )

    current_range = Channel.control(
        "print(smu{ch}.measure.rangei)",
        "smu{ch}.measure.rangei = %g",
        """Control the current measurement range in A (float, 0 to 1.5; the instrument takes the
        lowest of 100 pA … 1.5 A that holds the value, and autorange turns off).""",
        validator=strict_range,
        values=(0.0, 1.5),
        get_process=_number,
    )

    voltage_range = Channel.control(
        "print(smu{ch}.measure.rangev)",
        "smu{ch}.measure.rangev = %g",
        """Control the voltage measurement range in V (float, 0 to 200; ranges 200 mV, 2 V,
        20 V, 200 V). While sourcing voltage the source range is used instead.""",
        validator=strict_range,
        values=(0.0, 200.0),
        get_process=_number,
    )

    current_autorange = _autorange(
        "measure.autorangei", "Control current measurement autorange (bool)."
    )

    voltage_autorange = _autorange(
        "measure.autorangev", "Control voltage measurement autorange (bool)."
    )

    @property
    def node(self) -> str:
        """The TSP name of this channel, ``smua`` or ``smub``."""
        return f"smu{self.id}"

    def take_reading(self) -> Reading:
        """One measurement: current, voltage, compliance and the instrument's time, in one
        message (:data:`READ_TEMPLATE`)."""
        reply = self.parent.ask(READ_TEMPLATE.format(ch=self.id))
        return parse_reading(reply)


class Keithley2636B(Instrument):
    """Keithley 2636B System SourceMeter: two channels, each ±200 V, ±1.5 A DC (TSP).

    ``smua`` and ``smub`` (also ``channels["a"]``, ``channels["b"]``) hold the per-channel
    settings. ``lock`` is shared by every role made on this instrument unless a bench gives one.
    """

    channels = Instrument.MultiChannelCreator(Keithley2636BChannel, CHANNELS, prefix="smu")

    def __init__(self, adapter, name: str = "Keithley 2636B SourceMeter", **kwargs) -> None:
        super().__init__(adapter, name, includeSCPI=False, **kwargs)
        self.lock = threading.RLock()

    error_count = Instrument.measurement(
        "print(errorqueue.count)",
        """Get the number of entries in the error queue (int).""",
        get_process=lambda v: int(_number(v)),
    )

    script_version = Instrument.measurement(
        "print(labctl_version)",
        """Get the version of the sweep helpers loaded on the instrument (str; ``"nil"`` when
        they are not loaded).""",
        cast=str,
        get_process=lambda v: str(v).strip(),
    )

    @property
    def next_error(self) -> tuple[int, str]:
        """Get and remove the oldest error: ``(code, message)``; ``(0, "Queue Is Empty")``."""
        reply = self.ask("print(errorqueue.next())")
        fields = reply.strip().split("\t")
        try:
            code = int(float(fields[0]))
        except ValueError:
            raise InstrumentError(f"unreadable error queue entry {reply!r}") from None
        message = fields[1].strip() if len(fields) > 1 else ""
        return code, message

    def check_errors(self) -> list[tuple[int, str]]:
        """Read and remove every entry of the error queue: ``[(code, message), ...]``."""
        count = self.error_count
        return [self.next_error for _ in range(min(count, MAX_ERRORS))]

    def load_scripts(self) -> None:
        """Load and run the sweep helpers (see :mod:`labctl.drivers.keithley2636b_scripts`)."""
        for message in load_messages():
            self.write(message)


def raise_tsp_errors(instrument: Keithley2636B, name: str) -> None:
    """Drain the TSP error queue and raise :class:`InstrumentError` if anything was queued."""
    errors = [(code, message) for code, message in instrument.check_errors() if code != 0]
    if errors:
        text = "; ".join(f"{code}: {message}" for code, message in errors)
        raise InstrumentError(f"{name} reported: {text}")


def parse_reading(reply: str) -> Reading:
    """Parse ``<I>\\t<V>\\t<true|false>\\t<t>`` into a :class:`Reading`."""
    fields = reply.strip().split("\t")
    if len(fields) != 4:
        raise InstrumentError(
            f"expected current, voltage, compliance and time separated by tabs, got {reply!r}"
        )
    try:
        current, voltage, time = float(fields[0]), float(fields[1]), float(fields[3])
    except ValueError:
        raise InstrumentError(f"unreadable reading {reply!r}") from None
    return Reading(voltage=voltage, current=current, time=time, in_compliance=_boolean(fields[2]))


def parse_buffer(reply: str, count: int) -> list[Reading]:
    """Parse a ``printbuffer`` of readings (I), readings (V), timestamps and statuses."""
    fields = [f for f in reply.replace("\n", ",").split(",") if f.strip()]
    if len(fields) != 4 * count:
        raise InstrumentError(
            f"expected {4 * count} values (I, V, t, status for {count} points), "
            f"got {len(fields)}: {reply[:200]!r}"
        )
    try:
        table = np.asarray([float(f) for f in fields]).reshape(count, 4)
    except ValueError:
        raise InstrumentError(f"unreadable buffer {reply[:200]!r}") from None
    return [
        Reading(
            voltage=float(row[1]),
            current=float(row[0]),
            time=float(row[2]),
            in_compliance=bool(int(row[3]) & STATUS_COMPLIANCE),
        )
        for row in table
    ]


# ------------------------------------------------------------------------------- role class
class Keithley2636BSourceMeter(SourceMeterBase):
    """The ``SourceMeter`` role on one channel of a Keithley 2636B.

    Two roles on one instrument (say channel ``"a"`` driving an LED and ``"b"`` reading a
    photodiode at 0 V) share the instrument object and its lock, so their messages never mix.
    Sweeps and pulsed sweeps run from the instrument's trigger model into its reading buffers and
    are read back in one ``printbuffer``.
    """

    capabilities = SourceMeterCapabilities(
        model="Keithley 2636B",
        max_voltage=200.0,
        max_current=1.5,  # DC; 10 A pulses are outside this driver
        hardware_sweep=True,
        # A dedicated reading buffer holds more than 60 000 readings with timestamps stored
        # (2600B specifications); the script checks the real capacity before each sweep.
        max_sweep_points=60_000,
        pulsed=True,
        min_nplc=0.001,
        max_nplc=25.0,
    )

    def __init__(
        self,
        instrument: Keithley2636B,
        *,
        channel: str = "a",
        name: str | None = None,
        lock: threading.RLock | None = None,
        clock: Clock = WALL_CLOCK,
        reconnect: Reconnector | None = None,
    ) -> None:
        channel = str(check_choice("channel", str(channel).lower(), CHANNELS))
        if lock is None:
            lock = getattr(instrument, "lock", None)
        if name is None:
            name = f"{getattr(instrument, 'name', 'Keithley 2636B')} channel {channel}"
        super().__init__(instrument, name=name, lock=lock, clock=clock, reconnect=reconnect)
        self.channel = channel
        self.smu: Keithley2636BChannel = instrument.channels[channel]
        self._nplc: float | None = None  # as last set by this role; None = ask the instrument

    # --------------------------------------------------------------- validation
    # The base class reads the source mode (a query) before some of its checks; these run first
    # so that a bad dwell, width, period or point count never sends anything.
    def sweep(self, levels: Sequence[float], dwell: float = 0.0) -> SweepResult:
        """Step through ``levels`` (V or A), waiting ``dwell`` s (>= 0) after each source step
        before the reading; hardware-timed for up to ``capabilities.max_sweep_points`` levels.

        The output must be on. It ends at the last level, which becomes the programmed level.
        """
        dwell = check_positive("dwell", dwell, "s", allow_zero=True)
        return super().sweep(levels, dwell)

    def pulse_sweep(
        self, levels: Sequence[float], width: float, period: float, bias: float = 0.0
    ) -> SweepResult:
        """Pulse to each level for ``width`` s (100 µs to 100 s) over ``bias`` (V or A), once per
        ``period`` s (at least ``width``, at most 1000 s); read at the end of each pulse.

        Up to ``capabilities.max_sweep_points`` levels. The reading (NPLC set by
        ``configure_measurement``) must fit in the pulse with 60 µs to spare, or the instrument
        refuses and this raises :class:`InstrumentError`. The output ends at ``bias``.
        """
        width = check_range("width", width, MIN_PULSE_WIDTH, MAX_PULSE_WIDTH, "s")
        period = check_range("period", period, MIN_PULSE_WIDTH, MAX_PULSE_PERIOD, "s")
        if period < width:
            raise ParameterError(f"period = {period:g} s must be at least width = {width:g} s")
        self._check_count(levels)
        return super().pulse_sweep(levels, width, period, bias)

    def _check_count(self, levels: Sequence[float]) -> None:
        try:
            count = len(levels)
        except TypeError:
            return  # not a sequence: the base class says what is wrong with it
        limit = self.capabilities.max_sweep_points
        if count > limit:
            raise ParameterError(
                f"levels: {count} points is outside the allowed range 1 to {limit} points"
            )

    # --------------------------------------------------------------------- hooks
    def _apply_source(self, mode: SourceMode, level: float, compliance: float) -> None:
        smu = self.smu
        smu.source_function = mode
        if mode == "voltage":
            smu.compliance_current = compliance
            smu.source_voltage_autorange = True
            smu.source_voltage = level
        else:
            smu.compliance_voltage = compliance
            smu.source_current_autorange = True
            smu.source_current = level
        self._raise_instrument_errors()

    def _write_level(self, level: float) -> None:
        if self._mode_now() == "voltage":
            self.smu.source_voltage = level
        else:
            self.smu.source_current = level

    def _read_level(self) -> float:
        if self._mode_now() == "voltage":
            return self.smu.source_voltage
        return self.smu.source_current

    def _read_source_mode(self) -> SourceMode:
        return self.smu.source_function

    def _write_output(self, on: bool) -> None:
        self.smu.output_enabled = on
        if on:
            # Switching on is what the instrument may refuse (interlock open on the 200 V range).
            # Not after switching off: a stale error must not make a safe stop look failed.
            self._raise_instrument_errors()

    def _read_output(self) -> bool:
        return self.smu.output_enabled

    def _read(self) -> Reading:
        return self.smu.take_reading()

    def _configure_measurement(
        self, nplc: float, current_range: float | None, voltage_range: float | None
    ) -> None:
        smu = self.smu
        smu.nplc = nplc
        self._nplc = nplc
        if current_range is None:
            smu.current_autorange = True
        else:
            smu.current_range = current_range
        if voltage_range is None:
            smu.voltage_autorange = True
        else:
            smu.voltage_range = voltage_range
        self._raise_instrument_errors()

    def _hardware_sweep(self, points: np.ndarray, dwell: float) -> SweepResult:
        self._ensure_scripts()
        nplc = self._nplc if self._nplc is not None else self.smu.nplc
        levels = self._send_levels(points)
        # Integration plus autozero (about three conversions per reading), dwell and overhead;
        # doubled because this only bounds how long to wait for a sweep that has hung.
        duration = len(points) * (dwell + 3 * nplc / LINE_FREQUENCY + POINT_OVERHEAD)
        self._run(f"labctl_list_sweep({self.smu.node}, {levels}, {_fmt(dwell)})", 2 * duration)
        return self._read_buffer(points)

    def _hardware_pulse_sweep(
        self, points: np.ndarray, width: float, period: float, bias: float
    ) -> SweepResult:
        self._ensure_scripts()
        levels = self._send_levels(points)
        duration = len(points) * period + width
        call = (
            f"labctl_pulse_sweep({self.smu.node}, {levels}, {_fmt(width)}, {_fmt(period)}, "
            f"{_fmt(bias)})"
        )
        self._run(call, 2 * duration)
        return self._read_buffer(points)

    # ------------------------------------------------------------------- helpers
    def _raise_instrument_errors(self) -> None:
        raise_tsp_errors(self.instrument, self.name)

    def _ensure_scripts(self) -> None:
        """Load the sweep helpers unless this version is already on the instrument."""
        inst = self.instrument
        if inst.script_version != SCRIPT_VERSION:
            inst.load_scripts()
            self._raise_instrument_errors()

    def _send_levels(self, points: np.ndarray) -> str:
        """The Lua expression naming the levels: a literal table, or ``labctl_points`` built up
        in chunks when one message would be too long."""
        if len(points) <= LIST_CHUNK:
            return _lua_table(points)
        inst = self.instrument
        inst.write("labctl_points = {}")
        for start in range(0, len(points), LIST_CHUNK):
            chunk = _lua_table(points[start : start + LIST_CHUNK])
            inst.write(f"labctl_extend(labctl_points, {chunk})")
        return "labctl_points"

    def _run(self, call: str, seconds: float) -> None:
        """Send a sweep call; the error-queue query is answered only when the sweep is over."""
        with extended_timeout(self.instrument, seconds):
            self.instrument.write(call)
            self._raise_instrument_errors()

    def _read_buffer(self, points: np.ndarray) -> SweepResult:
        count = len(points)
        command = f"labctl_print_buffer({self.smu.node}, {count})"
        with extended_timeout(self.instrument, 4 * count / READOUT_RATE):
            reply = self.instrument.ask(command)
        readings = parse_buffer(reply, count)
        return sweep_result_from_readings(points, readings, hardware_timed=True)
