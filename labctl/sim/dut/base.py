"""What every simulated device under test offers the simulated instruments.

The bench asks the device for its current at a voltage (SMUs), for the light it emits (photodiode,
spectrometer) and for its response to a waveform (oscilloscope), and tells it how time passes under
the present drive so that slow processes (ion migration, degradation) evolve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
from scipy.optimize import brentq

from labctl.errors import ParameterError
from labctl.units import to_si

Q = 1.602176634e-19  # C
EPS0 = 8.8541878128e-12  # F/m
KB = 1.380649e-23  # J/K
H = 6.62607015e-34  # J s
C_LIGHT = 299792458.0  # m/s


@dataclass(frozen=True)
class Drive:
    """What is applied to the device right now."""

    voltage: float = 0.0  #: V, DC level (0 when undriven)
    waveform: Any = None  #: a periodic drive from the function generator, or None
    illuminated: bool = False  #: excitation light (laser or solar simulator) on

    @property
    def driven(self) -> bool:
        return self.voltage != 0.0 or self.waveform is not None


@dataclass
class DeviceParameters:
    """Base for parameter sets; subclasses list fields with SI units in ``UNITS``."""

    UNITS: ClassVar[dict[str, str]] = {}

    @classmethod
    def from_mapping(cls, values: dict[str, Any], *, prefix: str = "sim.dut") -> Any:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known - {"model"})
        if unknown:
            raise ParameterError(
                f"{prefix}: unknown parameter(s) {unknown}; known: {sorted(known)}"
            )
        parsed = {
            key: to_si(value, cls.UNITS.get(key, ""), name=f"{prefix}.{key}")
            if cls.UNITS.get(key) is not None and not isinstance(value, bool)
            else value
            for key, value in values.items()
            if key != "model"
        }
        return cls(**parsed)


class DeviceUnderTest:
    """Base class: a two-terminal device with optional light output."""

    model: ClassVar[str] = "device"
    area: float = 1e-6

    # -- electrical ------------------------------------------------------
    def current(self, voltage: float) -> float:
        """A through the device at ``voltage`` with the present internal state."""
        raise NotImplementedError

    def voltage_for_current(self, current: float, limit: float) -> float:
        """Voltage that drives ``current``, within ±``limit`` (the SMU's compliance)."""
        f_low, f_high = self.current(-limit) - current, self.current(limit) - current
        if f_low > 0:
            return -limit
        if f_high < 0:
            return limit
        return float(brentq(lambda v: self.current(v) - current, -limit, limit, xtol=1e-9))

    def capacitance(self) -> float:
        """F, geometric capacitance; the RC time of transients depends on it."""
        return 0.0

    # -- time ------------------------------------------------------------
    def advance(self, start: float, duration: float, drive: Drive) -> None:
        """Let slow processes evolve for ``duration`` seconds under ``drive``."""

    # -- light -----------------------------------------------------------
    def optical_power(self, drive: Drive) -> float:
        """W emitted towards the detectors at the present operating point."""
        return 0.0

    def luminance(self, drive: Drive) -> float:
        """cd/m² at the present operating point."""
        return 0.0

    def spectrum(self, wavelength: np.ndarray, drive: Drive) -> np.ndarray:
        """Spectral photon flux at the spectrometer, photons/s per m of wavelength."""
        return np.zeros_like(wavelength)

    def transient(self, time: np.ndarray, volts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(relative EL, current in A) for a drive ``volts(time)`` sampled on ``time``."""
        # Square and pulse drives take few distinct levels: evaluate each once.
        levels, inverse = np.unique(np.asarray(volts, dtype=float), return_inverse=True)
        current = np.array([self.current(float(v)) for v in levels])[inverse]
        return np.zeros_like(np.asarray(time, dtype=float)), current

    def describe(self) -> dict[str, float]:
        return {}


def gaussian(x: np.ndarray, centre: float, fwhm: float) -> np.ndarray:
    sigma = fwhm / (2 * math.sqrt(2 * math.log(2)))
    return np.exp(-0.5 * ((x - centre) / sigma) ** 2)
