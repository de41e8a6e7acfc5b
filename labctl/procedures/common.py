"""Pieces several procedures share: the photodiode channel, spectra, and their columns."""

from __future__ import annotations

from typing import Any

import numpy as np

from labctl.procedures.parameters import Parameter
from labctl.run.records import Column

#: Photodiode: reverse-biased at 0 V, its compliance only protects the diode.
PHOTODIODE_COMPLIANCE = 1e-3  # A

PHOTODIODE_PARAMETERS = [
    Parameter("luminance_calibration", "cd/m**2/A", 0.0, 0.0, 1e15,
              doc="cd/m² of the device per A of photodiode current; 0 = uncalibrated "
                  "(photocurrent only)"),
    Parameter("photodiode_nplc", "", 1.0, 0.001, 25.0),
]

SPECTRUM_PARAMETERS = [
    Parameter("integration_time", "s", 0.1, 1e-3, 65.0, display_unit="ms"),
    Parameter("averages", "", 1, 1, 1000, kind=int),
]


class Photodiode:
    """A photodiode on a SourceMeter channel, read at 0 V. Optional: absent, it reads nothing."""

    def __init__(self, ctx: Any, role: str = "photodiode", nplc: float = 1.0) -> None:
        self.smu = ctx.role(role) if ctx.has_role(role) else None
        self.nplc = nplc

    @property
    def present(self) -> bool:
        return self.smu is not None

    def start(self) -> None:
        if self.smu is None:
            return
        self.smu.configure_measurement(nplc=self.nplc)
        self.smu.source_voltage(0.0, compliance_current=PHOTODIODE_COMPLIANCE)
        self.smu.output_on()

    def read(self) -> float:
        """The photocurrent in A (a positive number for more light), or NaN without a diode."""
        if self.smu is None:
            return float("nan")
        return abs(self.smu.measure().current)


def photodiode_columns(calibrated: bool) -> dict[str, Column]:
    columns = {"photocurrent": Column("A", description="photodiode current, light-induced")}
    if calibrated:
        columns["luminance"] = Column("cd/m**2", description="photocurrent × calibration")
    return columns


def spectrum_columns(bench: Any, role: str = "spectrometer") -> dict[str, Column]:
    pixels = bench.role(role).capabilities.pixels
    return {
        "time": Column("s"),
        "wavelength": Column("m", (pixels,)),
        "intensity": Column("", (pixels,), description="counts, dark corrected"),
    }


def acquire_spectrum(ctx: Any, role: str = "spectrometer") -> dict[str, np.ndarray]:
    spectrometer = ctx.role(role)
    spectrum = spectrometer.acquire(correct_dark=spectrometer.capabilities.dark_correction,
                                    correct_nonlinearity=False)
    return {"time": ctx.elapsed(), "wavelength": spectrum.wavelength,
            "intensity": spectrum.intensity}


def configure_spectrometer(ctx: Any, values: dict[str, Any], role: str = "spectrometer") -> None:
    spectrometer = ctx.role(role)
    spectrometer.set_integration_time(values["integration_time"])
    spectrometer.set_averages(values["averages"])
