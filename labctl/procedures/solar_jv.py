"""Solar-cell J–V under illumination: preconditioning, then reverse and forward scans.

History matters in perovskites (ISOS, Khenkin et al. 2020): the run records the preconditioning
(bias and time, light soaking), the scan rate, the direction order and the dwell that the scan
rate implies. Each scan is hardware-timed where the SMU can.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from labctl.errors import ParameterError
from labctl.procedures.base import Procedure, RunContext, blame
from labctl.procedures.parameters import Parameter, ParameterSet
from labctl.roles import SourceMeter
from labctl.run.records import Column

FORWARD, REVERSE = 0.0, 1.0


class SolarJV(Procedure):
    name = "solar_jv"
    title = "Solar-cell J-V"
    description = "Forward and reverse scans under light: Voc, Jsc, FF, PCE, hysteresis"
    needs: ClassVar[Mapping[str, type]] = {"smu": SourceMeter}
    analysis = "solar_jv"
    parameters = ParameterSet([
        Parameter("v_low", "V", -0.1, -10.0, 10.0),
        Parameter("v_high", "V", 1.25, -10.0, 10.0),
        Parameter("points", "", 136, 3, 2500, kind=int),
        Parameter("scan_rate", "V/s", 0.1, 1e-4, 100.0, display_unit="mV/s"),
        Parameter("order", kind=str, default="reverse-forward",
                  choices=("reverse-forward", "forward-reverse", "forward", "reverse")),
        Parameter("precondition_voltage", "V", 0.0, -10.0, 10.0,
                  doc="held before the first scan (e.g. Voc or a forward bias)"),
        Parameter("precondition_time", "s", 0.0, 0.0, 86400.0,
                  doc="light soaking / bias hold before scanning; 0 = none"),
        Parameter("nplc", "", 0.1, 0.001, 25.0),
        Parameter("compliance_current", "A", 0.02, 1e-9, 1.5, display_unit="mA"),
        Parameter("area", "m**2", 0.1e-4, 1e-12, 1e-1, display_unit="cm**2",
                  doc="aperture (mask) area"),
        Parameter("irradiance", "W/m**2", 1000.0, 1.0, 1e5, display_unit="mW/cm**2",
                  doc="incident power density; AM1.5G is 100 mW/cm²"),
    ])

    def scan(self) -> np.ndarray:
        v = self.values
        if v["v_high"] <= v["v_low"]:
            raise ParameterError(f"v_high = {v['v_high']:g} V must exceed v_low = {v['v_low']:g} V")
        return np.linspace(v["v_low"], v["v_high"], v["points"])

    def scans(self) -> list[tuple[np.ndarray, float]]:
        up = self.scan()
        order = self.values["order"].split("-")
        return [(up if name == "forward" else up[::-1], FORWARD if name == "forward" else REVERSE)
                for name in order]

    @property
    def dwell(self) -> float:
        v = self.values
        return (v["v_high"] - v["v_low"]) / (v["points"] - 1) / v["scan_rate"]

    def check(self, bench: Any) -> None:
        v = self.values
        levels = np.concatenate([s for s, _ in self.scans()])
        with blame("v_low", "v_high", "points", "scan_rate", "compliance_current"):
            bench.limits.check_levels("voltage", levels, v["compliance_current"],
                                      interval=max(self.dwell, v["nplc"] / 60))
        with blame("precondition_voltage"):
            bench.limits.check_source("voltage", v["precondition_voltage"],
                                      v["compliance_current"])

    def streams(self, bench: Any) -> dict[str, dict[str, Column]]:
        return {"jv": {
            "time": Column("s"),
            "source": Column("V"),
            "voltage": Column("V"),
            "current": Column("A", description="as the SMU measures it: < 0 when generating"),
            "current_density": Column("A/m**2"),
            "direction": Column("", description="0 forward (low to high), 1 reverse"),
        }}

    def estimated_duration(self) -> float:
        v = self.values
        return v["precondition_time"] + len(self.scans()) * v["points"] * self.dwell

    def analysis_settings(self) -> dict[str, Any]:
        return {"area": self.values["area"], "irradiance": self.values["irradiance"]}

    def run(self, ctx: RunContext) -> None:
        v = self.values
        smu = ctx.role("smu")
        smu.configure_measurement(nplc=v["nplc"])
        smu.source_voltage(0.0, compliance_current=v["compliance_current"])
        smu.output_on()
        if v["precondition_time"] > 0:
            smu.set_level(v["precondition_voltage"])
            ctx.progress(0.0, "preconditioning")
            ctx.sleep(v["precondition_time"])
        # The SMU's own timing supplies the dwell; a sweep's reading time adds to it.
        dwell = max(self.dwell - v["nplc"] / 50, 0.0)
        scans = self.scans()
        for index, (levels, direction) in enumerate(scans):
            ctx.checkpoint()
            result = smu.sweep(levels, dwell=dwell)
            ctx.emit(
                "jv",
                time=result.time + (ctx.elapsed() - result.time[-1]),
                source=result.source,
                voltage=result.voltage,
                current=result.current,
                current_density=result.current / v["area"],
                direction=np.full(len(result), direction),
            )
            ctx.progress((index + 1) / len(scans),
                         "forward" if direction == FORWARD else "reverse")
