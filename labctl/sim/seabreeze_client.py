"""The python-seabreeze ``Spectrometer`` interface, served by a simulated spectrometer.

Real Ocean Insight spectrometers are opened with seabreeze; on the simulated bench the same role
class (:class:`labctl.drivers.ocean_insight.OceanInsightSpectrometer`) gets this object instead,
which asks the simulated spectrometer on ``@labsim`` for wavelengths and scans.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from labctl.errors import BenchError

OCEAN_VENDOR_ID = "0x2457"
log = logging.getLogger(__name__)


class _DarkPixels:
    def __init__(self, indices: list[int]) -> None:
        self._indices = indices

    def get_electric_dark_pixel_indices(self) -> list[int]:
        return list(self._indices)


class _Nonlinearity:
    def get_nonlinearity_coefficients(self) -> list[float]:
        # The simulator corrects internally; these stand for the detector's stored polynomial.
        return [1.0, 6e-7, 3.6e-13]


class SimulatedSeabreezeDevice:
    """A seabreeze-compatible device over a VISA resource of the simulated bench."""

    #: The simulated scan advances the bench clock itself, as a real scan blocks in real time.
    blocks = True

    def __init__(self, resource: Any) -> None:
        self._resource = resource
        _vendor, model, serial, _firmware = (
            part.strip() for part in resource.query("*IDN?").split(",")
        )
        self.model = model
        self.serial_number = serial
        self.pixels = int(resource.query("PIX?"))
        low, high = (float(x) for x in resource.query("INT:LIM?").split(","))
        self.integration_time_micros_limits = (round(low * 1e6), round(high * 1e6))
        features = resource.query("FEAT?").strip().split(",")
        self.features: dict[str, list[Any]] = {
            "spectrometer": [_DarkPixels(list(range(4, 18)) if "DARK" in features else [])],
            "nonlinearity_coefficients": [_Nonlinearity()] if "NONLIN" in features else [],
        }

    def integration_time_micros(self, integration_time_micros: int) -> None:
        self._resource.write(f"INT:TIME {integration_time_micros * 1e-6:.9g}")

    def wavelengths(self) -> np.ndarray:
        return self._resource.query_binary_values("WAV?", datatype="d", container=np.array)

    def intensities(
        self, correct_dark_counts: bool = False, correct_nonlinearity: bool = False
    ) -> np.ndarray:
        command = f"SPEC? {int(correct_dark_counts)},{int(correct_nonlinearity)}"
        return self._resource.query_binary_values(command, datatype="d", container=np.array)

    def close(self) -> None:
        self._resource.close()


def open_simulated_spectrometer(address: str, resource_manager: Any, **options: Any) -> Any:
    """The simulated spectrometer whose serial number is ``address`` (or the first, "first")."""
    candidates = [r for r in resource_manager.list_resources() if OCEAN_VENDOR_ID in r.lower()]
    for name in candidates:
        if address == "first" or f"::{address}::" in name:
            return SimulatedSeabreezeDevice(resource_manager.open_resource(name))
    serials = [name.split("::")[3] for name in candidates]
    if len(candidates) == 1:
        # Rehearsing a real bench file: its serial number is the real spectrometer's.
        log.warning("no simulated spectrometer %s; using the simulated %s instead",
                    address, serials[0])
        return SimulatedSeabreezeDevice(resource_manager.open_resource(candidates[0]))
    raise BenchError(
        f"no simulated spectrometer with serial number {address!r}; the simulated bench has "
        f"{serials or 'none'}"
    )
