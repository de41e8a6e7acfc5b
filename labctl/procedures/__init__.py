"""The procedures: what each measurement does. ``PROCEDURES`` maps names to classes."""

from __future__ import annotations

import importlib

from labctl.errors import ParameterError

_P = "labctl.procedures."
_REGISTRY: dict[str, str] = {
    "sclc": _P + "sclc:SCLCSweep",
    "jvl": _P + "jvl:JVL",
    "solar_jv": _P + "solar_jv:SolarJV",
    "dc_drive": _P + "dc_drive:DCDrive",
    "ac_drive": _P + "ac_drive:ACDrive",
    "trel": _P + "trel:TrEL",
    "lateral_pl": _P + "lateral_pl:LateralPL",
}


def procedure_names() -> list[str]:
    return list(_REGISTRY)


def get_procedure(name: str) -> type:
    """The procedure class registered as ``name``."""
    try:
        path = _REGISTRY[name]
    except KeyError:
        raise ParameterError(
            f"unknown procedure {name!r}; known: {', '.join(_REGISTRY)}"
        ) from None
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)
