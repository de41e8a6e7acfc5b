"""Roles: the vendor-neutral interfaces that procedures talk to.

A procedure asks the bench for a ``SourceMeter`` or an ``Oscilloscope``, never for a Keithley or a
Keysight. Every role is a runtime-checkable :class:`typing.Protocol`; drivers provide classes that
satisfy it. All values are floats in SI units (V, A, s, Hz, Ω, m).
"""

from labctl.roles.function_generator import FunctionGenerator, FunctionGeneratorCapabilities
from labctl.roles.oscilloscope import Oscilloscope, OscilloscopeCapabilities, Waveform
from labctl.roles.source_meter import (
    Reading,
    SourceMeter,
    SourceMeterCapabilities,
    SourceMode,
    SweepResult,
)
from labctl.roles.spectrometer import Spectrometer, SpectrometerCapabilities, Spectrum

ROLE_TYPES: dict[str, type] = {
    "SourceMeter": SourceMeter,
    "FunctionGenerator": FunctionGenerator,
    "Oscilloscope": Oscilloscope,
    "Spectrometer": Spectrometer,
}

__all__ = [
    "ROLE_TYPES",
    "FunctionGenerator",
    "FunctionGeneratorCapabilities",
    "Oscilloscope",
    "OscilloscopeCapabilities",
    "Reading",
    "SourceMeter",
    "SourceMeterCapabilities",
    "SourceMode",
    "Spectrometer",
    "SpectrometerCapabilities",
    "Spectrum",
    "SweepResult",
    "Waveform",
]
