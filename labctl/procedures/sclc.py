"""SCLC sweep: dark J–V of a single-carrier device, DC or pulsed.

DC mode steps the voltage (linear or log) with a dwell at each point, hardware-timed into the
SMU's buffer where the model can, forward and optionally back down to reveal ionic hysteresis.
Pulsed mode (Duijnstee et al., ACS Energy Lett. 2020) applies each level as a short pulse over a
background bias and reads at the end of the pulse, so mobile ions cannot redistribute.
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


class SCLCSweep(Procedure):
    name = "sclc"
    title = "SCLC sweep"
    description = "Dark J-V of a single-carrier device: trap density and mobility"
    needs: ClassVar[Mapping[str, type]] = {"smu": SourceMeter}
    analysis = "sclc"
    parameters = ParameterSet([
        Parameter("v_max", "V", 8.0, 0.01, 1100.0, doc="highest voltage of the sweep"),
        Parameter("v_min", "V", 0.01, 0.0, 1100.0,
                  doc="first non-zero voltage (the log grid starts here)"),
        Parameter("points", "", 101, 2, 10000, kind=int, doc="points per direction"),
        Parameter("spacing", kind=str, default="log", choices=("log", "linear"),
                  doc="log steps resolve the ohmic and trap-filling regions evenly"),
        Parameter("include_zero", kind=bool, default=True, doc="start the sweep at 0 V"),
        Parameter("direction", kind=str, default="both", choices=("forward", "both"),
                  doc="'both' sweeps back down to show ionic hysteresis"),
        Parameter("dwell", "s", 0.01, 0.0, 3600.0, doc="wait at each point before reading"),
        Parameter("nplc", "", 1.0, 0.001, 25.0, doc="integration time in power-line cycles"),
        Parameter("compliance_current", "A", 0.1, 1e-9, 1.5, display_unit="mA"),
        Parameter("mode", kind=str, default="dc", choices=("dc", "pulsed")),
        Parameter("pulse_width", "s", 1e-3, 1e-4, 10.0, display_unit="ms"),
        Parameter("pulse_period", "s", 0.1, 1e-3, 1000.0, display_unit="ms"),
        Parameter("bias", "V", 0.0, -1100.0, 1100.0, doc="background level between pulses"),
        Parameter("block", "", 50, 1, 2500, kind=int,
                  doc="points per hardware sweep: data streams and aborts between blocks"),
        Parameter("thickness", "m", 1e-6, 1e-9, 1e-2, display_unit="nm",
                  doc="device thickness L, for the analysis"),
        Parameter("eps_r", "", 30.0, 1.0, 1000.0, doc="relative permittivity, for the analysis"),
        Parameter("area", "m**2", 1e-6, 1e-12, 1e-2, display_unit="mm**2",
                  doc="device area, for J"),
        Parameter("temperature", "K", 300.0, 1.0, 1000.0),
    ])

    # -- planning ---------------------------------------------------------------------------
    def levels(self) -> tuple[np.ndarray, np.ndarray]:
        """(voltages, direction flag) of the whole sweep, in order."""
        v = self.values
        if v["v_min"] >= v["v_max"]:
            raise ParameterError(
                f"v_min = {v['v_min']:g} V must be below v_max = {v['v_max']:g} V"
            )
        if v["spacing"] == "log":
            if v["v_min"] <= 0:
                raise ParameterError(
                    f"v_min = {v['v_min']:g} V: a log grid needs v_min > 0 (0 V is added by "
                    "include_zero)"
                )
            up = np.geomspace(v["v_min"], v["v_max"], v["points"])
        else:
            up = np.linspace(v["v_min"], v["v_max"], v["points"])
        if v["include_zero"]:
            up = np.concatenate([[0.0], up])
        direction = np.full(len(up), FORWARD)
        if v["direction"] == "both":
            down = up[::-1][1:]
            up = np.concatenate([up, down])
            direction = np.concatenate([direction, np.full(len(down), REVERSE)])
        return up, direction

    def check(self, bench: Any) -> None:
        levels, _ = self.levels()
        limits = bench.limits
        compliance = self.values["compliance_current"]
        with blame("v_max", "points", "dwell", "compliance_current", "bias"):
            self._check_limits(bench, levels, limits, compliance)

    def _check_limits(self, bench: Any, levels: np.ndarray, limits: Any,
                      compliance: float) -> None:
        if self.values["mode"] == "pulsed":
            smu = bench.role("smu").capabilities
            if not smu.pulsed:
                raise ParameterError(
                    f"mode = pulsed needs an SMU that times pulses itself (a 2636B); the bench's "
                    f"smu is a {smu.model}: use mode = dc, or a bench such as "
                    "instruments/benches/sclc_pulsed.yaml"
                )
            for level in (self.values["bias"], float(np.max(np.abs(levels)))):
                limits.check_source("voltage", level, compliance)
            reading = self.values["nplc"] / 50  # 50 Hz mains: the longer integration
            if reading > 0.8 * self.values["pulse_width"]:
                raise ParameterError(
                    f"pulse_width = {self.values['pulse_width']:g} s is too short for a reading "
                    f"at nplc = {self.values['nplc']:g} ({reading:g} s); lower nplc to at most "
                    f"{40 * self.values['pulse_width']:.3g}"
                )
            if self.values["pulse_width"] >= self.values["pulse_period"]:
                raise ParameterError(
                    f"pulse_width = {self.values['pulse_width']:g} s must be shorter than "
                    f"pulse_period = {self.values['pulse_period']:g} s"
                )
        else:
            # The SMU spends at least the dwell and the integration on each point.
            interval = self.values["dwell"] + self.values["nplc"] / 60
            limits.check_levels("voltage", levels, compliance, interval=interval)

    def streams(self, bench: Any) -> dict[str, dict[str, Column]]:
        return {
            "jv": {
                "source": Column("V", description="programmed level"),
                "voltage": Column("V", description="measured voltage"),
                "current": Column("A"),
                "current_density": Column("A/m**2"),
                "time": Column("s", description="bench clock since the run started"),
                "direction": Column("", description="0 forward, 1 reverse"),
                "compliance": Column("", description="1 when the reading hit compliance"),
            }
        }

    def estimated_duration(self) -> float:
        levels, _ = self.levels()
        v = self.values
        if v["mode"] == "pulsed":
            return len(levels) * v["pulse_period"]
        return len(levels) * (v["dwell"] + v["nplc"] / 50 + 0.003)

    def analysis_settings(self) -> dict[str, Any]:
        v = self.values
        return {k: v[k] for k in ("thickness", "eps_r", "area", "temperature")}

    # -- running ------------------------------------------------------------------------------
    def run(self, ctx: RunContext) -> None:
        v = self.values
        smu = ctx.role("smu")
        levels, direction = self.levels()
        smu.configure_measurement(nplc=v["nplc"])
        start_level = v["bias"] if v["mode"] == "pulsed" else 0.0
        smu.source_voltage(start_level, compliance_current=v["compliance_current"])
        smu.output_on()
        done = 0
        for first in range(0, len(levels), v["block"]):
            ctx.checkpoint()
            block = slice(first, first + v["block"])
            if v["mode"] == "pulsed":
                result = smu.pulse_sweep(levels[block], width=v["pulse_width"],
                                         period=v["pulse_period"], bias=v["bias"])
            else:
                result = smu.sweep(levels[block], dwell=v["dwell"])
            done += len(result)
            ctx.emit(
                "jv",
                source=result.source,
                voltage=result.voltage,
                current=result.current,
                current_density=result.current / v["area"],
                time=result.time + (ctx.elapsed() - result.time[-1]),
                direction=direction[block],
                compliance=result.in_compliance.astype(float),
            )
            ctx.progress(done / len(levels), f"{result.source[-1]:.4g} V")
