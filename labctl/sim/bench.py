"""``SimBench``: the simulated instruments, the device under test they share, and the clock.

One bench file describes both sides: ``roles``/``limits`` for labctl, and ``resources`` (pyvisa-sim
instruments) plus ``sim`` (device under test, seed, noise) for the simulator. A bench file without
``resources`` gets the default simulated instruments at their fixed addresses
(``instruments/default_bench.yaml``), so a real bench file can be rehearsed with ``--sim``.
"""

from __future__ import annotations

import functools
import importlib
import threading
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pyvisa.rname import to_canonical_name
from pyvisa_sim import parser as sim_parser
from pyvisa_sim.devices import Devices

from labctl.errors import BenchError
from labctl.sim.clock import SimClock
from labctl.sim.device import SimDevice
from labctl.sim.dut.base import DeviceUnderTest, Drive
from labctl.sim.instrument import SimInstrument
from labctl.sim.waveform import PeriodicDrive
from labctl.units import to_si

#: DUT models by the name used in ``sim.dut.model``: (module, device class, parameter class).
DUT_MODELS: dict[str, tuple[str, str, str]] = {
    "sclc": ("labctl.sim.dut.sclc", "SCLCDevice", "SCLCParameters"),
    "peled": ("labctl.sim.dut.peled", "PeLED", "PeLEDParameters"),
    "lateral_pl": ("labctl.sim.dut.lateral_pl", "LateralPLFilm", "LateralPLParameters"),
    "solar": ("labctl.sim.dut.solar", "SolarCell", "SolarCellParameters"),
}


