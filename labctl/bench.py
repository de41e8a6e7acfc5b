"""Bench files: which instrument plays which role, at which address, and the sample's limits.

A bench file is YAML::

    name: PeLED bench, room 2.14
    visa_library: "@py"              # "@labsim" for the simulated bench, "" for NI/Keysight VISA
    roles:
      smu:
        driver: keithley2400
        address: GPIB0::24::INSTR
      photodiode:
        driver: keithley2636b
        address: GPIB0::26::INSTR
        channel: b
    limits:
      max_voltage: 8 V
      max_current_density: 1 A/cm**2
      area: 4 mm**2

:func:`load_bench_config` reads and checks the file without any I/O; :func:`connect_bench` opens the
instruments and returns a :class:`Bench` of connected role objects. Source-meter roles come wrapped
in :class:`~labctl.safety.LimitedSourceMeter`, so the limits apply to everything that uses them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyvisa
import yaml
from pyvisa.rname import InvalidResourceName, parse_resource_name, to_canonical_name

from labctl.clock import WALL_CLOCK, Clock
from labctl.drivers import DriverSpec, get_driver
from labctl.errors import BenchError, LabctlError, ParameterError
from labctl.roles import ROLE_TYPES
from labctl.roles.conformance import missing_members
from labctl.safety.generator_guard import LimitedFunctionGenerator
from labctl.safety.guard import LimitedSourceMeter
from labctl.safety.limits import SampleLimits
from labctl.safety.safe_stop import stop_outputs
from labctl.safety.signals import sigterm_raises

log = logging.getLogger(__name__)

ROLE_KEYS = {"driver", "address", "channel", "options", "settings"}
TOP_KEYS = {"name", "visa_library", "roles", "limits", "sim", "description"}


@dataclass(frozen=True)
class RoleConfig:
    """One ``roles:`` entry of a bench file."""

    name: str
    driver: DriverSpec
    address: str
    channel: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  #: passed to the connection
    settings: Mapping[str, Any] = field(default_factory=dict)  #: passed to the role object


@dataclass(frozen=True)
class BenchConfig:
    name: str
    visa_library: str
    roles: Mapping[str, RoleConfig]
    limits: SampleLimits
    source: Path | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    def check_needs(self, needs: Mapping[str, type | str]) -> None:
        """Raise :class:`BenchError` unless every ``role name → role type`` is on the bench."""
        problems = []
        for role_name, kind in needs.items():
            kind_name = kind if isinstance(kind, str) else kind.__name__
            if role_name not in self.roles:
                problems.append(f"role {role_name!r} ({kind_name}) is missing")
            elif self.roles[role_name].driver.role != kind_name:
                problems.append(
                    f"role {role_name!r} must be a {kind_name}, but its driver "
                    f"{self.roles[role_name].driver.name!r} is a "
                    f"{self.roles[role_name].driver.role}"
                )
        if problems:
            where = f" in {self.source}" if self.source else ""
            have = ", ".join(f"{n} ({r.driver.role})" for n, r in self.roles.items()) or "none"
            raise BenchError(
                "this procedure cannot run on the bench" + where + ": " + "; ".join(problems)
                + f". The bench has: {have}."
            )


def load_bench_config(source: str | Path | Mapping[str, Any]) -> BenchConfig:
    """Read and validate a bench file (or an already-parsed mapping). Sends nothing anywhere."""
    path: Path | None = None
    if isinstance(source, Mapping):
        data: Any = source
    else:
        path = Path(source)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BenchError(f"bench file {path} does not exist") from None
        except yaml.YAMLError as exc:
            raise BenchError(f"bench file {path} is not valid YAML: {exc}") from exc
    where = str(path) if path else "bench"
    if not isinstance(data, Mapping):
        raise BenchError(f"{where}: expected a mapping with 'roles:' at the top level")
    unknown = sorted(set(data) - TOP_KEYS - {"devices", "resources", "spec"})
    if unknown:
        raise BenchError(
            f"{where}: unknown top-level key(s) {unknown}; allowed: {sorted(TOP_KEYS)}"
        )
    roles_data = data.get("roles") or {}
    if not isinstance(roles_data, Mapping):
        raise BenchError(f"{where}: 'roles' must map role names to driver entries")
    roles = {name: _role_config(where, name, entry) for name, entry in roles_data.items()}
    try:
        limits = SampleLimits.from_mapping(data.get("limits") or {})
    except ParameterError as exc:
        raise BenchError(f"{where}: {exc}") from exc
    _check_sim_section(where, data.get("sim"))
    return BenchConfig(
        name=str(data.get("name") or (path.stem if path else "bench")),
        visa_library=str(data.get("visa_library", "")),
        roles=roles,
        limits=limits,
        source=path,
        raw=data,
    )


SIM_KEYS = {"seed", "noise", "illuminated", "optics", "dut"}


def _check_sim_section(where: str, sim: Any) -> None:
    """The simulated device's parameters, checked with the rest of the file."""
    if sim is None:
        return
    if not isinstance(sim, Mapping):
        raise BenchError(f"{where}: 'sim' must be a mapping")
    unknown = sorted(set(sim) - SIM_KEYS)
    if unknown:
        raise BenchError(f"{where}: sim: unknown key(s) {unknown}; allowed: {sorted(SIM_KEYS)}")
    if sim.get("dut"):
        from labctl.sim.bench import build_dut

        try:
            build_dut(dict(sim["dut"]))
        except LabctlError as exc:
            raise BenchError(f"{where}: {exc}") from exc


