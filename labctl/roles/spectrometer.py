"""The ``Spectrometer`` role: integration time, averaging, corrected spectra."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Spectrum:
    """One acquisition: ``wavelength`` in m, ``intensity`` in counts."""

    wavelength: np.ndarray
    intensity: np.ndarray
    integration_time: float  #: s
    averages: int
    time: float  #: s on the bench clock, at the end of the acquisition


@dataclass(frozen=True)
class SpectrometerCapabilities:
    model: str
    pixels: int
    min_integration_time: float  #: s
    max_integration_time: float  #: s
    dark_correction: bool  #: electric-dark pixels available
    nonlinearity_correction: bool


@runtime_checkable
class Spectrometer(Protocol):
    capabilities: SpectrometerCapabilities
    lock: threading.RLock

    @property
    def name(self) -> str: ...

    def identify(self) -> str: ...

    def set_integration_time(self, seconds: float) -> None: ...

    def set_averages(self, count: int) -> None: ...

    def wavelengths(self) -> np.ndarray:
        """Pixel wavelengths in m."""
        ...

    def acquire(self, correct_dark: bool = True, correct_nonlinearity: bool = True) -> Spectrum:
        """One spectrum, averaged over the configured number of scans."""
        ...

    def close(self) -> None: ...
