"""Quantities with units: one pint registry for the whole package.

Everything inside labctl is a float in SI units. Units exist at the edges: bench files, recipes,
``--set NAME=VALUE`` and the GUI, where people write ``"400 nm"`` or ``"4 mm**2"``.
"""

from __future__ import annotations

import math

import pint

from labctl.errors import ParameterError

ureg = pint.UnitRegistry()
Q_ = ureg.Quantity


def to_si(value: object, unit: str, *, name: str) -> float:
    """Return ``value`` as a float in ``unit`` (an SI unit such as ``"V"`` or ``"A/m**2"``).

    ``value`` may be a number (taken to be in ``unit`` already), a string such as ``"5 mA"``,
    or a pint quantity. A wrong dimension or an unparseable string raises
    :class:`ParameterError` naming ``name``.
    """
    if isinstance(value, bool):
        raise ParameterError(f"{name}: expected a quantity in {unit}, got a boolean {value!r}")
    if isinstance(value, int | float):
        return float(value)
    try:
        quantity = Q_(value) if isinstance(value, str) else value
    except Exception as exc:  # pint raises many kinds (undefined unit, tokenizer errors)
        wanted = f"a quantity in {unit}" if unit else "a number"
        raise ParameterError(f"{name}: cannot read {value!r} as {wanted} ({exc})") from exc
    if not isinstance(quantity, pint.Quantity):
        return float(quantity)
    if quantity.unitless:
        # A bare number, such as "30" for a relative permittivity: plain numbers are SI.
        return float(quantity.magnitude)
    try:
        magnitude = quantity.to(unit or "dimensionless").magnitude
    except pint.errors.DimensionalityError as exc:
        raise ParameterError(
            f"{name}: {value!r} has units of {quantity.units:~}, "
            f"which cannot be converted to {unit}"
        ) from exc
    # 15 significant digits: "10 us" is 1e-05, not the 9.999999999999999e-06 of the conversion.
    result = float(f"{float(magnitude):.15g}")
    if math.isnan(result):
        raise ParameterError(f"{name}: {value!r} is not a number")
    return result


def format_si(value: float, unit: str, digits: int = 4) -> str:
    """Format a float in SI ``unit`` with a readable prefix, for messages and tables."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}"
    quantity = Q_(value, unit).to_compact()
    return f"{quantity.magnitude:.{digits}g} {quantity.units:~P}"


#: Units physicists read results in; the values stay SI everywhere else.
DISPLAY_UNITS = {
    "1/m**3": "1/cm**3",
    "m**2/(V*s)": "cm**2/(V*s)",
    "A/m**2": "mA/cm**2",
    "W/m**2": "mW/cm**2",
    "S/m": "S/cm",
    "ohm*m**2": "ohm*cm**2",
}


#: Dimensionless results people read in per cent.
PERCENT_RESULTS = {"pce", "ff", "max_eqe", "eqe", "hysteresis_index", "recovered_fraction",
                   "slow_decay_fraction", "reverse_fraction", "reversible_change",
                   "irreversible_change", "total_change"}


def for_people(value: float | None, unit: str, digits: int = 4, name: str = "") -> str:
    """``value`` in the unit a physicist expects (cm⁻³, cm²/Vs, mA/cm², nm, %), for tables.

    ``name`` is the result's name: efficiencies and fractions (``pce``, ``ff``, ``max_eqe``,
    also ``pce_forward`` or ``quench_ratio[50 kV/m]``) are shown in per cent.
    """
    if value is None:
        return "—"
    base = name.split("[")[0].removesuffix("_forward").removesuffix("_reverse")
    if unit in ("", "1") and base in PERCENT_RESULTS:
        return f"{value * 100:.{max(digits - 1, 2)}g} %"
    if unit in ("", "1"):
        return f"{value:.{digits}g}"
    if unit == "s" and abs(value) >= 3600:
        return f"{value / 3600:.{digits}g} h"  # lifetimes are read in hours, not kiloseconds
    if unit == "m" and 0 < abs(value) < 1e-5:
        return f"{value * 1e9:.{digits}g} nm"
    if unit in DISPLAY_UNITS:
        shown = Q_(value, unit).to(DISPLAY_UNITS[unit])
        text = f"{shown.magnitude:.{digits}g} {shown.units:~P}"
        return text.replace("cm²/s/V", "cm²/(V·s)")
    return format_si(value, unit, digits)
