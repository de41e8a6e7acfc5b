"""AC drive: square (duty cycle, forward and reverse levels) or sine (V_pp, offset) at a list of
frequencies, one oscilloscope capture of EL, current and drive per frequency; optionally a long
run at one frequency, captured at intervals, to compare stability with DC.
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


class ACDrive(Procedure):
    name = "ac_drive"
    title = "AC drive"
    description = "Square or sine drive over frequency: EL amplitude, phase, forward/reverse"
    needs: ClassVar[Mapping[str, type]] = {"generator": FunctionGenerator,
                                           "scope": Oscilloscope}
    analysis = "ac_drive"
    parameters = ParameterSet([
        Parameter("waveform", kind=str, default="square", choices=("square", "sine")),
        Parameter("frequencies", "Hz", [1.0, 20.0, 50.0, 100.0], 1e-3, 1e7, kind=list),
        Parameter("forward", "V", 4.5, -20.0, 20.0, doc="square: the forward (high) level"),
        Parameter("reverse", "V", -3.5, -20.0, 20.0, doc="square: the reverse (low) level"),
        Parameter("duty_cycle", "", 0.5, 0.01, 0.99, doc="square: fraction at forward bias"),
        Parameter("v_pp", "V", 8.0, 0.001, 20.0, doc="sine: peak-to-peak amplitude"),
        Parameter("offset", "V", 0.5, -10.0, 10.0, doc="sine: offset"),
        Parameter("periods", "", 4, 1, 1000, kind=int, doc="drive periods per capture"),
        Parameter("points", "", 5000, 100, 1_000_000, kind=int),
        Parameter("averages", "", 1, 1, 65536, kind=int),
        Parameter("long_run_duration", "s", 0.0, 0.0, 3.6e7, display_unit="h",
                  doc="0 = no long run; else hold the last frequency this long"),
        Parameter("long_run_interval", "s", 60.0, 0.01, 86400.0),
        Parameter("el_channel", "", 1, 1, 4, kind=int),
        Parameter("current_channel", "", 2, 1, 4, kind=int),
        Parameter("drive_channel", "", 3, 1, 4, kind=int),
        Parameter("shunt_resistance", "ohm", 50.0, 1e-3, 1e6),
    ])

    def levels(self) -> tuple[float, float]:
        v = self.values
        if v["waveform"] == "square":
            return v["forward"], v["reverse"]
        return v["offset"] + v["v_pp"] / 2, v["offset"] - v["v_pp"] / 2

    def check(self, bench: Any) -> None:
        high, low = self.levels()
        if high <= low:
            raise ParameterError(f"the forward level {high:g} V must exceed the reverse {low:g} V")
        bench.limits.check_voltage("forward level", high)
        bench.limits.check_voltage("reverse level", low)
        if not self.values["frequencies"]:
            raise ParameterError("frequencies: give at least one")

    def streams(self, bench: Any) -> dict[str, dict[str, Column]]:
        points = self.values["points"]
        return {"captures": {
            "frequency": Column("Hz"),
            "elapsed": Column("s", description="bench time since the run started"),
            "time": Column("s", (points,)),
            "el": Column("V", (points,)),
            "current": Column("A", (points,)),
            "drive": Column("V", (points,)),
        }}

    def estimated_duration(self) -> float:
        v = self.values
        scan = sum(v["periods"] * v["averages"] / f for f in v["frequencies"])
        return scan + v["long_run_duration"]

    def analysis_settings(self) -> dict[str, Any]:
        return {}

    def run(self, ctx: RunContext) -> None:
        v = self.values
        generator, scope = ctx.role("generator"), ctx.role("scope")
        el, cur, drv = v["el_channel"], v["current_channel"], v["drive_channel"]
        high, low = self.levels()
        generator.set_load(math.inf)  # an LED is no 50 Ω load: levels as programmed
        frequencies = list(v["frequencies"])
        total = len(frequencies) + (1 if v["long_run_duration"] else 0)
        scales = {el: 0.1, cur: 0.1, drv: max(abs(high), abs(low)) / 3}
        for index, frequency in enumerate(frequencies):
            ctx.checkpoint()
            self._configure(generator, frequency, high, low)
            generator.output_on()
            set_window(scope, v["periods"] / frequency, 0.0)
            trigger_on_drive(scope, drv, high, low)
            scope.set_averaging(1)
            scales = autoscale(scope, scales)
            scope.set_averaging(v["averages"])
            self._capture(ctx, scope, frequency, (el, cur, drv))
            ctx.progress((index + 1) / total, f"{frequency:g} Hz")
        if v["long_run_duration"] > 0:
            start = ctx.elapsed()
            while ctx.elapsed() - start < v["long_run_duration"]:
                ctx.sleep(v["long_run_interval"])
                self._capture(ctx, scope, frequencies[-1], (el, cur, drv))
                done = (ctx.elapsed() - start) / v["long_run_duration"]
                ctx.progress((len(frequencies) + min(done, 1.0)) / total, "long run")
        generator.output_off()

    def _configure(self, generator: Any, frequency: float, high: float, low: float) -> None:
        v = self.values
        if v["waveform"] == "square":
            generator.square(frequency, high=high, low=low, duty_cycle=v["duty_cycle"])
        else:
            generator.sine(frequency, amplitude=v["v_pp"], offset=v["offset"])

    def _capture(self, ctx: RunContext, scope: Any, frequency: float,
                 channels: tuple[int, int, int]) -> None:
        v = self.values
        el, cur, drv = channels
        timeout = max(10.0, 4 * v["averages"] * v["periods"] / frequency)
        captured = scope.capture(channels, timeout=timeout)
        ctx.emit(
            "captures",
            frequency=frequency,
            elapsed=ctx.elapsed(),
            time=resample(captured[el].time, v["points"]),
            el=resample(captured[el].voltage, v["points"]),
            current=resample(captured[cur].voltage, v["points"]) / v["shunt_resistance"],
            drive=resample(captured[drv].voltage, v["points"]),
        )
