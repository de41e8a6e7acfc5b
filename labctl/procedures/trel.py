"""Transient electroluminescence: a voltage pulse, the EL and the current, averaged over N shots.

The generator applies a pulse (high level, width, period, edge times) at a repetition rate low
enough for the light to decay fully between pulses. The oscilloscope triggers on the drive, and
averages ``averages`` shots of the photodetector (EL) and of the current-sense resistor. One
trace is stored per pulse amplitude.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from labctl.errors import ParameterError
from labctl.procedures.base import Procedure, RunContext
from labctl.procedures.parameters import Parameter, ParameterSet
from labctl.procedures.scope_setup import autoscale, resample, set_window, trigger_on_drive
from labctl.roles import FunctionGenerator, Oscilloscope
from labctl.run.records import Column

HIGH_Z = math.inf


class TrEL(Procedure):
    name = "trel"
    title = "Transient electroluminescence"
    description = "Pulsed drive, averaged EL and current transients: delay, rise, decay"
    needs: ClassVar[Mapping[str, type]] = {"generator": FunctionGenerator,
                                           "scope": Oscilloscope}
    analysis = "trel"
    parameters = ParameterSet([
        Parameter("amplitudes", "V", [4.0], -20.0, 20.0, kind=list,
                  doc="pulse high levels, one trace each; the low level is low_level"),
        Parameter("low_level", "V", 0.0, -20.0, 20.0),
        Parameter("pulse_width", "s", 10e-6, 20e-9, 1.0, display_unit="us"),
        Parameter("period", "s", 1e-3, 1e-6, 100.0, display_unit="ms",
                  doc="repetition period: long enough for the EL to decay fully"),
        Parameter("edge_time", "s", 0.0, 0.0, 1e-3, display_unit="ns",
                  doc="10-90 % rise and fall time of the pulse; 0 = the fastest"),
        Parameter("load", kind=str, default="high-z", choices=("high-z", "50")),
        Parameter("averages", "", 64, 1, 65536, kind=int),
        Parameter("window", "s", 0.0, 0.0, 10.0, display_unit="us",
                  doc="time shown by the scope; 0 = 2.5 × the pulse width"),
        Parameter("pretrigger", "", 0.1, 0.0, 0.9, doc="fraction of the window before the edge"),
        Parameter("points", "", 10000, 100, 1_000_000, kind=int),
        Parameter("el_channel", "", 1, 1, 4, kind=int),
        Parameter("current_channel", "", 2, 1, 4, kind=int),
        Parameter("drive_channel", "", 3, 1, 4, kind=int),
        Parameter("shunt_resistance", "ohm", 50.0, 1e-3, 1e6,
                  doc="current-sense resistor the current channel reads"),
        Parameter("thickness", "m", 100e-9, 1e-9, 1e-3, display_unit="nm"),
        Parameter("eps_r", "", 30.0, 1.0, 1000.0),
        Parameter("area", "m**2", 4e-6, 1e-12, 1e-2, display_unit="mm**2"),
    ])

    @property
    def window(self) -> float:
        v = self.values
        return v["window"] or 2.5 * v["pulse_width"]

    def check(self, bench: Any) -> None:
        v = self.values
        if v["pulse_width"] >= v["period"]:
            raise ParameterError(
                f"pulse_width = {v['pulse_width']:g} s must be shorter than period = "
                f"{v['period']:g} s"
            )
        channels = {v["el_channel"], v["current_channel"], v["drive_channel"]}
        if len(channels) != 3:
            raise ParameterError("el_channel, current_channel and drive_channel must differ")
        # Into 50 Ω a high-impedance LED sees up to twice the programmed level.
        factor = 1.0 if v["load"] == "high-z" else 2.0
        for amplitude in v["amplitudes"]:
            bench.limits.check_voltage("amplitudes" + (" (×2, load 50)" if factor > 1 else ""),
                                       amplitude * factor)
        bench.limits.check_voltage("low_level", v["low_level"] * factor)

    def streams(self, bench: Any) -> dict[str, dict[str, Column]]:
        points = self.values["points"]
        return {"traces": {
            "amplitude": Column("V"),
            "time": Column("s", (points,), description="relative to the pulse's rising edge"),
            "el": Column("V", (points,), description="photodetector signal"),
            "current": Column("A", (points,), description="current-sense voltage / resistance"),
            "drive": Column("V", (points,), description="the generator's output"),
        }}

    def estimated_duration(self) -> float:
        v = self.values
        return len(v["amplitudes"]) * v["averages"] * v["period"]

    def analysis_settings(self) -> dict[str, Any]:
        v = self.values
        return {"pulse_width": v["pulse_width"], "thickness": v["thickness"],
                "eps_r": v["eps_r"], "area": v["area"], "resistance": v["shunt_resistance"]}

    def run(self, ctx: RunContext) -> None:
        v = self.values
        generator, scope = ctx.role("generator"), ctx.role("scope")
        generator.set_load(HIGH_Z if v["load"] == "high-z" else 50.0)
        edge = v["edge_time"] or None
        set_window(scope, self.window, v["pretrigger"])
        el, cur, drv = v["el_channel"], v["current_channel"], v["drive_channel"]
        for index, amplitude in enumerate(v["amplitudes"]):
            ctx.checkpoint()
            generator.pulse(period=v["period"], width=v["pulse_width"], high=amplitude,
                            low=v["low_level"], leading_edge=edge, trailing_edge=edge)
            generator.output_on()
            trigger_on_drive(scope, drv, amplitude, v["low_level"])
            scope.set_averaging(1)
            scales = autoscale(scope, {el: 0.1, cur: 0.1,
                                       drv: max(abs(amplitude), abs(v["low_level"])) / 3})
            scope.set_averaging(v["averages"])
            captured = scope.capture((el, cur, drv), timeout=max(10.0, 4 * v["averages"]
                                                                 * v["period"]))
            time = resample(captured[el].time, v["points"])
            ctx.emit(
                "traces",
                amplitude=amplitude,
                time=time,
                el=resample(captured[el].voltage, v["points"]),
                current=resample(captured[cur].voltage, v["points"]) / v["shunt_resistance"],
                drive=resample(captured[drv].voltage, v["points"]),
            )
            ctx.progress((index + 1) / len(v["amplitudes"]),
                         f"{amplitude:g} V, {scales[el]:g} V/div on EL")
        generator.output_off()