def _role_config(where: str, name: str, entry: Any) -> RoleConfig:
    prefix = f"{where}: roles.{name}"
    if not isinstance(entry, Mapping):
        raise BenchError(f"{prefix}: expected a mapping with 'driver' and 'address'")
    unknown = sorted(set(entry) - ROLE_KEYS)
    if unknown:
        raise BenchError(f"{prefix}: unknown key(s) {unknown}; allowed: {sorted(ROLE_KEYS)}")
    for key in ("driver", "address"):
        if not entry.get(key):
            raise BenchError(f"{prefix}: '{key}' is required")
    try:
        driver = get_driver(str(entry["driver"]))
    except BenchError as exc:
        raise BenchError(f"{prefix}.driver: {exc}") from None
    address = str(entry["address"])
    if driver.visa:
        try:
            parse_resource_name(address)
        except InvalidResourceName:
            raise BenchError(
                f"{prefix}.address: {address!r} is not a VISA resource name "
                "(for example GPIB0::24::INSTR, USB0::0x05E6::0x2450::04400001::INSTR or "
                "TCPIP0::192.168.1.20::INSTR)"
            ) from None
    channel = entry.get("channel")
    if driver.channels:
        channel = str(channel if channel is not None else driver.channels[0]).lower()
        if channel not in driver.channels:
            raise BenchError(
                f"{prefix}.channel: {channel!r} is not a channel of {driver.name}; "
                f"allowed: {list(driver.channels)}"
            )
    elif channel is not None:
        raise BenchError(f"{prefix}.channel: {driver.name} has a single channel")
    return RoleConfig(
        name=name,
        driver=driver,
        address=address,
        channel=channel,
        options=dict(entry.get("options") or {}),
        settings=dict(entry.get("settings") or {}),
    )


