"""Keithley 2400 and 2410 SourceMeters (SCPI, the 2400 command set).

The instrument classes extend pymeasure's :class:`~pymeasure.instruments.keithley.Keithley2400`,
which already declares every setting this role needs; the 2410 widens the voltage limits to its
±1100 V. The role classes add hardware list sweeps into the 2400's buffer, read back in one
``:READ?``.
"""

from __future__ import annotations

import numpy as np
from pymeasure.instruments import Instrument
from pymeasure.instruments.keithley import Keithley2400 as _PymeasureKeithley2400
from pymeasure.instruments.validators import strict_range

from labctl.drivers.scpi import extended_timeout, raise_scpi_errors
from labctl.drivers.source_meter_base import (
    PymeasureSourceHooks,
    SourceMeterBase,
    sweep_result_from_readings,
)
from labctl.errors import InstrumentError
from labctl.roles.source_meter import Reading, SourceMeterCapabilities, SourceMode, SweepResult

#: Order of the elements in every reading; pymeasure's driver sets it on connection.
ELEMENTS = ("voltage", "current", "resistance", "time", "status")
#: Status word bit 3 (value 8) flags a reading taken in compliance (2400 manual, Table 18-7).
STATUS_COMPLIANCE = 1 << 3
#: The source list accepts at most 100 values per command; more are appended.
LIST_CHUNK = 100


class Keithley2400(_PymeasureKeithley2400):
    """Keithley 2400 SourceMeter: ±210 V, ±1.05 A."""

    def __init__(self, adapter, name: str = "Keithley 2400 SourceMeter", **kwargs) -> None:
        super().__init__(adapter, name, **kwargs)

    trigger_count_value = Instrument.control(
        ":TRIG:COUN?",
        ":TRIG:COUN %d",
        """Control how many points one :READ? acquires (int, 1 to 2500).""",
        validator=strict_range,
        values=[1, 2500],
        cast=lambda v: int(float(v)),
    )


class Keithley2410(Keithley2400):
    """Keithley 2410 High-Voltage SourceMeter: ±1100 V, ±1.05 A (±21 mA above 21 V)."""

    def __init__(self, adapter, name: str = "Keithley 2410 SourceMeter", **kwargs) -> None:
        super().__init__(adapter, name, **kwargs)

    source_voltage = Instrument.control(
        ":SOURCE:VOLTAGE?",
        ":SOURCE:VOLTAGE %g",
        """Control the source voltage in Volts (float, strictly from -1100 to 1100).""",
        validator=strict_range,
        values=[-1100, 1100],
    )

    source_voltage_range = Instrument.control(
        ":SOURCE:VOLTAGE:RANGE?",
        ":SOURCE:VOLTAGE:RANGE %g",
        """Control the source voltage range in Volts (float, strictly from -1100 to 1100).""",
        validator=strict_range,
        values=[-1100, 1100],
    )

    compliance_voltage = Instrument.control(
        ":SENSE:VOLTAGE:PROTECTION?",
        ":SENSE:VOLTAGE:PROTECTION %g",
        """Control the compliance voltage in Volts (float, strictly from -1100 to 1100).""",
        validator=strict_range,
        values=[-1100, 1100],
    )

    voltage_range = Instrument.control(
        ":SENSE:VOLTAGE:RANGE?",
        ":SENSE:VOLTAGE:RANGE %g",
        """Control the measurement voltage range in Volts (float, strictly from -1100 to 1100).""",
        validator=strict_range,
        values=[-1100, 1100],
    )


