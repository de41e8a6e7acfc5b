"""Simulated Keithley 2400/2410: readings from the device under test, compliance, list sweeps.

Behaviour modelled on the real instrument (2400 manual, sections 3, 10 and 18):

- ``:READ?`` and ``:MEASure?`` switch the output on if it is off, as the real one does with
  auto-off disabled; every reading returns the ``:FORMat:ELEMents`` in order.
- In compliance the reading clamps at the limit and status bit 3 (value 8) is set.
- ``:SOURce:VOLTage:MODE LIST`` steps through ``:SOURce:LIST:VOLTage`` on the next ``:READ?``,
  ``:TRIGger:COUNt`` points, each after ``:SOURce:DELay``, then returns to the fixed level.
- Each reading takes ``NPLC / line frequency`` plus overhead on the bench clock.
"""

from __future__ import annotations

import math
from typing import Any

from labctl.sim.instrument import SETTINGS_CONFLICT, command
from labctl.sim.instruments.scpi_smu import ScpiSmuSim
from labctl.sim.scpi import Command, short_form

STATUS_COMPLIANCE = 8
OVERFLOW = 9.91e37
READING_OVERHEAD = 0.003  # s per reading beyond the integration time
ELEMENT_NAMES = {"VOLT": "voltage", "CURR": "current", "RES": "resistance", "TIME": "time",
                 "STAT": "status"}