class Bench:
    """Connected role objects, one per ``roles:`` entry. Use as a context manager."""

    def __init__(self, config: BenchConfig, roles: Mapping[str, Any], clock: Clock,
                 resource_manager: Any | None = None) -> None:
        self.config = config
        self.roles: dict[str, Any] = dict(roles)
        self.clock = clock
        self.limits = config.limits
        self.resource_manager = resource_manager

    def __getitem__(self, role_name: str) -> Any:
        return self.role(role_name)

    def __contains__(self, role_name: str) -> bool:
        return role_name in self.roles

    def __enter__(self) -> Bench:
        # While the bench is in use, SIGTERM unwinds like Ctrl-C: outputs end at zero and off.
        self._signals = contextlib.ExitStack()
        self._signals.enter_context(sigterm_raises())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.close()
        finally:
            signals = getattr(self, "_signals", None)
            if signals is not None:
                signals.close()

    def role(self, role_name: str, kind: type | None = None) -> Any:
        if role_name not in self.roles:
            raise BenchError(
                f"the bench {self.config.name!r} has no role {role_name!r}; "
                f"it has: {', '.join(self.roles) or 'none'}"
            )
        role = self.roles[role_name]
        if kind is not None and missing_members(role, kind):
            raise BenchError(f"role {role_name!r} is not a {kind.__name__}")
        return role

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Identification and configuration of every role, for the run file."""
        out: dict[str, dict[str, Any]] = {}
        for name, role in self.roles.items():
            cfg = self.config.roles[name]
            entry: dict[str, Any] = {"driver": cfg.driver.name, "address": cfg.address}
            if cfg.channel is not None:
                entry["channel"] = cfg.channel
            try:
                entry["idn"] = role.identify()
            except Exception as exc:  # a snapshot must not stop a run; record why it is missing
                entry["idn_error"] = str(exc)
            out[name] = entry
        return out

    def safe_stop(self) -> None:
        """Every output on the bench to zero and off."""
        stop_outputs(self.roles.values())

    def close(self) -> None:
        from labctl.run.engine import abort_active_run

        abort_active_run(self)  # a run in progress stops first, with its own safe stop
        try:
            self.safe_stop()
        finally:
            closed: set[int] = set()
            for role in self.roles.values():
                instrument = getattr(getattr(role, "inner", role), "instrument", role)
                if id(instrument) in closed:
                    continue
                closed.add(id(instrument))
                try:
                    role.close()
                except Exception:  # closing is best effort once the outputs are safe
                    log.debug("closing %r failed", role, exc_info=True)
            if self.resource_manager is not None:
                # The next bench then gets its own resource manager (on @labsim: a fresh bench).
                try:
                    self.resource_manager.close()
                except Exception:
                    log.debug("closing the resource manager failed", exc_info=True)


def connect_bench(
    source: str | Path | Mapping[str, Any] | BenchConfig,
    *,
    needs: Mapping[str, type | str] | None = None,
    visa_library: str | None = None,
) -> Bench:
    """Open every instrument of a bench and return the connected :class:`Bench`.

    ``needs`` (role name → role type) is checked against the file before anything is opened.
    ``visa_library`` overrides the file's (``"@labsim"`` runs the same bench simulated).
    """
    config = source if isinstance(source, BenchConfig) else load_bench_config(source)
    if needs:
        config.check_needs(needs)
    library = config.visa_library if visa_library is None else visa_library
    if library == "@labsim" and config.source is not None:
        # The simulated bench reads its instruments and device under test from the same file.
        library = f"{config.source}@labsim"
        if not (config.raw.get("sim") or {}).get("dut"):
            log.warning("%s has no sim: dut: section; the simulator uses its default device "
                        "(an electron-only SCLC sample): see instruments/benches/ for others",
                        config.source)
    simulated = library.endswith("@labsim")
    needs_visa = simulated or any(r.driver.visa for r in config.roles.values())
    rm = _resource_manager(library, config) if needs_visa else None
    clock: Clock = getattr(getattr(rm, "visalib", None), "clock", None) or WALL_CLOCK
    instruments: dict[str, tuple[Any, threading.RLock]] = {}
    roles: dict[str, Any] = {}
    try:
        for role_cfg in config.roles.values():
            roles[role_cfg.name] = _connect_role(
                role_cfg, rm, clock, instruments, config, simulated=simulated
            )
    except BaseException:
        # Whatever was connected is left safe, then closed, with the resource manager.
        try:
            stop_outputs(roles.values())
        finally:
            for role in roles.values():
                try:
                    role.close()
                except Exception:
                    log.debug("closing %r after a failed connect failed", role, exc_info=True)
            if rm is not None:
                rm.close()
        raise
    return Bench(config, roles, clock, rm)


def _resource_manager(library: str, config: BenchConfig) -> Any:
    try:
        return pyvisa.ResourceManager(library)
    except (OSError, ValueError, LabctlError) as exc:
        raise BenchError(
            f"cannot load the VISA library {library!r} for bench {config.name!r}: {exc}"
        ) from exc
    except pyvisa.errors.VisaIOError as exc:
        raise BenchError(f"the VISA library {library!r} refused to start: {exc}") from exc


def _connect_role(cfg: RoleConfig, rm: Any, clock: Clock,
                  instruments: dict[str, tuple[Any, threading.RLock]],
                  config: BenchConfig, *, simulated: bool = False) -> Any:
    spec = cfg.driver
    role_class = spec.load_role_class()
    if spec.visa:
        instrument_class = spec.load_instrument_class()
    elif simulated:
        instrument_class = spec.load_simulated()
    else:
        instrument_class = spec.load_instrument_class()

    def open_instrument() -> Any:
        try:
            if spec.visa:
                return instrument_class(cfg.address, visa_library=rm.visalib, **cfg.options)
            if simulated:
                return instrument_class(cfg.address, rm, **cfg.options)
            return instrument_class(cfg.address, **cfg.options)
        except pyvisa.errors.VisaIOError as exc:
            raise BenchError(
                f"roles.{cfg.name}: nothing answers at {cfg.address} "
                f"(VISA library {config.visa_library or 'default'!r}): {exc.description}"
            ) from exc
        except LabctlError:
            raise
        except Exception as exc:
            raise BenchError(f"roles.{cfg.name}: cannot open {cfg.address}: {exc}") from exc

    # One instrument, one connection and one lock, however its address is spelled.
    key = to_canonical_name(cfg.address) if spec.visa else cfg.address
    if key not in instruments:
        instruments[key] = (open_instrument(), threading.RLock())
    instrument, lock = instruments[key]
    kwargs: dict[str, Any] = dict(cfg.settings)
    if cfg.channel is not None:
        kwargs["channel"] = cfg.channel
    role = role_class(
        instrument,
        name=cfg.name,
        lock=lock,
        clock=clock,
        # VISA roles swap in a fresh adapter; other roles (seabreeze) take a fresh device.
        reconnect=(lambda: open_instrument().adapter) if spec.visa else open_instrument,
        **kwargs,
    )
    missing = missing_members(role, ROLE_TYPES[spec.role])
    if missing:
        raise BenchError(f"driver {spec.name} does not provide {spec.role}: lacks {missing}")
    if spec.role == "SourceMeter":
        return LimitedSourceMeter(role, config.limits)
    if spec.role == "FunctionGenerator":
        return LimitedFunctionGenerator(role, config.limits)
    return role
