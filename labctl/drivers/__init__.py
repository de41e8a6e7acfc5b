"""The driver registry: bench-file driver names → instrument class and role class.

Classes are named by import path and loaded on first use, so a missing optional dependency of one
driver (python-seabreeze, say) never stops the others from loading.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from labctl.errors import BenchError


@dataclass(frozen=True)
class DriverSpec:
    """How to build one role object from a bench-file entry."""

    name: str  #: the bench-file ``driver`` value
    role: str  #: name of the role protocol it provides
    instrument: str  #: "module:Class" of the pymeasure instrument (or the connector for non-VISA)
    role_class: str  #: "module:Class" of the role implementation
    description: str
    channels: tuple[str, ...] = ()  #: allowed ``channel`` values; the first is the default
    visa: bool = True  #: False for instruments outside VISA (USB spectrometers)
    #: for non-VISA drivers: "module:function(address, resource_manager, **options)" that opens
    #: the simulated counterpart on ``@labsim``
    simulated: str | None = None

    def load_instrument_class(self) -> type:
        return _load(self.instrument)

    def load_role_class(self) -> type:
        return _load(self.role_class)

    def load_simulated(self) -> Any:
        if self.simulated is None:
            raise BenchError(f"driver {self.name} has no simulated counterpart")
        return _load(self.simulated)


def _load(path: str) -> Any:
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BenchError(
            f"cannot import {module_name} ({exc}); is the dependency installed?"
        ) from exc
    return getattr(module, attribute)


_D = "labctl.drivers."

DRIVERS: dict[str, DriverSpec] = {
    spec.name: spec
    for spec in (
        DriverSpec("keithley2400", "SourceMeter", _D + "keithley2400:Keithley2400",
                   _D + "keithley2400:Keithley2400SourceMeter", "Keithley 2400 SourceMeter"),
        DriverSpec("keithley2410", "SourceMeter", _D + "keithley2400:Keithley2410",
                   _D + "keithley2400:Keithley2410SourceMeter",
                   "Keithley 2410 1100 V SourceMeter"),
        DriverSpec("keithley2450", "SourceMeter", _D + "keithley2450:Keithley2450",
                   _D + "keithley2450:Keithley2450SourceMeter", "Keithley 2450 SourceMeter"),
        DriverSpec("keithley2636b", "SourceMeter", _D + "keithley2636b:Keithley2636B",
                   _D + "keithley2636b:Keithley2636BSourceMeter",
                   "Keithley 2636B dual-channel SourceMeter (TSP)", channels=("a", "b")),
        DriverSpec("keysight33500b", "FunctionGenerator", _D + "keysight33500b:Keysight33500B",
                   _D + "keysight33500b:Keysight33500BGenerator",
                   "Keysight 33500B waveform generator", channels=("1", "2")),
        DriverSpec("rigol_dg1000z", "FunctionGenerator", _D + "rigol_dg1000z:RigolDG1000Z",
                   _D + "rigol_dg1000z:RigolDG1000ZGenerator",
                   "Rigol DG800/DG900/DG1000Z waveform generator", channels=("1", "2")),
        DriverSpec("keysight_dsox", "Oscilloscope", _D + "keysight_dsox:KeysightDSOX",
                   _D + "keysight_dsox:KeysightDSOXOscilloscope",
                   "Keysight InfiniiVision DSOX/MSOX oscilloscope"),
        DriverSpec("rigol_dho", "Oscilloscope", _D + "rigol_dho:RigolDHO",
                   _D + "rigol_dho:RigolDHOOscilloscope", "Rigol DHO800/DHO900 oscilloscope"),
        DriverSpec("ocean_insight", "Spectrometer", _D + "ocean_insight:open_seabreeze",
                   _D + "ocean_insight:OceanInsightSpectrometer",
                   "Ocean Insight spectrometer (python-seabreeze)", visa=False,
                   simulated="labctl.sim.seabreeze_client:open_simulated_spectrometer"),
    )
}


def get_driver(name: str) -> DriverSpec:
    try:
        return DRIVERS[name]
    except KeyError:
        raise BenchError(
            f"unknown driver {name!r}; known drivers: {', '.join(sorted(DRIVERS))}"
        ) from None