def instruments_dir() -> Path:
    """The ``instruments/`` folder of command tables and bench files."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "instruments", here.parent / "instruments"):
        if (candidate / "default_bench.yaml").exists():
            return candidate
    raise BenchError(
        "cannot find the simulated instruments' folder 'instruments/'; install labctl from its "
        "source tree with 'pip install -e .' (the Makefile does)"
    )


def default_bench_path() -> Path:
    return instruments_dir() / "default_bench.yaml"


def build_dut(config: dict[str, Any]) -> DeviceUnderTest:
    config = dict(config or {})
    model = str(config.get("model", "peled"))
    if model not in DUT_MODELS:
        raise BenchError(f"sim.dut.model: unknown model {model!r}; known: {sorted(DUT_MODELS)}")
    module_name, device_name, params_name = DUT_MODELS[model]
    module = importlib.import_module(module_name)
    params = getattr(module, params_name).from_mapping(config)
    return getattr(module, device_name)(params)


class SimBench:
    """Every simulated instrument of one resource manager, sharing one DUT and one clock."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else default_bench_path()
        data = _read_yaml(self.path)
        defaults = data if self.path == default_bench_path() else _read_yaml(default_bench_path())
        sim = dict(defaults.get("sim") or {})
        sim.update(data.get("sim") or {})
        self.lock = threading.RLock()
        self.clock = SimClock()
        self.rng = np.random.default_rng(int(sim.get("seed", 0)))
        self.noise = float(sim.get("noise", 1.0))
        self.illuminated = bool(sim.get("illuminated", True))
        optics = dict(sim.get("optics") or {})
        #: photodiode on an SMU channel: A per W of the device's optical power
        self.photodiode_responsivity = to_si(optics.get("photodiode_responsivity", 0.3), "A/W",
                                             name="sim.optics.photodiode_responsivity")
        self.photodiode_dark = to_si(optics.get("photodiode_dark_current", 1e-11), "A",
                                     name="sim.optics.photodiode_dark_current")
        #: share of the device's emitted power that reaches the photodiode
        self.photodiode_collection = to_si(optics.get("photodiode_collection_fraction", 0.1), "",
                                           name="sim.optics.photodiode_collection_fraction")
        #: fast photodetector on the oscilloscope: V per W (responsivity × transimpedance)
        self.detector_gain = to_si(optics.get("detector_gain", 1e3), "V/W",
                                   name="sim.optics.detector_gain")
        #: current-sense resistor between the device and ground, seen by the oscilloscope
        self.shunt = to_si(optics.get("shunt_resistance", 50.0), "ohm",
                           name="sim.optics.shunt_resistance")
        self.dut = build_dut(sim.get("dut") or {})
        self.instruments: dict[str, SimInstrument] = {}
        self.devices = Devices()
        resources = data.get("resources") or defaults.get("resources") or {}
        base = self.path.parent if data.get("resources") else default_bench_path().parent
        for resource_name, entry in resources.items():
            self._add_resource(resource_name, entry, base)
        self.clock.subscribe(self._advance_dut)

    # -- wiring ----------------------------------------------------------------
    def drive(self) -> Drive:
        """What the device under test sees now: an SMU's level, or the generator's waveform."""
        voltage, waveform = 0.0, None
        for instrument in self.instruments.values():
            level = getattr(instrument, "dut_voltage", lambda: None)()
            if level is not None:
                voltage = level
                break
        if voltage == 0.0:
            waveform = self.generator_drive()
        return Drive(voltage=voltage, waveform=waveform, illuminated=self.illuminated)

    def generator_drive(self) -> PeriodicDrive | None:
        """The function generator's output on the device, if one is on."""
        for instrument in self.instruments.values():
            waveform = getattr(instrument, "dut_waveform", lambda: None)()
            if waveform is not None:
                return waveform
        return None

    def photodiode_current(self) -> float:
        """A from the photodiode (reverse-biased, so negative) for the present emission."""
        power = self.dut.optical_power(self.drive()) * self.photodiode_collection
        return -(self.photodiode_responsivity * power + self.photodiode_dark)

    def scope_signals(self, time: np.ndarray) -> dict[str, np.ndarray]:
        """Noise-free signals an oscilloscope can see on the uniform grid ``time`` (s).

        ``time`` is relative to a rising edge of the generator's output (the trigger).
        ``"drive"`` is the generator's voltage, ``"el"`` the fast photodetector's voltage,
        ``"current"`` the voltage across the current-sense resistor. Without a generator
        running, the device sees the SMU's DC level, if any.
        """
        time = np.asarray(time, dtype=float)
        drive = self.generator_drive()
        if drive is None:
            volts = np.full_like(time, self.drive().voltage)
            warm = 0
        else:
            # Prepend up to one period so the device's response has settled at the window start.
            dt = float(time[1] - time[0]) if len(time) > 1 else drive.period
            warm = int(min(drive.period / dt, 100_000)) if dt > 0 else 0
            grid = np.concatenate([time[0] - dt * np.arange(warm, 0, -1), time])
            volts = drive.sample(grid)
        grid = time if drive is None else grid
        power, current = self.dut.transient(grid, volts)
        return {
            "drive": volts[warm:],
            "el": np.asarray(power)[warm:] * self.detector_gain,
            "current": np.asarray(current)[warm:] * self.shunt,
        }

    def noisy(self, value: float, relative: float, floor: float = 0.0) -> float:
        """``value`` with Gaussian noise of ``relative``·|value| plus ``floor`` (1 σ)."""
        sigma = self.noise * (relative * abs(value) + floor)
        return float(value + self.rng.normal(0.0, sigma)) if sigma > 0 else float(value)

    def _advance_dut(self, start: float, duration: float) -> None:
        self.dut.advance(start, duration, self.drive())

    # -- construction ---------------------------------------------------------------
    def _add_resource(self, resource_name: str, entry: dict[str, Any], base: Path) -> None:
        where = f"resources.{resource_name}"
        if not isinstance(entry, dict) or "device" not in entry:
            raise BenchError(f"{where}: expected a mapping with 'device' and 'filename'")
        filename = Path(str(entry.get("filename", f"{entry['device']}.yaml")))
        for folder in (base, instruments_dir()):
            if (folder / filename).exists():
                filename = (folder / filename).resolve()
                break
        else:
            raise BenchError(f"{where}.filename: {filename} not found next to the bench file")
        table = _read_table(filename)
        if entry["device"] not in table.get("devices", {}):
            raise BenchError(f"{where}.device: {filename} defines no device {entry['device']!r}")
        device_dict = table["devices"][entry["device"]]
        device = _build_device(entry["device"], device_dict)
        canonical = to_canonical_name(resource_name)
        self.devices.add_device(canonical, device)
        model_path = device_dict.get("model")
        if not model_path:
            raise BenchError(f"{filename}: device {entry['device']!r} names no 'model'")
        module_name, _, class_name = str(model_path).partition(":")
        model_class = getattr(importlib.import_module(module_name), class_name)
        options = {k: v for k, v in entry.items() if k not in ("device", "filename")}
        self.instruments[canonical] = model_class(self, device, canonical, options)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise BenchError(f"simulated bench file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise BenchError(f"simulated bench file {path} is not valid YAML: {exc}") from exc
    return data


@functools.lru_cache(maxsize=64)
def _read_table_cached(path: str, mtime: float) -> dict[str, Any]:
    data = _read_yaml(Path(path))
    if str(data.get("spec", "")).split(".")[0] != "1":
        raise BenchError(f"{path}: expected a pyvisa-sim command table with spec: \"1.x\"")
    return data


def _read_table(path: Path) -> dict[str, Any]:
    """A command table. Read with the safe loader, which, unlike pyvisa-sim's, understands YAML
    merge keys (``<<: *common``), so models that share commands share one table."""
    return _read_table_cached(str(path), path.stat().st_mtime)


def _as_strings(value: Any) -> Any:
    # pyvisa-sim's component code expects the string scalars its own BaseLoader produces.
    if isinstance(value, dict):
        return {str(k): _as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_strings(v) for v in value]
    return value if isinstance(value, str) else str(value)


def _build_device(name: str, device_dict: dict[str, Any]) -> SimDevice:
    """pyvisa-sim's ``get_device``, building a :class:`SimDevice` instead of a ``Device``."""
    device_dict = _as_strings(device_dict)
    device = SimDevice(name, device_dict.get("delimiter", ";").encode("utf-8"))
    device.add_error_handler(device_dict.get("error", {}))
    for interface, eom in device_dict.get("eom", {}).items():
        device.add_eom(interface, *sim_parser._get_pair(eom))
    sim_parser.update_component(name, device, device_dict)
    return device
