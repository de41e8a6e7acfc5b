"""J–V–L: current and light of an LED versus voltage, with the photodiode on a second channel.

Point by point, because the photodiode must be read at the same step as the drive: set the
level, wait ``dwell``, read the drive SMU, read the photodiode, and (optionally) take an EL
spectrum once the device emits. Luminance comes from the photodiode through its calibration;
EQE from the photodiode's responsivity, its collection fraction and the EL peak wavelength
(or the measured spectrum, in the analysis).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

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


class JVL(Procedure):
    name = "jvl"
    title = "J-V-L sweep"
    description = "LED current, luminance and EQE versus voltage"
    needs: ClassVar[Mapping[str, type]] = {"smu": SourceMeter, "photodiode": SourceMeter}
    optional: ClassVar[Mapping[str, type]] = {"spectrometer": Spectrometer}
    analysis = "jvl"
    parameters = ParameterSet([
        Parameter("v_start", "V", 0.0, -1100.0, 1100.0),
        Parameter("v_stop", "V", 5.0, -1100.0, 1100.0),
        Parameter("step", "V", 0.05, 1e-4, 100.0, display_unit="mV"),
        Parameter("dwell", "s", 0.05, 0.0, 3600.0, display_unit="ms"),
        Parameter("nplc", "", 1.0, 0.001, 25.0),
        Parameter("compliance_current", "A", 0.03, 1e-9, 1.5, display_unit="mA"),
        Parameter("area", "m**2", 4e-6, 1e-12, 1e-2, display_unit="mm**2"),
        Parameter("responsivity", "A/W", 0.3, 1e-6, 10.0,
                  doc="photodiode responsivity at the EL peak"),
        Parameter("collection_fraction", "", 0.1, 1e-6, 1.0,
                  doc="share of the emitted photons that reach the photodiode"),
        Parameter("peak_wavelength", "m", 520e-9, 200e-9, 2000e-9, display_unit="nm",
                  doc="EL peak, for EQE when no spectrometer is on the bench"),
        Parameter("spectra_above", "A/m**2", 0.0, 0.0, 1e7, display_unit="mA/cm**2",
                  doc="take a spectrum at each step above this J; 0 = no spectra"),
        *PHOTODIODE_PARAMETERS,
        *SPECTRUM_PARAMETERS,
    ])

    def levels(self) -> np.ndarray:
        v = self.values
        span = v["v_stop"] - v["v_start"]
        if span == 0:
            raise ParameterError("v_stop must differ from v_start")
        count = round(abs(span) / v["step"]) + 1
        return np.linspace(v["v_start"], v["v_stop"], count)

    def check(self, bench: Any) -> None:
        with blame("v_start", "v_stop", "step", "compliance_current"):
            bench.limits.check_levels("voltage", self.levels(), self.values["compliance_current"])

    def streams(self, bench: Any) -> dict[str, dict[str, Column]]:
        v = self.values
        streams = {
            "jvl": {
                "time": Column("s"),
                "source": Column("V"),
                "voltage": Column("V"),
                "current": Column("A"),
                "current_density": Column("A/m**2"),
                "compliance": Column(""),
                **photodiode_columns(v["luminance_calibration"] > 0),
            }
        }
        if v["spectra_above"] > 0 and "spectrometer" in bench:
            streams["spectra"] = {**spectrum_columns(bench), "voltage": Column("V")}
        return streams

    def analysis_settings(self) -> dict[str, Any]:
        v = self.values
        return {k: v[k] for k in ("area", "responsivity", "collection_fraction",
                                  "peak_wavelength")}

    def run(self, ctx: RunContext) -> None:
        v = self.values
        smu = ctx.role("smu")
        photodiode = Photodiode(ctx, nplc=v["photodiode_nplc"])
        spectra = ctx.has_stream("spectra")
        if spectra:
            configure_spectrometer(ctx, v)
        photodiode.start()
        smu.configure_measurement(nplc=v["nplc"])
        levels = self.levels()
        smu.source_voltage(0.0, compliance_current=v["compliance_current"])
        smu.output_on()
        for index, level in enumerate(levels):
            ctx.checkpoint()
            smu.set_level(float(level))
            ctx.sleep(v["dwell"])
            reading = smu.measure()
            light = photodiode.read()
            row: dict[str, Any] = {
                "time": ctx.elapsed(),
                "source": level,
                "voltage": reading.voltage,
                "current": reading.current,
                "current_density": reading.current / v["area"],
                "compliance": float(reading.in_compliance),
                "photocurrent": light,
            }
            if v["luminance_calibration"] > 0:
                row["luminance"] = light * v["luminance_calibration"]
            ctx.emit("jvl", **row)
            if spectra and abs(reading.current) / v["area"] >= v["spectra_above"]:
                ctx.emit("spectra", **acquire_spectrum(ctx), voltage=reading.voltage)
            ctx.progress((index + 1) / len(levels), f"{level:.3g} V")
            if reading.in_compliance:
                ctx.progress(1.0, "compliance reached: sweep ended early")
                return
