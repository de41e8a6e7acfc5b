"""A stand-in for ``seabreeze.spectrometers.Spectrometer`` that records every call in order.

It sits exactly at the seabreeze API boundary the Ocean Insight role uses: ``model``,
``serial_number``, ``pixels``, ``features``, ``integration_time_micros_limits``, ``wavelengths()``,
``intensities(correct_dark_counts, correct_nonlinearity)``, ``integration_time_micros(us)`` and
``close()``. Like seabreeze it raises ``SeaBreezeError`` when asked for a correction the model
lacks. It returns the scans it was given, in order, so a test can compute the expected average
itself. Runtime code never imports this.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from seabreeze.spectrometers import SeaBreezeError

Call = tuple[Any, ...]


class FakeSpectrometerFeature:
    """seabreeze's ``spectrometer`` feature: only the electric-dark pixel indices."""

    def __init__(self, owner: FakeSeaBreezeSpectrometer, dark_pixels: Sequence[int]) -> None:
        self._owner = owner
        self._dark_pixels = list(dark_pixels)

    def get_electric_dark_pixel_indices(self) -> list[int]:
        self._owner.calls.append(("get_electric_dark_pixel_indices",))
        return list(self._dark_pixels)


class FakeNonlinearityFeature:
    """seabreeze's ``nonlinearity_coefficients`` feature; ``fail`` mimics the Spark's error."""

    def __init__(
        self, owner: FakeSeaBreezeSpectrometer, coefficients: Sequence[float], fail: bool
    ) -> None:
        self._owner = owner
        self._coefficients = list(coefficients)
        self._fail = fail

    def get_nonlinearity_coefficients(self) -> list[float]:
        self._owner.calls.append(("get_nonlinearity_coefficients",))
        if self._fail:
            raise SeaBreezeError("Transport error")
        return list(self._coefficients)


class FakeSpectrumProcessingFeature:
    """seabreeze's ``spectrum_processing`` feature: hardware scans to average."""

    def __init__(self, owner: FakeSeaBreezeSpectrometer) -> None:
        self._owner = owner
        self.scans_to_average = 1

    def set_scans_to_average(self, scans_to_average: int) -> None:
        self._owner.calls.append(("set_scans_to_average", scans_to_average))
        self.scans_to_average = scans_to_average


class FakeSeaBreezeSpectrometer:
    """A spectrometer that answers from a queue of scans and logs each call in ``calls``.

    ``scans`` are returned by successive ``intensities()`` calls (a flat spectrum of
    ``1000 + call number`` when the queue is empty). ``dark_pixels`` empty or ``nonlinearity``
    None make the model lack that correction; ``hardware_averaging`` adds the
    ``spectrum_processing`` feature; ``blocks`` is what the role reads to decide who advances the
    clock. ``fail_next`` makes the next ``intensities()`` raise ``SeaBreezeError``.
    """

    def __init__(
        self,
        *,
        model: str = "USB2000PLUS",
        serial_number: str = "USB2+F00001",
        wavelengths_nm: Sequence[float] | None = None,
        integration_time_micros_limits: tuple[int, int] = (1_000, 65_000_000),
        dark_pixels: Sequence[int] = (2, 3, 4),
        nonlinearity: Sequence[float] | None = (0.98, 1.1e-6, -2.0e-11),
        nonlinearity_fails: bool = False,
        hardware_averaging: bool = False,
        blocks: bool = True,
        scans: Iterable[Sequence[float]] = (),
    ) -> None:
        if wavelengths_nm is None:
            wavelengths_nm = np.linspace(340.0, 1030.0, 8)
        self.model = model
        self.serial_number = serial_number
        self._wavelengths = np.asarray(wavelengths_nm, dtype=float)
        self.pixels = len(self._wavelengths)
        self.integration_time_micros_limits = integration_time_micros_limits
        self.blocks = blocks
        self.calls: list[Call] = []
        self.scans = [np.asarray(scan, dtype=float) for scan in scans]
        self.fail_next = False
        self.is_open = True
        self.integration_time_us: int | None = None
        self.features: dict[str, list[Any]] = {
            "spectrometer": [FakeSpectrometerFeature(self, dark_pixels)],
            "nonlinearity_coefficients": []
            if nonlinearity is None
            else [FakeNonlinearityFeature(self, nonlinearity, nonlinearity_fails)],
            "spectrum_processing": [FakeSpectrumProcessingFeature(self)]
            if hardware_averaging
            else [],
        }
        self._dark_pixels = list(dark_pixels)
        self._has_nonlinearity = nonlinearity is not None and not nonlinearity_fails

    def wavelengths(self) -> np.ndarray:
        self.calls.append(("wavelengths",))
        return self._wavelengths.copy()

    def intensities(
        self, correct_dark_counts: bool = False, correct_nonlinearity: bool = False
    ) -> np.ndarray:
        self.calls.append(("intensities", correct_dark_counts, correct_nonlinearity))
        if correct_dark_counts and not self._dark_pixels:
            raise SeaBreezeError("This device does not support dark count correction.")
        if correct_nonlinearity and not self._has_nonlinearity:
            raise SeaBreezeError("This device does not support nonlinearity correction.")
        if self.fail_next:
            self.fail_next = False
            raise SeaBreezeError("Data transfer error")
        if self.scans:
            return self.scans.pop(0).copy()
        count = sum(1 for call in self.calls if call[0] == "intensities")
        return np.full(self.pixels, 1000.0 + count)

    def integration_time_micros(self, integration_time_micros: int) -> None:
        self.calls.append(("integration_time_micros", integration_time_micros))
        low, high = self.integration_time_micros_limits
        if not low <= integration_time_micros <= high:
            raise SeaBreezeError("[Fix] Specified integration time is out of range.")
        self.integration_time_us = integration_time_micros

    def close(self) -> None:
        self.calls.append(("close",))
        self.is_open = False

    def calls_named(self, name: str) -> list[Call]:
        return [call for call in self.calls if call[0] == name]
