"""DC drive: hold a constant current density (or voltage) for hours and watch the light fade.

The source is brought to its level (a current source steps; a voltage source ramps when the step
is large), then every ``sample_interval`` the drive SMU and the photodiode are read, and every
``spectrum_interval`` an EL spectrum is taken. The run ends at ``duration``, or earlier at T50
(half the initial light) when ``stop_at`` is ``"t50"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from labctl.errors import ParameterError
from labctl.procedures.base import Procedure, RunContext, blame
from labctl.procedures.common import (
    PHOTODIODE_PARAMETERS,
    SPECTRUM_PARAMETERS,
    Photodiode,
    acquire_spectrum,
    configure_spectrometer,
    photodiode_columns,
    spectrum_columns,
)
from labctl.procedures.parameters import Parameter, ParameterSet
from labctl.roles import SourceMeter, Spectrometer
from labctl.run.records import Column


class DCDrive(Procedure):
    name = "dc_drive"
    title = "DC drive (lifetime)"
    description = "Constant current or voltage stress: luminance, spectra, T50/T95"
    needs: ClassVar[Mapping[str, type]] = {"smu": SourceMeter}
    optional: ClassVar[Mapping[str, type]] = {"photodiode": SourceMeter,
                                              "spectrometer": Spectrometer}
    analysis = "dc_drive"
    parameters = ParameterSet([
        Parameter("mode", kind=str, default="current", choices=("current", "voltage")),
        Parameter("current_density", "A/m**2", 200.0, -1e6, 1e6, display_unit="mA/cm**2",
                  doc="constant J in current mode (20 mA/cm² = 200 A/m²)"),
        Parameter("voltage", "V", 4.0, -1100.0, 1100.0, doc="constant V in voltage mode"),
        Parameter("compliance_voltage", "V", 0.0, 0.0, 1100.0,
                  doc="current mode: the voltage limit; 0 = the sample's limits.max_voltage"),
        Parameter("compliance_current", "A", 0.0, 0.0, 1.5, display_unit="mA",
                  doc="voltage mode: the current limit; 0 = the sample's current limit"),
        Parameter("duration", "s", 3600.0, 1.0, 3.6e7, display_unit="h"),
        Parameter("stop_at", kind=str, default="duration", choices=("duration", "t50")),
        Parameter("sample_interval", "s", 10.0, 0.01, 86400.0),
        Parameter("spectrum_interval", "s", 0.0, 0.0, 86400.0,
                  doc="0 = no spectra; needs a spectrometer role"),
        Parameter("nplc", "", 1.0, 0.001, 25.0),
        Parameter("area", "m**2", 4e-6, 1e-12, 1e-2, display_unit="mm**2"),
        *PHOTODIODE_PARAMETERS,
        *SPECTRUM_PARAMETERS,
    ])

    def _compliance(self, bench: Any) -> float:
        v = self.values
        if v["mode"] == "current":
            chosen, limit, name = v["compliance_voltage"], bench.limits.max_voltage, "voltage"
        else:
            chosen, limit = v["compliance_current"], bench.limits.effective_max_current
            name = "current"
        if chosen:
            return chosen
        if math.isinf(limit):
            # Never default to the instrument's full range (1100 V on a 2410) on a sample.
            raise ParameterError(
                f"compliance_{name}: set it, or give the bench a limits.max_{name}; without "
                "either the compliance would be the instrument's full range"
            )
        return limit

    def _level(self) -> float:
        v = self.values
        return v["current_density"] * v["area"] if v["mode"] == "current" else v["voltage"]

    def check(self, bench: Any) -> None:
        level = "current_density" if self.values["mode"] == "current" else "voltage"
        with blame(level, f"compliance_{'voltage' if level != 'voltage' else 'current'}"):
            bench.limits.check_source(self.values["mode"], self._level(),
                                      self._compliance(bench))

    def streams(self, bench: Any) -> dict[str, dict[str, Column]]:
        v = self.values
        streams = {
            "stress": {
                "time": Column("s"),
                "voltage": Column("V"),
                "current": Column("A"),
                "current_density": Column("A/m**2"),
                **photodiode_columns(v["luminance_calibration"] > 0),
            }
        }
        if v["spectrum_interval"] > 0 and "spectrometer" in bench:
            streams["spectra"] = spectrum_columns(bench)
        return streams

    def estimated_duration(self) -> float:
        return self.values["duration"]

    def analysis_settings(self) -> dict[str, Any]:
        return {}

    def run(self, ctx: RunContext) -> None:
        v = self.values
        smu = ctx.role("smu")
        photodiode = Photodiode(ctx, nplc=v["photodiode_nplc"])
        spectra = ctx.has_stream("spectra")
        if spectra:
            configure_spectrometer(ctx, v)
        photodiode.start()
        smu.configure_measurement(nplc=v["nplc"])
        compliance = self._compliance(ctx.bench)
        if v["mode"] == "current":
            smu.source_current(0.0, compliance_voltage=compliance)
            smu.output_on()
            smu.set_level(self._level())
        else:
            smu.source_voltage(0.0, compliance_current=compliance)
            smu.output_on()
            smu.set_level(self._level())  # ramps when the step exceeds the limits' max_step

        start = ctx.elapsed()
        next_spectrum = start
        initial_light = math.nan
        while True:
            now = ctx.elapsed() - start
            reading = smu.measure()
            light = photodiode.read()
            row: dict[str, Any] = {
                "time": now,
                "voltage": reading.voltage,
                "current": reading.current,
                "current_density": reading.current / v["area"],
                "photocurrent": light,
            }
            if v["luminance_calibration"] > 0:
                row["luminance"] = light * v["luminance_calibration"]
            ctx.emit("stress", **row)
            if math.isnan(initial_light) and light > 0:
                initial_light = light
            if spectra and ctx.elapsed() >= next_spectrum:
                ctx.emit("spectra", **acquire_spectrum(ctx))
                next_spectrum += v["spectrum_interval"]
            ctx.progress(now / v["duration"], f"{now / 3600:.2f} h")
            if v["stop_at"] == "t50" and light <= 0.5 * initial_light:
                ctx.progress(1.0, "T50 reached")
                return
            if now + v["sample_interval"] > v["duration"]:
                ctx.progress(1.0, "duration reached")
                return
            ctx.sleep(v["sample_interval"])