class Keithley2400Sim(ScpiSmuSim):
    def __init__(self, bench: Any, device: Any, resource_name: str, options: dict[str, Any]):
        super().__init__(bench, device, resource_name, options)
        self.line_frequency = float(self.options.get("line_frequency", 50.0))
        self.connection = str(self.options.get("connection", "dut"))
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.output = False
        self.source_function = "VOLT"
        self.sense_function = "CURR"
        self.elements = ["VOLT", "CURR", "RES", "TIME", "STAT"]
        self.source_list: dict[str, list[float]] = {"VOLT": [], "CURR": []}
        self.sweep_level: float | None = None  # level while a list sweep runs

    # -- what the device under test sees -------------------------------------------------
    def dut_voltage(self) -> float | None:
        if not self.output or self.connection != "dut":
            return None
        return self._terminal_state()[0]

    def _level(self) -> float:
        if self.sweep_level is not None:
            return self.sweep_level
        name = "source_voltage" if self.source_function == "VOLT" else "source_current"
        return float(self.get(name))

    def _terminal_state(self) -> tuple[float, float, bool]:
        """(V, I, in compliance) at the terminals, without noise."""
        dut, level = self.bench.dut, self._level()
        wired = self.connection == "dut"
        stuck = self.faults.stuck_compliance
        if self.connection == "photodiode" and self.source_function == "VOLT":
            # A photodiode at (near) zero bias: its photocurrent, whatever the small level.
            current = self.bench.photodiode_current()
            limit = abs(float(self.get("compliance_current")))
            if abs(current) > limit:
                return level, math.copysign(limit, current), True
            return level, current, stuck
        if self.source_function == "VOLT":
            limit = abs(float(self.get("compliance_current")))
            current = dut.current(level) if wired else 0.0
            if abs(current) > limit:
                # In compliance the SMU becomes a current source at the limit.
                target = math.copysign(limit, current)
                return dut.voltage_for_current(target, abs(level)), target, True
            return level, current, stuck
        limit = abs(float(self.get("compliance_voltage")))
        if not wired:  # open circuit: the voltage runs to the compliance
            return math.copysign(limit, level), 0.0, True
        voltage = dut.voltage_for_current(level, limit)
        if abs(voltage) >= limit * (1 - 1e-9):
            return voltage, dut.current(voltage), True
        return voltage, level, stuck

    # -- readings --------------------------------------------------------------------------
    def _reading(self) -> list[float]:
        nplc = float(self.get("current_nplc"))
        delay = 0.0 if int(self.get("source_delay_auto")) else float(self.get("source_delay"))
        self.bench.clock.advance(delay + nplc / self.line_frequency + READING_OVERHEAD)
        voltage, current, compliance = self._terminal_state()
        bench = self.bench
        voltage = bench.noisy(voltage, 2e-5, 5e-6)
        current = bench.noisy(current, 2e-4, 2e-12)
        fixed_range = not int(self.get("current_range_auto"))
        if fixed_range and abs(current) > 1.05 * abs(float(self.get("current_range"))):
            current = OVERFLOW
        values = {
            "VOLT": voltage,
            "CURR": current,
            "RES": OVERFLOW,
            "TIME": bench.clock.now(),
            "STAT": float(STATUS_COMPLIANCE if compliance else 0),
        }
        return [values[name] for name in self.elements]

    @command("READ?", "MEAS?", "MEAS:CURR?", "MEAS:VOLT?", "MEAS:RES?", "FETC?")
    def _read(self, cmd: Command) -> str:
        self.output = True  # as the real 2400: READ switches the output on
        count = int(self.get("trigger_count")) * int(self.get("arm_count"))
        mode = "source_voltage_mode" if self.source_function == "VOLT" else "source_current_mode"
        listed = self.get(mode) == "LIST"
        points = self.source_list[self.source_function] if listed else []
        if listed and not points:
            self.push_error(*SETTINGS_CONFLICT)
            return ""
        values: list[float] = []
        try:
            for index in range(count):
                if points:
                    self.sweep_level = points[index % len(points)]
                values.extend(self._reading())
        finally:
            self.sweep_level = None
        return ",".join(f"{v:+.6E}" for v in values)

    # -- settings with side effects ----------------------------------------------------------
    @command("SENS:FUNC", "SENS:FUNC:ON")
    def _sense_function(self, cmd: Command) -> None:
        names = [short_form(arg.strip("'\"").split(":")[0]) for arg in cmd.args]
        if not names or any(name not in ("VOLT", "CURR", "RES") for name in names):
            raise ValueError(cmd.args)
        self.sense_function = names[-1]

    @command("SENS:FUNC?", "SENS:FUNC:ON?")
    def _sense_function_query(self, cmd: Command) -> str:
        return f'"{self.sense_function}:DC"'

    @command("FORM:ELEM", "FORM:ELEM:SENS")
    def _elements(self, cmd: Command) -> None:
        names = [short_form(arg) for arg in cmd.args]
        if not names or any(name not in ELEMENT_NAMES for name in names):
            raise ValueError(cmd.args)
        self.elements = names

    @command("FORM:ELEM?", "FORM:ELEM:SENS?")
    def _elements_query(self, cmd: Command) -> str:
        return ",".join(self.elements)

    @command("SOUR:DEL")
    def _source_delay(self, cmd: Command) -> None:
        # As on the real 2400: a manual delay switches the automatic delay off.
        self.set("source_delay", cmd.float_arg())
        self.set("source_delay_auto", 0)

    @command("SOUR:LIST:VOLT", "SOUR:LIST:CURR")
    def _list(self, cmd: Command) -> None:
        self.source_list[cmd.header.split(":")[-1]] = [float(a) for a in cmd.args]

    @command("SOUR:LIST:VOLT:APP", "SOUR:LIST:CURR:APP")
    def _list_append(self, cmd: Command) -> None:
        self.source_list[cmd.header.split(":")[-2]].extend(float(a) for a in cmd.args)

    @command("SOUR:LIST:VOLT?", "SOUR:LIST:CURR?")
    def _list_query(self, cmd: Command) -> str:
        return ",".join(f"{v:+.6E}" for v in self.source_list[cmd.header.split(":")[-1]])

    @command("SOUR:LIST:VOLT:POIN?", "SOUR:LIST:CURR:POIN?")
    def _list_points(self, cmd: Command) -> str:
        return str(len(self.source_list[cmd.header.split(":")[-2]]))

    @command("ABOR", "INIT", "SYST:BEEP", "SYST:BEEP:IMM", "SYST:PRES", "TRAC:CLE", "SYST:KEY")
    def _accepted(self, cmd: Command) -> None:
        if cmd.header == "SYST:PRES":
            self.reset()
