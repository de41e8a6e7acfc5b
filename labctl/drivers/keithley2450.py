"""Keithley 2450 SourceMeter (SCPI command set, "Touch, Test, Invent" firmware).

The instrument class extends pymeasure's :class:`~pymeasure.instruments.keithley.Keithley2450`.
Where pymeasure's declarations are sound (the source function) they are kept; where they would
give this driver a second spelling for one command (``:SOUR:VOLT:LEV`` next to ``:SOUR:VOLT?``,
``OUTPUT ON`` next to ``OUTPUT?``), join two commands in one message (``...:RANG:AUTO 0;...:RANG``)
or clamp a bad value silently (``truncated_range``), they are redeclared here with one spelling
and a strict validator. What pymeasure lacks (the output as a control, source readback, source and
measure autorange switches, the source-limit flags, list sweeps and bulk buffer readout) is added.

The role class runs hardware list sweeps: the levels go into the 2450's source list, the
instrument's own sweep trigger model steps through them into ``defbuffer1``, and the buffer is read
back in one ``:TRAC:DATA?``.

Compliance
    A reading is "in compliance" when the 2450 limited the source to respect the limit. Each
    reading carries this in its ``SOURSTAT`` buffer element (source status, bit 5, value 32:
    "source function level was limited"), so the flag is exact per point, also within a sweep.
    ``:SOUR:VOLT:ILIM:TRIP?`` only tells the state *now*, one query per reading, so the role does
    not use it (it is offered on the instrument class for manual use). The ``STAT`` element is the
    *measurement* status (limit tests, terminals, questionable) and does not flag compliance.

After a sweep
    The sweep's trigger model recalls each point of the source configuration list in turn, which
    leaves the source level at the last point of the list. The role does not rely on that: it
    writes the last level again as the fixed level (no step when the level is already there), puts
    the source range back on autorange, and reads the output state. Should the instrument's sweep
    template have switched the output off at its end, a warning is logged, the data are returned
    and the output stays off (switching it back on would step from 0 to the last level).

Messages the role sends, one spelling each (``F`` is ``VOLT`` or ``CURR``, the present source
function; replies are ASCII):

=========================  ============================================================  ===========
Role method                Messages, in order                                            Replies
=========================  ============================================================  ===========
``identify()``             ``*IDN?``                                                     ID string
``source_mode``            ``:SOUR:FUNC?``                                               VOLT | CURR
``level``                  [``:SOUR:FUNC?``], ``:SOUR:F?``                               number
``output_enabled``         ``:OUTP?``                                                    1 | 0
``source_voltage(v, i)``   ``:SOUR:FUNC VOLT``, ``:SENS:FUNC "CURR"``,
                           ``:SOUR:VOLT:ILIM i``, ``:SOUR:VOLT:READ:BACK 1``,
                           ``:SOUR:VOLT:RANG:AUTO 1``, ``:SOUR:VOLT v``,
                           ``SYST:ERR?`` (repeated until code 0)                         code,"text"
``source_current(i, v)``   ``:SOUR:FUNC CURR``, ``:SENS:FUNC "VOLT"``,
                           ``:SOUR:CURR:VLIM v``, ``:SOUR:CURR:READ:BACK 1``,
                           ``:SOUR:CURR:RANG:AUTO 1``, ``:SOUR:CURR i``,
                           ``SYST:ERR?`` (repeated until code 0)                         code,"text"
``set_level(x)``           [``:SOUR:FUNC?``], ``:SOUR:F x``
``output_on()``            ``:OUTP 1``
``output_off()``           ``:OUTP 0``
``configure_measurement``  ``:SENS:CURR:NPLC n``, ``:SENS:VOLT:NPLC n``,
                           ``:SENS:CURR:RANG r`` or ``:SENS:CURR:RANG:AUTO 1``,
                           ``:SENS:VOLT:RANG r`` or ``:SENS:VOLT:RANG:AUTO 1``,
                           ``SYST:ERR?`` (repeated until code 0)                         code,"text"
``measure()``              ``:OUTP?`` (refuses if 0), [``:SOUR:FUNC?``],
                           ``:READ? "defbuffer1", READ, SOUR, REL, SOURSTAT``            m,s,t,stat
``ramp_to(x, rate)``       [``:SOUR:FUNC?``], ``:SOUR:F?``, then ``:SOUR:F x`` per step  number
``sweep`` (≤ 2500 points)  [``:SOUR:FUNC?``], ``:OUTP?`` (refuses if 0),
                           ``:SOUR:F:RANG r`` (r = largest magnitude),
                           ``:SOUR:LIST:F p1,...,p100``,
                           ``:SOUR:LIST:F:APP p101,...`` (per further 100),
                           ``:SOUR:SWE:F:LIST 1, dwell, 1, OFF, "defbuffer1"``,
                           ``:TRAC:CLE "defbuffer1"``, ``SYST:ERR?`` ...,
                           ``:INIT``, ``*WAI``,
                           ``:TRAC:DATA? 1, N, "defbuffer1", READ, SOUR, REL,
                           SOURSTAT`` (answers 4N numbers),
                           ``:SOUR:F last``, ``:SOUR:F:RANG:AUTO 1``,
                           ``:OUTP?``                                                    1 | 0
``sweep`` (more points)    [``:SOUR:FUNC?``], ``:OUTP?`` (refuses if 0), then per point
                           ``:SOUR:F x`` and the ``:READ? ...`` of ``measure()``         m,s,t,stat
``pulse_sweep``            nothing: raises ``NotSupportedError``
``close()``                nothing: closes the VISA session
=========================  ============================================================  ===========

``m,s,t,stat`` are the four elements ``READ, SOUR, REL, SOURSTAT`` of one reading.
``[:SOUR:FUNC?]`` is sent only while the role does not know the source function yet (it caches
the function it set). In a reading, ``READ`` is the measured function (current when sourcing
voltage, voltage when sourcing current) and ``SOUR`` the source readback, which the role switches
on so that the reported source value is measured, not programmed, even in compliance.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from pymeasure.instruments import Instrument
from pymeasure.instruments.keithley import Keithley2450 as _PymeasureKeithley2450
from pymeasure.instruments.validators import strict_discrete_set, strict_range

from labctl.drivers.scpi import extended_timeout, raise_scpi_errors
from labctl.drivers.source_meter_base import (
    PymeasureSourceHooks,
    SourceMeterBase,
    sweep_result_from_readings,
)
from labctl.errors import InstrumentError, ParameterError
from labctl.roles.source_meter import Reading, SourceMeterCapabilities, SourceMode, SweepResult
from labctl.units import format_si
from labctl.validation import check_positive

log = logging.getLogger(__name__)

#: The reading buffer every reading and sweep goes through.
BUFFER = "defbuffer1"
#: Buffer elements of every reading, in this order: measured value, source readback, relative
#: time (s), source status word.
ELEMENTS = ("READ", "SOUR", "REL", "SOURSTAT")
#: Source status bit 5 (value 32): the source level was limited by the limit (compliance).
SOURCE_STATUS_LIMITED = 1 << 5
#: Values per source-list command; longer lists are appended in chunks of this size.
LIST_CHUNK = 100
#: Points one source list holds (2450 reference manual, :SOURce:LIST:<function>:APPend).
MAX_LIST_POINTS = 2500
#: Readings the 2450's reading buffers hold at most, all buffers together.
MAX_BUFFER_READINGS = 6_875_000
#: The sweep's delay between points is 0 or 50 µs to 10 ks (:SOURce:SWEep:<function>:LIST).
SWEEP_DELAY_RANGE = (50e-6, 10e3)  # s

_ELEMENT_LIST = ", ".join(ELEMENTS)
_ON_OFF = {True: 1, False: 0}
_FUNCTION = {"voltage": "VOLT", "current": "CURR"}


def _bool_control(command: str, doc: str) -> Any:
    return Instrument.control(
        f"{command}?",
        f"{command} %d",
        doc,
        validator=strict_discrete_set,
        values=_ON_OFF,
        map_values=True,
    )


class Keithley2450(_PymeasureKeithley2450):
    """Keithley 2450 SourceMeter: ±210 V, ±1.05 A, 5½ digits, SCPI command set.

    The 2450 must be set to the "SCPI" command set (not "SCPI 2400" emulation, not TSP).
    """

    def __init__(self, adapter, name: str = "Keithley 2450 SourceMeter", **kwargs) -> None:
        super().__init__(adapter, name, **kwargs)

    # ------------------------------------------------------------ output
    source_enabled = _bool_control(
        ":OUTP", """Control whether the output is on (bool). Setting it switches the output."""
    )

    def enable_source(self) -> None:
        """Switch the output on (same message as ``source_enabled = True``)."""
        self.source_enabled = True

    def disable_source(self) -> None:
        """Switch the output off (same message as ``source_enabled = False``)."""
        self.source_enabled = False

    # ----------------------------------------------------------- sourcing
    sense_function = Instrument.setting(
        ':SENS:FUNC "%s"',
        """Set the measured function: 'current' or 'voltage' (str).""",
        validator=strict_discrete_set,
        values={"current": "CURR", "voltage": "VOLT"},
        map_values=True,
    )

    source_voltage = Instrument.control(
        ":SOUR:VOLT?",
        ":SOUR:VOLT %g",
        """Control the source voltage level in V (float, strictly from -210 to 210).""",
        validator=strict_range,
        values=[-210, 210],
    )

    source_current = Instrument.control(
        ":SOUR:CURR?",
        ":SOUR:CURR %g",
        """Control the source current level in A (float, strictly from -1.05 to 1.05).""",
        validator=strict_range,
        values=[-1.05, 1.05],
    )

    compliance_current = Instrument.control(
        ":SOUR:VOLT:ILIM?",
        ":SOUR:VOLT:ILIM %g",
        """Control the current limit while sourcing voltage, in A (float, strictly from -1.05 to
        1.05; the instrument uses the magnitude).""",
        validator=strict_range,
        values=[-1.05, 1.05],
    )

    compliance_voltage = Instrument.control(
        ":SOUR:CURR:VLIM?",
        ":SOUR:CURR:VLIM %g",
        """Control the voltage limit while sourcing current, in V (float, strictly from -210 to
        210; the instrument uses the magnitude).""",
        validator=strict_range,
        values=[-210, 210],
    )

    current_limit_tripped = Instrument.measurement(
        ":SOUR:VOLT:ILIM:TRIP?",
        """Get whether the voltage source is clamped by its current limit right now (bool).""",
        cast=bool,
    )

    voltage_limit_tripped = Instrument.measurement(
        ":SOUR:CURR:VLIM:TRIP?",
        """Get whether the current source is clamped by its voltage limit right now (bool).""",
        cast=bool,
    )

    source_voltage_range = Instrument.control(
        ":SOUR:VOLT:RANG?",
        ":SOUR:VOLT:RANG %g",
        """Control the fixed source voltage range in V (float, strictly from 0 to 210); the
        instrument picks the smallest of 20 mV, 200 mV, 2 V, 20 V, 200 V that holds the value.
        Setting it switches source autorange off.""",
        validator=strict_range,
        values=[0, 210],
    )

    source_current_range = Instrument.control(
        ":SOUR:CURR:RANG?",
        ":SOUR:CURR:RANG %g",
        """Control the fixed source current range in A (float, strictly from 0 to 1.05); the
        instrument picks the smallest range (10 nA to 1 A) that holds the value. Setting it
        switches source autorange off.""",
        validator=strict_range,
        values=[0, 1.05],
    )

    source_voltage_range_auto_enabled = _bool_control(
        ":SOUR:VOLT:RANG:AUTO", """Control whether the source voltage range is automatic (bool)."""
    )

    source_current_range_auto_enabled = _bool_control(
        ":SOUR:CURR:RANG:AUTO", """Control whether the source current range is automatic (bool)."""
    )

    source_voltage_readback_enabled = _bool_control(
        ":SOUR:VOLT:READ:BACK",
        """Control whether readings report the measured source voltage (True) or the programmed
        one (False) (bool).""",
    )

    source_current_readback_enabled = _bool_control(
        ":SOUR:CURR:READ:BACK",
        """Control whether readings report the measured source current (True) or the programmed
        one (False) (bool).""",
    )

    # ---------------------------------------------------------- measuring
    current_nplc = Instrument.control(
        ":SENS:CURR:NPLC?",
        ":SENS:CURR:NPLC %g",
        """Control the current integration time in power-line cycles (float, strictly from 0.01
        to 10).""",
        validator=strict_range,
        values=[0.01, 10],
    )

    voltage_nplc = Instrument.control(
        ":SENS:VOLT:NPLC?",
        ":SENS:VOLT:NPLC %g",
        """Control the voltage integration time in power-line cycles (float, strictly from 0.01
        to 10).""",
        validator=strict_range,
        values=[0.01, 10],
    )

    current_range = Instrument.control(
        ":SENS:CURR:RANG?",
        ":SENS:CURR:RANG %g",
        """Control the fixed current measurement range in A (float, strictly from 0 to 1.05);
        the instrument picks the smallest range (10 nA to 1 A) that holds the value. Setting it
        switches measurement autorange off.""",
        validator=strict_range,
        values=[0, 1.05],
    )

    voltage_range = Instrument.control(
        ":SENS:VOLT:RANG?",
        ":SENS:VOLT:RANG %g",
        """Control the fixed voltage measurement range in V (float, strictly from 0 to 210);
        used while sourcing current. Setting it switches measurement autorange off.""",
        validator=strict_range,
        values=[0, 210],
    )

    current_range_auto_enabled = _bool_control(
        ":SENS:CURR:RANG:AUTO", """Control whether the current measurement range is automatic."""
    )

    voltage_range_auto_enabled = _bool_control(
        ":SENS:VOLT:RANG:AUTO", """Control whether the voltage measurement range is automatic."""
    )

    # ------------------------------------------------- readings and buffer
    def read_elements(self) -> list[float]:
        """Make one reading into ``defbuffer1`` and return its :data:`ELEMENTS` as floats."""
        return self.values(f':READ? "{BUFFER}", {_ELEMENT_LIST}')

    def buffer_elements(self, count: int) -> list[float]:
        """Return the :data:`ELEMENTS` of readings 1 to ``count`` of ``defbuffer1``, flat."""
        count = int(strict_range(count, [1, MAX_BUFFER_READINGS]))
        return self.values(f':TRAC:DATA? 1, {count}, "{BUFFER}", {_ELEMENT_LIST}')

    def clear_buffer(self) -> None:
        """Delete every reading in ``defbuffer1``."""
        self.write(f':TRAC:CLE "{BUFFER}"')

    def load_source_list(self, function: str, levels: Sequence[float]) -> None:
        """Replace the source list of ``function`` ('voltage' or 'current') with ``levels``.

        Levels are in V or A, at most 2500; they are sent 100 per message (the 2450's limit), the
        first message replacing the list and the others appending to it.
        """
        prefix = _FUNCTION[strict_discrete_set(function, _FUNCTION)]
        limit = 210 if prefix == "VOLT" else 1.05
        if not 1 <= len(levels) <= MAX_LIST_POINTS:
            raise ValueError(f"a source list holds 1 to {MAX_LIST_POINTS} levels")
        for level in levels:
            strict_range(level, [-limit, limit])
        for start in range(0, len(levels), LIST_CHUNK):
            chunk = ",".join(f"{float(v):g}" for v in levels[start : start + LIST_CHUNK])
            suffix = "" if start == 0 else ":APP"
            self.write(f":SOUR:LIST:{prefix}{suffix} {chunk}")

    def configure_list_sweep(self, function: str, delay: float) -> None:
        """Build the trigger model of a list sweep over the source list, once, into defbuffer1.

        ``delay`` (s) is 0 or 50 µs to 10 ks between points, added to any source delay. The sweep
        completes even where the limit is reached (failAbort OFF), so it always fills one reading
        per level. Replaces any trigger model; run it with :meth:`initiate`.
        """
        prefix = _FUNCTION[strict_discrete_set(function, _FUNCTION)]
        if delay != 0:
            strict_range(delay, list(SWEEP_DELAY_RANGE))
        self.write(f':SOUR:SWE:{prefix}:LIST 1, {delay:g}, 1, OFF, "{BUFFER}"')

    def initiate(self) -> None:
        """Start the trigger model (``:INIT``)."""
        self.write(":INIT")

    def wait_for_completion(self) -> None:
        """Hold every later command until the trigger model has finished (``*WAI``)."""
        self.write("*WAI")


class Keithley2450SourceMeter(PymeasureSourceHooks, SourceMeterBase):
    """The ``SourceMeter`` role on a Keithley 2450.

    Readings: voltage and current in V and A; ``time`` on the bench clock for :meth:`measure`,
    the instrument's relative timestamps for sweeps. See the module docstring for every message.
    """

    capabilities = SourceMeterCapabilities(
        model="Keithley 2450",
        max_voltage=210.0,
        max_current=1.05,
        hardware_sweep=True,
        # One sweep is bounded by the source list (2500 levels); defbuffer1 holds 100 000
        # readings by default, so the buffer is never the limit.
        max_sweep_points=MAX_LIST_POINTS,
        pulsed=False,
        min_nplc=0.01,
        max_nplc=10.0,
    )
    #: Power-line frequency used to estimate how long a sweep takes (Hz).
    line_frequency = 50.0
    #: Time per point beyond dwell and integration: autozero, auto source delay, settling (s).
    #: Used only for the VISA timeout of a sweep, so it errs on the long side.
    point_overhead = 0.05

    def __init__(self, instrument: Keithley2450, **kwargs: Any) -> None:
        super().__init__(instrument, **kwargs)
        self._nplc = 1.0

    # ------------------------------------------------------------- sweeps
    def sweep(self, levels: Sequence[float], dwell: float = 0.0) -> SweepResult:
        """Step through ``levels`` (V or A), ``dwell`` s before each reading; output must be on.

        Up to 2500 levels run as a hardware list sweep, where ``dwell`` must be 0 or 50 µs to
        10 ks (the 2450's sweep delay); longer lists run point by point. After the sweep the level
        stays at the last point.
        """
        dwell = check_positive("dwell", dwell, "s", allow_zero=True)
        try:
            count = len(levels)
        except TypeError:
            count = 0  # not a list: the base class refuses it with its own message
        low, high = SWEEP_DELAY_RANGE
        if 0 < count <= self.capabilities.max_sweep_points and dwell and not low <= dwell <= high:
            raise ParameterError(
                f"dwell = {format_si(dwell, 's')} is outside the allowed range of a 2450 "
                f"hardware sweep: 0, or {format_si(low, 's')} to {format_si(high, 's')}"
            )
        return super().sweep(levels, dwell)

    # --------------------------------------------------------------- hooks
    def _apply_source(self, mode: SourceMode, level: float, compliance: float) -> None:
        inst = self.instrument
        inst.source_mode = mode
        if mode == "voltage":
            inst.sense_function = "current"
            inst.compliance_current = compliance
            # Report the measured source value, so a clamped voltage shows up as it is.
            inst.source_voltage_readback_enabled = True
            inst.source_voltage_range_auto_enabled = True
            inst.source_voltage = level
        else:
            inst.sense_function = "voltage"
            inst.compliance_voltage = compliance
            inst.source_current_readback_enabled = True
            inst.source_current_range_auto_enabled = True
            inst.source_current = level
        self._raise_instrument_errors()

    def _read(self) -> Reading:
        mode = self._mode_now()
        reading = _readings_from_values(self.instrument.read_elements(), mode)[0]
        # The instrument's timestamp runs on its own clock; the role reports the bench clock.
        return Reading(
            voltage=reading.voltage,
            current=reading.current,
            time=self.clock.now(),
            in_compliance=reading.in_compliance,
        )

    def _configure_measurement(
        self, nplc: float, current_range: float | None, voltage_range: float | None
    ) -> None:
        inst = self.instrument
        # The 2450 keeps NPLC and range per measure function, and only one function is measured
        # at a time: set both, so the choice survives a change of source mode.
        inst.current_nplc = nplc
        inst.voltage_nplc = nplc
        self._nplc = nplc
        if current_range is None:
            inst.current_range_auto_enabled = True
        else:
            inst.current_range = current_range
        if voltage_range is None:
            inst.voltage_range_auto_enabled = True
        else:
            inst.voltage_range = voltage_range
        self._raise_instrument_errors()

    def _hardware_sweep(self, points: np.ndarray, dwell: float) -> SweepResult:
        inst = self.instrument
        mode = self._mode_now()
        # A fixed source range for the whole list: each list point stores the source settings,
        # and autorange would switch ranges (and glitch the output) between points.
        if mode == "voltage":
            inst.source_voltage_range = float(np.max(np.abs(points)))
        else:
            inst.source_current_range = float(np.max(np.abs(points)))
        inst.load_source_list(mode, [float(p) for p in points])
        inst.configure_list_sweep(mode, dwell)
        inst.clear_buffer()
        self._raise_instrument_errors()
        # If the readout fails (a VISA timeout), nothing below runs: the sweep may still be going,
        # and restoring the level now could step the output. The error goes up to the caller.
        with extended_timeout(inst, self._sweep_duration(len(points), dwell)):
            inst.initiate()
            inst.wait_for_completion()
            values = inst.buffer_elements(len(points))
        # The last recalled list point left the level there; make it the fixed level (no step)
        # and give the source range back to autorange, as source_voltage/current set it.
        self._write_level(float(points[-1]))
        if mode == "voltage":
            inst.source_voltage_range_auto_enabled = True
        else:
            inst.source_current_range_auto_enabled = True
        if not self._read_output():
            log.warning("%s: the output was off after the sweep", self.name)
        readings = _readings_from_values(values, mode)
        if len(readings) != len(points):
            raise InstrumentError(
                f"{self.name}: sweep of {len(points)} points returned {len(readings)} readings"
            )
        return sweep_result_from_readings(points, readings, hardware_timed=True)

    def _sweep_duration(self, count: int, dwell: float) -> float:
        # Per point: the dwell, about three integration periods (autozero reference, zero and
        # signal) and the fixed overhead.
        return count * (dwell + 3 * self._nplc / self.line_frequency + self.point_overhead)

    def _raise_instrument_errors(self) -> None:
        raise_scpi_errors(self.instrument, self.name)


def _readings_from_values(values: list, mode: SourceMode) -> list[Reading]:
    """Split a flat answer of :data:`ELEMENTS` into readings; ``time`` is the REL element."""
    width = len(ELEMENTS)
    if not values or len(values) % width:
        raise InstrumentError(
            f"expected a multiple of {width} values (reading, source, time, source status), "
            f"got {values!r}"
        )
    try:
        table = np.asarray(values, dtype=float).reshape(-1, width)
    except (TypeError, ValueError) as exc:
        raise InstrumentError(f"unreadable reading {values!r}") from exc
    readings = []
    for measured, source, rel, status in table:
        voltage, current = (source, measured) if mode == "voltage" else (measured, source)
        readings.append(
            Reading(
                voltage=float(voltage),
                current=float(current),
                time=float(rel),
                in_compliance=bool(int(status) & SOURCE_STATUS_LIMITED),
            )
        )
    return readings
