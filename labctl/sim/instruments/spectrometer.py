"""Simulated spectrometer: what the device under test emits, as a CCD would count it.

Counts per pixel = photon flux × pixel bandwidth × integration time × detector gain, on top of an
electric-dark offset, with shot and read noise, saturation at 65535 and a mild detector
nonlinearity (−3 % at 50,000 counts) that the nonlinearity correction removes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labctl.sim.instrument import SimInstrument, command
from labctl.sim.scpi import Command

DARK_OFFSET = 1500.0  # counts, electric dark level
READ_NOISE = 8.0  # counts rms
FULL_SCALE = 65535.0
NONLINEARITY = 6e-7  # fractional loss per count: measured = true·(1 − k·true)


def ieee_block(payload: bytes) -> bytes:
    size = str(len(payload)).encode()
    return b"#" + str(len(size)).encode() + size + payload


class SpectrometerSim(SimInstrument):
    def __init__(self, bench: Any, device: Any, resource_name: str, options: dict[str, Any]):
        super().__init__(bench, device, resource_name, options)
        pixels = int(self.options.get("pixels", 2048))
        start = float(self.options.get("wavelength_start", 340e-9))
        stop = float(self.options.get("wavelength_stop", 1030e-9))
        # A gently curved calibration, as a grating spectrometer's polynomial gives.
        x = np.linspace(0.0, 1.0, pixels)
        self.wavelength = start + (stop - start) * (0.96 * x + 0.04 * x**2)
        self.pixel_width = np.gradient(self.wavelength)
        #: counts per photon reaching the bench's collection optics, for this detector.
        self.gain = float(self.options.get("gain", 2e-5))

    @command("WAV?")
    def _wavelengths(self, cmd: Command) -> bytes:
        return ieee_block((self.wavelength * 1e9).astype("<f8").tobytes())

    @command("SPEC?")
    def _spectrum(self, cmd: Command) -> bytes:
        dark = cmd.bool_arg(0) if cmd.args else False
        nonlinear = cmd.bool_arg(1) if len(cmd.args) > 1 else False
        seconds = float(self.get("integration_time"))
        self.bench.clock.advance(seconds)
        bench = self.bench
        flux = bench.dut.spectrum(self.wavelength, bench.drive())
        signal = np.maximum(flux * self.pixel_width * seconds * self.gain, 0.0)
        rng = bench.rng
        shot = rng.normal(0.0, 1.0, signal.shape) * np.sqrt(signal) * bench.noise
        raw = signal + shot + DARK_OFFSET + rng.normal(0.0, READ_NOISE * bench.noise, signal.shape)
        measured = raw * (1.0 - NONLINEARITY * raw)
        measured = np.clip(measured, 0.0, FULL_SCALE)
        if nonlinear:
            # Invert the detector's polynomial, as the stored nonlinearity coefficients do.
            saturated = measured >= FULL_SCALE
            measured = (1 - np.sqrt(np.maximum(1 - 4 * NONLINEARITY * measured, 0))) / (
                2 * NONLINEARITY
            )
            measured[saturated] = FULL_SCALE
        if dark:
            measured = measured - DARK_OFFSET
        return ieee_block(measured.astype("<f8").tobytes())
