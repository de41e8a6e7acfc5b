"""Lateral-field photoluminescence: PL spectra of a film between coplanar electrodes, under a
schedule of fields, polarities and rests.

The schedule: a baseline at 0 V, then for each field a bias-on period and a bias-off recovery.
The voltage is field × gap (a high-voltage SMU such as the 2410 reaches ±1100 V); it ramps to
each level at the sample's ramp rate. A spectrum (and the SMU's reading) is taken every
``spectrum_interval`` throughout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from labctl.procedures.base import Procedure, RunContext, blame
from labctl.procedures.common import (
    SPECTRUM_PARAMETERS,
    acquire_spectrum,
    configure_spectrometer,
    spectrum_columns,
)
from labctl.procedures.parameters import Parameter, ParameterSet
from labctl.roles import SourceMeter, Spectrometer
from labctl.run.records import Column


class LateralPL(Procedure):
    name = "lateral_pl"
    title = "Lateral-field PL"
    description = "PL spectra under a lateral field schedule: quenching, response, recovery"
    needs: ClassVar[Mapping[str, type]] = {"smu": SourceMeter, "spectrometer": Spectrometer}
    analysis = "lateral_pl"
    parameters = ParameterSet([
        Parameter("gap", "m", 500e-6, 1e-6, 0.1, display_unit="um",
                  doc="electrode gap; field = V / gap"),
        Parameter("fields", "V/m", [2e4, -2e4], -1e9, 1e9, kind=list,
                  doc="one bias period per field, in order; the sign is the polarity"),
        Parameter("baseline_time", "s", 60.0, 0.0, 86400.0),
        Parameter("on_time", "s", 300.0, 1e-3, 864000.0),
        Parameter("off_time", "s", 300.0, 0.0, 864000.0, doc="rest (recovery) after each field"),
        Parameter("spectrum_interval", "s", 5.0, 1e-3, 86400.0),
        Parameter("compliance_current", "A", 1e-6, 1e-12, 1.0, display_unit="uA"),
        Parameter("nplc", "", 1.0, 0.001, 25.0),
        *SPECTRUM_PARAMETERS,
    ])

    def voltages(self) -> list[float]:
        return [field * self.values["gap"] for field in self.values["fields"]]

    def check(self, bench: Any) -> None:
        with blame("fields", "gap", "compliance_current"):
            for voltage in self.voltages():
                bench.limits.check_source("voltage", voltage, self.values["compliance_current"])

    def streams(self, bench: Any) -> dict[str, dict[str, Column]]:
        return {"spectra": {
            **spectrum_columns(bench),
            "bias": Column("V", description="programmed bias"),
            "field": Column("V/m"),
            "voltage": Column("V", description="measured"),
            "current": Column("A", description="leakage through the film"),
            "step": Column("", description="-1 baseline, then the index of the field"),
        }}

    def estimated_duration(self) -> float:
        v = self.values
        return v["baseline_time"] + len(v["fields"]) * (v["on_time"] + v["off_time"])

    def analysis_settings(self) -> dict[str, Any]:
        return {"gap": self.values["gap"]}

    def run(self, ctx: RunContext) -> None:
        v = self.values
        smu = ctx.role("smu")
        configure_spectrometer(ctx, v)
        smu.configure_measurement(nplc=v["nplc"])
        smu.source_voltage(0.0, compliance_current=v["compliance_current"])
        smu.output_on()
        total = self.estimated_duration()
        start = ctx.elapsed()
        self._record(ctx, smu, -1, 0.0, v["baseline_time"], start, total)
        for step, (field, voltage) in enumerate(zip(v["fields"], self.voltages(), strict=True)):
            smu.set_level(voltage)  # ramps at the sample's ramp rate when the step is large
            self._record(ctx, smu, step, voltage, v["on_time"], start, total, field)
            smu.set_level(0.0)
            self._record(ctx, smu, step, 0.0, v["off_time"], start, total)

    def _record(self, ctx: RunContext, smu: Any, step: int, bias: float, duration: float,
                start: float, total: float, field: float = 0.0) -> None:
        v = self.values
        until = ctx.elapsed() + duration
        while True:
            reading = smu.measure()
            spectrum = acquire_spectrum(ctx)
            spectrum["time"] = ctx.elapsed() - start
            ctx.emit("spectra", **spectrum, bias=bias, field=field, voltage=reading.voltage,
                     current=reading.current, step=float(step))
            ctx.progress((ctx.elapsed() - start) / total,
                         f"step {step}: {bias:g} V" if step >= 0 else "baseline")
            if ctx.elapsed() + v["spectrum_interval"] > until:
                break
            ctx.sleep(v["spectrum_interval"])
        ctx.sleep(max(until - ctx.elapsed(), 0.0))