class Keithley2400SourceMeter(PymeasureSourceHooks, SourceMeterBase):
    """The ``SourceMeter`` role on a Keithley 2400."""

    capabilities = SourceMeterCapabilities(
        model="Keithley 2400",
        max_voltage=210.0,
        max_current=1.05,
        hardware_sweep=True,
        max_sweep_points=2500,
        pulsed=False,
        min_nplc=0.01,
        max_nplc=10.0,
        sweep_returns_to_start=True,
    )
    #: Power-line frequency used to estimate how long a sweep takes.
    line_frequency = 50.0

    # --------------------------------------------------------------- hooks
    def _apply_source(self, mode: SourceMode, level: float, compliance: float) -> None:
        inst = self.instrument
        inst.source_mode = mode
        if mode == "voltage":
            inst.write(":SENS:FUNC 'CURR'")
            inst.compliance_current = compliance
            inst.source_voltage_range_auto_enabled = True
            inst.source_voltage = level
        else:
            inst.write(":SENS:FUNC 'VOLT'")
            inst.compliance_voltage = compliance
            inst.source_current_range_auto_enabled = True
            inst.source_current = level
        self._raise_instrument_errors()

    def _read(self) -> Reading:
        values = self.instrument.values(":READ?")
        return _readings_from_values(values)[0]

    def _configure_measurement(
        self, nplc: float, current_range: float | None, voltage_range: float | None
    ) -> None:
        inst = self.instrument
        inst.current_nplc = nplc  # global on the 2400: sets the voltage NPLC too
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
        prefix = "VOLT" if mode == "voltage" else "CURR"
        # A fixed source range, so the output never glitches on a range change mid-sweep.
        if mode == "voltage":
            inst.source_voltage_range = float(np.max(np.abs(points)))
        else:
            inst.source_current_range = float(np.max(np.abs(points)))
        for start in range(0, len(points), LIST_CHUNK):
            chunk = ",".join(f"{p:g}" for p in points[start : start + LIST_CHUNK])
            command = "" if start == 0 else ":APP"
            inst.write(f":SOUR:LIST:{prefix}{command} {chunk}")
        # Idle in LIST mode, and after the sweep, the 2400 outputs the fixed level: keep it at
        # the first point, where the output already is, so nothing steps before the sweep. The
        # return to it afterwards is bounded by the caller (capabilities.sweep_returns_to_start).
        self._write_level(float(points[0]))
        inst.write(f":SOUR:{prefix}:MODE LIST")
        inst.source_delay = dwell
        inst.trigger_count_value = len(points)
        self._raise_instrument_errors()
        try:
            with extended_timeout(inst, self._sweep_duration(len(points), dwell)):
                values = inst.values(":READ?")
        finally:
            inst.write(f":SOUR:{prefix}:MODE FIX")
            inst.trigger_count_value = 1
        readings = _readings_from_values(values)
        if len(readings) != len(points):
            raise InstrumentError(
                f"{self.name}: sweep of {len(points)} points returned {len(readings)} readings"
            )
        return sweep_result_from_readings(points, readings, hardware_timed=True)

    def _sweep_duration(self, count: int, dwell: float) -> float:
        # Per point: the dwell, plus about three integration periods (autozero, measure, sense).
        return count * (dwell + 3 * self._nplc / self.line_frequency + 0.002)

    def _raise_instrument_errors(self) -> None:
        raise_scpi_errors(self.instrument, self.name)


class Keithley2410SourceMeter(Keithley2400SourceMeter):
    """The ``SourceMeter`` role on a Keithley 2410."""

    capabilities = SourceMeterCapabilities(
        model="Keithley 2410",
        max_voltage=1100.0,
        max_current=1.05,
        hardware_sweep=True,
        max_sweep_points=2500,
        pulsed=False,
        min_nplc=0.01,
        max_nplc=10.0,
        sweep_returns_to_start=True,
    )


def _readings_from_values(values: list) -> list[Reading]:
    """Split a flat :READ? answer into readings of :data:`ELEMENTS`."""
    width = len(ELEMENTS)
    if not values or len(values) % width:
        raise InstrumentError(
            f"expected a multiple of {width} values (V, I, R, t, status), got {values!r}"
        )
    try:
        table = np.asarray(values, dtype=float).reshape(-1, width)
    except (TypeError, ValueError) as exc:
        raise InstrumentError(f"unreadable reading {values!r}") from exc
    return [
        Reading(
            voltage=float(row[0]),
            current=float(row[1]),
            time=float(row[3]),
            in_compliance=bool(int(row[4]) & STATUS_COMPLIANCE),
        )
        for row in table
    ]
